"""Ctrl-C and SIGTERM during a run: the first one asks the running job to stop (it is recorded ``interrupted``,
the run stays resumable); a second Ctrl-C stops at once. The exit code is 128 + the signal (130, 143)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from sslbench.flows.progress import console
from sslbench.ssl_models.stop import clear_stop, request_stop, stop_requested

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Received:
    """The first stop signal received (None: none); ``exit_code`` = 128 + its number."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)


@contextmanager
def stop_on_signals() -> Iterator[Received]:
    """Within the block, SIGINT and SIGTERM request a stop instead of killing the process."""
    received = Received()

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop_requested():
            raise KeyboardInterrupt
        received.signum = signum
        request_stop()
        console.print(
            f"sslbench: {signal.Signals(signum).name} received; stopping the running job "
            "(finished jobs are kept; run the same command again to resume)"
        )

    clear_stop()
    previous = {signum: signal.signal(signum, handle) for signum in SIGNALS}
    quiet = logging.getLogger("prefect.task_runs")
    quiet.addFilter(_not_after_stop)
    try:
        yield received
    finally:
        quiet.removeFilter(_not_after_stop)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_worker_on_signals() -> None:
    """A process-pool worker's initializer: SIGINT and SIGTERM request a stop in the worker, as in the flow process.

    A terminal's Ctrl-C reaches the whole process group, workers included. Without this the worker's default
    handler raised ``KeyboardInterrupt`` in the middle of a job: a traceback on the terminal, a crashed task, and a
    flow process left waiting for a result that never came. With it the running job stops within a step and is
    recorded ``interrupted`` (its task-failure log is dropped, as in the flow process); a second signal stops the
    worker at once, as it does the flow process.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop_requested():
            raise KeyboardInterrupt
        request_stop()

    for signum in SIGNALS:
        signal.signal(signum, handle)
    logging.getLogger("prefect.task_runs").addFilter(_not_after_stop)


def _not_after_stop(record: logging.LogRecord) -> bool:
    """Drop Prefect's task-failure logs after a stop request: each stopped job is reported in one job line."""
    return not stop_requested()
