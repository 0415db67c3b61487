"""Orchestration: re-runs reuse the cache, a killed run resumes with identical rows, failures are isolated,
and a Dask cluster gives the same results as the thread runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from cli_runs import Cli, TinyRun
from sslbench.benchmarks.suite import load_suite, with_overrides
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES

from sslbench import results

CLI = [sys.executable, "-m", "sslbench"]
pytestmark = pytest.mark.slow


def _metrics(out: Path) -> pd.DataFrame:
    df = results.load(out)
    return df.set_index(["dataset", "encoder", "objective", "seed", "metric"])["value"].sort_index()


def test_rerun_of_a_finished_suite_trains_nothing(
    tiny_run: TinyRun, tmp_path: Path, prefect_api: None, cli: Cli
) -> None:
    out = tiny_run.copy(tmp_path)
    second = cli("run", str(tiny_run.suite), "--out", str(out))
    assert second.returncode == 0, second.stderr
    job_lines = [line for line in second.stdout.splitlines() if line.startswith("[")]
    assert len(job_lines) == 4 and all(" cached " in line for line in job_lines)
    runs = pd.read_parquet(out / "tables" / "runs")
    assert len(runs) == 2
    by_run = results.load(out).groupby("run_id")
    values = [group.set_index(["objective", "metric"])["value"].sort_index() for _, group in by_run]
    pd.testing.assert_series_equal(values[0], values[1])
    forced = cli("run", str(tiny_run.suite), "--out", str(out), "--no-cache")
    assert forced.returncode == 0 and " cached " not in forced.stdout


def test_killed_run_resumes_and_matches_an_uninterrupted_run(
    tmp_path: Path, tiny_suite: Path, prefect_env: dict[str, str], prefect_api: None, cli: Cli
) -> None:
    """The killed run is a real process (kill -9 of its process group); the resumed and the clean run need none."""
    tiny_suite.write_text(tiny_suite.read_text().replace("seeds = [0]", "seeds = [0, 1]"))
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    process = subprocess.Popen(
        CLI + ["run", str(tiny_suite), "--out", str(killed_out)],
        env=prefect_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    jobs_dir = killed_out / "tables" / "jobs"
    while time.time() < deadline and len(list(jobs_dir.glob("run_id=*/*.parquet"))) < 3:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(list(jobs_dir.glob("run_id=*/*.parquet")))
    assert 3 <= done_before < 8, "the run should have been killed mid-grid"
    assert not (killed_out / "tables" / "runs").exists()
    resumed = cli("run", str(tiny_suite), "--out", str(killed_out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done_before} of 8 jobs already done" in resumed.stdout
    clean = cli("run", str(tiny_suite), "--out", str(clean_out))
    assert clean.returncode == 0, clean.stderr
    jobs = pd.read_parquet(killed_out / "tables" / "jobs")
    assert len(jobs) == 8 and jobs["job_id"].is_unique and jobs["run_id"].nunique() == 1
    pd.testing.assert_series_equal(_metrics(killed_out), _metrics(clean_out))
    assert not list((killed_out / "cache" / "runs").glob("*.json"))


@OBJECTIVES.register("test_nan")
class NaNObjective(Objective):
    """Test-only objective whose loss is NaN: the job must be recorded as diverged."""

    family = "autoencoding"

    def __init__(self, encoder) -> None:
        super().__init__(encoder)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.encoder(batch.inputs).sum() * float("nan")


def test_nan_job_is_recorded_as_diverged_and_the_rest_finish(
    tmp_path: Path, tiny_suite: Path, prefect_api: None
) -> None:
    from sslbench.flows.benchmark import benchmark_flow

    suite = with_overrides(load_suite(str(tiny_suite)), objectives=["test_nan", "autoencoder"])
    state = benchmark_flow(suite=suite.to_dict(), out_dir=str(tmp_path), run_id="nan-run", return_state=True)
    assert state.is_failed() and state.message.startswith("1 of 4 jobs failed or diverged")
    summary = state.result(raise_on_failure=False).summary
    jobs = pd.read_parquet(tmp_path / "tables" / "jobs").set_index("objective")
    assert summary["n_failed"] == 1
    assert jobs.loc["test_nan", "status"] == "diverged" and "nan" in jobs.loc["test_nan", "error"].lower()
    assert (jobs.drop(index="test_nan")["status"] == "ok").all()
    report = (tmp_path / "reports" / "nan-run" / "report.md").read_text()
    assert "diverged" in report
    runs = pd.read_parquet(tmp_path / "tables" / "runs")
    assert runs.loc[0, "status"] == "partial"


def test_job_seconds_are_each_stage_measured_inside_it(tmp_path: Path, tiny_suite: Path, prefect_api: None) -> None:
    """With two workers the old clock (time since the previous job finished) gave a baseline that ran beside a
    training job almost no time; each stage's own clock gives it its evaluation time."""
    from sslbench.flows.benchmark import benchmark_flow, run_benchmark, task_runner

    started = time.perf_counter()
    run_benchmark(
        benchmark_flow.with_options(task_runner=task_runner("thread", workers=2)),
        suite=load_suite(str(tiny_suite)).to_dict(),
        out_dir=str(tmp_path),
        run_id="timed",
    )
    wall = time.perf_counter() - started
    jobs = pd.read_parquet(tmp_path / "tables" / "jobs").set_index("objective")
    assert (jobs["evaluate_seconds"] > 0).all()
    assert jobs.loc[["raw", "pca"], "pretrain_seconds"].isna().all()
    trained = jobs.loc[["autoencoder", "simclr"]]
    assert (trained["pretrain_seconds"] > 0).all()
    pd.testing.assert_series_equal(
        jobs["seconds"], jobs["evaluate_seconds"] + jobs["pretrain_seconds"].fillna(0.0), check_names=False
    )
    # every job's own time fits in the run, and two workers cannot do more than twice the run's wall time of work
    assert (jobs["seconds"] < wall).all() and jobs["seconds"].sum() < 2 * wall


def test_dask_local_cluster_gives_the_thread_runner_results(
    tiny_run: TinyRun, tmp_path: Path, prefect_api: None
) -> None:
    """The thread side is the shared tiny run; every job has one torch thread on both sides (the thread policy),
    which is what makes the numbers bit-identical."""
    from sslbench.flows.benchmark import benchmark_flow, run_benchmark, task_runner

    run_benchmark(
        benchmark_flow.with_options(task_runner=task_runner("dask", workers=1)),
        suite=load_suite(str(tiny_run.suite)).to_dict(),
        out_dir=str(tmp_path / "dask"),
        run_id="d",
    )
    pd.testing.assert_series_equal(_metrics(tiny_run.out), _metrics(tmp_path / "dask"))


def test_the_local_dask_scheduler_serves_http_only_on_a_free_loopback_port() -> None:
    from distributed import LocalCluster
    from sslbench.flows.benchmark import LOCAL_DASK_HTTP

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, **LOCAL_DASK_HTTP) as cluster:
        server = cluster.scheduler.http_server
        assert server.address == "127.0.0.1" and server.port not in (0, 8787)
