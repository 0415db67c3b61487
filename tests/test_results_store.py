"""The Parquet store: round trip, atomic and idempotent writes, filters, schema evolution, integrity."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sslbench.results.store import CorruptFileError, read_table, write_rows

from sslbench import results


def _write_job(root: Path, run_id: str, job_id: str, dataset: str, objective: str, seed: int, value: float) -> None:
    write_rows(
        root,
        "metrics",
        run_id,
        [{"job_id": job_id, "metric": "linear_acc", "split": "test", "value": value}],
        part=job_id,
    )
    write_rows(root, "history", run_id, [{"job_id": job_id, "epoch": 1, "loss": 1.0}], part=job_id)
    write_rows(
        root,
        "jobs",
        run_id,
        [
            {
                "job_id": job_id,
                "dataset": dataset,
                "encoder": "mlp",
                "objective": objective,
                "family": "contrastive",
                "seed": seed,
                "status": "ok",
            }
        ],
        part=job_id,
    )


def _write_run(root: Path, run_id: str) -> None:
    write_rows(root, "runs", run_id, [{"suite": "tiny", "status": "ok", "started": datetime.now(UTC)}], part="run")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    for seed, value in [(0, 0.9), (1, 0.8)]:
        _write_job(tmp_path, "r1", f"a{seed}", "digits", "simclr", seed, value)
    _write_job(tmp_path, "r1", "b0", "mnist5k", "autoencoder", 0, 0.7)
    _write_run(tmp_path, "r1")
    return tmp_path


def test_load_joins_tables_into_one_tidy_frame(store: Path) -> None:
    df = results.load(store)
    assert len(df) == 3
    assert set(df.columns) >= {"run_id", "suite", "dataset", "encoder", "objective", "seed", "metric", "split", "value"}
    assert (df["suite"] == "tiny").all()


def test_pandas_reads_a_table_folder_on_its_own(store: Path) -> None:
    metrics = pd.read_parquet(store / "tables" / "metrics")
    assert len(metrics) == 3 and set(metrics["run_id"].astype(str)) == {"r1"}


def test_filters_select_rows_and_unknown_filters_are_refused(store: Path) -> None:
    assert set(results.load(store, dataset="digits")["seed"]) == {0, 1}
    assert results.load(store, run_id="other").empty
    with pytest.raises(ValueError, match="unknown filter colour; valid filters: .*dataset"):
        results.load(store, colour="red")


def test_rewriting_a_job_replaces_its_rows(store: Path) -> None:
    _write_job(store, "r1", "a0", "digits", "simclr", 0, 0.95)
    df = results.load(store, dataset="digits")
    assert len(df) == 2 and 0.95 in set(df["value"])


def test_writes_leave_no_temporary_files(store: Path) -> None:
    assert not [p for p in (store / "tables").rglob("*") if p.name.startswith(".")]


def test_leaderboard_gives_mean_std_and_interval(store: Path) -> None:
    board = results.leaderboard(results.load(store), "linear_acc", by=["dataset", "objective"])
    top = board.iloc[0]
    assert top["dataset"] == "digits" and top["mean"] == pytest.approx(0.85) and top["n"] == 2
    assert top["std"] == pytest.approx(0.0707, abs=1e-3) and top["ci95"] > top["std"]


def test_compare_runs_reports_deltas(store: Path) -> None:
    _write_job(store, "r2", "a0", "digits", "simclr", 0, 0.95)
    _write_run(store, "r2")
    diff = results.compare_runs(store, "r1", "r2", metric="linear_acc")
    row = diff[diff["dataset"] == "digits"].iloc[0]
    assert row["a"] == pytest.approx(0.85) and row["delta"] == pytest.approx(0.10)


def test_column_missing_from_an_old_file_reads_as_null(tmp_path: Path) -> None:
    folder = tmp_path / "tables" / "jobs" / "run_id=old"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"job_id": ["x"], "dataset": ["digits"], "encoder": ["mlp"], "objective": ["simclr"]}),
        folder / "old.parquet",
    )
    jobs = read_table(tmp_path, "jobs").to_pandas()
    assert jobs.loc[0, "dataset"] == "digits" and pd.isna(jobs.loc[0, "samples_per_second"])


def test_corrupt_file_is_quarantined_with_a_warning_naming_it(store: Path) -> None:
    bad = store / "tables" / "metrics" / "run_id=r1" / "broken.parquet"
    good = next((store / "tables" / "metrics" / "run_id=r1").glob("a0.parquet")).read_bytes()
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(CorruptFileError, match="broken.parquet"):
        results.load(store, strict=True)
    with pytest.warns(UserWarning, match="broken.parquet"):
        df = results.load(store)
    assert len(df) == 3
    assert not bad.exists() and (store / "quarantine" / bad.relative_to(store)).exists()


def test_foreign_parquet_file_is_not_read_as_data(store: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2]}), store / "tables" / "metrics" / "run_id=r1" / "foreign.parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = results.load(store)
    assert len(df) == 3 and any("foreign.parquet" in str(w.message) for w in caught)
