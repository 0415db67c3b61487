"""Shared fixtures: one Prefect server and home per test session, tiny suites, small splits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from flows import runtime

runtime.configure()  # the thread policy, before torch is imported

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_caches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The `sslbench list` catalogue of this session goes to a temporary folder, not the user's cache."""
    os.environ["SSLBENCH_CACHE"] = str(tmp_path_factory.mktemp("sslbench-cache"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One `prefect server start` for the whole session: (API URL, PREFECT_HOME), stopped at the end.

    Every `sslbench` subprocess and in-process flow of the session reports to it, instead of each starting a
    temporary server of its own (~12 s each on 2 busy cores).
    """
    home = str(tmp_path_factory.mktemp("prefect-home"))
    port = _free_port()
    env = dict(os.environ, PREFECT_HOME=home, PREFECT_UI_ENABLED="false", PREFECT_SERVER_UI_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    log = Path(home) / "server.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                                   str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 240
    while True:
        try:
            if urllib.request.urlopen(f"{url}/health", timeout=5).status == 200:
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the session's Prefect server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    yield url, home
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session")
def prefect_env(prefect_server: tuple[str, str]) -> dict[str, str]:
    """Environment for subprocess runs of `sslbench`: the session's Prefect server and home."""
    url, home = prefect_server
    return dict(os.environ, PREFECT_HOME=home, PREFECT_API_URL=url, PYTHONUNBUFFERED="1")


@pytest.fixture
def prefect_api(prefect_server: tuple[str, str]) -> Iterator[None]:
    """In-process flows of a test report to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server[0]}):
        yield


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    """A suite file small enough for a test: digits, MLP, autoencoder + SimCLR, one epoch, two baselines."""
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent("""
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
    """))
    return path
