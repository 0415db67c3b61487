"""What the person running a suite sees: per-job lines (terminal and the run's Prefect log), a live display of
the running jobs with epoch k/n, elapsed time and the grid's ETA, and the closing leaderboard."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sslbench.tasks import events
from sslbench.tasks.naming import job_title

if TYPE_CHECKING:
    from sslbench.ssl_models.job import JobSpec

console = Console(highlight=False, soft_wrap=True)


def job_line(
    index: int,
    total: int,
    job: JobSpec,
    status: str,
    seconds: float,
    metrics: dict[str, float],
    error: str = "",
    logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> None:
    """One line per finished job (position, label, status, headline metrics, its own time), also sent to ``logger``:
    INFO when it succeeded, ERROR when it failed or diverged."""
    width = len(str(total))
    colour = {"ok": "green", "cached": "cyan"}.get(status, "red")
    shown = {"linear_acc": "linear", "knn_acc": "knn", "kmeans_nmi": "kmeans"}
    if "linear_acc" not in metrics:  # the supervised baseline on a label subset reports only that subset's probes
        shown = {key: key.split("_")[1] for key in metrics if key.startswith(("label_linear_acc/", "label_knn_acc/"))}
    headline = "  ".join(f"{label} {metrics[name]:.3f}" for name, label in shown.items() if name in metrics)
    detail = headline if status in ("ok", "cached") else error.splitlines()[0][:120] if error else ""
    position = f"[{index:>{width}}/{total}]"
    console.print(
        f"{escape(position)} {job.label():<46} [{colour}]{status:<8}[/{colour}] {escape(detail)}  ({seconds:.1f} s)"
    )
    if logger is not None:
        level = logging.INFO if status in ("ok", "cached") else logging.ERROR
        logger.log(level, "%s %s %s %s (%.1f s)", position, job.label(), status, error if error else detail, seconds)


class LiveGrid:
    """A rich live display while a grid runs: one bar for the grid (done/total, elapsed, ETA) and one line per
    running job (stage, epoch k/n). Jobs report through :mod:`tasks.events`, so only in-process task runs show
    their epochs; the display is drawn only on a terminal."""

    def __init__(self, jobs: list[JobSpec], done: int = 0) -> None:
        self.jobs = {job.key(): job for job in jobs}
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            speed_estimate_period=24 * 3600,
        )
        self.grid = self.progress.add_task("grid", total=len(jobs) + done, completed=done)
        self.running: dict[str, TaskID] = {}

    def on_event(self, kind: str, job_key: str, data: dict) -> None:
        """A stage started (``pretrain``, ``evaluate``) or finished an epoch (``epoch``)."""
        job = self.jobs.get(job_key)
        if job is None:
            return
        stage = "evaluate" if kind == "evaluate" else "pretrain"
        description = f"  {job_title(job)} · {stage}"
        if job_key not in self.running:
            self.running[job_key] = self.progress.add_task(
                description, total=job.train.epochs if job.uses_encoder else 1
            )
        row = self.running[job_key]
        if kind == "epoch":
            self.progress.update(
                row,
                description=f"{description} epoch {data['epoch']}/{data['epochs']}",
                completed=data["epoch"],
                total=data["epochs"],
            )
        else:
            self.progress.update(row, description=description)

    def finished(self, job: JobSpec) -> None:
        """A job's rows are written: drop its line, advance the grid."""
        if (row := self.running.pop(job.key(), None)) is not None:
            self.progress.remove_task(row)
        self.progress.advance(self.grid)


@contextmanager
def live_grid(jobs: list[JobSpec], done: int = 0) -> Iterator[LiveGrid]:
    """Show a :class:`LiveGrid` (on a terminal) while the block runs."""
    grid = LiveGrid(jobs, done)
    stop = events.listen(grid.on_event)
    try:
        if console.is_terminal:
            with grid.progress:
                yield grid
        else:
            yield grid
    finally:
        stop()


def leaderboard_table(rows: list[dict[str, str]]) -> None:
    """Best self-supervised result per dataset beside the reference rows (columns in the rows' own order)."""
    table = Table(title="Leaderboard (linear probe accuracy on the test split)")
    columns = list(dict.fromkeys(["dataset", "best SSL", "selected on", "linear"] + [c for row in rows for c in row]))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c, "—")) for c in columns))
    console.print(table)
