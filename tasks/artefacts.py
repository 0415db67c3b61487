"""Where a run's cached artefacts live under the output folder, and how they are named."""

from __future__ import annotations

from pathlib import Path

from sslbench.ssl_models.job import JobSpec


def cache_dir(out_dir: str | Path) -> Path:
    """``OUT/cache``: splits, view banks and checkpoints, keyed by content hashes."""
    return Path(out_dir) / "cache"


def split_path(out_dir: str | Path, job: JobSpec) -> Path:
    """The split file of a job's (dataset, seed, test fraction, validation fraction)."""
    name = f"{job.dataset}-seed{job.seed}-test{job.test_fraction:g}-val{job.probe.validation_fraction:g}.npz"
    return cache_dir(out_dir) / "splits" / name


def bank_path(out_dir: str | Path, key: str) -> Path:
    """The view bank with content key ``key``."""
    return cache_dir(out_dir) / "banks" / f"{key}.npy"


def checkpoint_path(out_dir: str | Path, job: JobSpec) -> Path:
    """The trained objective (encoder + scaffolding) of a job, keyed by the job's content hash."""
    return cache_dir(out_dir) / "checkpoints" / f"{job.key()}.pt"


def record_path(out_dir: str | Path, stage: str, job: JobSpec) -> Path:
    """The verified cache record of a job's ``stage`` (pretrain, evaluate)."""
    return cache_dir(out_dir) / stage / f"{job.key()}.json"


def run_marker(out_dir: str | Path, run_id: str) -> Path:
    """Marker of a run in progress (removed when its runs row is written); lets a killed run resume."""
    return cache_dir(out_dir) / "runs" / f"{run_id}.json"
