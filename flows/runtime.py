"""Process-wide defaults set before Prefect or torch is imported: a quiet embedded server with no telemetry, and
the thread policy of ``ssl_models.threads`` (passive OpenMP waiting, one torch and BLAS thread per job).

The embedded (temporary) server's telemetry service writes to SQLite while the first flow run does, which
shows a "database is locked" traceback; turning analytics off removes the cause. The client's first-run
telemetry notice is printed because client telemetry is on; ``DO_NOT_TRACK=1`` turns it off.
Run logs: flow- and task-run loggers pass INFO to Prefect's API (the UI shows job lines and epochs) while the
terminal's Prefect handler shows warnings only (sslbench prints its own lines). Users' own settings win.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

from sslbench.ssl_models import threads

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # The embedded server runs database migrations on first use; on a busy 2-core machine that can take
    # longer than Prefect's default 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # Dask logs routine worker shutdown at INFO, with tracebacks of closed connections: keep warnings only.
    "DASK_LOGGING__DISTRIBUTED": "warning",
}


def configure(verbose: bool = False) -> None:
    """Apply the defaults (``verbose`` keeps Prefect's INFO logs)."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    threads.set_environment()
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "INFO"


def git_sha() -> str:
    """The current commit of the working tree, or '' outside a git checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    versions = {"python": sys.version.split()[0]}
    for name in ("sslbench", "torch", "torchvision", "torch-geometric", "numpy", "scikit-learn", "prefect", "pyarrow"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
