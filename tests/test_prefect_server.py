"""What a Prefect user sees, asserted over the API of a real ``prefect server start`` on 127.0.0.1: a tiny grid
served as a scheduled deployment, and the same grid on a live Dask scheduler with two worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_runs import Cli
from sslbench.flows.artifacts import ARTIFACT_KINDS, artifact_key
from sslbench.flows.serve import free_port

from sslbench import results

CLI = [sys.executable, "-m", "sslbench"]
DEPLOYMENT = "sslbench-run/sslbench-tiny"
pytestmark = pytest.mark.slow


@pytest.fixture
def small_suite(tiny_suite: Path) -> Path:
    """The tiny suite cut to two jobs: the raw baseline and a 1-epoch MLP autoencoder."""
    text = (
        tiny_suite.read_text()
        .replace('["autoencoder", "simclr"]', '["autoencoder"]')
        .replace('["raw", "pca"]', '["raw"]')
    )
    tiny_suite.write_text(text.replace("n_views = 2\n", ""))  # no objective of the cut grid needs views
    return tiny_suite


@contextmanager
def api_client(env: dict[str, str]) -> Iterator[Any]:
    """A synchronous Prefect client of the server in ``env``."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        yield client


def _wait(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _flow_run_view(client: Any, flow_run_id: Any) -> dict[str, Any]:
    """A flow run's name, state, task-run names and tags, log messages and artifact keys, as the UI shows them."""
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    run = client.read_flow_run(flow_run_id)
    task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
    )
    return {
        "name": run.name,
        "state": run.state,
        "tasks": {t.name: set(t.tags) for t in task_runs},
        "logs": [log.message for log in logs],
        "artifacts": {a.key for a in artifacts},
    }


def _assert_named_and_tagged(view: dict[str, Any], objectives: list[str]) -> None:
    for stage in ("pretrain", "evaluate"):
        for objective in objectives:
            name = f"{stage} digits · mlp · {objective} · s0"
            assert name in view["tasks"], sorted(view["tasks"])
            assert {"dataset:digits", "encoder:mlp", f"objective:{objective}", "seed:0", "suite:tiny"} <= view["tasks"][
                name
            ]
    assert "evaluate digits · raw · s0" in view["tasks"]


def _run_ids(out: Path) -> list[str]:
    return pd.read_parquet(out / "tables" / "runs")["run_id"].astype(str).tolist()


