"""The stage scheduler: no worker waits for another's task, stages in the order handed in, failures stop only
their dependants."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
from sslbench.flows.scheduler import StageScheduler, worker_slots

STARTED: dict[str, threading.Event] = {}
ORDER: list[str] = []


def _event(name: str) -> threading.Event:
    return STARTED.setdefault(name, threading.Event())


@task
def step(name: str, *inputs: Any, waits_for: str | None = None, fails: bool = False) -> str:
    """Records its start; optionally blocks until another step has started (30 s at most), or fails."""
    ORDER.append(name)
    _event(name).set()
    if waits_for is not None and not _event(waits_for).wait(timeout=30):
        raise TimeoutError(f"{name} waited 30 s for {waits_for} to start")
    if fails:
        raise ValueError(f"{name} failed")
    return name + "".join(f"<{value}" for value in inputs)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    STARTED.clear()
    ORDER.clear()


def test_a_queued_dependant_never_holds_a_worker_while_its_input_runs(prefect_api: None) -> None:
    """Two workers; a → b, and c independent. a runs until c has started. Submitted at once through Prefect's thread
    pool, b would take the second worker and wait for a, so c would never start: here c starts beside a."""

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def graph() -> list[str]:
        scheduler = StageScheduler()
        assert scheduler.slots == 2 == worker_slots()
        a = scheduler.submit(step, "a", waits_for="c")
        b = scheduler.submit(step, "b", a)
        c = scheduler.submit(step, "c")
        return [stage.result() for stage in scheduler.as_completed([a, b, c])]

    started = time.monotonic()
    finished = graph()
    assert sorted(finished) == ["a", "b<a", "c"]
    assert time.monotonic() - started < 25, "a waited for c: a worker was held"


def test_ready_stages_run_in_the_order_handed_in_and_a_failure_stops_only_its_dependants(prefect_api: None) -> None:
    """One worker: a root handed in after another's dependant runs after it, though it was ready first; a failed
    stage's dependants are never run and raise its error; the rest of the graph finishes."""

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def graph() -> dict[str, Any]:
        scheduler = StageScheduler()
        first = scheduler.submit(step, "first")
        after_first = scheduler.submit(step, "after_first", first)
        second = scheduler.submit(step, "second")
        broken = scheduler.submit(step, "broken", fails=True)
        after_broken = scheduler.submit(step, "after_broken", broken)
        last = scheduler.submit(step, "last", after_broken)
        results: dict[str, Any] = {}
        for stage in scheduler.as_completed([first, second, after_first, broken, after_broken, last]):
            try:
                results[stage.args[0]] = stage.result()
            except ValueError as error:
                results[stage.args[0]] = str(error)
        return results

    results = graph()
    assert ORDER[:3] == ["first", "after_first", "second"]
    assert "after_broken" not in ORDER and "last" not in ORDER
    assert results == {
        "first": "first",
        "second": "second",
        "after_first": "after_first<first",
        "broken": "broken failed",
        "after_broken": "broken failed",
        "last": "broken failed",
    }


def test_a_stop_submits_nothing_new_and_lets_the_running_stage_finish(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sslbench.flows import scheduler as module

    stopped = threading.Event()
    monkeypatch.setattr(module, "stop_requested", stopped.is_set)

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def graph() -> tuple[list[str], list[str]]:
        scheduler = StageScheduler()
        running = scheduler.submit(step, "running")
        queued = scheduler.submit(step, "queued")
        stopped.set()
        finished, unfinished = scheduler.wait([running, queued], timeout=30)
        return [stage.args[0] for stage in finished], [stage.args[0] for stage in unfinished]

    assert graph() == (["running"], ["queued"])
    assert ORDER == ["running"]


def test_a_served_run_without_a_runner_option_uses_one_worker_per_core() -> None:
    """Scheduled and served runs use the flow's own task runner: one thread worker per usable core, not one in all."""
    from sslbench.flows.benchmark import benchmark_flow
    from sslbench.ssl_models.threads import usable_cores

    assert benchmark_flow.task_runner._max_workers == usable_cores()


def test_usable_cores_follow_the_process_affinity() -> None:
    import os

    from sslbench.ssl_models.threads import usable_cores

    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert usable_cores() == 1
    finally:
        os.sched_setaffinity(0, before)
    assert usable_cores() == len(before)
