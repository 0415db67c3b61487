"""Shared fixtures: an isolated Prefect home per test session, tiny suites, small splits."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from flows import runtime

runtime.configure()

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


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


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real ``prefect server start`` on 127.0.0.1 (a free port), once per session; yields the environment of
    processes that report to it (its own PREFECT_HOME, PREFECT_API_URL set)."""
    from flows.serve import free_port, local_prefect_server

    home = tmp_path_factory.mktemp("prefect-server-home")
    env = dict(os.environ, PREFECT_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("PREFECT_API_URL", None)
    with local_prefect_server(home / "server.log", port=free_port(0), env=env) as api_url:
        yield dict(env, PREFECT_API_URL=api_url)
