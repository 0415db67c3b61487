"""Scheduled runs: serve the benchmark flow as a Prefect deployment on a cron schedule.

What must be running: a Prefect server (``prefect server start``, with ``PREFECT_API_URL`` pointing at it;
the embedded temporary server runs no scheduler) and this serving process. Each scheduled run gets a new
run id and appends to the same tables, so trends over time are queryable. ``pause_on_shutdown=False``
keeps the schedule active when this process stops.
"""

from __future__ import annotations

from prefect.client.schemas.schedules import construct_schedule

from benchmarks.suite import Suite
from flows.benchmark import benchmark_flow


def deployment_for(suite: Suite, cron: str, out_dir: str):  # -> prefect RunnerDeployment
    """The deployment object (validated cron, suite and output folder as parameters)."""
    try:
        construct_schedule(cron=cron)
    except ValueError as error:
        raise ValueError(f"invalid cron schedule '{cron}': {error}") from None
    return benchmark_flow.to_deployment(
        name=f"sslbench-{suite.name}", cron=cron,
        parameters={"suite": suite.to_dict(), "out_dir": out_dir, "run_id": None, "use_cache": True},
        description=f"Scheduled sslbench suite '{suite.name}' writing to {out_dir}",
    )


def serve_suite(suite: Suite, cron: str, out_dir: str) -> None:
    """Serve the suite's deployment until interrupted."""
    from prefect import serve

    serve(deployment_for(suite, cron, out_dir), pause_on_shutdown=False)
