"""Shared fixtures: one Prefect server and home per test session, tiny suites, small splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from sslbench.flows import runtime

runtime.configure()  # the thread policy, before torch is imported


def _pin_xdist_worker_to_its_cores() -> None:
    """Under ``pytest -n N`` each test worker (and every `sslbench` process and Prefect server it starts) runs on
    its own share of the usable cores. Every run then defaults to one job per core it has, instead of each of the N
    workers running one job per core of the machine (N × cores busy threads on the cores)."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit()):
        return
    index, count_ = int(worker[2:]), int(count)
    if count_ < 2 or len(cores) < count_ or index >= count_:
        return
    os.sched_setaffinity(0, cores[index * len(cores) // count_ : (index + 1) * len(cores) // count_])


_pin_xdist_worker_to_its_cores()

import pytest  # noqa: E402
from cli_runs import Cli, TinyRun  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Flows run in the test process leave Prefect's and Dask's background threads behind, which draw from the
    global ``random`` while Hypothesis generates a later test's examples; Hypothesis then blames that test's
    strategies (which use no ``random``): not a finding."""
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning",
    )


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of this test session that every xdist worker of the session sees (its own basetemp without xdist)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def prefect_env(prefect_server: dict[str, str]) -> dict[str, str]:
    """Environment for subprocess runs of `sslbench`: the session's Prefect server and home."""
    return prefect_server


@pytest.fixture
def prefect_api(prefect_server: dict[str, str]) -> Iterator[None]:
    """In-process flows of a test report to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}):
        yield


TINY_SUITE = textwrap.dedent("""
    name = "tiny"
    datasets = ["digits"]
    encoders = ["mlp"]
    objectives = ["autoencoder", "simclr"]
    baselines = ["raw", "pca"]
    seeds = [0]
    embedding_dim = 16
    [train]
    epochs = 1
    batch_size = 128
    [augment]
    n_views = 2
    [probe]
    linear_c_grid = [1.0]
    kmeans_restarts = 2
""")


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    """A suite file small enough for a test: digits, MLP, autoencoder + SimCLR, one epoch, two baselines."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SUITE)
    return path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """`sslbench ARGS` called in this process (no interpreter start, no second import of torch and Prefect): returns
    the exit code and what it printed, as a subprocess run would. Runs that start flows also need ``prefect_api``."""
    from sslbench.flows.cli import main

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            code = main(list(args))
        except SystemExit as exit:
            code = exit.code
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["sslbench", *args], code, captured.out, captured.err)

    return call


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, prefect_env: dict[str, str]) -> TinyRun:
    """The tiny suite run once per test session by ``python -m sslbench run`` (the user's command, start to exit);
    tests that read a finished run share it, and tests that add to it work on a copy. Once for all xdist workers
    too: the first worker that needs it runs it, holding a lock in the folder the workers share; the others wait
    for the lock and read the recorded outcome."""
    from sslbench.flows.out_lock import out_lock

    folder = shared_folder(tmp_path_factory, "tiny-run")
    suite, out, outcome = folder / "tiny.toml", folder / "out", folder / "outcome.json"
    command = [sys.executable, "-m", "sslbench", "run", str(suite), "--out", str(out)]
    with out_lock(folder):
        if not outcome.exists():
            suite.write_text(TINY_SUITE)
            done = subprocess.run(command, capture_output=True, text=True, env=prefect_env, timeout=600)
            recorded = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
            outcome.write_text(json.dumps(recorded))
        recorded = json.loads(outcome.read_text())
    done = subprocess.CompletedProcess(command, recorded["returncode"], recorded["stdout"], recorded["stderr"])
    assert done.returncode == 0, done.stdout + done.stderr
    return TinyRun(suite, out, done)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One real ``prefect server start`` on 127.0.0.1 (a free port) for the whole session; yields the environment
    of processes that report to it (its own PREFECT_HOME, PREFECT_API_URL set). Every `sslbench` subprocess and
    in-process flow of the session reports to it instead of starting a temporary server of its own (~12 s each)."""
    from sslbench.flows.serve import free_port, local_prefect_server

    home = tmp_path_factory.mktemp("prefect-server-home")
    env = dict(os.environ, PREFECT_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("PREFECT_API_URL", None)
    with local_prefect_server(home / "server.log", port=free_port(0), env=env) as api_url:
        yield dict(env, PREFECT_API_URL=api_url)
