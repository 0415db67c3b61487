"""Scheduled runs: serve the benchmark flow as a Prefect deployment on a cron schedule, in one command.

What must be running: a Prefect server (the embedded temporary server runs no scheduler) and this serving process.
With ``PREFECT_API_URL`` set, that server is used; without it, ``local_prefect_server`` starts
``prefect server start --host 127.0.0.1`` for as long as the command runs. Each scheduled run gets a new run id
(its flow-run name) and appends to the same tables, so trends over time are queryable.
``pause_on_shutdown=False`` keeps the schedule active when this process stops.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sslbench.benchmarks.suite import Suite

DEFAULT_PORT = 4200
STARTUP_TIMEOUT_SECONDS = 180


def validate_cron(cron: str) -> None:
    """Refuse a cron expression Prefect would not accept, in one line."""
    from prefect.client.schemas.schedules import construct_schedule

    try:
        construct_schedule(cron=cron)
    except ValueError:
        raise ValueError(
            f"invalid cron schedule '{cron}': expected five fields (minute hour day-of-month month "
            'day-of-week), e.g. "0 3 * * *" for 03:00 every day'
        ) from None


def deployment_for(suite: Suite, cron: str, out_dir: str):  # -> prefect RunnerDeployment
    """The deployment object (validated cron, suite and output folder as parameters)."""
    from sslbench.flows.benchmark import benchmark_flow

    validate_cron(cron)
    return benchmark_flow.to_deployment(
        name=f"sslbench-{suite.name}",
        cron=cron,
        parameters={"suite": suite.to_dict(), "out_dir": out_dir, "run_id": None, "use_cache": True},
        description=f"Scheduled sslbench suite '{suite.name}' writing to {out_dir}",
    )


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` when nothing listens on it at 127.0.0.1, else a free port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def wait_for_api(
    api_url: str, process: subprocess.Popen | None = None, timeout: float = STARTUP_TIMEOUT_SECONDS
) -> None:
    """Block until ``GET <api_url>/health`` answers; raise if ``process`` exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Prefect server at {api_url} did not answer within {timeout:.0f} s")


@contextmanager
def local_prefect_server(log_file: Path, port: int | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``prefect server start --host 127.0.0.1`` while the block runs; yields its API URL (``.../api``).

    ``port``: default 4200, or a free one when that is taken; ``env``: the server's environment (default: ours).
    """
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # The UI learns its API address from PREFECT_UI_API_URL (default: port 4200, whatever --port says).
    env = dict(os.environ if env is None else env, PREFECT_UI_API_URL=api_url)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        wait_for_api(api_url, process)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def prefect_api(log_file: Path) -> Iterator[tuple[str, bool]]:
    """The configured ``PREFECT_API_URL``, or a local server for the block; yields (API URL, whether started here)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if configured := PREFECT_API_URL.value():
        yield configured, False
        return
    with local_prefect_server(log_file) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # for the flow-run processes the serving process starts
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield api_url, True


def serve_suite(suite: Suite, cron: str, out_dir: str) -> None:
    """Serve the suite's deployment until interrupted."""
    from prefect import serve

    serve(deployment_for(suite, cron, out_dir), pause_on_shutdown=False, print_starting_message=False)
