"""The results schema: append-only Parquet tables (runs, jobs, metrics, history, splits, tuning), partitioned by run
(``run_id=...`` folders).

Every column, its type and meaning is documented in ``results/README.md``. ``SCHEMA_VERSION`` is bumped
when a column is added; readers pass the current schema, so a column added later reads as null in old runs.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 5  # 4: the tuning table; 5: its pruner, trained_epochs and scores, and jobs.train_seconds

TABLES: dict[str, pa.Schema] = {
    "runs": pa.schema(
        [
            ("run_id", pa.string()),
            ("suite", pa.string()),
            ("suite_hash", pa.string()),
            ("status", pa.string()),
            ("started", pa.timestamp("us", tz="UTC")),
            ("finished", pa.timestamp("us", tz="UTC")),
            ("git_sha", pa.string()),
            ("package_versions", pa.string()),
            ("host", pa.string()),
            ("device", pa.string()),
            ("config", pa.string()),
            ("n_jobs", pa.int64()),
            ("n_failed", pa.int64()),
            ("schema_version", pa.int32()),
        ]
    ),
    "jobs": pa.schema(
        [
            ("run_id", pa.string()),
            ("job_id", pa.string()),
            ("job_key", pa.string()),
            ("dataset", pa.string()),
            ("modality", pa.string()),
            ("encoder", pa.string()),
            ("objective", pa.string()),
            ("family", pa.string()),
            ("seed", pa.int64()),
            ("config", pa.string()),
            ("status", pa.string()),
            ("error", pa.string()),
            ("seconds", pa.float64()),
            ("pretrain_seconds", pa.float64()),
            ("evaluate_seconds", pa.float64()),
            ("train_seconds", pa.float64()),
            ("parameters", pa.int64()),
            ("samples_per_second", pa.float64()),
            ("checkpoint", pa.string()),
            ("finished", pa.timestamp("us", tz="UTC")),
        ]
    ),
    "metrics": pa.schema(
        [
            ("run_id", pa.string()),
            ("job_id", pa.string()),
            ("metric", pa.string()),
            ("split", pa.string()),
            ("value", pa.float64()),
            ("selected_on", pa.string()),
            ("label_fraction", pa.float64()),
            ("label_draw", pa.int64()),
        ]
    ),
    "splits": pa.schema(
        [
            ("run_id", pa.string()),
            ("dataset", pa.string()),
            ("seed", pa.int64()),
            ("test_fraction", pa.float64()),
            ("fingerprint", pa.string()),
            ("train_index", pa.list_(pa.int64())),
            ("test_index", pa.list_(pa.int64())),
            ("validation_fraction", pa.float64()),
            ("validation_index", pa.list_(pa.int64())),
        ]
    ),
    "history": pa.schema(
        [
            ("run_id", pa.string()),
            ("job_id", pa.string()),
            ("epoch", pa.int32()),
            ("loss", pa.float64()),
        ]
    ),
    "tuning": pa.schema(
        [
            ("run_id", pa.string()),
            ("dataset", pa.string()),
            ("encoder", pa.string()),
            ("objective", pa.string()),
            ("tuned_objective", pa.string()),
            ("seed", pa.int64()),
            ("kind", pa.string()),
            ("trial", pa.int64()),
            ("params", pa.string()),
            ("metric", pa.string()),
            ("value", pa.float64()),
            ("selected_on", pa.string()),
            ("status", pa.string()),
            ("error", pa.string()),
            ("job_id", pa.string()),
            ("config", pa.string()),
            ("cached", pa.bool_()),
            ("seconds", pa.float64()),
            ("n_trials", pa.int64()),
            ("trial_epochs", pa.int64()),
            ("sampler_seed", pa.int64()),
            ("pruner", pa.string()),
            ("trained_epochs", pa.int64()),
            ("scores", pa.string()),
        ]
    ),
}

PARTITION = "run_id"

REQUIRED_COLUMNS: dict[str, set[str]] = {
    "runs": {"suite", "status"},
    "jobs": {"job_id", "dataset", "encoder", "objective"},
    "metrics": {"job_id", "metric", "value"},
    "history": {"job_id", "epoch", "loss"},
    "splits": {"dataset", "seed", "train_index", "test_index"},
    "tuning": {"dataset", "encoder", "objective", "kind", "params", "value"},
}


def file_schema(table: str) -> pa.Schema:
    """The columns stored inside each file of ``table`` (the partition column lives in the folder name)."""
    schema = TABLES[table]
    return schema.remove(schema.get_field_index(PARTITION))
