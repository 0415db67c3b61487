"""The augmentation flow: generate (or verify) the view banks a suite needs, without training anything.

Banks are keyed by content, so the benchmark flow later reuses exactly these files.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import suite_from_dict
from sslbench.flows import progress
from sslbench.flows.inputs import bank_group
from sslbench.flows.out_lock import out_lock
from sslbench.ssl_models.augment import DEFAULT_GROUP
from sslbench.ssl_models.job import JobSpec
from sslbench.tasks.data import generate_views_task, prepare_split_task


@flow(name="sslbench-augment", task_runner=ThreadPoolTaskRunner(max_workers=1))  # type: ignore[arg-type]  # Prefect's TaskRunner generics
def augment_flow(suite: dict[str, Any], out_dir: str) -> list[str]:
    """Generate every (dataset, seed, augmentation, n_views) bank of the suite; returns their paths."""
    plan = make_plan(suite_from_dict(suite))
    wanted: dict[tuple, JobSpec] = {}
    for job in plan.jobs:
        if job.n_views:
            wanted.setdefault(bank_group(job), job)
    paths = []
    with out_lock(out_dir, on_wait=progress.console.print):
        for index, job in enumerate(wanted.values(), start=1):
            split = prepare_split_task(job, out_dir)
            for group, path in (generate_views_task(job, split, out_dir) or {}).items():
                pipeline = job.augmentation if group == DEFAULT_GROUP else f"{job.augmentation} ({group})"
                progress.console.print(
                    f"[{index}/{len(wanted)}] {job.dataset} · seed {job.seed} · "
                    f"{pipeline} × {job.n_views} views → {path}"
                )
                paths.append(path)
    return paths
