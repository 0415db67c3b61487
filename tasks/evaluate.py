"""Stage 4–5: evaluate a frozen encoder, or a baseline representation, with the same probes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from prefect import task

from benchmarks.plan import JobSpec
from ssl_models import data
from ssl_models.baselines import PCA, raw_features
from ssl_models.evaluate import embed, evaluate_embeddings
from ssl_models.evaluate.extra import EvaluationContext, run_extra_evaluators
from tasks.pretrain import build_job_objective


def _score(job: JobSpec, split: data.SplitData, train: np.ndarray, test: np.ndarray, **context: object) -> dict[str, float]:
    metrics = evaluate_embeddings(train, split.y_train, test, split.y_test, split.n_classes, job.seed, job.probe)
    metrics.update(run_extra_evaluators(EvaluationContext(split, job.seed, train, test, **context)))
    return metrics


def evaluate_job(job: JobSpec, split_file: str, trained: dict[str, object]) -> dict[str, float]:
    """Load the trained objective without executing code (weights only), embed both splits, score.

    ``trained`` is the pretrain stage's output (its ``checkpoint`` path is read).
    """
    split = data.SplitData.load(Path(split_file))
    objective = build_job_objective(job, split)
    objective.load_state_dict(torch.load(str(trained["checkpoint"]), map_location="cpu", weights_only=True))
    objective.eval()
    encoder = objective.encoder
    train, test = embed(encoder, split.x_train), embed(encoder, split.x_test)
    return _score(job, split, train, test, encoder=encoder, objective=objective)


def evaluate_baseline(job: JobSpec, split_file: str) -> dict[str, float]:
    """Raw input, or PCA (SVD of the centred training inputs, top ``embedding_dim`` right singular vectors)."""
    split = data.SplitData.load(Path(split_file))
    if job.objective_name == "raw":
        train, test = raw_features(split.x_train), raw_features(split.x_test)
    else:
        pca = PCA(job.embedding_dim).fit(split.x_train)
        train, test = pca.transform(split.x_train), pca.transform(split.x_test)
    return _score(job, split, train, test)


evaluate_task = task(evaluate_job, name="evaluate")
evaluate_baseline_task = task(evaluate_baseline, name="evaluate-baseline")
