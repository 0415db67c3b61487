"""The report's plots: PNG files written with matplotlib's Agg backend (no display, no fonts fetched)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sslbench.ssl_models.baselines import BASELINES  # noqa: E402
from sslbench.ssl_models.vocabulary import FAMILY_ORDER  # noqa: E402

FAMILY_COLOURS = dict(zip(FAMILY_ORDER, ("#d1495b", "#3b6ea5", "#66a182", "#edae49", "#8d6a9f", "#999999")))


def _save(fig: plt.Figure, path: Path, dpi: int = 110) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def linear_probe_bars(df: pd.DataFrame, dataset: str, path: Path) -> None:
    """Bars of mean linear probe accuracy ± std per (objective, encoder) of ``dataset``; baselines grey."""
    chosen = df[(df["metric"] == "linear_acc") & (df["dataset"] == dataset)]
    grouped = chosen.groupby(["objective", "encoder"], observed=True)["value"].agg(["mean", "std"]).reset_index()
    grouped["std"] = grouped["std"].fillna(0.0)
    labels = [f"{o}\n{e}" if e else o for o, e in zip(grouped["objective"], grouped["encoder"])]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(labels)), 4))
    colours = ["#999999" if o in BASELINES else "#3b6ea5" for o in grouped["objective"]]
    ax.bar(range(len(labels)), grouped["mean"], yerr=grouped["std"], color=colours, capsize=3)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    low = max(0.0, float(grouped["mean"].min()) - 0.1) if len(grouped) else 0.0
    ax.set_ylim(low, 1.0)
    ax.set_ylabel("linear probe accuracy (± std)")
    ax.set_title(f"{dataset}: linear probe (grey = baselines)")
    _save(fig, path)


def loss_curves(history: pd.DataFrame, jobs: pd.DataFrame, dataset: str, path: Path) -> bool:
    """Training loss per epoch, one panel per objective, one colour per encoder (a line per seed); False if no
    history."""
    merged = history.merge(
        jobs[["run_id", "job_id", "dataset", "encoder", "objective", "seed"]], on=["run_id", "job_id"]
    )
    merged = merged[merged["dataset"] == dataset]
    if merged.empty:
        return False
    objectives = sorted(merged["objective"].unique())
    encoders = sorted(merged["encoder"].unique())
    colours = dict(zip(encoders, plt.get_cmap("tab10").colors))  # type: ignore[attr-defined]  # tab10 is a ListedColormap
    n_columns = min(4, len(objectives))
    n_rows = math.ceil(len(objectives) / n_columns)
    fig, axes = plt.subplots(n_rows, n_columns, figsize=(3.3 * n_columns, 2.8 * n_rows), squeeze=False)
    for ax, objective in zip(axes.flat, objectives):
        labelled = set()
        for (encoder, _seed), curve in merged[merged["objective"] == objective].groupby(["encoder", "seed"]):
            curve = curve.sort_values("epoch")
            ax.plot(
                curve["epoch"],
                curve["loss"],
                color=colours[encoder],
                alpha=0.8,
                label=None if encoder in labelled else (encoder or "—"),
            )
            labelled.add(encoder)
        ax.set_title(objective, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=6)
    for ax in axes.flat[len(objectives) :]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("training loss", fontsize=8)
    _save(fig, path, dpi=100)
    return True


def rank_intervals(ranks: pd.DataFrame, path: Path, critical_difference: float | None = None) -> None:
    """Average rank of each objective (best at the top) with its 95 % interval, coloured by family; a CD bar if
    given."""
    ordered = ranks.sort_values("average_rank", ascending=False)
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * len(ordered)))
    y = np.arange(len(ordered))
    for position, row in zip(y, ordered.itertuples()):
        colour = FAMILY_COLOURS.get(row.family, "#444444")
        if np.isfinite(row.low):
            ax.plot([row.low, row.high], [position, position], color=colour, linewidth=2, alpha=0.6)
        ax.plot(row.average_rank, position, "o", color=colour)
    ax.set_yticks(y, [f"{o} ({f})" for o, f in zip(ordered["objective"], ordered["family"])], fontsize=8)
    ax.set_xlabel("average rank by linear probe accuracy (1 = best)")
    if critical_difference is not None:
        top = len(ordered) - 0.3
        start = float(ordered["average_rank"].min())
        ax.plot([start, start + critical_difference], [top, top], color="black", linewidth=3)
        ax.annotate(
            f"Nemenyi CD = {critical_difference:.2f}",
            (start, top),
            xytext=(0, 5),
            textcoords="offset points",
            fontsize=8,
        )
        ax.set_ylim(-0.7, len(ordered) + 0.3)
    ax.set_xlim(0.5, ranks.attrs.get("worst", float(ordered["high"].max())) + 0.5)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Average rank with 95 % interval over blocks (dataset × encoder)", fontsize=9)
    _save(fig, path)
