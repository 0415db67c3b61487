"""The benchmark flow: plan a suite's grid, run each job's stages as Prefect tasks, write the tables, report.

- A failing or diverging job is recorded with its error and never stops the rest of the grid.
- Rows are written by this (the flow's) process only, as each job finishes, so concurrent workers
  (threads, processes, Dask) cannot corrupt or lose results.
- Stages reuse verified cached artefacts keyed by content, so re-running a finished suite does no training
  and a killed run resumes: its run id is kept while its marker exists and the data file's content is unchanged
  (see ``find_resumable_run``).
- One process at a time writes an output folder (``flows.out_lock``). After a stop request (Ctrl-C, SIGTERM) the
  running job stops within a training step and is recorded ``interrupted``; the run stays open, to be resumed.
"""

from __future__ import annotations

import json
import platform
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from prefect import flow, tags
from prefect.states import Failed, State
from prefect.task_runners import ThreadPoolTaskRunner
from sslbench.benchmarks.plan import Plan, make_plan, submission_order
from sslbench.benchmarks.suite import Suite, suite_from_dict
from sslbench.flows import progress
from sslbench.flows.artifacts import publish_artifacts
from sslbench.flows.inputs import StageInputs, split_group
from sslbench.flows.interrupt import stop_worker_on_signals
from sslbench.flows.out_lock import out_lock
from sslbench.flows.runtime import git_sha, package_versions
from sslbench.flows.scheduler import Stage, StageScheduler
from sslbench.results.schema import SCHEMA_VERSION
from sslbench.results.store import read_table, write_rows
from sslbench.ssl_models import threads
from sslbench.ssl_models.device import default_device
from sslbench.ssl_models.files import file_sha256, write_text_atomic
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.stop import stop_requested
from sslbench.tasks.artefacts import run_marker
from sslbench.tasks.evaluate import evaluate_baseline_task, evaluate_task
from sslbench.tasks.naming import job_tags, run_logger
from sslbench.tasks.pretrain import pretrain_task
from sslbench.tasks.report import build_report_task
from sslbench.tasks.results import STATUS_OF_ERROR, JobOutcome, write_job


class JobsFailed(Exception):
    """Some jobs of a run failed or diverged (their errors are in the tables); carries the run's summary."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message, summary)
        self.message, self.summary = message, summary

    def __str__(self) -> str:
        return self.message


def new_run_id(suite: Suite) -> str:
    """``YYYYmmdd-HHMMSS-<suite hash>-<8 random hex>``: sortable by time, traceable to the suite, unique (two ids
    drawn in one second collide with probability 2⁻³²)."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{suite.content_hash()[:6]}-{secrets.token_hex(4)}"


def data_fingerprint(suite: Suite) -> str:
    """SHA-256 of the suite's data file ('' for registered datasets, whose splits carry their own fingerprints)."""
    return file_sha256(suite.data_file) if suite.data_file else ""


def find_resumable_run(out_dir: str | Path, suite: Suite, notify: Callable[[str], None] | None = None) -> str | None:
    """The latest unfinished run of the same suite content and data content in ``out_dir`` (marker still there).

    A run of the same suite over a data file that has changed since is not resumed; ``notify`` gets one line.
    """
    markers = sorted(run_marker(out_dir, "x").parent.glob("*.json"))
    fingerprint = data_fingerprint(suite)
    for marker in reversed(markers):
        try:
            content = json.loads(marker.read_text())
        except (OSError, ValueError):
            continue
        if content.get("suite_hash") != suite.content_hash():
            continue
        if content.get("data_sha256", "") == fingerprint:
            return marker.stem
        if notify is not None:
            notify(f"data file {suite.data_file} changed since run {marker.stem} was interrupted; starting a new run")
        return None
    return None


def _record_split(key: tuple, future: Stage, out_dir: str, run_id: str) -> None:
    """Store a split's indices and fingerprint with the run (so it can be reproduced from the tables)."""
    from sslbench.ssl_models.data import SplitData

    dataset, seed, test_fraction, validation_fraction = key
    try:
        split = SplitData.load(Path(future.result()))
    except Exception:  # the jobs of this split record the error
        return
    write_rows(
        out_dir,
        "splits",
        run_id,
        [
            {
                "dataset": dataset,
                "seed": seed,
                "test_fraction": test_fraction,
                "fingerprint": split.fingerprint(),
                "train_index": split.train_index.tolist(),
                "test_index": split.test_index.tolist(),
                "validation_fraction": validation_fraction,
                "validation_index": split.validation_index.tolist(),
            }
        ],
        part=f"{dataset}-seed{seed}-test{test_fraction:g}-val{validation_fraction:g}",
    )


