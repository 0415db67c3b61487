"""What Prefect shows for a job: task-run names and tags from the job's content, and the stage's logger.

A task run is named ``<stage> <dataset> · <encoder> · <objective> · s<seed>`` (e.g. ``pretrain mnist5k · cnn ·
simclr · s0``), so the UI's task list reads like the grid; its tags (``dataset:mnist5k``, ``encoder:cnn``,
``objective:simclr``, ``seed:0``, ``suite:quick``) make runs filterable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sslbench.ssl_models.job import JobSpec


def job_title(job: JobSpec) -> str:
    """``dataset · encoder · objective · s<seed>`` (no encoder for the raw and PCA baselines)."""
    return " · ".join([job.dataset] + ([job.encoder] if job.encoder else []) + [job.objective, f"s{job.seed}"])


def split_title(job: JobSpec) -> str:
    """``dataset · s<seed>``: what a job's split and view bank depend on."""
    return f"{job.dataset} · s{job.seed}"


def job_tags(job: JobSpec, suite: str) -> list[str]:
    """Prefect tags of every task run of a job: dataset, encoder, objective, seed and suite."""
    tags = [f"dataset:{job.dataset}", f"objective:{job.objective}", f"seed:{job.seed}", f"suite:{suite}"]
    return tags + ([f"encoder:{job.encoder}"] if job.encoder else [])


def task_run_namer(stage: str, title: Callable[[JobSpec], str] = job_title) -> Callable[[], str]:
    """A ``task_run_name`` callable: ``<stage> <title of the call's job>``, read from ``prefect.runtime``."""

    def name() -> str:
        from prefect.runtime import task_run

        return f"{stage} {title(task_run.parameters['job'])}"

    return name


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The current task or flow run's log as Prefect's UI shows it, or a plain logger outside a run.

    Records go to Prefect's API only, not to its terminal handler: sslbench prints its own lines there, so a
    failed job's line at ERROR in the UI does not appear twice in the terminal.
    """
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.logging import get_run_logger
    from prefect.logging.handlers import APILogHandler
    from prefect.logging.loggers import PrefectLogAdapter

    if TaskRunContext.get() is None and FlowRunContext.get() is None:
        return logging.getLogger("sslbench")
    api_only = logging.getLogger("sslbench.prefect_api")
    if not api_only.handlers:
        api_only.addHandler(APILogHandler())
        api_only.setLevel(logging.INFO)
        api_only.propagate = False
    run = get_run_logger()
    extra = run.extra if isinstance(run, logging.LoggerAdapter) else None
    return PrefectLogAdapter(api_only, extra=dict(extra or {}))
