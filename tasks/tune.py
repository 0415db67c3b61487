"""Tuning stage: score a trial's pretrained encoder on the validation part only (test is never read).

A trial is a job variant (``benchmarks.tuning.configured_job``) pretrained by the ordinary pretrain stage, so its
checkpoint is cached by its JobSpec hash like any job's. Its score is the linear probe fitted on the training
rows outside the validation part and scored on the validation rows (``linear_acc/validation``), cached in a
verified record keyed by the same hash and the split's content.

With pruning (``[tuning] pruner = "median"`` or ``"successive_halving"``) a trial is one task, :func:`train_trial`: it
pretrains, scores the encoder on the validation part after every epoch, and stops when the rule prunes it
(``ssl_models.pruning.PruningCheck``, given the cell's earlier trials). Its record is keyed by the JobSpec hash, the
rule and those earlier trials, so a re-run, which asks the same trials with the same history, trains nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import optuna
import torch
from prefect import task
from sslbench.ssl_models import data
from sslbench.ssl_models.evaluate import embed
from sslbench.ssl_models.evaluate.label_efficiency import validation_metrics
from sslbench.ssl_models.evaluate.metric_names import MetricName
from sslbench.ssl_models.files import json_sha256
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives import Objective
from sslbench.ssl_models.pruning import Completed, PruningCheck
from sslbench.ssl_models.stop import check_stop
from sslbench.ssl_models.threads import single_threaded_blas
from sslbench.tasks.artefacts import record_path
from sslbench.tasks.cache import load_record, save_record
from sslbench.tasks.data import split_fingerprint
from sslbench.tasks.naming import task_run_namer
from sslbench.tasks.pretrain import build_job_objective, pretrain_job

TRIAL_METRIC = MetricName("linear_acc", "validation").key()  # what a trial is scored (and selected) by
TRIAL_VERSION = 1  # bump when a trial's score changes for the same checkpoint


def score_trial(
    job: JobSpec, split_file: str, trained: dict[str, Any], out_dir: str, use_cache: bool = True
) -> dict[str, Any]:
    """``{"score": validation linear probe accuracy, "cached": bool, "seconds": this call's time}``.

    A verified record of the same trial on the same split content is reused unless ``use_cache`` is False or
    its pretraining was redone.
    """
    check_stop("trial scoring")
    started = time.perf_counter()
    record = record_path(out_dir, f"trial-v{TRIAL_VERSION}", job)
    fingerprint = split_fingerprint(split_file)
    cached = load_record(record) if use_cache and trained.get("cached") else None
    if cached is not None and cached.get("split") == fingerprint:
        return {"score": cached["score"], "cached": True, "seconds": time.perf_counter() - started}
    split = _scored_split(job, split_file)
    objective = build_job_objective(job, split)
    objective.load_state_dict(torch.load(str(trained["checkpoint"]), map_location="cpu", weights_only=True))
    objective.eval()
    score = validation_score(job, split, objective)
    save_record(record, {"score": score, "split": fingerprint})
    return {"score": score, "cached": False, "seconds": time.perf_counter() - started}


def _scored_split(job: JobSpec, split_file: str) -> data.SplitData:
    split = data.SplitData.load(Path(split_file))
    if not split.labelled or not len(split.validation_rows):
        raise ValueError(f"dataset '{job.dataset}' has no labelled validation part, so trials cannot be scored")
    return split


def validation_score(job: JobSpec, split: data.SplitData, objective: Objective) -> float:
    """The trial metric of the objective's encoder as it is now (its train/eval mode is kept)."""
    with single_threaded_blas():
        return validation_metrics(embed(objective.encoder, split.x_train), split, job.probe, job.seed)[TRIAL_METRIC]


def train_trial(
    job: JobSpec,
    split_file: str,
    bank_files: dict[str, str] | None,
    out_dir: str,
    completed: list[Completed],
    use_cache: bool = True,
    rule: str = "median",
    pruned_trials: list[Completed] | None = None,
) -> dict[str, Any]:
    """Pretrain a trial, scored on validation after every epoch and pruned by ``rule`` (``ssl_models.pruning``)
    against the cell's ``completed`` trials (and its ``pruned_trials``, for successive halving): ``{"score": the last
    score, "scores": {epoch: score}, "pruned": bool, "cached": bool, "seconds": this call's time}``. An unpruned
    trial's checkpoint is saved like any job's; a pruned one's is not.
    """
    check_stop("tuning trial")
    started = time.perf_counter()
    history = json_sha256(completed if rule == "median" else [completed, pruned_trials or []])[:12]
    record = record_path(out_dir, f"trial-v{TRIAL_VERSION}-{rule}-{history}", job)
    fingerprint = split_fingerprint(split_file)
    cached = load_record(record) if use_cache else None
    if cached is not None and cached.get("split") == fingerprint:
        scores = {int(epoch): score for epoch, score in cached["scores"].items()}
        return {**cached, "scores": scores, "cached": True, "seconds": time.perf_counter() - started}
    split = _scored_split(job, split_file)
    check, scores = PruningCheck(completed, rule, job.train.epochs, pruned_trials or ()), {}

    def after_epoch(epoch: int, objective: Objective) -> None:
        scores[epoch] = validation_score(job, split, objective)
        if check.prune(epoch, scores[epoch]):
            raise optuna.TrialPruned(f"pruned after epoch {epoch}")

    try:
        pretrain_job(job, split_file, bank_files, out_dir, use_cache=False, after_epoch=after_epoch)
        pruned = False
    except optuna.TrialPruned:
        pruned = True
    output = {"score": scores[max(scores)], "scores": scores, "pruned": pruned, "split": fingerprint}
    save_record(record, output)
    return {**output, "cached": False, "seconds": time.perf_counter() - started}


train_trial_task = task(train_trial, name="train-trial", task_run_name=task_run_namer("trial"))  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
score_trial_task = task(score_trial, name="score-trial", task_run_name=task_run_namer("trial"))  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