def _submit(
    scheduler: StageScheduler, plan: Plan, out_dir: str, use_cache: bool, suite: str
) -> tuple[dict[Stage, tuple[JobSpec, list[Stage]]], dict[tuple, Stage]]:
    """Hand every stage of every job to ``scheduler``, each task run tagged with its job's content; returns the final
    stage of each job → (job, its stages in order), and the split stage of each split group. Nothing here waits:
    the scheduler submits each stage when its inputs are done."""
    inputs = StageInputs(scheduler, out_dir, use_cache, suite)
    for job in plan.jobs:  # every split and bank first, so that workers can start on them
        inputs.split(job)
        inputs.bank(job)
    finals = {}
    for job in submission_order(plan.jobs):
        split, bank = inputs.split(job), inputs.bank(job)
        with tags(*job_tags(job, suite)):
            if job.uses_encoder:
                trained = scheduler.submit(pretrain_task, job, split, bank, out_dir, use_cache)
                evaluated = scheduler.submit(evaluate_task, job, split, trained, out_dir, use_cache)
                finals[evaluated] = (job, [split, *([bank] if bank else []), trained, evaluated])
            else:
                evaluated = scheduler.submit(evaluate_baseline_task, job, split, out_dir, use_cache)
                finals[evaluated] = (job, [split, evaluated])
    return finals, inputs.splits


def _outcome(job: JobSpec, stages: list[Stage]) -> JobOutcome:
    """The job's outcome, with each stage's time as the stage measured it; a failed stage's own error is recorded
    (not the later stages' "upstream failed")."""
    try:
        for stage in stages:
            stage.result()
    except Exception as error:  # a failing job is recorded, never fatal to the grid
        status = STATUS_OF_ERROR.get(type(error).__name__, "failed")
        return JobOutcome(job, status, f"{type(error).__name__}: {error}", _pretrain_seconds(job, stages))
    train_output = stages[-2].result() if job.uses_encoder else {}
    evaluation = stages[-1].result()
    cached = evaluation["cached"] and train_output.get("cached", True)
    return JobOutcome(
        job,
        "ok",
        "",
        train_output.get("seconds"),
        evaluation["seconds"],
        evaluation["metrics"],
        list(train_output.get("history", [])),
        dict(train_output),
        cached=cached,
    )


def _pretrain_seconds(job: JobSpec, stages: list[Stage]) -> float | None:
    """The pretraining stage's own time when it finished (a later stage failed), else None."""
    if not job.uses_encoder:
        return None
    try:
        return stages[-2].result().get("seconds")
    except Exception:  # pretraining itself failed: no time to report
        return None


def run_plan(
    plan: Plan, out_dir: str, run_id: str, suite: str, scheduler: StageScheduler, use_cache: bool = True
) -> list[JobOutcome]:
    """Run every job, writing each job's rows as it finishes; jobs already written for ``run_id`` are kept.

    Each finished job gets a line on the terminal and in the flow run's log; a live display shows the rest.
    """
    logger = run_logger()
    done = set(read_table(out_dir, "jobs", {"run_id": run_id, "status": "ok"}).column("job_id").to_pylist())
    todo = Plan([job for job in plan.jobs if job.key() not in done], plan.skipped)
    if done:
        message = f"resuming run {run_id}: {len(plan.jobs) - len(todo.jobs)} of {len(plan.jobs)} jobs already done"
        progress.console.print(message)
        logger.info(message)
    recorded: set[tuple] = set()
    outcomes = []
    offset = len(plan.jobs) - len(todo.jobs)
    with progress.live_grid(todo.jobs, offset) as live:
        finals, splits = _submit(scheduler, todo, out_dir, use_cache, suite)

        def record(index: int, evaluated: Stage) -> None:
            job, stages = finals.pop(evaluated)
            if (key := split_group(job)) not in recorded:  # its split has finished: this job's stages needed it
                recorded.add(key)
                _record_split(key, splits[key], out_dir, run_id)
            outcome = _outcome(job, stages)
            write_job(out_dir, run_id, outcome)
            live.finished(job)
            progress.job_line(
                index,
                len(plan.jobs),
                job,
                "cached" if outcome.cached else outcome.status,
                outcome.seconds,
                outcome.metrics,
                outcome.error,
                logger,
            )
            outcomes.append(outcome)

        index = offset
        for evaluated in scheduler.as_completed(list(finals)):
            index += 1
            record(index, evaluated)
            if stop_requested():
                break
        if stop_requested() and finals:
            # The running jobs stop within a training step: record them; jobs not started by then get no row (a
            # resumed run runs every job without an ok row) and the scheduler submits nothing after a stop, so a
            # stop does not wait for each queued job to start and fail.
            finished, _ = scheduler.wait(list(finals), timeout=STOP_GRACE_SECONDS)
            for evaluated in finished:
                index += 1
                record(index, evaluated)
            if finals:
                message = f"{len(finals)} jobs not started; running the same command again runs them"
                progress.console.print(message)
                logger.info(message)
    return outcomes


