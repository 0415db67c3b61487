"""The tuning phase of a suite with ``[tuning]``: every cell's trials, then the cell's tuned jobs added to the plan.

- A cell is a (dataset, encoder, objective) of the plan's self-supervised jobs. Its trials run on the suite's
  first seed (that seed's split and initialisation), each a job variant with the trial's parameters trained for
  ``[tuning] epochs``, and scored on the validation part only (``tasks.tune``). A trial pretrains without the
  validation rows (``JobSpec.exclude_validation``): scored on rows its encoder had seen, a configuration that fits
  the training images closely looked best and was not (MNIST-5k, long CNN, SimCLR at learning rate 8.4e-3: 0.979 on
  validation and 0.982 in 5-fold cross-validation over the training rows, 0.971 on test over 3 seeds; the default
  0.973 / 0.978 / 0.977).
- Every cell gets exactly ``trials`` trials; a failed trial counts against the budget. Round r submits trial r of
  every cell at once through the flow's task runner (threads, processes or Dask), so cells run in parallel while
  each cell's study stays sequential, hence deterministic (``benchmarks.tuning_search``).
- The best trial (on validation) gives the cell's tuned jobs: its jobs of every seed with those parameters and
  the suite's own budget, under objective ``X+tuned``; they run, and are scored on test once, like any job.
- With ``[tuning] pruner = "median"`` each trial is scored on validation after every epoch and stopped when
  Optuna's median rule prunes it against the cell's completed trials (``tasks.tune.train_trial``); with
  ``"successive_halving"`` when its score at a rung is not among the top third of the earlier trials' there. A
  pruned trial counts against the budget, is recorded with status ``pruned``, and is never the tuned configuration.
- Each cell's trials and tuned configuration go to the ``tuning`` table (one file per cell, written atomically)
  when its last trial has finished. Trials are cached by their JobSpec hash, so a re-run or a resumed run asks
  for the same parameters and trains nothing again.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import optuna
from prefect import tags
from rich.markup import escape
from sslbench.benchmarks.plan import Plan
from sslbench.benchmarks.suite import Suite
from sslbench.benchmarks.tuning import (
    TuningConfig,
    cell_seed,
    cell_space,
    configured_job,
    default_params,
    tuned_label,
)
from sslbench.benchmarks.tuning_search import CellSearch
from sslbench.flows import progress
from sslbench.flows.inputs import StageInputs
from sslbench.flows.scheduler import Stage, StageScheduler
from sslbench.results.selection import VALIDATION
from sslbench.results.store import write_rows
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.stop import stop_requested
from sslbench.tasks.naming import job_tags, job_title, run_logger
from sslbench.tasks.pretrain import pretrain_task
from sslbench.tasks.results import STATUS_OF_ERROR
from sslbench.tasks.tune import TRIAL_METRIC, score_trial_task, train_trial_task

PRUNED = "pruned"  # the status of a trial a pruning rule stopped
PRUNING_PHRASE = {  # what the tuning line says of each ``[tuning] pruner``
    "none": "",
    "median": ", hopeless ones pruned by the median rule",
    "successive_halving": ", hopeless ones pruned by successive halving",
}


@dataclass
class _Cell:
    """One cell's job on the tuning seed, its search and its trials' rows so far."""

    job: JobSpec
    search: CellSearch
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Trial:
    """A submitted trial: its cell, number, Optuna trial, parameters, job and stage futures."""

    cell: _Cell
    number: int
    trial: optuna.Trial
    params: dict[str, Any]
    job: JobSpec
    trained: Stage
    scored: Stage


def cell_of(job: JobSpec) -> tuple[str, str, str]:
    """(dataset, encoder, objective): the jobs of one cell share their tuned configuration."""
    return (job.dataset, job.encoder, job.objective)


def tuning_cells(plan: Plan, seed: int) -> list[JobSpec]:
    """The plan's self-supervised jobs on ``seed``: one per cell (baselines are not tuned)."""
    return [job for job in plan.jobs if job.seed == seed and job.trains and not job.baseline]


