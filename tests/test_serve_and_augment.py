"""Scheduled serving (deployment object, clear refusal without a server) and the augment command."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import Cli
from sslbench.benchmarks.suite import load_suite
from sslbench.flows.serve import deployment_for


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
def test_serve_refuses_a_bad_cron_in_one_line_before_starting_anything(tmp_path: Path, cron: str, cli: Cli) -> None:
    done = cli("serve", "quick", "--cron", cron, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.count("\n") == 1 and f"invalid cron schedule '{cron}'" in done.stderr and "0 3 * * *" in done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_serve_takes_the_grid_overrides_of_run(cli: Cli) -> None:
    done = cli("serve", "quick", "--cron", "0 3 * * *", "--datasets", "nope")
    assert done.returncode == 2 and "unknown dataset 'nope'" in done.stderr and "digits" in done.stderr


@pytest.mark.slow
def test_augment_command_writes_verified_banks_the_run_reuses(
    tmp_path: Path, tiny_suite: Path, prefect_api: None, cli: Cli
) -> None:
    out = tmp_path / "out"
    done = cli("augment", str(tiny_suite), "--out", str(out))
    assert done.returncode == 0, done.stderr
    banks = sorted((out / "cache" / "banks").glob("*.npy"))
    assert len(banks) == 1 and banks[0].with_suffix(".json").exists()
    before = banks[0].stat().st_mtime_ns
    run = cli("run", str(tiny_suite), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert sorted((out / "cache" / "banks").glob("*.npy")) == banks
    assert banks[0].read_bytes()[:6] == b"\x93NUMPY" and before <= banks[0].stat().st_mtime_ns
