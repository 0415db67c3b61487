"""One writer per output folder: an advisory ``fcntl.flock`` on ``OUT/.sslbench.lock`` holding the writer's PID.

A second process that wants the folder waits (saying once which PID holds it) or, with ``wait=False``, refuses
with one line naming the holder. The lock is released by the kernel when its holder dies, even by ``kill -9``.
Re-entrant within one process (the CLI takes it before choosing the run id, the flow again around the run).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sslbench.ssl_models.stop import stop_requested

LOCK_NAME = ".sslbench.lock"
POLL_SECONDS = 0.2
_held: dict[Path, tuple[int, int]] = {}  # resolved lock path → (file descriptor, depth)
_guard = threading.RLock()


class OutputBusyError(ValueError):
    """Another process holds the output folder's lock (raised only when not waiting)."""


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def _wait_for(fd: int) -> None:
    """Poll for the lock (a blocking flock would outlast Ctrl-C: the kernel restarts it after the handler)."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if stop_requested():
                os.close(fd)
                raise KeyboardInterrupt from None
            time.sleep(POLL_SECONDS)


@contextmanager
def out_lock(out_dir: str | Path, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``out_dir``'s lock for the block; ``on_wait`` gets one line when another process holds it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = (out / LOCK_NAME).resolve()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                line = f"{out} is in use by sslbench PID {_holder(path)} (lock {path})"
                if not wait:
                    os.close(fd)
                    raise OutputBusyError(f"{line}; wait for it to finish or use another --out") from None
                if on_wait is not None:
                    on_wait(f"{line}; waiting for it to finish")
                _wait_for(fd)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            _held[path] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[path]
            if depth > 1:
                _held[path] = (fd, depth - 1)
            else:
                del _held[path]
                os.close(fd)  # closing the descriptor releases the flock
