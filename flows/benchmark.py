"""The benchmark flow: plan a suite's grid, run each job's stages as Prefect tasks, write the tables, report.

A failing or diverging job is recorded with its error and never stops the rest of the grid; rows are
written by this (the flow's) process only, as each job finishes.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from prefect import flow
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from benchmarks.plan import JobSpec, Plan, make_plan
from benchmarks.suite import Suite, suite_from_dict
from flows import progress
from flows.runtime import git_sha, package_versions
from results.schema import SCHEMA_VERSION
from results.store import write_rows
from ssl_models.device import default_device
from ssl_models.train import DivergedError
from tasks.data import generate_views_task, prepare_split_task
from tasks.evaluate import evaluate_baseline_task, evaluate_task
from tasks.pretrain import pretrain_task
from tasks.report import build_report_task
from tasks.results import JobOutcome, write_job


@dataclass
class RunSummary:
    """What a run did: its id, the outcome per job, and the report it wrote."""

    run_id: str
    out_dir: str
    outcomes: list[JobOutcome] = field(default_factory=list)
    report: str | None = None
    seconds: float = 0.0

    @property
    def n_failed(self) -> int:
        return sum(o.status != "ok" for o in self.outcomes)


def new_run_id(suite: Suite) -> str:
    """``YYYYmmdd-HHMMSS-<suite hash>``: sortable by time, traceable to the suite's content."""
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{suite.content_hash()[:6]}"


def _submit_job(job: JobSpec, split: PrefectFuture, bank: PrefectFuture | None, out_dir: str) -> tuple[PrefectFuture | None, PrefectFuture]:
    if not job.uses_encoder:
        return None, evaluate_baseline_task.submit(job, split)
    trained = pretrain_task.submit(job, split, bank, out_dir)
    return trained, evaluate_task.submit(job, split, trained)


def _collect(job: JobSpec, trained: PrefectFuture | None, evaluated: PrefectFuture, started: float) -> JobOutcome:
    try:
        train_output = trained.result() if trained is not None else {}
        metrics = evaluated.result()
    except DivergedError as error:
        return JobOutcome(job, "diverged", f"DivergedError: {error}", time.perf_counter() - started)
    except Exception as error:  # a failing job is recorded, never fatal to the grid
        return JobOutcome(job, "failed", f"{type(error).__name__}: {error}", time.perf_counter() - started)
    return JobOutcome(job, "ok", "", time.perf_counter() - started, metrics,
                      list(train_output.get("history", [])), dict(train_output))


def run_plan(plan: Plan, out_dir: str, run_id: str) -> list[JobOutcome]:
    """Submit every stage of every job, then collect them in order, writing each job's rows as it finishes."""
    splits: dict[tuple, PrefectFuture] = {}
    banks: dict[tuple, PrefectFuture] = {}
    for job in plan.jobs:
        split_key = (job.dataset, job.seed, job.test_fraction)
        if split_key not in splits:
            splits[split_key] = prepare_split_task.submit(job, out_dir)
        if job.n_views:
            bank_key = split_key + (job.augmentation, json.dumps(job.augmentation_options, sort_keys=True), job.n_views)
            if bank_key not in banks:
                banks[bank_key] = generate_views_task.submit(job, splits[split_key], out_dir)
    submitted = []
    for job in plan.jobs:
        split_key = (job.dataset, job.seed, job.test_fraction)
        bank_key = split_key + (job.augmentation, json.dumps(job.augmentation_options, sort_keys=True), job.n_views)
        submitted.append((job, *_submit_job(job, splits[split_key], banks.get(bank_key), out_dir)))
    outcomes = []
    started = time.perf_counter()
    for index, (job, trained, evaluated) in enumerate(submitted, start=1):
        outcome = _collect(job, trained, evaluated, started)
        started = time.perf_counter()
        write_job(out_dir, run_id, outcome)
        progress.job_line(index, len(submitted), job, outcome.status, outcome.seconds, outcome.metrics, outcome.error)
        outcomes.append(outcome)
    return outcomes


@flow(name="sslbench-run", flow_run_name="{run_id}", task_runner=ThreadPoolTaskRunner(max_workers=1))
def benchmark_flow(suite: dict[str, Any], out_dir: str, run_id: str) -> dict[str, Any]:
    """Run a suite (given as ``Suite.to_dict()``) into ``out_dir``; returns the run id, report path and counts."""
    validated = suite_from_dict(suite)
    plan = make_plan(validated)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    outcomes = run_plan(plan, out_dir, run_id)
    n_failed = sum(o.status != "ok" for o in outcomes)
    write_rows(out_dir, "runs", run_id, [{
        "suite": validated.name, "suite_hash": validated.content_hash(),
        "status": "ok" if not n_failed else "partial", "started": started, "finished": datetime.now(timezone.utc),
        "git_sha": git_sha(), "package_versions": json.dumps(package_versions()), "host": platform.node(),
        "device": str(default_device()), "config": json.dumps(validated.to_dict(), sort_keys=True),
        "n_jobs": len(outcomes), "n_failed": n_failed, "schema_version": SCHEMA_VERSION,
    }], part="run")
    report = build_report_task(out_dir, run_id)
    return {"run_id": run_id, "report": report, "n_jobs": len(outcomes), "n_failed": n_failed,
            "seconds": time.perf_counter() - clock,
            "skipped": [f"{s.dataset} · {s.encoder} · {s.objective}: {s.reason}" for s in plan.skipped]}
