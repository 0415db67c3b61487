"""The report's cost section: per dataset, linear probe accuracy beside training seconds, and the Pareto front.

Costs are read from the jobs table (``results.query.training_seconds``: the training loop's seconds when the
checkpoint was made, kept when a later run reused it from the cache), never re-measured. Each objective ×
encoder cell gives the mean ± std over seeds of both. The Pareto front (``results.selection.pareto_front``) holds
the self-supervised cells that no other cell beats on both accuracy and training cost, compared on validation
accuracy as the rest of the report selects. Baselines (raw input and PCA, which do not train; the random
encoder, initialised only; the supervised bound, trained with labels) are drawn at their own cost for reference
but are never on the front: it answers "which self-supervised objective is worth its training time".
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sslbench.results.query import cost_cells  # noqa: E402
from sslbench.results.report_plots import FAMILY_COLOURS  # noqa: E402
from sslbench.results.report_render import Section  # noqa: E402
from sslbench.results.selection import SELECTED_ON_TEXT, pareto_front  # noqa: E402
from sslbench.ssl_models.vocabulary import REFERENCE_FAMILIES  # noqa: E402

METRIC = "linear_acc"
FRONT_MARK = "✓"


def _mean_std(mean: float, std: float, seeds: int, fmt: str) -> str:
    return format(mean, fmt) + (f" ± {format(std, fmt)}" if seeds > 1 else "")


def _cells(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every cell with an ``on_front`` column, the front), cheapest first."""
    cells = cost_cells(metrics, jobs, dataset, METRIC)
    front = pareto_front(metrics, jobs, dataset, METRIC)
    members = set(zip(front["objective"], front["encoder"]))
    on_front = [(o, e) in members for o, e in zip(cells["objective"], cells["encoder"])]
    cells = cells.assign(on_front=on_front).sort_values(["train_seconds", "objective", "encoder"])
    return cells.reset_index(drop=True), front


def cost_table(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str) -> Section | None:
    """Rows objective · encoder, cheapest first: test linear probe accuracy and training / evaluation seconds
    (mean ± std over seeds), Pareto-front members marked; None when the dataset has no linear probe."""
    cells, front = _cells(metrics, jobs, dataset)
    if cells.empty:
        return None
    rows, kinds = [], {}
    for r, cell in enumerate(cells.to_dict("records")):
        baseline = cell["family"] in REFERENCE_FAMILIES
        if baseline:
            kinds[r] = "baseline"
        rows.append(
            [
                str(cell["objective"]) + (" (baseline)" if baseline else ""),
                str(cell["encoder"]) or "—",
                str(cell["seeds"]),
                _mean_std(cell["accuracy"], cell["accuracy_std"], cell["seeds"], ".3f"),
                _mean_std(cell["train_seconds"], cell["train_seconds_std"], cell["seeds"], ".1f"),
                "—" if pd.isna(cell["evaluate_seconds"]) else f"{cell['evaluate_seconds']:.1f}",
                "never (baseline)" if baseline else FRONT_MARK if cell["on_front"] else "",
            ]
        )
    selected = SELECTED_ON_TEXT[str(front["selected_on"].iloc[0])] if len(front) else "nothing"
    return Section(
        "Accuracy beside training cost",
        (
            "Linear probe test accuracy and training seconds of each objective × encoder, mean ± std over seeds, "
            "read from the jobs table (train_seconds: the training loop when the checkpoint was made, also when a "
            "later run reused it; evaluation: the evaluate stage of this run). "
            f"{FRONT_MARK} marks the Pareto front of the self-supervised cells: none of them is beaten by another "
            f"self-supervised cell on both accuracy and training seconds; accuracy compared on {selected}. "
            "Baselines are shown at their own cost (0 s for the raw input and PCA, which do not train; the random "
            "encoder is only initialised; the supervised bound trains with labels) and are never on the front. "
            "Tuned cells count their final training only; the trials' seconds are in the tuning table."
        ),
        header=["objective", "encoder", "seeds", "linear probe (test)", "training s", "evaluation s", "Pareto front"],
        rows=rows,
        row_kinds=kinds,
        level=3,
    )


def cost_plot(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str, path: Path) -> bool:
    """Test accuracy (mean ± std over seeds) against training seconds (log x), one point per objective × encoder,
    the Pareto front drawn through its members; cells that did not train sit at the left edge. False without
    cells."""
    cells, chosen = _cells(metrics, jobs, dataset)
    if cells.empty:
        return False
    compared = SELECTED_ON_TEXT[str(chosen["selected_on"].iloc[0])] if len(chosen) else "nothing"
    trained = cells.loc[cells["train_seconds"] > 0, "train_seconds"]
    floor = float(trained.min()) / 3 if len(trained) else 0.1
    x = np.maximum(cells["train_seconds"].to_numpy(dtype=float), floor)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for i, cell in enumerate(cells.to_dict("records")):
        baseline = cell["family"] in REFERENCE_FAMILIES
        colour = "#999999" if baseline else FAMILY_COLOURS.get(str(cell["family"]), "#3b6ea5")
        ax.errorbar(
            x[i],
            cell["accuracy"],
            yerr=cell["accuracy_std"],
            fmt="s" if baseline else ("*" if cell["on_front"] else "o"),
            markersize=11 if cell["on_front"] else 6,
            color=colour,
            capsize=2,
        )
        label = f"{cell['objective']} · {cell['encoder']}" if cell["encoder"] else str(cell["objective"])
        ax.annotate(label, (x[i], cell["accuracy"]), fontsize=6, xytext=(4, 3), textcoords="offset points")
    front = cells[cells["on_front"]]
    x_front = np.maximum(front["train_seconds"], floor)
    ax.plot(x_front, front["accuracy"], color="black", linewidth=1, drawstyle="steps-post", label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel(f"training seconds per job (log; no training plotted at {floor:.2g} s)", fontsize=8)
    ax.set_ylabel("linear probe test accuracy (± std over seeds)", fontsize=8)
    ax.set_title(
        f"{dataset}: accuracy against training cost\n(★ = Pareto front, accuracy compared on {compared}; "
        "grey squares = baselines, never on it)",
        fontsize=9,
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def cost_sections(metrics: pd.DataFrame, jobs: pd.DataFrame, dataset: str, folder: Path) -> list[Section]:
    """The cost table and its plot (``cost_<dataset>.png`` in ``folder``); empty without a linear probe."""
    table = cost_table(metrics, jobs, dataset)
    if table is None:
        return []
    plotted = cost_plot(metrics, jobs, dataset, folder / f"cost_{dataset}.png")
    plot = [Section("Accuracy against training cost", image=f"cost_{dataset}.png", level=3)] if plotted else []
    return [table, *plot]
