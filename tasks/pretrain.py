"""Stage 3: pretrain an encoder with an objective (or only initialise it, for a baseline that does not
train)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from prefect import task
from sslbench.ssl_models import augment, data
from sslbench.ssl_models.configs import TrainConfig
from sslbench.ssl_models.data.label_subsets import label_subset
from sslbench.ssl_models.device import seeded_global_rng
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.files import atomic_path
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives import OBJECTIVES, Objective, build_objective
from sslbench.ssl_models.objectives.registry import job_view_groups
from sslbench.ssl_models.stop import check_stop
from sslbench.ssl_models.train import pretrain, total_steps
from sslbench.tasks.artefacts import checkpoint_path, record_path
from sslbench.tasks.cache import load_record, save_record
from sslbench.tasks.data import open_split, open_view_banks, split_fingerprint
from sslbench.tasks.events import emit
from sslbench.tasks.naming import run_logger, task_run_namer


def build_job_objective(job: JobSpec, split: data.SplitData) -> Objective:
    """The job's encoder wrapped in its objective, initialised from the job's seed.

    On zero-padded series (the split has a ``mask``) an encoder that can skip padding is told to (``honour_padding``).
    Initialisation draws from torch's global generator, so it runs under ``seeded_global_rng``: jobs in
    parallel threads still get exactly the weights their seed gives. A baseline that does not train (the
    random encoder) still gets its declared objective, so that every checkpoint has the same form.
    """
    name = job.objective_name
    options = dict(job.objective_options)
    if OBJECTIVES.get(name).needs_labels:
        options.setdefault("n_classes", split.n_classes)
    with seeded_global_rng(job.seed):
        encoder = build_encoder(job.encoder_name, split.sample_shape, job.embedding_dim, dict(job.encoder_options))
        if "mask" in split.extras and encoder.reads_padding:
            encoder.honour_padding()
        return build_objective(name, encoder, options)


def pretrain_job(
    job: JobSpec,
    split_file: str,
    bank_files: dict[str, str] | None,
    out_dir: str,
    use_cache: bool = True,
    after_epoch: Callable[[int, Objective], None] | None = None,
) -> dict[str, Any]:
    """Train, save the objective's weights atomically, and return history, timing and size.

    With ``use_cache``, a verified record of the same job (same content key, split and view banks) is returned
    instead of training. ``after_epoch(epoch, objective)`` runs after each epoch (a tuning trial scores it there,
    and may stop the training by raising, in which case nothing is saved).
    ``seconds`` is this call's own wall time (a cache hit costs only the lookup); ``train_seconds`` that of the
    training loop when the checkpoint was made.
    """
    check_stop("pretraining")
    started = time.perf_counter()
    emit("pretrain", job.key(), epochs=job.train.epochs)
    record = record_path(out_dir, "pretrain", job)
    fingerprint = split_fingerprint(split_file)
    path = checkpoint_path(out_dir, job)
    views = view_bank_keys(bank_files)
    if (
        use_cache
        and (cached := load_record(record)) is not None
        and cached.get("split") == fingerprint
        and cached.get("views", legacy_view_keys(views)) == views
    ):
        return {**cached, "checkpoint": str(path), "cached": True, "seconds": time.perf_counter() - started}
    split = open_split(split_file)
    if job.trains and OBJECTIVES.get(job.objective_name).needs_labels and not split.labelled:
        raise ValueError(f"dataset '{job.dataset}' has no labels, so {job.objective} cannot run")
    objective = build_job_objective(job, split)
    history: list[float] = []
    seconds = samples_per_second = 0.0
    if job.trains:
        banks = open_view_banks(job, split, bank_files)
        n_views = {group.name: group.n_views for group in job_view_groups(job)}
        inputs, labels, banks, config = _training_rows(job, split, banks)
        result = pretrain(
            objective,
            inputs,
            config,
            job.seed,
            labels=labels,
            bank=banks,
            n_views=n_views,
            on_epoch=_epoch_reporter(job, objective, after_epoch),
        )
        history, samples_per_second, seconds = result.history, result.samples_per_second, result.seconds
    with atomic_path(path) as temp:
        torch.save({k: v.detach().cpu() for k, v in objective.state_dict().items()}, temp)
    output = {
        "history": history,
        "train_seconds": seconds,
        "samples_per_second": samples_per_second,
        "parameters": objective.encoder.parameter_count(),
        "split": fingerprint,
        "views": views,
    }
    save_record(record, output, files=[path])
    return {**output, "checkpoint": str(path), "cached": False, "seconds": time.perf_counter() - started}


def _training_rows(
    job: JobSpec, split: data.SplitData, banks: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray], TrainConfig]:
    """(inputs, labels, bank rows, budget) the job trains on: the whole training split; for a tuning trial
    (``exclude_validation``) the training rows outside the validation part, for its epochs; for the supervised
    baseline on a label subset, that subset with the same number of optimiser steps as a run on every row."""
    if job.exclude_validation and len(split.validation_rows):
        rows = split.fit_rows
        labels = None if split.y_train is None else split.y_train[rows]
        return (*_subset(split, labels, banks, rows), job.train)
    if job.label_fraction == 1:
        return split.x_train, split.y_train, banks, job.train
    y_train, _ = split.labels()
    rows = label_subset(y_train, job.label_fraction, job.seed, job.label_draw)
    budget = dataclasses.replace(job.train, iterations=total_steps(job.train, split.x_train), large_set_iterations=None)
    return (*_subset(split, y_train[rows], banks, rows), budget)


def _subset(
    split: data.SplitData, labels: np.ndarray | None, banks: dict[str, np.ndarray], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """The training inputs and view-bank rows at ``rows``, with their ``labels``."""
    return split.x_train[rows], labels, {group: np.asarray(bank[rows]) for group, bank in banks.items()}


def view_bank_keys(bank_files: dict[str, str] | None) -> dict[str, str]:
    """Group name → content key of the bank the job trained on (the bank file's name)."""
    return {group: Path(path).stem for group, path in (bank_files or {}).items()}


def legacy_view_keys(views: dict[str, str]) -> dict[str, str] | None:
    """What a record written before view groups stands for: ``views`` when they are DEFAULT_GROUP's (such a
    job trains on the same bank as then), None (never equal) when the objective now declares its own groups."""
    return views if set(views) <= {augment.DEFAULT_GROUP} else None


def _epoch_reporter(
    job: JobSpec, objective: Objective, after_epoch: Callable[[int, Objective], None] | None
) -> Callable[[int, float], None]:
    """Report each finished epoch to the run's log (Prefect UI) and to in-process progress listeners, then run
    ``after_epoch``."""
    logger = run_logger()

    def report(epoch: int, loss: float) -> None:
        logger.info("epoch %d/%d  loss %.4f", epoch, job.train.epochs, loss)
        emit("epoch", job.key(), epoch=epoch, epochs=job.train.epochs)
        if after_epoch is not None:
            after_epoch(epoch, objective)

    return report


pretrain_task = task(pretrain_job, name="pretrain", task_run_name=task_run_namer("pretrain"))  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
