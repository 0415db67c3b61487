"""pandas query helpers over the result tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sslbench.results.schema import TABLES
from sslbench.results.store import read_table
from sslbench.ssl_models.vocabulary import REFERENCE_FAMILIES

GROUP = ("dataset", "encoder", "objective")


def _split_filters(filters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    job_columns = set(TABLES["jobs"].names)
    metric_columns = set(TABLES["metrics"].names)
    unknown = set(filters) - job_columns - metric_columns
    if unknown:
        valid = sorted(job_columns | metric_columns)
        raise ValueError(f"unknown filter {', '.join(sorted(unknown))}; valid filters: {', '.join(valid)}")
    jobs = {k: v for k, v in filters.items() if k in job_columns}
    metrics = {k: v for k, v in filters.items() if k in metric_columns and k not in job_columns or k == "run_id"}
    return jobs, metrics


def load(root: str | Path, strict: bool = False, **filters: Any) -> pd.DataFrame:
    """One tidy DataFrame: a row per (job, metric, split) with the job's and run's columns.

    Filters (a value or a list of values) on any jobs or metrics column are pushed down to pyarrow::

        df = results.load("out", dataset="mnist5k", metric=["linear_acc", "knn_acc"])
    """
    job_filters, metric_filters = _split_filters(filters)
    jobs = read_table(root, "jobs", job_filters, strict=strict).to_pandas()
    metrics = read_table(root, "metrics", metric_filters, strict=strict).to_pandas()
    runs = read_table(root, "runs", {"run_id": filters["run_id"]} if "run_id" in filters else None, strict=strict)
    runs = runs.select(["run_id", "suite", "started"]).to_pandas()
    tidy = metrics.merge(jobs.drop(columns=["finished"]), on=["run_id", "job_id"], how="inner")
    tidy = tidy.merge(runs, on="run_id", how="left")
    front = ["run_id", "suite", "dataset", "encoder", "objective", "family", "seed", "metric", "split", "value"]
    return tidy[front + [c for c in tidy.columns if c not in front]].reset_index(drop=True)


def full_label_jobs(jobs: pd.DataFrame) -> pd.DataFrame:
    """The jobs trained on every training label (without the supervised baseline's label-subset jobs)."""

    def fraction(config: object) -> float:
        return json.loads(config).get("label_fraction", 1.0) if isinstance(config, str) and config else 1.0

    return jobs[jobs["config"].map(fraction) >= 1.0] if len(jobs) else jobs


def self_supervised(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of self-supervised jobs only (no baseline, no supervised upper bound)."""
    return df[~df["family"].isin(REFERENCE_FAMILIES)]


def summarise(values: pd.Series) -> pd.Series:
    """mean, std (ddof 1), n and the 95 % Student-t half-width over seeds."""
    from scipy import stats

    n = int(values.count())
    std = float(values.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1) * std / np.sqrt(n)) if n > 1 else float("nan")
    return pd.Series({"mean": float(values.mean()), "std": std, "n": n, "ci95": half})


def leaderboard(
    df: pd.DataFrame, metric: str = "linear_acc", by: Iterable[str] = GROUP, split: str = "test"
) -> pd.DataFrame:
    """Mean ± std (and 95 % interval) of ``metric`` over seeds per group, best first::

    results.leaderboard(results.load("out"), "knn_acc", by=["dataset", "objective"])
    """
    by = list(by)
    chosen = df[(df["metric"] == metric) & (df["split"] == split)]
    if chosen.empty:
        available = sorted(df["metric"].unique()) if "metric" in df else []
        raise ValueError(f"no '{metric}' values on split '{split}'; metrics present: {', '.join(available)}")
    table = chosen.groupby(by, observed=True)["value"].apply(summarise).unstack()
    table["n"] = table["n"].astype(int)
    return table.sort_values("mean", ascending=False).reset_index()


def compare_runs(root: str | Path, run_a: str, run_b: str, metric: str | None = None) -> pd.DataFrame:
    """Per (dataset, encoder, objective, metric): mean in run A, mean in run B, and B − A::

    results.compare_runs("out", "20261129-010203-ab12", "20261130-010203-cd34", metric="linear_acc")
    """
    filters: dict[str, Any] = {"metric": metric} if metric else {}
    df = load(root, run_id=[run_a, run_b], **filters)
    missing = {run_a, run_b} - set(df["run_id"].unique())
    if missing:
        raise ValueError(f"no results for run {', '.join(sorted(missing))} in {root}")
    keys = list(GROUP) + ["metric", "split"]
    means = df.groupby(keys + ["run_id"], observed=True)["value"].mean().unstack("run_id")
    out = pd.DataFrame({"a": means[run_a], "b": means[run_b]})
    out["delta"] = out["b"] - out["a"]
    return out.reset_index()


COST_COLUMNS = [
    "objective",
    "encoder",
    "family",
    "seeds",
    "accuracy",
    "accuracy_std",
    "validation_accuracy",
    "train_seconds",
    "train_seconds_std",
    "evaluate_seconds",
]


def training_seconds(jobs: pd.DataFrame) -> pd.Series:
    """Each job's training cost as stored in the jobs table: ``train_seconds`` (the training loop when the
    checkpoint was made, kept on cache hits), else ``pretrain_seconds`` (runs before schema 5), else 0 (no
    training stage: the raw and PCA baselines)."""
    seconds = pd.Series(np.nan, index=jobs.index, dtype=float)
    for column in ("train_seconds", "pretrain_seconds"):
        if column in jobs:
            seconds = seconds.fillna(jobs[column].astype(float))
    return seconds.fillna(0.0)


def cost_cells(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str, metric: str = "linear_acc") -> pd.DataFrame:
    """Per (objective, encoder) of ``dataset``'s finished jobs trained on every label: ``metric`` on test (mean and
    std over seeds), its mean on validation (NaN without one), and the jobs' training and evaluation seconds read
    from the jobs table (mean, std over seeds). ``metrics`` is the metrics table or ``load``'s frame."""
    keys = ["run_id", "job_id"] if "run_id" in metrics and "run_id" in jobs else ["job_id"]
    done = jobs[(jobs["dataset"] == dataset) & (jobs["status"].fillna("ok") == "ok")]
    done = full_label_jobs(done) if "config" in done else done
    done = done.assign(train_cost=training_seconds(done), evaluate_cost=done.get("evaluate_seconds", np.nan))
    values = metrics[metrics["metric"] == metric][keys + ["split", "value"]]
    scored = done.merge(values, on=keys, how="inner")
    rows = []
    for (objective, encoder), cell in scored.groupby(["objective", "encoder"], sort=True):
        test, validation = cell[cell["split"] == "test"], cell[cell["split"] == "validation"]
        if test.empty:
            continue
        rows.append(
            [
                objective,
                encoder,
                str(cell["family"].iloc[0]),
                int(test["seed"].nunique()),
                float(test["value"].mean()),
                float(test["value"].std(ddof=1)) if len(test) > 1 else 0.0,
                float(validation["value"].mean()) if len(validation) else np.nan,
                float(test["train_cost"].mean()),
                float(test["train_cost"].std(ddof=1)) if len(test) > 1 else 0.0,
                float(test["evaluate_cost"].astype(float).mean()),
            ]
        )
    return pd.DataFrame(rows, columns=COST_COLUMNS)
