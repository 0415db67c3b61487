"""What the report selects, and on which data: best self-supervised configurations chosen on the validation
part, and the cells on the accuracy × training cost Pareto front.

A "best configuration" (of a dataset, or of one encoder's column) is the self-supervised (objective, encoder)
with the highest mean over seeds of the metric on the **validation** part (``split = "validation"``: probes
fitted on the training split minus its validation part). Baselines are never selected. Only where a metric has
no validation score (clustering scores; runs written before validation parts existed) is the choice made on
test, and the returned ``selected_on`` says so; the report prints it beside every selected number.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sslbench.results.query import cost_cells, self_supervised

VALIDATION, TEST = "validation", "test"
SELECTED_ON_TEXT = {VALIDATION: "validation", TEST: "test (no validation score)"}


class Selection(NamedTuple):
    """The chosen (objective, encoder) and the split it was chosen on."""

    objective: str
    encoder: str
    selected_on: str


def best_configuration(df: pd.DataFrame, metric: str = "linear_acc") -> Selection | None:
    """The self-supervised (objective, encoder) of ``df`` with the highest mean ``metric`` on validation (else
    on test, said in ``selected_on``); ties go to the first name in sorted order; None without self-supervised
    rows. The one "best configuration" query of the CLI, the Prefect artifacts and the report::

        results.best_configuration(df[df["dataset"] == "mnist5k"])   # Selection('simclr', 'cnn', 'validation')
    """
    chosen = self_supervised(df[df["metric"] == metric])
    splits = chosen["split"] if "split" in chosen else pd.Series(TEST, index=chosen.index)
    for split in (VALIDATION, TEST):
        rows = chosen[splits == split]
        if len(rows):
            means = rows.groupby(["objective", "encoder"], observed=True)["value"].mean().sort_index()
            objective, encoder = means.idxmax()
            return Selection(str(objective), str(encoder), split)
    return None


def pareto_front(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str, metric: str = "linear_acc") -> pd.DataFrame:
    """The self-supervised (objective, encoder) cells of ``dataset`` that no other cell dominates (higher or
    equal ``metric`` at lower or equal training seconds, one of them strictly), cheapest first::

        results.pareto_front(metrics, jobs, "mnist5k")   # metrics/jobs: the tables, e.g. results.load(...) and jobs

    Accuracy is compared on the validation part when every self-supervised cell has a validation score, else on
    test (``selected_on`` says which), as the report selects; baselines and the supervised bound are never on the
    front. Cells with equal accuracy and cost are both on it.
    """
    cells = self_supervised(cost_cells(metrics, jobs, dataset, metric))
    on_validation = len(cells) > 0 and bool(cells["validation_accuracy"].notna().all())
    score = cells["validation_accuracy" if on_validation else "accuracy"].to_numpy()
    cost = cells["train_seconds"].to_numpy()
    better_or_equal = (score[None, :] >= score[:, None]) & (cost[None, :] <= cost[:, None])
    strictly = (score[None, :] > score[:, None]) | (cost[None, :] < cost[:, None])
    dominated = (better_or_equal & strictly).any(axis=1)
    front = cells[~dominated].assign(selected_on=VALIDATION if on_validation else TEST)
    return front.sort_values(["train_seconds", "objective", "encoder"]).reset_index(drop=True)
