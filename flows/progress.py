"""Per-job progress lines and the closing leaderboard, printed for the person running the suite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from benchmarks.plan import JobSpec

console = Console(highlight=False, soft_wrap=True)


def job_line(index: int, total: int, job: JobSpec, status: str, seconds: float, metrics: dict[str, float], error: str = "") -> None:
    """One line per finished job: position, label, status, headline metrics, time."""
    width = len(str(total))
    colour = {"ok": "green", "cached": "cyan"}.get(status, "red")
    headline = "  ".join(f"{name.split('_')[0]} {metrics[name]:.3f}" for name in ("linear_acc", "knn_acc", "kmeans_nmi") if name in metrics)
    detail = headline if status in ("ok", "cached") else error.splitlines()[0][:120] if error else ""
    console.print(f"[{index:>{width}}/{total}] {job.label():<46} [{colour}]{status:<8}[/{colour}] {detail}  ({seconds:.1f} s)")


def leaderboard_table(rows: list[dict[str, object]]) -> None:
    """Best self-supervised result per dataset beside the baselines."""
    table = Table(title="Leaderboard (linear probe accuracy on the test split)")
    for column in ("dataset", "best SSL", "linear", "raw", "pca", "supervised"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c, "—")) for c in ("dataset", "best SSL", "linear", "raw", "pca", "supervised")))
    console.print(table)
