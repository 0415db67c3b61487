"""In-process progress events from running stages (job started, epoch k of n, evaluating, finished).

Stages call :func:`emit`; whoever shows progress (the terminal's live display) subscribes with :func:`listen`.
Only listeners in the same process hear events, so a task run in a Dask worker or a process pool reports
nothing here (its job still appears when it finishes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[str, str, dict], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def listen(listener: Listener) -> Callable[[], None]:
    """Subscribe ``listener(kind, job_key, data)``; returns the function that unsubscribes it."""
    with _lock:
        _listeners.append(listener)

    def stop() -> None:
        with _lock:
            _listeners.remove(listener)

    return stop


def emit(kind: str, job_key: str, **data: object) -> None:
    """Tell every listener: ``kind`` is ``pretrain``, ``epoch`` (with ``epoch``, ``epochs``) or ``evaluate``."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(kind, job_key, data)
