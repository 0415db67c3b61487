"""Stage 4–5: evaluate a frozen encoder, or a baseline representation, with the same probes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from prefect import task

from benchmarks.plan import JobSpec
from ssl_models import data
from ssl_models.baselines import PCA, raw_features
from ssl_models.evaluate import collapse_diagnostics, embed, evaluate_embeddings
from ssl_models.evaluate.extra import EvaluationContext, run_extra_evaluators
from ssl_models.evaluate.label_efficiency import label_efficiency_metrics, label_subset_metrics, validation_metrics
from ssl_models.evaluate.subspace import linear_autoencoder_vs_pca
from ssl_models.stop import check_stop
from ssl_models.threads import single_threaded_blas
from tasks.artefacts import record_path
from tasks.cache import load_record, save_record
from tasks.data import split_fingerprint
from tasks.events import emit
from tasks.naming import task_run_namer
from tasks.pretrain import build_job_objective


def _score(job: JobSpec, split: data.SplitData, train: np.ndarray, test: np.ndarray, **context: object) -> dict[str, float]:
    """Every metric of the job; a supervised baseline trained on a label subset is probed on that subset only.

    Validation and label-subset probes are left out for the supervised baselines, whose encoder saw the labels.
    """
    with single_threaded_blas():
        if job.label_fraction < 1:
            return label_subset_metrics(train, split.y_train, test, split.y_test, job.probe, job.seed,
                                        job.label_fraction, job.label_draw)
        metrics = evaluate_embeddings(train, split.y_train, test, split.y_test, split.n_classes, job.seed, job.probe)
        metrics.update(run_extra_evaluators(EvaluationContext(split, job.seed, train, test, **context)))
        if job.family != "supervised":
            metrics.update(validation_metrics(train, split, job.probe, job.seed))
            metrics.update(label_efficiency_metrics(train, split.y_train, test, split.y_test, job.probe, job.seed))
    return metrics


# Bump when evaluation computes different metrics, so that cached evaluations are recomputed (checkpoints are kept).
# 2: collapse diagnostics of the projector's output (projection_*); 3: dimensional collapse needs both criteria;
# 4: the embedding's normalised std is measured around its mean, and its own flag is stored as embedding_collapsed;
# 5: PCA keeps only directions the training data spans, linear_converged, the EYM angle on W's row space in the support.
# 6: probes on the validation part (linear_acc/validation, ...) and on label subsets (label_linear_acc/labels=F/...).
EVALUATION_VERSION = 6
# Dimensional collapse of the projector: its output keeps under half the effective rank of its input AND fills
# under a tenth of its own dimensions. Measured in the standard suite (MNIST-5k, 3 seeds): SimSiam without
# stop-gradient, rank ratio 0.21–0.38 and fraction 0.005–0.017; SimSiam 0.91–1.17 and 0.04–0.06; SimCLR on a 256-d
# pooled CNN embedding 0.42 but 0.38 (healthy: a 128-d projector cannot keep 107 effective dimensions); spectral
# contrastive 0.70–0.77 and 0.13–0.17; BYOL, triplet, Barlow Twins, VICReg ratio > 1.
DIMENSIONAL_COLLAPSE_RATIO = 0.5
DIMENSIONAL_COLLAPSE_FRACTION = 0.1


def _cached(job: JobSpec, out_dir: str, split_file: str, use_cache: bool, compute: Callable[[], dict[str, float]]) -> dict[str, Any]:
    """A verified record of the same job on the same split content, or ``compute()`` stored as one.

    ``seconds`` is this call's own wall time (a cache hit costs only the lookup).
    """
    check_stop("evaluation")
    started = time.perf_counter()
    emit("evaluate", job.key())
    record = record_path(out_dir, f"evaluate-v{EVALUATION_VERSION}", job)
    fingerprint = split_fingerprint(split_file)
    if use_cache and (cached := load_record(record)) is not None and cached.get("split") == fingerprint:
        return {"metrics": cached["metrics"], "cached": True, "seconds": time.perf_counter() - started}
    metrics = compute()
    save_record(record, {"metrics": metrics, "split": fingerprint})
    return {"metrics": metrics, "cached": False, "seconds": time.perf_counter() - started}


def evaluate_job(job: JobSpec, split_file: str, trained: dict[str, Any], out_dir: str, use_cache: bool = True) -> dict[str, Any]:
    """Metrics of the frozen encoder: ``{"metrics": {...}, "cached": bool}``.

    ``trained`` is the pretrain stage's output; its checkpoint is loaded as weights only (no code runs).
    A verified cached result of the same job is reused unless ``use_cache`` is False or training was redone.
    """
    return _cached(job, out_dir, split_file, use_cache and bool(trained.get("cached")), lambda: _evaluate_checkpoint(job, split_file, trained))


def evaluate_baseline(job: JobSpec, split_file: str, out_dir: str, use_cache: bool = True) -> dict[str, Any]:
    """Metrics of the raw input or PCA representation, cached like :func:`evaluate_job`."""
    return _cached(job, out_dir, split_file, use_cache, lambda: _evaluate_baseline(job, split_file))


def _evaluate_checkpoint(job: JobSpec, split_file: str, trained: dict[str, Any]) -> dict[str, float]:
    split = data.SplitData.load(Path(split_file))
    objective = build_job_objective(job, split)
    objective.load_state_dict(torch.load(str(trained["checkpoint"]), map_location="cpu", weights_only=True))
    objective.eval()
    encoder = objective.encoder
    train, test = embed(encoder, split.x_train), embed(encoder, split.x_test)
    metrics = _score(job, split, train, test, encoder=encoder, objective=objective)
    if job.label_fraction < 1:
        return metrics
    if (head := objective.projection_head()) is not None:
        metrics.update(_projection_collapse(head, test, metrics["effective_rank"], metrics["collapsed"]))
    if _is_linear_autoencoder(job):
        check = linear_autoencoder_vs_pca(encoder, split.x_train, job.embedding_dim)
        metrics.update(pca_max_angle_deg=check["max_principal_angle_deg"], reconstruction_mse=check["reconstruction_mse"],
                       pca_optimal_mse=check["pca_optimal_mse"])
    return metrics


def _projection_collapse(head: torch.nn.Module, embeddings: np.ndarray, encoder_rank: float,
                         encoder_collapsed: float) -> dict[str, float]:
    """Diagnostics of the projector's output (``projection_*``) and the job's overall ``collapsed`` flag.

    The projector is discarded scaffolding, but it is where the loss acts, and collapse shows there first
    (Chen & He 2021 measure it on the projector's output). Besides complete collapse of either space (see
    ``is_collapsed``), a job is flagged for *dimensional* collapse of the projector (Jing et al. 2022) when the loss
    has squeezed the embedding into a few directions: ``projection_rank_ratio`` = effective rank of the projector's
    output ÷ that of its input (the embedding) is below ``DIMENSIONAL_COLLAPSE_RATIO`` and
    ``projection_rank_fraction`` = that effective rank ÷ the output's dimension is below
    ``DIMENSIONAL_COLLAPSE_FRACTION``. A healthy projector keeps or expands its input's dimensions, or, when its
    output is narrower than a rich input, still fills a good part of it.
    """
    outputs = embed(head, embeddings)
    projection = collapse_diagnostics(outputs, prefix="projection_")
    ratio = projection["projection_effective_rank"] / max(encoder_rank, 1e-12)
    fraction = projection["projection_effective_rank"] / outputs.shape[1]
    projection["projection_rank_ratio"], projection["projection_rank_fraction"] = ratio, fraction
    projection["dimensional_collapse"] = float(ratio < DIMENSIONAL_COLLAPSE_RATIO and fraction < DIMENSIONAL_COLLAPSE_FRACTION)
    projection["collapsed"] = max(encoder_collapsed, projection["projection_collapsed"], projection["dimensional_collapse"])
    return projection


def _is_linear_autoencoder(job: JobSpec) -> bool:
    """A linear encoder with a linear decoder: the Eckart–Young–Mirsky setting, compared with PCA."""
    return job.encoder_name == "linear" and job.objective_name == "autoencoder" and job.objective_options.get("decoder") == "linear"


def _evaluate_baseline(job: JobSpec, split_file: str) -> dict[str, float]:
    """Raw input, or PCA (SVD of the centred training inputs, top ``embedding_dim`` right singular vectors), read
    as its rank-k reconstruction in input coordinates (``PCA.project``: probed like the raw input, unwhitened)."""
    split = data.SplitData.load(Path(split_file))
    if job.objective_name == "raw":
        train, test = raw_features(split.x_train), raw_features(split.x_test)
    else:
        pca = PCA(job.embedding_dim).fit(split.x_train)
        train, test = pca.project(split.x_train), pca.project(split.x_test)
        return {**_score(job, split, train, test), "pca_n_components": float(pca.components_.shape[0])}
    return _score(job, split, train, test)


evaluate_task = task(evaluate_job, name="evaluate", task_run_name=task_run_namer("evaluate"))
evaluate_baseline_task = task(evaluate_baseline, name="evaluate-baseline", task_run_name=task_run_namer("evaluate"))