# After a stop request, how long run_plan waits for the running jobs to stop (they check after every training
# step) and records them, before it returns without the jobs that have not started.
STOP_GRACE_SECONDS = 3.0


def _finish_run(out_dir: str, run_id: str, suite: Suite, started: datetime, n_jobs: int, n_failed: int) -> None:
    write_rows(
        out_dir,
        "runs",
        run_id,
        [
            {
                "suite": suite.name,
                "suite_hash": suite.content_hash(),
                "status": "ok" if not n_failed else "partial",
                "started": started,
                "finished": datetime.now(UTC),
                "git_sha": git_sha(),
                "package_versions": json.dumps(package_versions()),
                "host": platform.node(),
                "device": str(default_device()),
                "config": json.dumps(suite.to_dict(), sort_keys=True),
                "n_jobs": n_jobs,
                "n_failed": n_failed,
                "schema_version": SCHEMA_VERSION,
            }
        ],
        part="run",
    )
    run_marker(out_dir, run_id).unlink(missing_ok=True)


def resolve_run_id(
    suite: Suite, out_dir: str | Path, use_cache: bool = True, notify: Callable[[str], None] | None = None
) -> str:
    """The run id a call without one gets: the latest unfinished run of the same suite and data (resume), else new."""
    return (find_resumable_run(out_dir, suite, notify) if use_cache else None) or new_run_id(suite)


