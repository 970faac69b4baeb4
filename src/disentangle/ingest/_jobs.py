"""Where ingest jobs run: a small Executor protocol, and local worker processes as the default."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Generic, Protocol, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class JobOutcome(Generic[Item, Result]):
    """What became of one item: its job's result, or why the process running it died."""

    item: Item
    result: Result | None = None
    crash: str | None = None  # set when the job killed its process (a native crash on a hostile file)


class Executor(Protocol):
    """Runs a picklable job on each item and yields each outcome as it finishes, in any order.

    The job itself must not raise: it turns per-item failures into its result. The executor only
    reports what the job cannot: its process dying. A Celery or Dask executor implements this one method.
    """

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item]
    ) -> Iterator[JobOutcome[Item, Result]]: ...


class LocalProcessExecutor:
    """Worker processes on this machine (ProcessPoolExecutor), surviving a worker that crashes.

    When a worker dies (PDFium is C++ and hostile PDFs exist), the pool breaks and every unfinished item
    fails with it. Only the items that were already handed to workers can be the culprit: those are
    retried one at a time in a fresh process, so the culprit alone is reported as a crash and the
    innocent ones still complete; the rest go back to a new pool.
    """

    def __init__(self, workers: int = 2, context: BaseContext | None = None) -> None:
        self.workers = max(1, workers)
        self.context = context

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item]
    ) -> Iterator[JobOutcome[Item, Result]]:
        pending = list(items)
        while pending:
            unfinished = yield from self._run_pool(job, pending, self.workers)
            # Workers take items in submission order, so the ones running when the pool broke are the
            # first unfinished ones (one more, in case a finished item's result was lost in the break).
            # Suspects leave `pending` either way, so every round makes progress.
            suspects, pending = unfinished[: self.workers + 1], unfinished[self.workers + 1 :]
            for item in suspects:
                again = yield from self._run_pool(job, [item], 1)
                if again:
                    yield JobOutcome(item, crash="the process reading it crashed")

    def _run_pool(
        self, job: Callable[[Item], Result], items: list[Item], workers: int
    ) -> Generator[JobOutcome[Item, Result], None, list[Item]]:
        """Run items in one pool; return (as the generator's value) the items left unfinished by a crash."""
        unfinished: list[Item] = []
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(items)),
            mp_context=self.context,
            initializer=_exit_with_parent,
        )
        try:
            futures: dict[Future[Result], int] = {
                pool.submit(job, item): index for index, item in enumerate(items)
            }
            broken: set[int] = set()
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.add(index)
                    continue
                except Exception as exc:  # the job broke its promise not to raise; report, do not stop
                    yield JobOutcome(items[index], crash=f"the job failed: {type(exc).__name__}: {exc}")
                    continue
                yield JobOutcome(items[index], result=result)
            unfinished = [items[index] for index in sorted(broken)]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return unfinished


def _exit_with_parent() -> None:
    """Worker initializer: exit when the parent is gone (kill -9 leaves workers orphaned otherwise).

    The parent is whoever started the worker: our process with "fork", the fork server with
    "forkserver" (which itself exits with our process)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
