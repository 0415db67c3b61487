"""``sslbench reproduce RUN_ID``: re-run a past run from its tables alone and compare, metric by metric.

The run's stored suite config is re-validated and run again with caching off into a scratch folder; the
re-created splits are checked against the stored indices; every metric of every job (jobs are keyed by
content, so the same job has the same id) is compared with the original.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sslbench.benchmarks.suite import suite_from_dict
from sslbench.results.store import read_table


@dataclass
class Reproduction:
    """The comparison: one row per (job, metric) with original and reproduced values, and split checks."""

    run_id: str
    reproduced_run_id: str
    comparison: pd.DataFrame
    splits_match: bool

    @property
    def matches(self) -> bool:
        return self.splits_match and bool(self.comparison["match"].all()) and not self.comparison.empty


def _stored_run(out_dir: str, run_id: str) -> pd.Series:
    runs = read_table(out_dir, "runs").to_pandas()
    if run_id not in set(runs["run_id"]):
        known = ", ".join(sorted(runs["run_id"])) or "none"
        raise ValueError(f"unknown run '{run_id}' in {out_dir}; finished runs: {known}")
    return runs[runs["run_id"] == run_id].iloc[0]


# A metric value's identity within a job (a metric may be stored for several splits, label fractions and draws).
VALUE_KEY = ["job_id", "metric", "split", "label_fraction", "label_draw"]


def _metrics(out_dir: str, run_id: str) -> pd.DataFrame:
    metrics = read_table(out_dir, "metrics", {"run_id": run_id}).to_pandas()
    metrics[["label_fraction", "label_draw"]] = metrics[["label_fraction", "label_draw"]].fillna(-1)
    jobs = read_table(out_dir, "jobs", {"run_id": run_id}).to_pandas()[
        ["job_id", "dataset", "encoder", "objective", "seed"]
    ]
    return metrics.merge(jobs, on="job_id")[["dataset", "encoder", "objective", "seed", *VALUE_KEY, "value"]]


def _splits_match(out_dir: str, run_id: str, into: str, new_run_id: str) -> bool:
    key = ["dataset", "seed", "test_fraction"]
    old = read_table(out_dir, "splits", {"run_id": run_id}).to_pandas().set_index(key).sort_index()
    new = read_table(into, "splits", {"run_id": new_run_id}).to_pandas().set_index(key).sort_index()
    if list(old.index) != list(new.index):
        return False
    return all(
        np.array_equal(old.loc[i, column], new.loc[i, column])
        for i in old.index
        for column in ("train_index", "test_index", "validation_index")
        if not (column == "validation_index" and old.loc[i, column] is None)
    )


def reproduce(out_dir: str, run_id: str, into: str | None = None, tolerance: float = 0.0) -> Reproduction:
    """Re-run ``run_id`` of ``out_dir`` into ``into`` (default: a temporary folder) and compare."""
    from sslbench.flows.benchmark import run_benchmark

    stored = _stored_run(out_dir, run_id)
    suite = suite_from_dict(json.loads(stored["config"]))
    new_run_id = f"{run_id}-reproduced"
    with tempfile.TemporaryDirectory(prefix="sslbench-reproduce-") as scratch:
        target = into or scratch
        run_benchmark(suite=suite.to_dict(), out_dir=target, run_id=new_run_id, use_cache=False)
        original = _metrics(out_dir, run_id)
        again = _metrics(target, new_run_id)[[*VALUE_KEY, "value"]].rename(columns={"value": "reproduced"})
        splits_ok = _splits_match(out_dir, run_id, target, new_run_id)
    comparison = original.rename(columns={"value": "original"}).merge(again, on=VALUE_KEY, how="outer")
    both = comparison["original"].notna() & comparison["reproduced"].notna()
    difference = (comparison["original"] - comparison["reproduced"]).abs()
    comparison["match"] = both & (difference <= tolerance)
    return Reproduction(
        run_id, new_run_id, comparison.sort_values(["dataset", "encoder", "objective", "seed", "metric"]), splits_ok
    )
