"""The shared inputs of a job's stages: its split and its view banks, each submitted once per group of jobs."""

from __future__ import annotations

import dataclasses
import json

from prefect import tags
from sslbench.flows.scheduler import Stage, StageScheduler
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives.registry import job_view_groups
from sslbench.tasks.data import generate_views_task, prepare_split_task


def split_group(job: JobSpec) -> tuple:
    """Jobs with equal groups share one split."""
    return (job.dataset, job.seed, job.test_fraction, job.probe.validation_fraction)


def bank_group(job: JobSpec) -> tuple:
    """Jobs with equal groups share their view banks (same augmentation, options, bank depth, view groups)."""
    groups = json.dumps([dataclasses.asdict(group) for group in job_view_groups(job)], sort_keys=True, default=list)
    options = json.dumps(job.augmentation_options, sort_keys=True)
    return split_group(job) + (job.augmentation, options, job.n_views, groups)


class StageInputs:
    """Submits each split group's split and each bank group's view banks once (through ``scheduler``), and hands
    out their stages."""

    def __init__(self, scheduler: StageScheduler, out_dir: str, use_cache: bool, suite: str) -> None:
        self.scheduler, self.out_dir, self.use_cache, self.suite = scheduler, out_dir, use_cache, suite
        self.splits: dict[tuple, Stage] = {}
        self.banks: dict[tuple, Stage] = {}

    def split(self, job: JobSpec) -> Stage:
        """The stage of the job's split file."""
        key = split_group(job)
        if key not in self.splits:
            with tags(f"dataset:{job.dataset}", f"seed:{job.seed}", f"suite:{self.suite}"):
                self.splits[key] = self.scheduler.submit(prepare_split_task, job, self.out_dir, self.use_cache)
        return self.splits[key]

    def bank(self, job: JobSpec) -> Stage | None:
        """The stage of the job's view banks (None when it uses no views)."""
        if not job.n_views:
            return None
        key = bank_group(job)
        if key not in self.banks:
            split = self.split(job)
            with tags(f"dataset:{job.dataset}", f"seed:{job.seed}", f"suite:{self.suite}"):
                self.banks[key] = self.scheduler.submit(generate_views_task, job, split, self.out_dir, self.use_cache)
        return self.banks[key]
