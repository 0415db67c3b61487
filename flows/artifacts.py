"""What a run leaves in Prefect's UI: a leaderboard table, a Markdown summary and a link to the HTML report.

Keys are stable per suite (``leaderboard-<suite>``, ``summary-<suite>``, ``report-<suite>``), so the UI's
Artifacts page shows each suite's latest run with its history of earlier versions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

ARTIFACT_KINDS = ("leaderboard", "summary", "report")


def artifact_key(kind: str, suite: str) -> str:
    """``<kind>-<suite>`` in Prefect's key alphabet (lowercase letters, digits, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", f"{kind}-{suite}".lower()).strip("-")


def leaderboard_rows(out_dir: str, run_id: str) -> list[dict[str, str]]:
    """Per dataset: the best self-supervised (objective · encoder) by mean linear accuracy on validation
    (``results.selection``) with its test accuracy, beside the baselines' test accuracy."""
    from sslbench.results.selection import SELECTED_ON_TEXT, best_configuration

    from sslbench import results

    scored = results.load(out_dir, run_id=run_id, metric="linear_acc")
    rows = []
    for dataset, data in scored[scored["split"] == "test"].groupby("dataset"):
        means = data.groupby(["objective", "encoder"])["value"].mean()
        row: dict[str, str] = {"dataset": str(dataset)}
        if (best := best_configuration(scored[scored["dataset"] == dataset], "linear_acc")) is not None:
            row.update(
                {
                    "best SSL": f"{best.objective} · {best.encoder}",
                    "selected on": SELECTED_ON_TEXT[best.selected_on],
                    "linear": f"{means[(best.objective, best.encoder)]:.3f}",
                }
            )
        references = data[~data.index.isin(results.self_supervised(data).index)]
        for objective in _reference_order(set(references["objective"])):
            row[objective] = f"{means[objective].max():.3f}"
        rows.append(row)
    return rows


def _reference_order(objectives: set[str]) -> list[str]:
    """Reference rows in the baselines' declared order, then the others (e.g. supervised variants) by name."""
    from sslbench.ssl_models.baselines import baseline_names

    return [b for b in baseline_names() if b in objectives] + sorted(objectives - set(baseline_names()))


def summary_markdown(out_dir: str, run_id: str) -> str:
    """Best SSL per (dataset, encoder), selected on validation, with its mean test linear accuracy over seeds; failed
    jobs, collapsed jobs."""
    from sslbench.results.selection import SELECTED_ON_TEXT, best_configuration

    from sslbench import results

    everything = results.load(out_dir, run_id=run_id)
    df = everything[everything["split"] == "test"] if not everything.empty else everything
    jobs = results.read_table(out_dir, "jobs", {"run_id": run_id}).to_pandas()
    lines = [
        f"# sslbench run `{run_id}`",
        "",
        f"{len(jobs)} jobs, {int((jobs['status'] != 'ok').sum())} failed or diverged.",
        "",
    ]
    ssl = results.self_supervised(df[df["metric"] == "linear_acc"]) if not df.empty else df
    if not ssl.empty:
        lines += [
            "## Best self-supervised objective per dataset and encoder (linear probe, mean over seeds on test)",
            "",
            "| dataset | encoder | objective | selected on | linear acc | seeds |",
            "|---|---|---|---|---|---|",
        ]
        for (dataset, encoder), _ in ssl.groupby(["dataset", "encoder"]):
            cell = everything[(everything["dataset"] == dataset) & (everything["encoder"] == encoder)]
            best = best_configuration(cell, "linear_acc")
            assert best is not None  # the cell holds this group's self-supervised rows
            values = ssl[
                (ssl["dataset"] == dataset) & (ssl["encoder"] == encoder) & (ssl["objective"] == best.objective)
            ]
            lines.append(
                f"| {dataset} | {encoder} | {best.objective} | {SELECTED_ON_TEXT[best.selected_on]} | "
                f"{values['value'].mean():.3f} | {len(values)} |"
            )
        lines.append("")
    failed = jobs[jobs["status"] != "ok"]
    lines += ["## Failed or diverged jobs", ""]
    lines += [
        f"- {_title(row)}: **{row.status}** — {str(row.error).splitlines()[0][:200] if row.error else ''}"
        for row in failed.itertuples()
    ] or ["none"]
    collapsed = df[(df["metric"] == "collapsed") & (df["value"] >= 1)] if not df.empty else df
    lines += ["", "## Collapsed representations", ""]
    lines += [f"- {_title(row)}" for row in collapsed.itertuples()] or ["none"]
    return "\n".join(lines) + "\n"


def _title(row: Any) -> str:
    parts = [row.dataset] + ([row.encoder] if row.encoder else []) + [row.objective, f"s{row.seed}"]
    return " · ".join(str(part) for part in parts)


def publish_artifacts(out_dir: str, run_id: str, suite: str, report_folder: str | Path) -> dict[str, str]:
    """Create the run's three artifacts (inside a flow run); returns kind → key."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

    keys = {kind: artifact_key(kind, suite) for kind in ARTIFACT_KINDS}
    rows = leaderboard_rows(out_dir, run_id)
    create_table_artifact(
        key=keys["leaderboard"],
        table=pd.DataFrame(rows).fillna("—").to_dict("records"),
        description=f"Leaderboard of run {run_id}: linear probe accuracy on the test split",
    )
    create_markdown_artifact(
        key=keys["summary"], markdown=summary_markdown(out_dir, run_id), description=f"Summary of run {run_id}"
    )
    index = (Path(report_folder) / "index.html").resolve()
    create_link_artifact(
        key=keys["report"],
        link=index.as_uri(),
        link_text=f"HTML report of run {run_id}",
        description=f"Report of run {run_id} ({index})",
    )
    return keys
