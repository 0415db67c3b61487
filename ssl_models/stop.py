"""A process-wide stop request (set on Ctrl-C / SIGTERM) that long loops check between steps.

Training checks it after every batch and a bank after every chunk, so an interrupted job stops within a step
and raises ``Interrupted``; the caller records the job as interrupted and keeps the run resumable.
"""

from __future__ import annotations

import threading

_REQUESTED = threading.Event()


class Interrupted(RuntimeError):
    """Work stopped early because a stop was requested (Ctrl-C or SIGTERM)."""


def request_stop() -> None:
    """Ask every running loop to stop at its next check."""
    _REQUESTED.set()


def clear_stop() -> None:
    """Forget a stop request (before a new run in the same process)."""
    _REQUESTED.clear()


def stop_requested() -> bool:
    """True once a stop has been requested."""
    return _REQUESTED.is_set()


def check_stop(where: str) -> None:
    """Raise ``Interrupted`` naming ``where`` when a stop has been requested."""
    if _REQUESTED.is_set():
        raise Interrupted(f"stopped by a stop request during {where}")