def test_scheduled_deployment_runs_are_named_logged_with_artifacts_and_honest_states(
    tmp_path: Path, small_suite: Path, prefect_server: dict[str, str]
) -> None:
    out = tmp_path / "out"
    serving = subprocess.Popen(
        CLI + ["serve", str(small_suite), "--cron", "0 3 * * *", "--epochs", "1", "--out", str(out)],
        env=prefect_server | {"PREFECT_RUNNER_POLL_FREQUENCY": "1"},  # the runner looks for due runs each second
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with api_client(prefect_server) as client:
            deployment = _wait(lambda: _deployment_or_none(client), 180, "the served deployment")
            assert [s.schedule.cron for s in deployment.schedules] == ["0 3 * * *"]
            assert deployment.parameters["run_id"] is None and deployment.parameters["suite"]["train"]["epochs"] == 1
            # a run the scheduler would create (parameters as the deployment's), due now; and one with a failing job
            # (SimCLR at temperature 0: a valid grid whose job raises; out-of-range values are refused at planning)
            failing_suite = json.loads(json.dumps(deployment.parameters["suite"]))
            failing_suite["objectives"] = ["simclr"]
            failing_suite["objective_options"] = {"simclr": {"temperature": 0.0}}
            soon = datetime.now(UTC) + timedelta(seconds=2)
            scheduled = client.create_flow_run_from_deployment(deployment.id, state=_scheduled(soon))
            failing = client.create_flow_run_from_deployment(
                deployment.id, parameters={"suite": failing_suite}, state=_scheduled(soon)
            )
            for run in (scheduled, failing):
                _wait(
                    lambda run=run: client.read_flow_run(run.id).state.is_final(), 480, f"flow run {run.name} to finish"
                )
            # a finished run's last log lines reach the API in the workers' next batch, after its final state
            for run, line in ((scheduled, "[1/2]"), (failing, "failed")):
                _wait(
                    lambda run=run, line=line: any(line in log for log in _flow_run_view(client, run.id)["logs"]),
                    60,
                    f"'{line}' in the logs of flow run {run.name}",
                )
            ok, bad = _flow_run_view(client, scheduled.id), _flow_run_view(client, failing.id)
    finally:
        serving.terminate()
        output = serving.communicate(timeout=60)[0]
    assert "Prefect UI: http://127.0.0.1:" in output and "Unexpected result" not in output, output
    ui = prefect_server["PREFECT_API_URL"].removesuffix("/api")
    with urllib.request.urlopen(f"{ui}/ui-settings", timeout=30) as response:  # the UI talks to this server
        assert json.load(response)["api_url"] == prefect_server["PREFECT_API_URL"]
    assert ok["state"].is_completed(), ok["state"]
    assert {ok["name"], bad["name"]} == set(_run_ids(out))
    _assert_named_and_tagged(ok, ["autoencoder"])
    assert {artifact_key(kind, "tiny") for kind in ARTIFACT_KINDS} <= ok["artifacts"]
    assert any(line.startswith("[1/2]") for line in ok["logs"]) and any("epoch 1/1" in line for line in ok["logs"])
    assert bad["state"].is_failed() and bad["state"].message.startswith("1 of 2 jobs failed or diverged"), bad["state"]
    assert any("failed" in line for line in bad["logs"])
    jobs = pd.read_parquet(out / "tables" / "jobs")
    assert sorted(jobs["status"]) == ["failed", "ok", "ok", "ok"]


def _deployment_or_none(client: Any) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_deployment_by_name(DEPLOYMENT)
    except ObjectNotFound:
        return None


def _scheduled(when: datetime) -> Any:
    from prefect.states import Scheduled

    return Scheduled(scheduled_time=when)


@contextmanager
def dask_cluster(env: dict[str, str], n_workers: int) -> Iterator[str]:
    """``dask scheduler`` and ``n_workers`` single-threaded ``dask worker`` processes on 127.0.0.1 (no nannies: one
    process per worker)."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port(0)}"
    port = address.rsplit(":", 1)[1]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        processes += [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "worker",
                    address,
                    "--no-nanny",
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                ],
                **quiet,
            )
            for _ in range(n_workers)
        ]
        _wait(lambda: _n_workers(Client, address) >= n_workers, 180, f"{n_workers} Dask workers")
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:  # a worker's graceful close can wait on a Prefect API that has already gone; then it is killed
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def _n_workers(client_class: Any, address: str) -> int:
    try:
        with client_class(address, timeout=5) as client:
            return len(client.scheduler_info()["workers"])
    except OSError:
        return 0


def test_live_dask_cluster_gives_the_thread_runner_metrics_and_named_runs(
    tmp_path: Path, small_suite: Path, prefect_server: dict[str, str], prefect_api: None, cli: Cli
) -> None:
    """The grid runs in this process; the Dask scheduler and its two workers are processes of their own."""
    thread_out, dask_out = tmp_path / "thread", tmp_path / "dask"
    # Two single-threaded workers on both sides: the same torch thread count gives identical numbers.
    thread = cli("run", str(small_suite), "--workers", "2", "--out", str(thread_out))
    assert thread.returncode == 0, thread.stderr
    with dask_cluster(prefect_server, n_workers=2) as address:
        dask = cli("run", str(small_suite), "--dask-address", address, "--out", str(dask_out))
    assert dask.returncode == 0, dask.stderr
    assert "Traceback" not in dask.stdout + dask.stderr
    metrics = [
        results.load(out).set_index(["objective", "metric"])["value"].sort_index() for out in (thread_out, dask_out)
    ]
    pd.testing.assert_series_equal(*metrics)
    with api_client(prefect_server) as client:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

        (run_id,) = _run_ids(dask_out)
        (flow_run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run_id])))
        view = _flow_run_view(client, flow_run.id)
    assert view["state"].is_completed()
    _assert_named_and_tagged(view, ["autoencoder"])
    assert artifact_key("leaderboard", "tiny") in view["artifacts"]
