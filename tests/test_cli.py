"""The command line end to end: error paths (exit 2, one line, nothing written) and a tiny real run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_runs import Cli, TinyRun
from sslbench.flows.catalogue import catalogue

from sslbench import results

CLI = [sys.executable, "-m", "sslbench"]


def sslbench(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, env=env, timeout=timeout)


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no_such_suite"], "valid suites: .*quick"),
        (["run", "quick", "--encoders", "mlp,transformerz"], "unknown encoder 'transformerz'; valid encoders: .*mlp"),
        (["run", "quick", "--objectives", "simclr2"], "unknown objective 'simclr2'; valid objectives: .*simclr"),
        (["run", "quick", "--datasets", "imagenet"], "unknown dataset 'imagenet'; valid datasets: .*mnist5k"),
        (["run", "quick", "--seeds", "0,x"], "seeds must be comma-separated non-negative integers"),
        (["run", "quick", "--epochs", "0"], "expected a positive integer"),
        (["run", "quick", "--datasets", ","], "expected a comma-separated list"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (
            ["run", "quick", "--datasets", "ucr:JapaneseVowels"],
            "unequal-length series; use 'ucr_padded:JapaneseVowels'",
        ),
        (["run", "quick", "--datasets", "ucr:PickupGestureWiimoteZ"], "unequal-length series; use 'ucr_padded:"),
        (["run", "quick", "--datasets", "lds:state=6"], "expected KEY=VALUE pairs with keys .*state_dim"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str, cli: Cli
) -> None:
    out = tmp_path / "out"
    done = cli(*args, "--out", str(out)) if args[0] == "run" else cli(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sslbench: error:")
    assert __import__("re").search(message, lines[0]), lines[0]
    assert "Traceback" not in done.stderr and not out.exists()


def test_suite_file_with_bad_key_is_refused(tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["digits"]\nencoders = ["mlp"]\nobjectives = ["simclr"]\n[train]\nepochz = 1\n')
    done = cli("run", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "train.epochz: unknown key; valid: epochs" in done.stderr


def test_report_without_tables_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    done = cli("report", "--out", str(tmp_path))
    assert done.returncode == 2 and "no tables" in done.stderr


def test_list_shows_registries_and_compatibility(cli: Cli) -> None:
    done = cli("list")
    assert done.returncode == 0
    for word in ("mnist5k", "digits", "mlp", "cnn", "autoencoder", "simclr", "Compatible pairs on image data", "quick"):
        assert word in done.stdout
    for word in (
        "ucr:<Name>",
        "ucr_padded:<Name>",
        "bundled with aeon",
        "ucr_padded:JapaneseVowels",
        "ucr:OSULeaf",
        "ucr128",
        "uea30",
        "ts2vec",
    ):
        assert word in " ".join(done.stdout.split()), word


def test_the_committed_catalogue_equals_the_registries() -> None:
    # in a fresh process: this process's test modules register components of their own
    done = subprocess.run(
        [sys.executable, "-m", "sslbench.flows.catalogue", "--check"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    encoders = {entry["name"] for entry in catalogue()["encoders"]}
    assert {"mlp", "cnn", "gnn", "ssm", "selective_ssm", "gru", "transformer"} <= encoders


@pytest.mark.parametrize(
    "args, code",
    [
        (["--help"], 0),
        (["list"], 0),
        (["run", "no_such_suite"], 2),
        (["run", "quick", "--seeds", "0,x"], 2),
        (["run"], 2),
    ],
)
def test_help_list_and_usage_errors_import_neither_torch_nor_scikit_learn(args: list[str], code: int) -> None:
    probe = (
        "import sys\nfrom sslbench.flows.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n"
        "    code = exit.code\nheavy = [m for m in ('torch', 'sklearn', 'prefect') if m in sys.modules]\n"
        "print('RESULT', code, heavy, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
    assert f"RESULT {code} []" in done.stderr, done.stderr


@pytest.mark.slow
def test_tiny_run_writes_four_tables_and_a_report_without_tracebacks(
    tiny_run: TinyRun, tmp_path: Path, cli: Cli
) -> None:
    done = tiny_run.done
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "ERROR" not in output
    assert "[4/4]" in done.stdout and "Leaderboard" in done.stdout
    out = tiny_run.copy(tmp_path)
    for table in ("runs", "jobs", "metrics", "history"):
        assert list((out / "tables" / table).glob("run_id=*/*.parquet")), table
    df = results.load(out)
    assert set(df["objective"]) == {"raw", "pca", "autoencoder", "simclr"}
    assert {"linear_acc", "knn_acc", "kmeans_nmi", "kmeans_ari", "effective_rank", "embedding_std"} <= set(df["metric"])
    jobs = pd.read_parquet(out / "tables" / "jobs")
    assert (jobs["status"] == "ok").all()
    history = pd.read_parquet(out / "tables" / "history")
    assert len(history) == 2  # one epoch for each of the two pretrained jobs
    run_id = df["run_id"].iloc[0]
    report = out / "reports" / run_id
    assert (report / "index.html").exists() and (report / "report.md").exists()
    assert list(report.glob("*.png"))
    (report / "index.html").unlink()
    rebuilt = cli("report", "--out", str(out))
    assert rebuilt.returncode == 0 and "index.html" in rebuilt.stdout and (report / "index.html").exists()
    _run_readme_examples(out, run_id, tmp_path / "readme")


def _run_readme_examples(out: Path, run_id: str, workdir: Path) -> None:
    """Every Python example of README.md and results/README.md runs against a real output folder.

    DuckDB is documented as an option, not a dependency, so its example is skipped when it is not installed.
    """
    import importlib.util
    import os
    import re

    workdir.mkdir()
    (workdir / "sslbench-out").symlink_to(out)
    root = Path(__file__).resolve().parents[1]
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        for readme in (root / "README.md", root / "results" / "README.md"):
            namespace: dict[str, object] = {}
            for block in re.findall(r"```python\n(.*?)```", readme.read_text(), re.S):
                if "duckdb" in block and importlib.util.find_spec("duckdb") is None:
                    continue
                code = re.sub(r"2026\d{4}-\d{6}-[0-9a-f]{4,6}", run_id, block)
                exec(compile(code, f"{readme.name} example", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(previous)
