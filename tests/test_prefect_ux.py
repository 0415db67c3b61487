"""What a Prefect user sees, without a server: names and tags from a job's content, artifact keys and contents,
the live progress display, stage timing, and the process defaults that keep the terminal clean."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import load_suite
from sslbench.flows.artifacts import artifact_key, leaderboard_rows, summary_markdown
from sslbench.flows.progress import LiveGrid
from sslbench.tasks import events
from sslbench.tasks.naming import job_tags, job_title
from sslbench.tasks.results import JobOutcome, write_job


@pytest.fixture
def tiny_jobs(tiny_suite: Path) -> dict[str, object]:
    return {job.objective: job for job in make_plan(load_suite(str(tiny_suite))).jobs}


def test_task_run_titles_and_tags_carry_the_jobs_content(tiny_jobs: dict) -> None:
    simclr, raw = tiny_jobs["simclr"], tiny_jobs["raw"]
    assert job_title(simclr) == "digits · mlp · simclr · s0"
    assert job_title(dataclasses.replace(raw, seed=3)) == "digits · raw · s3"
    assert set(job_tags(simclr, "tiny")) == {
        "dataset:digits",
        "encoder:mlp",
        "objective:simclr",
        "seed:0",
        "suite:tiny",
    }
    assert set(job_tags(raw, "tiny")) == {"dataset:digits", "objective:raw", "seed:0", "suite:tiny"}


@pytest.mark.parametrize(
    ("suite", "key"),
    [("quick", "leaderboard-quick"), ("My_Suite v2", "leaderboard-my-suite-v2"), ("--x--", "leaderboard-x")],
)
def test_artifact_keys_use_prefects_key_alphabet(suite: str, key: str) -> None:
    assert artifact_key("leaderboard", suite) == key


def _outcome(job, status: str, linear: float, collapsed: float = 0.0, error: str = "") -> JobOutcome:
    metrics = {} if status != "ok" else {"linear_acc": linear, "collapsed": collapsed}
    return JobOutcome(job, status, error, 1.0 if job.uses_encoder else None, 0.5 if status == "ok" else None, metrics)


def test_summary_names_the_best_ssl_per_dataset_and_encoder_failures_and_collapse(
    tmp_path: Path, tiny_jobs: dict
) -> None:
    from sslbench.flows.benchmark import _finish_run

    out, run_id = str(tmp_path), "r1"
    ae, simclr, raw, pca = (tiny_jobs[name] for name in ("autoencoder", "simclr", "raw", "pca"))
    # seeds 0 and 1: autoencoder mean (0.80 + 0.90) / 2 = 0.85 beats SimCLR's single seed-0 0.84 (seed 1 failed)
    for outcome in (
        _outcome(ae, "ok", 0.80),
        _outcome(dataclasses.replace(ae, seed=1), "ok", 0.90, collapsed=1.0),
        _outcome(simclr, "ok", 0.84),
        _outcome(dataclasses.replace(simclr, seed=1), "failed", 0, error="ValueError: boom\nmore"),
        _outcome(raw, "ok", 0.95),
        _outcome(pca, "ok", 0.93),
    ):
        write_job(out, run_id, outcome)
    _finish_run(out, run_id, load_suite("quick"), datetime.now(UTC), 6, 1)
    summary = summary_markdown(out, run_id)
    assert "6 jobs, 1 failed or diverged." in summary
    assert (
        "| digits | mlp | autoencoder | test (no validation score) | 0.850 | 2 |" in summary
    )  # no validation rows here
    assert "- digits · mlp · simclr · s1: **failed** — ValueError: boom\n" in summary
    assert "- digits · mlp · autoencoder · s1\n" in summary and "autoencoder · s0\n" not in summary
    (row,) = leaderboard_rows(out, run_id)
    assert row == {
        "dataset": "digits",
        "best SSL": "autoencoder · mlp",
        "selected on": "test (no validation score)",
        "linear": "0.850",
        "raw": "0.950",
        "pca": "0.930",
    }


def test_job_seconds_are_the_sum_of_the_stages_that_finished(tiny_jobs: dict) -> None:
    assert JobOutcome(tiny_jobs["simclr"], "ok", pretrain_seconds=2.5, evaluate_seconds=0.25).seconds == 2.75
    assert JobOutcome(tiny_jobs["raw"], "ok", evaluate_seconds=0.25).seconds == 0.25
    assert JobOutcome(tiny_jobs["simclr"], "diverged", pretrain_seconds=None).seconds == 0.0


def test_live_grid_shows_running_jobs_with_their_epoch_and_advances_the_grid(tiny_jobs: dict) -> None:
    jobs = list(tiny_jobs.values())
    grid = LiveGrid(jobs, done=2)
    stop = events.listen(grid.on_event)
    try:
        simclr = tiny_jobs["simclr"]
        events.emit("pretrain", simclr.key(), epochs=3)
        events.emit("epoch", simclr.key(), epoch=2, epochs=3)
        events.emit("epoch", "not-a-job-of-this-grid", epoch=1, epochs=1)
    finally:
        stop()
    events.emit("epoch", simclr.key(), epoch=3, epochs=3)  # after unsubscribing: ignored
    (row,) = (task for task in grid.progress.tasks if task.id != grid.grid)
    assert row.description == "  digits · mlp · simclr · s0 · pretrain epoch 2/3" and (row.completed, row.total) == (
        2,
        3,
    )
    grid.finished(simclr)
    grid.finished(tiny_jobs["raw"])
    (overall,) = grid.progress.tasks
    assert (overall.completed, overall.total) == (4, len(jobs) + 2)


def test_process_defaults_switch_client_telemetry_off_and_send_run_logs_to_the_api() -> None:
    from prefect._internal.analytics.enabled import is_telemetry_enabled
    from sslbench.flows import runtime

    runtime.configure()
    assert os.environ["DO_NOT_TRACK"] == "1" and not is_telemetry_enabled()
    assert os.environ["PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL"] == "INFO"
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
