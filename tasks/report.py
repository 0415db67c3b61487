"""Stage 7: (re)build the comparison report of a run from its tables."""

from __future__ import annotations

from prefect import task
from sslbench.results.report import build_report


def build_run_report(out_dir: str, run_id: str) -> str:
    """Write ``OUT/reports/RUN_ID/`` and return its path."""
    return str(build_report(out_dir, run_id))


build_report_task = task(build_run_report, name="build-report", task_run_name="report {run_id}")  # type: ignore[call-overload]  # Prefect's overloads reject task(fn, **options)
