"""Where ingest jobs run: a small Executor protocol, and local worker processes that die with their owner.

    LocalProcessExecutor(workers).map_unordered(job, items, control)

Each worker is a process of its own that takes one item at a time over a pipe, so when a worker dies (PDFium
is C++ and hostile PDFs exist) or runs past its time, exactly the item it held fails and a fresh worker
takes the rest. Workers never outlive the process that started them (the owner), however it ends:

* each worker asks the kernel to kill it when its parent dies (Linux PR_SET_PDEATHSIG), and watches the
  owner itself (a pidfd, or its parent id elsewhere) in case that signal is lost;
* a janitor, a tiny process holding the read end of a pipe from the owner, sees the pipe close when the
  owner dies (SIGTERM, kill -9 or a crash), kills every worker and the programs they started (Tesseract,
  pdftotext: one process group), and removes the job's upload copies and half-written files.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from disentangle.ingest._janitor import descendants

Item = TypeVar("Item")
Result = TypeVar("Result")

POLL_SECONDS = 0.5  # how often a running job asks whether it should stop
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class JobOutcome(Generic[Item, Result]):
    """What became of one item: its job's result, why the process running it died, or that it was not run."""

    item: Item
    result: Result | None = None
    crash: str | None = None  # set when the job killed its process, or ran past its time and was stopped
    stopped: bool = False  # the job was stopped (cancelled, or its budget spent) before this item was done


@dataclass(frozen=True, slots=True)
class JobControl:
    """How a job may be bounded and stopped, and what to clean up if its owner dies mid-way."""

    item_seconds: float | None = None  # one item taking longer is stopped and fails with that reason
    should_stop: Callable[[], bool] | None = None  # asked every POLL_SECONDS; True stops the job at once
    cleanup: tuple[Path, ...] = ()  # files or folders to remove if the owner dies (upload copies)
    temporary: tuple[Path, ...] = ()  # folders whose files named "<worker pid>-..." a dead worker left
    progress: Callable[[], None] | None = field(default=None)  # called about every POLL_SECONDS


class Executor(Protocol):
    """Runs a picklable job on each item and yields each outcome as it finishes, in any order.

    The job itself must not raise: it turns per-item failures into its result. The executor only reports
    what the job cannot: its process dying, an item running past `control.item_seconds`, or the job being
    stopped (`control.should_stop`), which yields every item not done as `stopped`. A Celery or Dask
    executor implements this one method.
    """

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
    ) -> Iterator[JobOutcome[Item, Result]]: ...


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    connection: Connection
    item: tuple[int, Any] | None = None
    started: float = 0.0


class LocalProcessExecutor:
    """Worker processes on this machine, at most `workers` at once, that die with the process owning them."""

    def __init__(self, workers: int = 2, context: BaseContext | None = None) -> None:
        self.workers = max(1, workers)
        # spawn: a worker starts from a clean interpreter, not a copy of a threaded web server, and its
        # parent is the owner itself, so the kernel's parent-death signal reaches it.
        self.context = context or multiprocessing.get_context("spawn")

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
    ) -> Iterator[JobOutcome[Item, Result]]:
        control = control or JobControl()
        pending: deque[tuple[int, Item]] = deque(enumerate(items))
        workers: list[_Worker] = []
        janitor = _Janitor.start(control)
        last_poll = 0.0
        try:
            while pending or any(w.item is not None for w in workers):
                now = time.monotonic()
                if now - last_poll >= POLL_SECONDS:
                    last_poll = now
                    if control.progress is not None:
                        control.progress()
                    if control.should_stop is not None and control.should_stop():
                        for worker in workers:
                            if worker.item is not None:
                                yield JobOutcome(worker.item[1], stopped=True)
                                worker.item = None
                            _kill(worker, control.temporary)
                        workers.clear()
                        while pending:
                            yield JobOutcome(pending.popleft()[1], stopped=True)
                        return
                for worker in workers:
                    if worker.item is None and pending:
                        self._give(worker, pending.popleft())
                while pending and len(workers) < self.workers:
                    worker = self._start(job, janitor.group)
                    workers.append(worker)
                    self._give(worker, pending.popleft())
                yield from self._collect(workers, control)
        finally:
            for worker in workers:
                _stop(worker, control.temporary)
            janitor.finish()

    def _start(self, job: Callable[[Any], Any], group: int | None) -> _Worker:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_work, args=(theirs, os.getpid(), group), name="disentangle-worker", daemon=True
        )
        process.start()
        theirs.close()
        ours.send(job)
        return _Worker(process, ours)

    @staticmethod
    def _give(worker: _Worker, item: tuple[int, Any]) -> None:
        worker.item = item
        worker.started = time.monotonic()
        with contextlib.suppress(OSError, ValueError):  # a worker already gone: _collect reports it
            worker.connection.send(item[1])

    def _collect(self, workers: list[_Worker], control: JobControl) -> Iterator[JobOutcome[Any, Any]]:
        busy = [w for w in workers if w.item is not None]
        if not busy:
            return
        timeout = POLL_SECONDS
        if control.item_seconds is not None:
            left = min(w.started + control.item_seconds for w in busy) - time.monotonic()
            timeout = max(0.0, min(timeout, left))
        ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout))
        for worker in busy:
            assert worker.item is not None
            item = worker.item[1]
            if worker.connection in ready or worker.process.sentinel in ready:
                try:
                    status, value = worker.connection.recv()
                except (EOFError, OSError):
                    worker.item = None
                    _kill(worker, control.temporary)
                    workers.remove(worker)
                    yield JobOutcome(item, crash="the process reading it crashed")
                    continue
                worker.item = None
                if status == "ok":
                    yield JobOutcome(item, result=value)
                else:  # the job broke its promise not to raise; report, do not stop
                    yield JobOutcome(item, crash=f"the job failed: {value}")
            elif (
                control.item_seconds is not None and time.monotonic() - worker.started > control.item_seconds
            ):
                worker.item = None
                _kill(worker, control.temporary)
                workers.remove(worker)
                yield JobOutcome(
                    item, crash=f"stopped: reading it took longer than {control.item_seconds:g} s (the limit)"
                )