def tuning_summary(plan: Plan, suite: Suite) -> str:
    """What tuning adds to a run, in one line."""
    tuning = suite.tuning
    assert tuning is not None, "tuning_summary() needs a suite with [tuning]"
    cells = tuning_cells(plan, suite.seeds[0])
    budgets = [tuning.epochs] if tuning.epochs else sorted({job.train.epochs for job in cells})
    epochs = " or ".join(str(budget) for budget in budgets) or str(suite.train.epochs)
    pruned = PRUNING_PHRASE[tuning.pruner]
    return (
        f"tuning: {len(cells)} objective × encoder cells × {tuning.trials} trials of {epochs} epochs on seed "
        f"{suite.seeds[0]} (selected on validation{pruned}), then {len(cells) * len(suite.seeds)} tuned jobs"
    )


def tune(
    plan: Plan, suite: Suite, out_dir: str, run_id: str, scheduler: StageScheduler, use_cache: bool = True
) -> Plan:
    """Run every cell's trials; the plan with each cell's tuned jobs appended (none for a cell whose trials all
    failed). After a stop request the plan is returned unchanged and nothing is written."""
    tuning = suite.tuning
    assert tuning is not None, "tune() needs a suite with [tuning]"
    cells = {cell_of(job): _Cell(job, _search(tuning, job)) for job in tuning_cells(plan, suite.seeds[0])}
    inputs = StageInputs(scheduler, out_dir, use_cache, suite.name)
    logger = run_logger()
    done, total = 0, len(cells) * tuning.trials
    for number in range(tuning.trials):
        if stop_requested():
            return plan
        trials = [
            _submit_trial(cell, number, tuning, inputs, out_dir, use_cache, suite.name) for cell in cells.values()
        ]
        submitted = {trial.scored: trial for trial in trials}
        for future in scheduler.as_completed(list(submitted)):
            finished = submitted[future]
            row = _trial_row(finished)
            scores = {int(epoch): score for epoch, score in json.loads(row.get("scores", "{}")).items()}
            value = row["value"] if row["status"] in ("ok", PRUNED) else None
            finished.cell.search.tell(finished.trial, value, scores, pruned=row["status"] == PRUNED)
            finished.cell.rows.append(row)
            done += 1
            _trial_line(done, total, finished, tuning.trials, row, logger)
            if stop_requested():  # the other running trials stop within a step; queued ones are not waited for
                return plan
    if stop_requested():
        return plan
    tuned: list[JobSpec] = []
    for key, cell in cells.items():
        best = _write_cell(out_dir, run_id, tuning, cell)
        if best is not None:
            label = tuned_label(cell.job.objective)
            tuned += [configured_job(job, best, label=label) for job in plan.jobs if cell_of(job) == key]
    return Plan(plan.jobs + tuned, plan.skipped)


def _search(tuning: TuningConfig, job: JobSpec) -> CellSearch:
    """The cell's seeded search; its first trial is the job's own configuration (trained for the trial epochs)."""
    space = cell_space(tuning, job)
    return CellSearch(space, cell_seed(tuning, job), tuning.trials, default_params(job, space))


def _submit_trial(
    cell: _Cell, number: int, tuning: TuningConfig, inputs: StageInputs, out_dir: str, use_cache: bool, suite: str
) -> _Trial:
    """Ask the cell's next trial and submit its pretraining and scoring."""
    trial, params = cell.search.ask()
    job = dataclasses.replace(configured_job(cell.job, params, tuning.epochs), exclude_validation=True)
    split = inputs.split(job)
    with tags(*job_tags(job, suite), "tuning"):
        if tuning.pruner != "none":
            completed, pruned = cell.search.completed(), cell.search.pruned()
            trained = scored = inputs.scheduler.submit(
                train_trial_task, job, split, inputs.bank(job), out_dir, completed, use_cache, tuning.pruner, pruned
            )
        else:
            trained = inputs.scheduler.submit(pretrain_task, job, split, inputs.bank(job), out_dir, use_cache)
            scored = inputs.scheduler.submit(score_trial_task, job, split, trained, out_dir, use_cache)
    return _Trial(cell, number, trial, params, job, trained, scored)


