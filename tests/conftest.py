"""Shared fixtures: an isolated Prefect home per test session, tiny suites, small splits."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from flows import runtime

runtime.configure()  # the thread policy, before torch is imported

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_caches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The `sslbench list` catalogue of this session goes to a temporary folder, not the user's cache."""
    os.environ["SSLBENCH_CACHE"] = str(tmp_path_factory.mktemp("sslbench-cache"))


@pytest.fixture(scope="session")
def prefect_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for subprocess runs of `sslbench`: a private PREFECT_HOME shared by the session."""
    home = tmp_path_factory.mktemp("prefect-home")
    env = dict(os.environ, PREFECT_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("PREFECT_API_URL", None)
    return env


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
