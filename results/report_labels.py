"""The report's label-efficiency section: probe accuracy against the fraction of training labels used.

For each fraction f < 1 the linear probe (and kNN) of every representation is fitted on a stratified draw of f
of the training labels (``ssl_models.evaluate.label_efficiency``, metrics ``label_linear_acc`` /
``label_knn_acc`` with ``label_fraction`` and ``label_draw``), and the supervised baseline is trained on that
same draw with the same step budget; at f = 1 the values are the ordinary ``linear_acc`` / ``knn_acc``. Cells
give the mean ± std over every (seed, draw) and their count n.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sslbench.results.report_render import Section  # noqa: E402
from sslbench.ssl_models.baselines import BASELINES  # noqa: E402
from sslbench.ssl_models.vocabulary import REFERENCE_FAMILIES  # noqa: E402

PROBES = {"linear": "Linear probe", "knn": "kNN", "finetune": "Fine-tuned (encoder + linear head)"}
# Baselines are dashed and grey, each with its own marker; the supervised baseline is black.
FULL = 1.0
FINETUNE_NOTE = (
    "Fine-tuning trains the encoder and a linear head (started from the linear probe) on the same draw and chooses "
    "its epoch on the validation part without the draw's rows; at 100 % it trains on the training rows outside the "
    "validation part."
)
CURVE_COLUMNS = ["dataset", "encoder", "objective", "family", "seed", "label_fraction", "label_draw", "value"]


def curve_frame(df: pd.DataFrame, probe: str = "linear") -> pd.DataFrame:
    """One row per (dataset, encoder, objective, seed, fraction, draw) of ``probe``'s test accuracy; f = 1
    from ``{probe}_acc`` (draw 0), f < 1 from ``label_{probe}_acc``."""
    test = df[df["split"] == "test"] if "split" in df else df
    full = test[test["metric"] == f"{probe}_acc"].assign(label_fraction=FULL, label_draw=0)
    scarce = test[test["metric"] == f"label_{probe}_acc"]
    frame = pd.concat([full, scarce], ignore_index=True)
    frame["family"] = frame["family"].fillna("unknown")
    return frame[CURVE_COLUMNS]


def has_label_fractions(df: pd.DataFrame) -> bool:
    """True when the run measured any fraction below 100 %."""
    return bool((df["metric"] == "label_linear_acc").any())


def fraction_text(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction >= 0.01 else f"{fraction:.1%}"


def _cell(values: np.ndarray) -> str:
    if not len(values):
        return "—"
    spread = f" ± {values.std(ddof=1):.3f}" if len(values) > 1 else ""
    return f"{values.mean():.3f}{spread} (n={len(values)})"


def _row_order(curves: pd.DataFrame) -> list[tuple[str, str]]:
    """(objective, encoder) rows: self-supervised first (sorted), then the baselines."""
    keys = curves[["objective", "encoder", "family"]].drop_duplicates()
    ssl = keys[~keys["family"].isin(REFERENCE_FAMILIES)]
    baselines = keys[keys["family"].isin(REFERENCE_FAMILIES)]
    return [tuple(k) for k in ssl.sort_values(["objective", "encoder"])[["objective", "encoder"]].to_numpy()] + [
        tuple(k) for k in baselines.sort_values(["objective", "encoder"])[["objective", "encoder"]].to_numpy()
    ]


def label_table(df: pd.DataFrame, dataset: str, probe: str = "linear") -> Section | None:
    """Rows objective · encoder, columns label fractions: test accuracy of ``probe`` mean ± std over seeds ×
    draws."""
    curves = curve_frame(df[df["dataset"] == dataset], probe)
    if curves.empty or not (curves["label_fraction"] < FULL).any():
        return None
    fractions = sorted(curves["label_fraction"].unique())
    rows, kinds = [], {}
    for r, (objective, encoder) in enumerate(_row_order(curves)):
        cell = curves[(curves["objective"] == objective) & (curves["encoder"] == encoder)]
        family = cell["family"].iloc[0]
        label = f"{objective} · {encoder}" if encoder else objective
        rows.append(
            [label + (" (baseline)" if family in REFERENCE_FAMILIES else "")]
            + [_cell(cell.loc[cell["label_fraction"] == f, "value"].to_numpy(dtype=float)) for f in fractions]
        )
        if family in REFERENCE_FAMILIES:
            kinds[r] = "baseline"
    return Section(
        f"{PROBES[probe]} accuracy against the fraction of training labels",
        header=["objective · encoder"] + [f"{fraction_text(f)} labels" for f in fractions],
        rows=rows,
        row_kinds=kinds,
        level=3,
        notes=[
            "Test accuracy, mean ± std over every (seed, label draw); n counts them. Each draw is a "
            "stratified subset with at least one example per class, nested across fractions. The "
            "supervised baseline is trained on the same draw with the same number of optimiser steps; "
            "the probe's C is chosen by cross-validation inside the draw (nothing sees test labels)."
        ]
        + ([FINETUNE_NOTE] if probe == "finetune" else []),
    )


def label_curves(df: pd.DataFrame, dataset: str, path: Path, probe: str = "linear") -> bool:
    """One panel per encoder: accuracy (mean ± std over seeds × draws) against label fraction, log scale, a
    line per objective; encoder-free baselines in every panel, dashed; False when the run measured no fraction
    below 1."""
    curves = curve_frame(df[df["dataset"] == dataset], probe)
    if curves.empty or not (curves["label_fraction"] < FULL).any():
        return False
    encoders = sorted(e for e in curves["encoder"].unique() if e) or [""]
    width = max(6.0, 4.2 * len(encoders))
    fig, axes = plt.subplots(1, len(encoders), figsize=(width, 3.8), squeeze=False, sharey=True)
    colours = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]  # tab20 is a ListedColormap
    for ax, encoder in zip(axes[0], encoders):
        shown = curves[(curves["encoder"] == encoder) | (curves["encoder"] == "")]
        for i, ((objective, _), line) in enumerate(shown.groupby(["objective", "encoder"], sort=True)):
            summary = line.groupby("label_fraction")["value"].agg(["mean", "std"]).fillna(0.0)
            declared = BASELINES.get(objective) if objective in BASELINES else None
            baseline = line["family"].iloc[0] in REFERENCE_FAMILIES
            style = dict(
                color="black" if declared and declared.label_fraction else "#888888" if baseline else colours[i % 20],
                linestyle="--" if baseline else "-",
                marker=declared.marker if declared else "o",
                markersize=3,
                capsize=2,
                linewidth=1.2,
            )
            ax.errorbar(summary.index, summary["mean"], yerr=summary["std"], label=objective, **style)
        ax.set_xscale("log")
        ax.set_xticks(
            sorted(curves["label_fraction"].unique()),
            [fraction_text(f) for f in sorted(curves["label_fraction"].unique())],
        )
        ax.set_title(encoder or "(no encoder)", fontsize=9)
        ax.set_xlabel("fraction of training labels", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    axes[0][0].set_ylabel(f"{PROBES[probe]} test accuracy (± std)", fontsize=8)
    fig.suptitle(
        f"{dataset}: label efficiency\n(dashed = baselines, black = supervised on the same labels)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
