"""Submit each stage to the task runner when its inputs are done, one running task per worker, in plan order.

Why the flow does not submit the whole task graph at once: Prefect's ``ThreadPoolTaskRunner`` (the default runner)
resolves a task's upstream futures *inside* the worker thread the task was given. A queued evaluation whose
pretraining is still running therefore holds a worker thread while it waits, and with stages submitted in a job's
order (split, banks, pretraining, evaluation) one of the two workers of a 2-core pool waited for most of a run:
the quick suite used one core of two (``vmstat``: 48 % idle throughout). Here a stage is handed to the runner only
once every stage it takes as input has finished, so no worker ever waits for another; the process and Dask runners,
which resolve inputs before taking a worker, lose nothing by it.

- **One running task per worker** (``slots``, from the flow's task runner): the runner's queue never holds work a
  worker could not start, so the scheduler, not a first-in first-out queue, picks what runs next.
- **Earliest-handed-in stage first**: the flow hands in every split and bank, then each job's pretraining and
  evaluation together, so a finished pretraining's evaluation runs before the next job's pretraining, and jobs finish
  (and their rows are written) one by one in the plan's order instead of all at the end. (Deepest-first ordering
  was measured worse: it ran every job with view banks before any without, leaving the quick suite's CNN
  autoencoder alone on one core for its last 23 s.)
- **Failure**: a stage whose input failed is not submitted; its ``result()`` raises that input's error, as Prefect's
  own "upstream failed" would, so a job records its first failing stage's error.
- **Stop**: after ``ssl_models.stop.request_stop`` nothing new is submitted; stages already running finish (they
  stop within a training step).

The stages are real Prefect task runs, with their inputs passed as (finished) Prefect futures, so the UI's
dependency graph and every task's tags are as if they had been submitted at once.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prefect import tags
from prefect.context import FlowRunContext, TagsContext
from prefect.futures import PrefectFuture
from sslbench.ssl_models.stop import stop_requested


class Stage:
    """A task submission that waits for its input stages; after submission, a view of its Prefect future."""

    def __init__(
        self, scheduler: StageScheduler, task: Any, args: tuple, kwargs: dict, labels: set[str], order: int
    ) -> None:
        self.scheduler, self.task, self.args, self.kwargs, self.labels = scheduler, task, args, kwargs, labels
        self.inputs = [value for value in (*args, *kwargs.values()) if isinstance(value, Stage)]
        self.order = order
        self.future: PrefectFuture | None = None
        self.finished = False  # its task run has ended, or it was never submitted because an input failed
        self.error: BaseException | None = None  # once finished: its task's error, or its failed input's

    def __lt__(self, other: Stage) -> bool:  # the ready heap: in the order the stages were handed in
        return self.order < other.order

    def result(self) -> Any:
        """The task's result (waiting for it); raises the task's error, or its failed input's."""
        while not self.finished:
            if not self.scheduler._advance(None):
                raise RuntimeError("a stop was requested before this stage could be submitted")
        if self.future is None:  # never submitted: an input failed
            assert self.error is not None
            raise self.error
        return self.future.result()