def _kill(worker: _Worker, temporary: Sequence[Path] = ()) -> None:
    """End a worker now with the programs it started (Tesseract), and remove what it left half-written
    (its files are named after its pid)."""
    children = descendants(worker.process.pid) if worker.process.pid is not None else []
    with contextlib.suppress(Exception):
        worker.process.kill()
    for pid in children:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        worker.process.join(timeout=5)
    with contextlib.suppress(Exception):
        worker.connection.close()
    prefix = f"{worker.process.pid}-"
    for folder in temporary:
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.name.startswith(prefix):
                    entry.unlink(missing_ok=True)


def _stop(worker: _Worker, temporary: Sequence[Path]) -> None:
    """Ask an idle worker to exit; kill a busy one (the job is ending: nobody will read its result)."""
    if worker.item is None:
        with contextlib.suppress(Exception):
            worker.connection.send(None)
        worker.process.join(timeout=2)
    _kill(worker, temporary)


# -------------------------------------------------------------------------------------- inside a worker


def _work(connection: Connection, owner: int, group: int | None) -> None:
    """A worker's life: die with the owner; run the job on each item it is sent until told to stop."""
    die_with_owner(owner, group)
    job = connection.recv()
    while True:
        try:
            item = connection.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        try:
            result = job(item)
        except BaseException as exc:
            connection.send(("error", f"{type(exc).__name__}: {exc}"))
        else:
            connection.send(("ok", result))


def die_with_owner(owner: int, group: int | None = None) -> None:
    """Make this process end when `owner` does: the kernel's parent-death signal, and a watching thread.

    `group` is the janitor's process group, joined so that the janitor can end this process and the
    programs it starts (Tesseract) together."""
    if group is not None:
        with contextlib.suppress(OSError):
            os.setpgid(0, group)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != owner:  # the owner died before the signal was asked for
        os._exit(1)
    threading.Thread(target=_watch, args=(owner,), name="die-with-owner", daemon=True).start()


def _watch(owner: int) -> None:
    descriptor: int | None = None
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.pidfd_open(owner)  # readable when the owner exits (Linux 5.3+)
    if descriptor is not None:
        select.select([descriptor], [], [])
        os._exit(1)
    while os.getppid() == owner:
        time.sleep(0.5)
    os._exit(1)


# -------------------------------------------------------------------------------------- the janitor


class _Janitor:
    """The process that cleans up if the owner dies: it holds a pipe whose other end only the owner has."""

    def __init__(self, process: subprocess.Popen[bytes] | None) -> None:
        self.process = process

    @property
    def group(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @classmethod
    def start(cls, control: JobControl) -> _Janitor:
        if os.name != "posix":
            return cls(None)
        # Run as a file, isolated (-I): it needs the standard library only, so it starts in milliseconds.
        arguments = [sys.executable, "-I", str(Path(__file__).with_name("_janitor.py"))]
        arguments += [f"--remove={path}" for path in control.cleanup]
        arguments += [f"--temporary={path}" for path in control.temporary]
        try:
            process = subprocess.Popen(
                arguments,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                process_group=0,  # its own group, which the workers join; terminal signals skip it
                close_fds=True,
            )
        except OSError:
            return cls(None)
        return cls(process)

    def finish(self) -> None:
        """The job ended in the owner's hands: tell the janitor there is nothing to clean."""
        if self.process is None or self.process.stdin is None:
            return
        with contextlib.suppress(OSError):
            self.process.stdin.write(b"done\n")
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