def flow_run_name() -> str:
    """The flow run's name is its run id, resolved before the flow body runs (for scheduled runs too)."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    return parameters.get("run_id") or resolve_run_id(
        suite_from_dict(parameters["suite"]), parameters["out_dir"], parameters.get("use_cache", True)
    )


def _current_run_name() -> str | None:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return context.flow_run.name if context is not None and context.flow_run is not None else None


# A served or scheduled run (no ``--task-runner``) gets one thread worker per core, like the command line's default:
# the stage scheduler keeps workers from waiting on each other, so one per core is safe and uses every core.
@flow(
    name="sslbench-run",
    flow_run_name=flow_run_name,
    task_runner=ThreadPoolTaskRunner(max_workers=threads.usable_cores()),  # type: ignore[arg-type]  # Prefect's TaskRunner generics
)
def benchmark_flow(suite: dict[str, Any], out_dir: str, run_id: str | None = None, use_cache: bool = True) -> Any:
    """Run a suite (``Suite.to_dict()``) into ``out_dir``; returns run id, report path, counts and time.

    Without ``run_id`` (e.g. a scheduled run), the flow run's name is the run id (see ``flow_run_name``). A run with
    failed or diverged jobs ends in a Failed state whose message gives the count (its data: ``JobsFailed`` with the
    summary; ``run_benchmark`` returns the summary either way).
    """
    threads.apply_job_threads()
    validated = suite_from_dict(suite)
    plan = make_plan(validated)
    with out_lock(out_dir, on_wait=progress.console.print):
        run_id = run_id or _current_run_name() or resolve_run_id(validated, out_dir, use_cache, progress.console.print)
        marker = run_marker(out_dir, run_id)
        if marker.exists():
            started = datetime.fromisoformat(json.loads(marker.read_text())["started"])
        else:
            started = datetime.now(UTC)
            write_text_atomic(
                marker,
                json.dumps(
                    {
                        "suite_hash": validated.content_hash(),
                        "started": started.isoformat(),
                        "data_sha256": data_fingerprint(validated),
                    }
                ),
            )
        clock = time.perf_counter()
        scheduler = StageScheduler()
        if validated.tuning is not None:
            from sslbench.flows.tuning import tune  # Optuna loads only for a suite that tunes

            plan = tune(plan, validated, out_dir, run_id, scheduler, use_cache)
        if not stop_requested():
            run_plan(plan, out_dir, run_id, validated.name, scheduler, use_cache)
        statuses = read_table(out_dir, "jobs", {"run_id": run_id}).column("status").to_pylist()
        n_failed = sum(status != "ok" for status in statuses)
        summary = {
            "run_id": run_id,
            "n_jobs": len(statuses),
            "n_failed": n_failed,
            "interrupted": stop_requested(),
            "skipped": [f"{s.dataset} · {s.encoder} · {s.objective}: {s.reason}" for s in plan.skipped],
        }
        if summary["interrupted"]:  # the marker stays: the run resumes where it stopped
            return {**summary, "report": None, "seconds": time.perf_counter() - clock}
        _finish_run(out_dir, run_id, validated, started, len(statuses), n_failed)
        report = build_report_task(out_dir, run_id)
        publish_artifacts(out_dir, run_id, validated.name, report)
    summary = {**summary, "report": report, "seconds": time.perf_counter() - clock}
    if n_failed:
        message = f"{n_failed} of {len(statuses)} jobs failed or diverged (run {run_id})"
        return Failed(message=message, data=JobsFailed(message, summary))
    return summary


def run_benchmark(flow_: Any = None, **parameters: Any) -> dict[str, Any]:
    """Call the benchmark flow (or a ``with_options`` copy) and return its summary, also when it ends Failed."""
    state = cast("State[Any]", (flow_ or benchmark_flow)(**parameters, return_state=True))  # a sync flow's State
    result = state.result(raise_on_failure=False)
    if isinstance(result, JobsFailed):
        return result.summary
    if isinstance(result, BaseException):  # the flow itself crashed, not a job
        raise result
    return result


def task_runner(kind: str = "thread", workers: int | None = None, dask_address: str | None = None) -> Any:
    """A Prefect task runner: ``thread`` (default), ``process`` or ``dask``, with one worker per core by default.

    Under the thread policy (``ssl_models.threads``) every job uses one torch thread, so jobs run in parallel.

    Dask: an existing cluster at ``dask_address``, else a local cluster with one single-threaded worker
    per core (Dask workers start with OMP/MKL threads = 1, so torch does not oversubscribe cores).
    """
    workers = workers or threads.usable_cores()
    if kind == "thread":
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers, initializer=stop_worker_on_signals)
    if kind == "dask":
        import logging

        from prefect_dask import DaskTaskRunner

        logging.getLogger("distributed").setLevel(logging.WARNING)
        # At the end of a long run an idle worker can take over the nanny's 4 s grace period to exit (its Prefect
        # client drains its queues), and the nanny then logs a WARNING as it stops it; every result is written by
        # then, so that line says nothing to the user.
        logging.getLogger("distributed.nanny").setLevel(logging.ERROR)

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, **LOCAL_DASK_HTTP},
        )
    raise ValueError(f"unknown task runner '{kind}'; valid task runners: thread, process, dask")


# The local cluster's scheduler always runs an HTTP server (health and metrics routes, even with the dashboard
# off). Left to itself it takes port 8787, so a second run on the machine gets a "port in use" warning; here it
# binds a free port on the loopback interface only.
LOCAL_DASK_HTTP = {"dashboard_address": "127.0.0.1:0", "scheduler_kwargs": {"dashboard": False}}


@contextmanager
def api_shared_with_workers() -> Iterator[None]:
    """Within this block, worker processes (Dask, process pool) report to this process's Prefect API.

    With no ``PREFECT_API_URL`` a flow uses a temporary local server, and the flow's settings, which travel with
    every task to a worker process, name no server; each worker process then starts a temporary server of its
    own (seconds each, and several servers writing one SQLite database). Here the temporary server is started
    first and its address put into the settings, so every worker reports to it. With an address set: no change.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from sslbench.flows.tied_server import tied_server

    if PREFECT_API_URL.value():
        yield
        return
    with tied_server() as api_url, temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield
