"""Stage 1–2: materialise a dataset's fixed split, and its bank of augmented views."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from prefect import task
from sslbench.ssl_models import augment, data
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives.registry import job_view_groups
from sslbench.ssl_models.stop import check_stop
from sslbench.tasks.artefacts import bank_path, split_path
from sslbench.tasks.cache import load_record, save_record
from sslbench.tasks.naming import split_title, task_run_namer


def load_split(job: JobSpec) -> data.SplitData:
    """The split of the job's dataset (a registered dataset, or the user's data file)."""
    if job.data_file is not None:
        from sslbench.ssl_models.data.user_file import load_user_file

        raw = load_user_file(Path(job.data_file), name=job.dataset, input_shape=job.data_shape)
        return data.split_dataset(raw, job.seed, job.test_fraction, job.probe.validation_fraction)
    return data.load(job.dataset, job.seed, job.test_fraction, job.dataset_options, job.probe.validation_fraction)


OPEN_SPLITS_KEPT = 2  # splits kept in memory per process (the thread runner's jobs of one or two datasets)
_open_splits: OrderedDict[tuple[str, int, int, int], data.SplitData] = OrderedDict()
_open_splits_lock = threading.Lock()


def open_split(split_file: str | Path) -> data.SplitData:
    """The split file ``prepare_split`` wrote, loaded once per process and shared read-only by its jobs.

    A split holds the whole dataset; jobs that run side by side (thread runner) and the stages of one job
    (views, pretrain, evaluate) would otherwise each load their own copy. The last ``OPEN_SPLITS_KEPT`` files are
    kept, keyed by path, inode, size and modification time, so a rewritten file is read again; their arrays are
    made read-only, so a job that tried to change the shared copy would fail instead of changing another's data.
    """
    path = Path(split_file).resolve()
    status = path.stat()
    key = (str(path), status.st_ino, status.st_size, status.st_mtime_ns)
    with _open_splits_lock:
        if (split := _open_splits.get(key)) is not None:
            _open_splits.move_to_end(key)
            return split
    split = data.SplitData.load(path)
    for array in (split.x_train, split.x_test, split.y_train, split.y_test, *split.extras.values()):
        if array is not None:
            array.setflags(write=False)
    with _open_splits_lock:
        _open_splits[key] = split
        while len(_open_splits) > OPEN_SPLITS_KEPT:
            _open_splits.popitem(last=False)
    return split


def split_fingerprint(split_file: str | Path) -> str:
    """The content fingerprint of a prepared split (from its verified record, else recomputed from the file).

    Pretrain and evaluate records store it and are reused only for the same split content.
    """
    record = load_record(Path(split_file).with_suffix(".json"))
    if record is not None and "fingerprint" in record:
        return str(record["fingerprint"])
    return open_split(split_file).fingerprint()


def prepare_split(job: JobSpec, out_dir: str, use_cache: bool = True) -> str:
    """Write the job's split to the cache (atomically, with a verified record) and return its path.

    The dataset is loaded every time and its split's fingerprint compared with the cached one, so a dataset whose
    content changed (a new loader version, an edited data file) never reuses a stale split.
    """
    check_stop("split preparation")
    path = split_path(out_dir, job)
    record = path.with_suffix(".json")
    split = load_split(job)
    fingerprint = split.fingerprint()
    cached = load_record(record) if use_cache else None
    if cached is None or cached.get("fingerprint") != fingerprint:
        split.save(path)
        save_record(record, {"fingerprint": fingerprint}, files=[path])
    return str(path)


def augmentation_options(job: JobSpec, split: data.SplitData) -> dict[str, object]:
    """The job's augmentation options; zero-padded series (a ``mask`` extra) are augmented over their real steps."""
    options = dict(job.augmentation_options)
    if "mask" in split.extras:
        options["padded"] = True
    return options


def view_banks(job: JobSpec, split: data.SplitData) -> list[augment.GroupBank]:
    """The banks of the job's view groups."""
    return augment.group_banks(
        job_view_groups(job),
        job.modality,
        str(job.augmentation),
        augmentation_options(job, split),
        job.n_views,
        job.seed,
    )


def generate_views(job: JobSpec, split_file: str, out_dir: str, use_cache: bool = True) -> dict[str, str] | None:
    """Generate (or reuse) a bank of ``job.n_views`` augmented views per training example for each of the
    job's view groups; returns group name → bank path, or None when the job uses no views."""
    if not job.n_views:
        return None
    split = open_split(split_file)
    paths = {}
    for bank in view_banks(job, split):
        path = bank_path(out_dir, bank.key(split.fingerprint()))
        if use_cache and augment.bank_is_valid(path):
            os.utime(path)
        else:
            augment.generate_bank(split.x_train, bank.augmentation, dict(bank.options), bank.n_views, bank.seed, path)
        paths[bank.group] = str(path)
    return paths


def open_view_banks(job: JobSpec, split: data.SplitData, bank_files: dict[str, str] | None) -> dict[str, np.ndarray]:
    """The verified banks ``generate_views`` made for ``job``, by group name."""
    if not bank_files:
        return {}
    banks = {bank.group: bank for bank in view_banks(job, split)}
    n_train = len(split.x_train)
    return {
        group: augment.open_bank(Path(path), expected_shape=(n_train, *banks[group].output_shape(split.sample_shape)))
        for group, path in bank_files.items()
    }


prepare_split_task = task(  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
    prepare_split, name="prepare-split", task_run_name=task_run_namer("split", split_title)
)
generate_views_task = task(  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
    generate_views, name="generate-views", task_run_name=task_run_namer("views", split_title)
)
