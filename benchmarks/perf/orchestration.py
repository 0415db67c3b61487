"""Orchestration overheads, measured in one process, each as a ratio against a reference from the same run.

(a) Prefect overhead: a suite through the flow vs the same jobs' stage functions called in a plain loop
    (goal ≤ 1.05). The embedded server's one-time start is excluded by a warm-up flow and reported apart.
(b) Re-run of the finished suite (everything cached) vs its first run (goal ≤ 0.05).
(c) A grid of small jobs on a local Dask cluster with 2 single-threaded workers vs 1 (goal speed-up ≥ 1.4).

    python -m sslbench.benchmarks.perf.orchestration --out orchestration.json [--suite quick] [--datasets digits]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sslbench.flows import runtime

runtime.configure()

from prefect import flow  # noqa: E402
from prefect.task_runners import TaskRunner  # noqa: E402
from sslbench.benchmarks.plan import make_plan  # noqa: E402
from sslbench.benchmarks.suite import Suite, load_suite, with_overrides  # noqa: E402
from sslbench.flows.benchmark import benchmark_flow, run_benchmark, task_runner  # noqa: E402
from sslbench.tasks.data import generate_views, prepare_split  # noqa: E402
from sslbench.tasks.evaluate import evaluate_baseline, evaluate_job  # noqa: E402
from sslbench.tasks.pretrain import pretrain_job  # noqa: E402


@flow(name="sslbench-warm-up")
def _warm_up() -> None:
    """Starts the embedded server once, so (a) compares steady-state costs."""


def plain_loop(suite: Suite, out_dir: str) -> float:
    """The same jobs as the flow, stage functions called directly, no Prefect, no cache; seconds."""
    started = time.perf_counter()
    for job in make_plan(suite).jobs:
        split = prepare_split(job, out_dir, use_cache=False)
        if job.uses_encoder:
            bank = generate_views(job, split, out_dir, use_cache=False)
            evaluate_job(job, split, pretrain_job(job, split, bank, out_dir, use_cache=False), out_dir, use_cache=False)
        else:
            evaluate_baseline(job, split, out_dir, use_cache=False)
    return time.perf_counter() - started


def through_flow(suite: Suite, out_dir: str, use_cache: bool, runner: TaskRunner[Any] | None = None) -> float:
    """Seconds for the whole flow call (planning, tasks, writing tables, report)."""
    started = time.perf_counter()
    call = benchmark_flow if runner is None else benchmark_flow.with_options(task_runner=runner)
    run_benchmark(call, suite=suite.to_dict(), out_dir=out_dir, run_id=None, use_cache=use_cache)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--datasets", help="comma-separated subset of the suite's datasets")
    parser.add_argument("--dask-seeds", type=int, default=10, help="seeds in the small-jobs grid of (c)")
    parser.add_argument("--dask-epochs", type=int, default=20, help="epochs of each job in the grid of (c)")
    parser.add_argument("--only", choices=("overhead", "dask"), help="measure only (a)+(b) or only (c)")
    parser.add_argument("--out", help="write the measurements as JSON here")
    args = parser.parse_args(argv)
    suite = with_overrides(load_suite(args.suite), datasets=args.datasets.split(",") if args.datasets else None)
    measured: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        server = time.perf_counter()
        _warm_up()
        measured["server_start_s"] = time.perf_counter() - server
        if args.only != "dask":
            measured["plain_loop_s"] = plain_loop(suite, f"{scratch}/plain")
            measured["flow_s"] = through_flow(suite, f"{scratch}/flow", use_cache=False)
            measured["prefect_overhead_ratio"] = measured["flow_s"] / measured["plain_loop_s"]
            measured["rerun_s"] = through_flow(suite, f"{scratch}/flow", use_cache=True)
            measured["rerun_ratio"] = measured["rerun_s"] / measured["flow_s"]
        if args.only == "overhead":
            return _finish(measured, args.out)
        small = with_overrides(
            load_suite(args.suite),
            datasets=["digits"],
            encoders=["mlp"],
            objectives=["autoencoder", "simclr"],
            seeds=list(range(args.dask_seeds)),
            epochs=args.dask_epochs,
            baselines=[],
        )
        measured["dask_1_worker_s"] = through_flow(small, f"{scratch}/dask1", False, task_runner("dask", workers=1))
        measured["dask_2_workers_s"] = through_flow(small, f"{scratch}/dask2", False, task_runner("dask", workers=2))
        measured["dask_speedup"] = measured["dask_1_worker_s"] / measured["dask_2_workers_s"]
    return _finish(measured, args.out)


def _finish(measured: dict[str, float], out: str | None) -> dict[str, float]:
    """Print each measurement against its goal and write the JSON."""
    goals = {"prefect_overhead_ratio": ("<=", 1.05), "rerun_ratio": ("<=", 0.05), "dask_speedup": (">=", 1.4)}
    for name, value in measured.items():
        goal = goals.get(name)
        verdict = (
            ""
            if goal is None
            else ("  met" if (value <= goal[1] if goal[0] == "<=" else value >= goal[1]) else "  NOT met")
            + f" (goal {goal[0]} {goal[1]})"
        )
        print(f"{name:<24} {value:10.3f}{verdict}")
    if out:
        Path(out).write_text(json.dumps(measured, indent=2))
    return measured


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
