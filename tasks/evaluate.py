"""Stage 4–5: evaluate a frozen encoder, or a baseline's representation, with every registered evaluator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from prefect import task
from sslbench.ssl_models import data
from sslbench.ssl_models.baselines import BASELINES
from sslbench.ssl_models.evaluate import EvaluationContext, embed, evaluation_signature, run_evaluators
from sslbench.ssl_models.evaluate.label_efficiency import (
    label_efficiency_metrics,
    label_subset_metrics,
    validation_metrics,
)
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives import OBJECTIVES
from sslbench.ssl_models.stop import check_stop
from sslbench.ssl_models.threads import single_threaded_blas
from sslbench.tasks.artefacts import record_path
from sslbench.tasks.cache import load_record, save_record
from sslbench.tasks.data import open_split, split_fingerprint
from sslbench.tasks.events import emit
from sslbench.tasks.naming import task_run_namer
from sslbench.tasks.pretrain import build_job_objective

# Bump when the evaluate stage itself changes its metrics, so that cached evaluations are recomputed
# (checkpoints are kept); an evaluator's own changes are tracked by ``evaluation_signature``. 2: collapse
# diagnostics of the projector's output (projection_*); 3: dimensional collapse needs both criteria; 4: the
# embedding's normalised std is measured around its mean, and its own flag is stored as embedding_collapsed;
# 5: PCA keeps only directions the training data spans, linear_converged, the EYM angle on W's row space in
# the support. 6: probes on the validation part (linear_acc/validation, ...) and on label subsets
# (label_linear_acc/labels=F/...). 7: PCA from the Gram matrix when n ≥ d, cosine kNN as Euclidean on unit vectors.
# 8: the PCA baseline is fitted on standardised inputs (the probe's metric).
EVALUATION_VERSION = 8


def _score(
    job: JobSpec, split: data.SplitData, train: np.ndarray, test: np.ndarray, **context: Any
) -> dict[str, float]:
    """Every registered evaluator on the job's train/test representations (one BLAS thread per job), then the
    probes on the validation part and on label subsets; a baseline trained on a label subset is probed on that
    subset only, and baselines whose encoder saw the labels get no validation or label-subset probes."""
    with single_threaded_blas():
        if job.label_fraction < 1:
            y_train, y_test = split.labels()
            return label_subset_metrics(
                train, y_train, test, y_test, job.probe, job.seed, job.label_fraction, job.label_draw
            )
        metrics = run_evaluators(EvaluationContext(split, job.seed, train, test, probe=job.probe, **context))
        if not (job.objective_name and OBJECTIVES.get(job.objective_name).needs_labels):  # encoder saw labels
            metrics.update(validation_metrics(train, split, job.probe, job.seed))
            metrics.update(label_efficiency_metrics(train, split.y_train, test, split.y_test, job.probe, job.seed))
    return metrics


def _cached(
    job: JobSpec, out_dir: str, split_file: str, use_cache: bool, compute: Callable[[], dict[str, float]]
) -> dict[str, Any]:
    """A verified record of the same job on the same split content, or ``compute()`` stored as one.

    ``seconds`` is this call's own wall time (a cache hit costs only the lookup).
    """
    check_stop("evaluation")
    started = time.perf_counter()
    emit("evaluate", job.key())
    record = record_path(out_dir, f"evaluate-v{EVALUATION_VERSION}-{evaluation_signature()}", job)
    fingerprint = split_fingerprint(split_file)
    if use_cache and (cached := load_record(record)) is not None and cached.get("split") == fingerprint:
        return {"metrics": cached["metrics"], "cached": True, "seconds": time.perf_counter() - started}
    metrics = compute()
    save_record(record, {"metrics": metrics, "split": fingerprint})
    return {"metrics": metrics, "cached": False, "seconds": time.perf_counter() - started}


def evaluate_job(
    job: JobSpec, split_file: str, trained: dict[str, Any], out_dir: str, use_cache: bool = True
) -> dict[str, Any]:
    """Metrics of the frozen encoder: ``{"metrics": {...}, "cached": bool}``.

    ``trained`` is the pretrain stage's output; its checkpoint is loaded as weights only (no code runs).
    A verified cached result of the same job is reused unless ``use_cache`` is False or training was redone.
    """
    return _cached(
        job,
        out_dir,
        split_file,
        use_cache and bool(trained.get("cached")),
        lambda: _evaluate_checkpoint(job, split_file, trained),
    )


def evaluate_baseline(job: JobSpec, split_file: str, out_dir: str, use_cache: bool = True) -> dict[str, Any]:
    """Metrics of an encoder-free baseline's representation, cached like :func:`evaluate_job`."""
    return _cached(job, out_dir, split_file, use_cache, lambda: _evaluate_baseline(job, split_file))


def _evaluate_checkpoint(job: JobSpec, split_file: str, trained: dict[str, Any]) -> dict[str, float]:
    split = open_split(split_file)
    objective = build_job_objective(job, split)
    objective.load_state_dict(torch.load(str(trained["checkpoint"]), map_location="cpu", weights_only=True))
    objective.eval()
    encoder = objective.encoder
    return _score(
        job,
        split,
        embed(encoder, split.x_train),
        embed(encoder, split.x_test),
        encoder=encoder,
        objective=objective,
        requested=job.requested_evaluators(),
    )


def _evaluate_baseline(job: JobSpec, split_file: str) -> dict[str, float]:
    """The baseline's own features of both splits (fitted on train), scored like an embedding, plus its
    metrics."""
    split = open_split(split_file)
    train, test, extra = BASELINES.get(job.baseline).features(split.x_train, split.x_test, job.embedding_dim, job.seed)
    return {**_score(job, split, train, test), **extra}


evaluate_task = task(evaluate_job, name="evaluate", task_run_name=task_run_namer("evaluate"))  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
evaluate_baseline_task = task(  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
    evaluate_baseline, name="evaluate-baseline", task_run_name=task_run_namer("evaluate")
)
