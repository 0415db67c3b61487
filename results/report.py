"""Comparison reports: ``OUT/reports/RUN_ID/report.md`` and ``index.html`` with PNG plots beside them.

Per dataset and metric, a table objective × encoder of mean ± std over seeds, best per column in bold,
baselines as rows; loss curves; collapse flags and failures. The HTML needs no server and no internet.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from results.query import load  # noqa: E402
from results.store import read_table  # noqa: E402

METRICS = {"linear_acc": "Linear probe accuracy", "knn_acc": "kNN accuracy",
           "kmeans_nmi": "k-means NMI", "kmeans_ari": "k-means ARI"}
BASELINE_ORDER = ("raw", "pca", "random", "supervised")


@dataclass
class Section:
    """A titled block of a report: a paragraph, a table (header + rows, bold cells marked) or an image."""

    title: str
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)
    image: str | None = None
    level: int = 2


def _cell(values: pd.Series) -> str:
    if values.empty:
        return "—"
    mean, std = values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{mean:.3f} ± {std:.3f}" if len(values) > 1 else f"{mean:.3f}"


def metric_table(df: pd.DataFrame, metric: str) -> Section:
    """Objective rows × encoder columns; encoder-free baselines fill every column; best per column bold."""
    chosen = df[df["metric"] == metric]
    encoders = sorted(e for e in chosen["encoder"].unique() if e)
    ssl = sorted(o for o in chosen["objective"].unique() if o not in BASELINE_ORDER)
    objectives = ssl + [o for o in BASELINE_ORDER if o in set(chosen["objective"])]
    header = ["objective"] + encoders
    rows, means = [], []
    for objective in objectives:
        subset = chosen[chosen["objective"] == objective]
        label = objective if objective not in BASELINE_ORDER else f"{objective} (baseline)"
        row, row_means = [label], []
        for encoder in encoders:
            values = subset["value"] if (subset["encoder"] == "").all() else subset[subset["encoder"] == encoder]["value"]
            row.append(_cell(values))
            row_means.append(values.mean() if not values.empty else np.nan)
        rows.append(row)
        means.append(row_means)
    bold = set()
    matrix = np.array(means, dtype=float) if means else np.zeros((0, 0))
    for column in range(matrix.shape[1] if matrix.size else 0):
        if np.isfinite(matrix[:, column]).any():
            best = np.nanmax(matrix[:, column])
            bold |= {(r, column + 1) for r in range(matrix.shape[0]) if matrix[r, column] == best}
    return Section(METRICS.get(metric, metric), header=header, rows=rows, bold=bold, level=3)


def _bar_plot(df: pd.DataFrame, dataset: str, path: Path) -> None:
    chosen = df[(df["metric"] == "linear_acc") & (df["dataset"] == dataset)]
    grouped = chosen.groupby(["objective", "encoder"], observed=True)["value"].agg(["mean", "std"]).reset_index()
    grouped["std"] = grouped["std"].fillna(0.0)
    labels = [f"{o}\n{e}" if e else o for o, e in zip(grouped["objective"], grouped["encoder"])]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(labels)), 4))
    colours = ["#999999" if o in BASELINE_ORDER else "#3b6ea5" for o in grouped["objective"]]
    ax.bar(range(len(labels)), grouped["mean"], yerr=grouped["std"], color=colours, capsize=3)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    low = max(0.0, float(grouped["mean"].min()) - 0.1) if len(grouped) else 0.0
    ax.set_ylim(low, 1.0)
    ax.set_ylabel("linear probe accuracy")
    ax.set_title(f"{dataset}: linear probe (grey = baselines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _loss_plot(history: pd.DataFrame, jobs: pd.DataFrame, dataset: str, path: Path) -> bool:
    merged = history.merge(jobs[["run_id", "job_id", "dataset", "encoder", "objective", "seed"]], on=["run_id", "job_id"])
    merged = merged[merged["dataset"] == dataset]
    if merged.empty:
        return False
    objectives = sorted(merged["objective"].unique())
    fig, axes = plt.subplots(1, len(objectives), figsize=(3.2 * len(objectives), 3), squeeze=False)
    for ax, objective in zip(axes[0], objectives):
        for (encoder, seed), curve in merged[merged["objective"] == objective].groupby(["encoder", "seed"]):
            ax.plot(curve["epoch"], curve["loss"], label=f"{encoder} s{seed}")
        ax.set_title(objective, fontsize=9)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel("training loss")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _sections(root: Path, run_id: str, folder: Path) -> list[Section]:
    runs = read_table(root, "runs", {"run_id": run_id}).to_pandas()
    jobs = read_table(root, "jobs", {"run_id": run_id}).to_pandas()
    history = read_table(root, "history", {"run_id": run_id}).to_pandas()
    df = load(root, run_id=run_id)
    sections = []
    if not runs.empty:
        run = runs.iloc[0]
        versions = json.loads(run["package_versions"] or "{}")
        sections.append(Section(
            f"Run {run_id}",
            f"Suite **{run['suite']}**, {int(run['n_jobs'])} jobs, {int(run['n_failed'])} failed; started {run['started']}, "
            f"finished {run['finished']}; device {run['device']}; git {run['git_sha'][:10] or 'n/a'}; "
            + ", ".join(f"{k} {v}" for k, v in versions.items()), level=1))
    else:
        sections.append(Section(f"Run {run_id}", "The run has not finished (no runs row yet).", level=1))
    for dataset in sorted(df["dataset"].unique()):
        data = df[df["dataset"] == dataset]
        sections.append(Section(f"Dataset {dataset}", "Mean ± std over seeds on the test split; best per column in bold."))
        for metric in METRICS:
            if metric in set(data["metric"]):
                sections.append(metric_table(data, metric))
        bar = folder / f"linear_acc_{dataset}.png"
        if "linear_acc" in set(data["metric"]):
            _bar_plot(data, dataset, bar)
            sections.append(Section("Linear probe by objective and encoder", image=bar.name, level=3))
        loss = folder / f"loss_{dataset}.png"
        if _loss_plot(history, jobs, dataset, loss):
            sections.append(Section("Training loss", image=loss.name, level=3))
    collapsed = df[(df["metric"] == "collapsed") & (df["value"] > 0.5)]
    if "collapsed" in set(df["metric"]):
        rows = [[r.dataset, r.encoder, r.objective, str(r.seed)] for r in collapsed.itertuples()]
        sections.append(Section("Collapse flags", "Jobs whose embeddings collapsed (normalised std < 0.1 or effective rank < 1.5)."
                                if rows else "No job collapsed.", header=["dataset", "encoder", "objective", "seed"] if rows else [], rows=rows))
    failed = jobs[jobs["status"] != "ok"]
    sections.append(Section("Failures", "" if len(failed) else "Every job finished.",
                            header=["dataset", "encoder", "objective", "seed", "status", "error"] if len(failed) else [],
                            rows=[[r.dataset, r.encoder, r.objective, str(r.seed), r.status, (r.error or "")[:200]] for r in failed.itertuples()]))
    return sections


def _markdown(sections: list[Section]) -> str:
    lines = []
    for section in sections:
        lines += ["#" * section.level + " " + section.title, ""]
        if section.text:
            lines += [section.text, ""]
        if section.header:
            lines.append("| " + " | ".join(section.header) + " |")
            lines.append("|" + "---|" * len(section.header))
            for r, row in enumerate(section.rows):
                lines.append("| " + " | ".join(f"**{c}**" if (r, i) in section.bold else c for i, c in enumerate(row)) + " |")
            lines.append("")
        if section.image:
            lines += [f"![{section.title}]({section.image})", ""]
    return "\n".join(lines)


def _html(sections: list[Section], title: str) -> str:
    body = []
    for section in sections:
        level = min(section.level, 4)
        body.append(f"<h{level}>{html.escape(section.title)}</h{level}>")
        if section.text:
            text = html.escape(section.text)
            while "**" in text:
                text = text.replace("**", "<b>", 1).replace("**", "</b>", 1)
            body.append(f"<p>{text}</p>")
        if section.header:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in section.header)
            rows = "".join(
                "<tr>" + "".join(f"<td><b>{html.escape(c)}</b></td>" if (r, i) in section.bold else f"<td>{html.escape(c)}</td>"
                                 for i, c in enumerate(row)) + "</tr>" for r, row in enumerate(section.rows))
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        if section.image:
            body.append(f'<img src="{html.escape(section.image)}" alt="{html.escape(section.title)}">')
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:0.5em 0 1.5em}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def build_report(root: str | Path, run_id: str | None = None) -> Path:
    """Write the report of ``run_id`` (default: the latest run) and return its folder."""
    root = Path(root)
    if run_id is None:
        runs = read_table(root, "runs").to_pandas()
        if runs.empty:
            raise ValueError(f"no finished run in {root}/tables/runs; run `sslbench run` first")
        run_id = str(runs.sort_values("started")["run_id"].iloc[-1])
    folder = root / "reports" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    sections = _sections(root, run_id, folder)
    _write_atomic(folder / "report.md", _markdown(sections))
    _write_atomic(folder / "index.html", _html(sections, f"sslbench report {run_id}"))
    return folder