class StageScheduler:
    """Holds stages until their inputs are done and submits them, at most ``slots`` running at once.

    Only the flow's thread calls it: stages are submitted while it waits (``as_completed``, ``wait``,
    ``Stage.result``), so every task run is created in the flow run's own context.
    """

    def __init__(self, slots: int | None = None) -> None:
        self.slots = slots if slots is not None else worker_slots()
        self._ready: list[Stage] = []
        self._waiting: list[Stage] = []
        self._running: dict[PrefectFuture, Stage] = {}
        self._ended: queue.SimpleQueue[PrefectFuture] = queue.SimpleQueue()
        self._orders = itertools.count()

    def submit(self, task: Any, *args: Any, **kwargs: Any) -> Stage:
        """A stage that will run ``task.submit(*args, **kwargs)`` (stages among the arguments replaced by their
        futures) once those stages are done, under the tags active now."""
        labels = set(TagsContext.get().current_tags)
        stage = Stage(self, task, args, kwargs, labels, next(self._orders))
        self._waiting.append(stage)
        self._pump()
        return stage

    def as_completed(self, stages: Iterable[Stage]) -> Iterator[Stage]:
        """Yields each of ``stages`` as it finishes (those already finished first); submits ready stages meanwhile."""
        pending = list(dict.fromkeys(stages))
        while pending:
            finished = [stage for stage in pending if stage.finished]
            pending = [stage for stage in pending if not stage.finished]
            yield from finished
            if pending and not self._advance(None):
                return  # nothing can finish any more: a stop was requested and nothing is running

    def wait(self, stages: Iterable[Stage], timeout: float) -> tuple[list[Stage], list[Stage]]:
        """(finished, unfinished) of ``stages`` after at most ``timeout`` seconds."""
        pending = list(dict.fromkeys(stages))
        deadline = time.monotonic() + timeout
        while any(not stage.finished for stage in pending):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._advance(remaining):
                break
        return [stage for stage in pending if stage.finished], [stage for stage in pending if not stage.finished]

    def _advance(self, timeout: float | None) -> bool:
        """Wait for one running task to end (at most ``timeout`` s) and submit what became ready; False when
        nothing is running or can be submitted, so waiting would never end."""
        self._pump()
        if not self._running:
            return False
        try:
            ended = self._ended.get(timeout=timeout)
        except queue.Empty:
            return True
        self._finish(ended)
        while True:  # every other task that ended meanwhile
            try:
                self._finish(self._ended.get_nowait())
            except queue.Empty:
                break
        self._pump()
        return True

    def _finish(self, future: PrefectFuture) -> None:
        stage = self._running.pop(future, None)
        if stage is None:
            return
        try:
            future.result()
        except Exception as error:  # recorded by whoever reads the stage's result; here it only stops its dependants
            stage.error = error
        stage.finished = True

    def _pump(self) -> None:
        """Move stages whose inputs are done to the ready heap (a stage with a failed input fails in turn, and so on
        down its dependants), then submit the earliest-handed-in ready stages into the free slots."""
        changed = True
        while changed:
            changed, still_waiting = False, []
            for stage in self._waiting:
                if not all(upstream.finished for upstream in stage.inputs):
                    still_waiting.append(stage)
                elif (error := next((s.error for s in stage.inputs if s.error is not None), None)) is not None:
                    stage.error, stage.finished, changed = error, True, True
                else:
                    heapq.heappush(self._ready, stage)
            self._waiting = still_waiting
        while self._ready and (self.slots is None or len(self._running) < self.slots) and not stop_requested():
            self._start(heapq.heappop(self._ready))

    def _start(self, stage: Stage) -> None:
        args = tuple(_future_of(value) for value in stage.args)
        kwargs = {name: _future_of(value) for name, value in stage.kwargs.items()}
        with tags(*stage.labels):
            future = stage.task.submit(*args, **kwargs)
        stage.future = future
        self._running[future] = stage
        future.add_done_callback(self._ended.put)


def _future_of(value: Any) -> Any:
    return value.future if isinstance(value, Stage) else value


def worker_slots() -> int | None:
    """How many tasks the current flow's task runner runs at once (None: unknown, submit whatever is ready).

    Prefect's thread and process pools keep it as ``_max_workers``; a Dask cluster reports its workers' threads.
    """
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    workers = getattr(runner, "_max_workers", None)
    if workers is None and hasattr(runner, "client"):
        try:
            workers = sum(runner.client.nthreads().values()) or None  # type: ignore[union-attr]
        except Exception:  # an unreachable or adaptive cluster: do not limit
            workers = None
    if isinstance(workers, int) and 0 < workers < sys.maxsize:
        return workers
    return None