def _trial_row(finished: _Trial) -> dict[str, Any]:
    """The tuning-table row of a finished trial (its error, when a stage failed)."""
    row: dict[str, Any] = {
        "kind": "trial",
        "trial": finished.number,
        "params": json.dumps(finished.params, sort_keys=True),
        "job_id": finished.job.key(),
        "config": json.dumps(finished.job.config(), sort_keys=True),
        "metric": TRIAL_METRIC.partition("/")[0],
        "selected_on": VALIDATION,
    }
    try:
        pretrained, result = finished.trained.result(), finished.scored.result()
    except Exception as error:  # a failing trial is recorded and counts against the budget, never fatal
        return {
            **row,
            "status": STATUS_OF_ERROR.get(type(error).__name__, "failed"),
            "error": f"{type(error).__name__}: {error}",
        }
    scores = result.get("scores", {})
    return {
        **row,
        "status": PRUNED if result.get("pruned") else "ok",
        "error": "",
        "value": float(result["score"]),
        "cached": bool(pretrained["cached"] and result["cached"]),
        "seconds": float(pretrained["seconds"] + (0.0 if finished.scored is finished.trained else result["seconds"])),
        "trained_epochs": max(scores) if scores else finished.job.train.epochs,
        "scores": json.dumps({str(epoch): score for epoch, score in sorted(scores.items())}),
    }


def _trial_line(done: int, total: int, finished: _Trial, trials: int, row: dict[str, Any], logger: Any) -> None:
    """One line per finished trial: its cell, parameters and validation score (or error)."""
    params = ", ".join(f"{name.partition('.')[2]}={_short(value)}" for name, value in json.loads(row["params"]).items())
    pruned = f"pruned after epoch {row['trained_epochs']}, " if row["status"] == PRUNED else ""
    outcome = (
        f"{pruned}validation linear {row['value']:.3f}" + (" (cached)" if row["cached"] else "")
        if row["status"] in ("ok", PRUNED)
        else f"{row['status']}: {row['error'].splitlines()[0][:100]}"
    )
    title = job_title(finished.cell.job)
    line = f"tuning [{done}/{total}] {title} trial {finished.number + 1}/{trials}: {params} → {outcome}"
    progress.console.print(escape(line))
    logger.info(line)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _write_cell(out_dir: str, run_id: str, tuning: TuningConfig, cell: _Cell) -> dict[str, Any] | None:
    """Write the cell's trials and, when a trial succeeded, its tuned configuration; returns the tuned
    parameters (None when every trial failed)."""
    best: optuna.trial.FrozenTrial | None = cell.search.best()
    job = cell.job
    common = {
        "dataset": job.dataset,
        "encoder": job.encoder,
        "objective": job.objective,
        "tuned_objective": tuned_label(job.objective),
        "seed": job.seed,
        "n_trials": tuning.trials,
        "trial_epochs": tuning.epochs or job.train.epochs,
        "sampler_seed": tuning.sampler_seed,
        "pruner": tuning.pruner,
    }
    rows = [{**common, **row} for row in cell.rows]
    if best is not None:
        chosen = cell.rows[best.number]
        tuned = configured_job(job, json.loads(chosen["params"]), label=tuned_label(job.objective))
        rows.append(
            {
                **common,
                **chosen,
                "kind": "tuned",
                "job_id": tuned.key(),
                "config": json.dumps(tuned.config(), sort_keys=True),
            }
        )
    write_rows(out_dir, "tuning", run_id, rows, part=job.key())
    return json.loads(cell.rows[best.number]["params"]) if best is not None else None
