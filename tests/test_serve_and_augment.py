"""Scheduled serving (deployment object, clear refusal without a server) and the augment command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sslbench.benchmarks.suite import load_suite
from sslbench.flows.serve import deployment_for

CLI = [sys.executable, "-m", "sslbench"]


def test_deployment_carries_the_cron_schedule_and_suite(tmp_path: Path) -> None:
    suite = load_suite("quick")
    deployment = deployment_for(suite, "0 3 * * *", str(tmp_path))
    assert deployment.name == "sslbench-quick"
    assert deployment.schedules[0].schedule.cron == "0 3 * * *"
    assert deployment.parameters["out_dir"] == str(tmp_path) and deployment.parameters["run_id"] is None
    assert deployment.parameters["suite"]["datasets"] == ["mnist5k", "digits"]


def test_invalid_cron_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid cron schedule 'every day'"):
        deployment_for(load_suite("quick"), "every day", str(tmp_path))


@pytest.mark.parametrize("cron", ["every day", "61 * * * *", "* * *"])
def test_serve_refuses_a_bad_cron_in_one_line_before_starting_anything(tmp_path: Path, cron: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        CLI + ["serve", "quick", "--cron", cron, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.count("\n") == 1 and f"invalid cron schedule '{cron}'" in done.stderr and "0 3 * * *" in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_serve_takes_the_grid_overrides_of_run(tmp_path: Path) -> None:
    done = subprocess.run(
        CLI + ["serve", "quick", "--cron", "0 3 * * *", "--datasets", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "unknown dataset 'nope'" in done.stderr and "digits" in done.stderr


@pytest.mark.slow
def test_augment_command_writes_verified_banks_the_run_reuses(
    tmp_path: Path, tiny_suite: Path, prefect_env: dict[str, str]
) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        CLI + ["augment", str(tiny_suite), "--out", str(out)],
        capture_output=True,
        text=True,
        env=prefect_env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    banks = sorted((out / "cache" / "banks").glob("*.npy"))
    assert len(banks) == 1 and banks[0].with_suffix(".json").exists()
    before = banks[0].stat().st_mtime_ns
    run = subprocess.run(
        CLI + ["run", str(tiny_suite), "--out", str(out)], capture_output=True, text=True, env=prefect_env, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert sorted((out / "cache" / "banks").glob("*.npy")) == banks
    assert banks[0].read_bytes()[:6] == b"\x93NUMPY" and before <= banks[0].stat().st_mtime_ns
