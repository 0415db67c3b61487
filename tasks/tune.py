"""Tuning stage: score a trial's pretrained encoder on the validation part only (test is never read).

A trial is a job variant (``benchmarks.tuning.configured_job``) pretrained by the ordinary pretrain stage, so its
checkpoint is cached by its JobSpec hash like any job's. Its score is the linear probe fitted on the training
rows outside the validation part and scored on the validation rows (``linear_acc/validation``), cached in a
verified record keyed by the same hash and the split's content.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from prefect import task
from sslbench.ssl_models import data
from sslbench.ssl_models.evaluate import embed
from sslbench.ssl_models.evaluate.label_efficiency import validation_metrics
from sslbench.ssl_models.evaluate.metric_names import MetricName
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.stop import check_stop
from sslbench.ssl_models.threads import single_threaded_blas
from sslbench.tasks.artefacts import record_path
from sslbench.tasks.cache import load_record, save_record
from sslbench.tasks.data import split_fingerprint
from sslbench.tasks.naming import task_run_namer
from sslbench.tasks.pretrain import build_job_objective

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
    split = data.SplitData.load(Path(split_file))
    if not split.labelled or not len(split.validation_rows):
        raise ValueError(f"dataset '{job.dataset}' has no labelled validation part, so trials cannot be scored")
    objective = build_job_objective(job, split)
    objective.load_state_dict(torch.load(str(trained["checkpoint"]), map_location="cpu", weights_only=True))
    objective.eval()
    with single_threaded_blas():
        score = validation_metrics(embed(objective.encoder, split.x_train), split, job.probe, job.seed)[TRIAL_METRIC]
    save_record(record, {"score": score, "split": fingerprint})
    return {"score": score, "cached": False, "seconds": time.perf_counter() - started}


score_trial_task = task(score_trial, name="score-trial", task_run_name=task_run_namer("trial"))  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
