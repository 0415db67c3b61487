"""The temporary Prefect server, tied to this process: out of the terminal's signals, gone when its parent dies.

Prefect's ``SubprocessASGIServer`` starts uvicorn in the terminal's process group, so Ctrl-C kills it at once
while training goes on, and ``kill -9`` of the parent leaves it listening. Here it starts in its own process group
(Ctrl-C reaches only sslbench, which stops the server itself after recording the interrupted job) with Linux's
``PR_SET_PDEATHSIG`` = SIGTERM (the kernel stops it when the parent dies, however it dies).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

PR_SET_PDEATHSIG = 1


class ServerStartError(RuntimeError):
    """The temporary Prefect server did not come up (it is stopped again; nothing was run)."""


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec function that sets PR_SET_PDEATHSIG = SIGTERM (None where prctl does not exist)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl  # resolved before fork

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return set_parent_death_signal


@contextmanager
def tied_server() -> Iterator[str]:
    """Start the temporary Prefect server tied to this process; yield its API URL; stop it at the end."""
    from prefect.server.api import server as prefect_server

    popen = functools.partial(subprocess.Popen, process_group=0, preexec_fn=_die_with_parent())
    server = prefect_server.SubprocessASGIServer()
    with mock.patch.object(prefect_server.subprocess, "Popen", popen):
        try:
            server.start()
        except Exception as error:  # noqa: BLE001 - Prefect lets httpx timeouts through while polling /health
            server.stop()
            raise ServerStartError(
                f"the temporary Prefect server did not start ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else 'no detail'}); on a busy machine "
                "raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS or start `prefect server start` "
                "and set PREFECT_API_URL"
            ) from None
    try:
        yield server.api_url
    finally:
        _drain_to_server()
        server.stop()


def _drain_to_server() -> None:
    """Send the logs and events still queued for the server (else they fail after it stops)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)
