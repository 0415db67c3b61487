"""The report's tuning section: per dataset, default against tuned test accuracy of every objective × encoder.

Reads the ``tuning`` table (``flows.tuning``): each cell's trials (``kind = "trial"``, scored on validation) and
its tuned configuration (``kind = "tuned"``: the best trial on validation, ``config`` the JobSpec of its tuned
job). Default and tuned cells give the linear probe's test accuracy, mean ± std over seeds; the difference is
mean(tuned) − mean(default) with Welch's t-test over seeds (``report_answer.margin_text``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sslbench.results.report_answer import margin_text
from sslbench.results.report_render import Section
from sslbench.results.selection import SELECTED_ON_TEXT


def _seed_values(test: pd.DataFrame, objective: str, encoder: str) -> np.ndarray:
    cell = test[(test["objective"] == objective) & (test["encoder"] == encoder)]
    return cell.groupby("seed")["value"].mean().to_numpy(dtype=float)


def _mean_std(values: np.ndarray) -> str:
    if not len(values):
        return "—"
    return f"{values.mean():.3f}" + (f" ± {values.std(ddof=1):.3f}" if len(values) > 1 else "") + f" (n={len(values)})"


def _params_text(params: str) -> str:
    """``learning_rate=0.0012, temperature=0.31`` from the stored JSON of qualified names."""
    values = json.loads(params)
    return ", ".join(
        f"{name.partition('.')[2]}={value:.3g}" if isinstance(value, float) else f"{name.partition('.')[2]}={value}"
        for name, value in values.items()
    )


def _budget_text(trials: pd.DataFrame) -> str:
    """'8 trials of 3 epochs' (or every budget present, which a single run never mixes)."""
    budgets = trials[["n_trials", "trial_epochs"]].drop_duplicates().sort_values(["n_trials", "trial_epochs"])
    return " / ".join(f"{int(n)} trials of {int(e)} epoch{'' if int(e) == 1 else 's'}" for n, e in budgets.to_numpy())


RULE_TEXT = {
    "median": (
        "Optuna's median rule: after each epoch, a trial whose best validation score so far is below the median of "
        "the cell's completed trials after that epoch stops; the cell's first trials, the default configuration "
        "among them, complete before any is pruned"
    ),
    "successive_halving": (
        "successive halving: at a ninth and a third of the budget a trial goes on only when its validation score "
        "is among the top third of the earlier trials' scores there; the first trial, the default configuration, "
        "trains its whole budget, and every trial that is not pruned does too"
    ),
}


def _pruning_text(trials: pd.DataFrame) -> str:
    """What pruning did, when the run pruned: the rule, that pruned trials count toward the budget, how many."""
    rules = [rule for rule in RULE_TEXT if "pruner" in trials and (trials["pruner"] == rule).any()]
    if not rules:
        return ""
    pruned = int((trials["status"] == "pruned").sum())
    return (
        f" Hopeless trials were pruned ({'; '.join(RULE_TEXT[rule] for rule in rules)}). A pruned trial counts "
        f"toward the equal budget and is never a tuned configuration: {pruned} of {len(trials)} trials were pruned."
    )


def tuning_table(tuning: pd.DataFrame, df: pd.DataFrame, dataset: str) -> Section | None:
    """Default against tuned test linear probe accuracy per objective × encoder of ``dataset``; None when the run
    tuned nothing there."""
    cells = tuning[tuning["dataset"] == dataset]
    if cells.empty:
        return None
    test = df[(df["dataset"] == dataset) & (df["metric"] == "linear_acc") & (df["split"] == "test")]
    rows = []
    for (objective, encoder), trials in cells.groupby(["objective", "encoder"], sort=True):
        tuned = trials[trials["kind"] == "tuned"]
        done = trials[trials["kind"] == "trial"]
        default = _seed_values(test, str(objective), str(encoder))
        if tuned.empty:
            rows.append([str(objective), str(encoder), _mean_std(default), "— (every trial failed)", "—", "—", "—"])
            continue
        best = tuned.iloc[0]
        ours = _seed_values(test, str(best["tuned_objective"]), str(encoder))
        rows.append(
            [
                str(objective),
                str(encoder),
                _mean_std(default),
                _mean_std(ours),
                margin_text(ours, default),
                f"{best['value']:.3f} (trial {int(best['trial']) + 1} of {len(done)}, "
                f"{SELECTED_ON_TEXT[str(best['selected_on'])]})",
                _params_text(str(best["params"])),
            ]
        )
    trials = cells[cells["kind"] == "trial"]
    seeds = sorted(int(s) for s in cells["sampler_seed"].dropna().unique())
    pruning = _pruning_text(trials)
    return Section(
        "Default and tuned configurations",
        (
            f"Equal budget: every objective × encoder cell got {_budget_text(trials)} (Optuna TPE, sampler seed "
            f"{', '.join(map(str, seeds))}, seeded per cell; the first trial is the default configuration). A trial "
            "pretrains on the training split and is scored by a linear probe fitted on the training rows outside the "
            "validation part and scored on the validation part; the best trial **on validation** is the cell's tuned "
            "configuration. Its jobs then ran with the suite's own budget for every seed and were scored on test "
            "once. Each tuned configuration is stored in the tuning table (kind = tuned; config: its JobSpec)."
            + pruning
        ),
        header=[
            "objective",
            "encoder",
            "default (test)",
            "tuned (test)",
            "tuned − default",
            "best trial (validation)",
            "tuned parameters",
        ],
        rows=rows,
        level=3,
        notes=[
            "Test: linear probe accuracy, mean ± std over seeds; tuned − default: difference of the means, Welch "
            "t-test over seeds (no verdict with a single seed)."
        ],
    )
