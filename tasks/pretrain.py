"""Stage 3: pretrain an encoder with an objective (or initialise it, for the random-encoder baseline)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from prefect import task

from benchmarks.plan import JobSpec
from ssl_models import augment, data
from ssl_models.device import seed_everything
from ssl_models.encoders import build_encoder
from ssl_models.objectives import OBJECTIVES, Objective, build_objective
from ssl_models.train import pretrain
from tasks.artefacts import checkpoint_path


def build_job_objective(job: JobSpec, split: data.SplitData) -> Objective:
    """The job's encoder wrapped in its objective (freshly initialised from the job's seed)."""
    seed_everything(job.seed)
    encoder = build_encoder(job.encoder_name, split.sample_shape, job.embedding_dim, dict(job.encoder_options))
    name = "autoencoder" if job.objective_name == "random" else job.objective_name
    options = dict(job.objective_options)
    if OBJECTIVES.get(name).needs_labels:
        options.setdefault("n_classes", split.n_classes)
    return build_objective(name, encoder, options)


def pretrain_job(job: JobSpec, split_file: str, bank_file: str | None, out_dir: str) -> dict[str, Any]:
    """Train, save the objective's weights atomically, and return history, timing and size."""
    split = data.SplitData.load(Path(split_file))
    if job.objective_name == "supervised" and not split.labelled:
        raise ValueError(f"dataset '{job.dataset}' has no labels, so the supervised baseline cannot run")
    objective = build_job_objective(job, split)
    history: list[float] = []
    seconds = samples_per_second = 0.0
    started = time.perf_counter()
    if job.objective_name != "random":
        bank = augment.open_bank(Path(bank_file)) if bank_file else None
        result = pretrain(objective, split.x_train, job.train, job.seed, labels=split.y_train, bank=bank)
        history, samples_per_second = result.history, result.samples_per_second
    seconds = time.perf_counter() - started
    path = checkpoint_path(out_dir, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    torch.save({k: v.detach().cpu() for k, v in objective.state_dict().items()}, temp)
    temp.replace(path)
    return {"checkpoint": str(path), "history": history, "train_seconds": seconds,
            "samples_per_second": samples_per_second, "parameters": objective.encoder.parameter_count()}


pretrain_task = task(pretrain_job, name="pretrain")
