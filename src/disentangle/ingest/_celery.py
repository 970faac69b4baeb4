"""Jobs on Celery workers, on this machine or any other that reaches the broker: the Executor seam.

`CeleryExecutor(broker_url).map_unordered(job, items)` sends one task per item and yields each outcome
as it finishes, as `LocalProcessExecutor` does. `disentangle worker` runs the consumer (`run_worker`).

Every task is acknowledged late (after it finishes) and rejected back to the queue when the process
running it dies, so a worker killed mid-task loses nothing: another worker runs it again. The jobs are
idempotent (keyed by content hash and page), so running one twice duplicates nothing. A task whose
process dies `MAX_DELIVERIES` times (a file that crashes the reader every time) is reported as a crash
instead of being tried forever; a task that raises is retried `MAX_RETRIES` times, then reported.

Tasks carry pickled jobs: the broker must be reachable only by the coalition's own machines (a password
on Redis, a private network or TLS): see docs/deploy.md.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from disentangle.errors import InputError
from disentangle.ingest._jobs import POLL_SECONDS as JOB_POLL_SECONDS
from disentangle.ingest._jobs import JobControl, JobOutcome

Item = TypeVar("Item")
Result = TypeVar("Result")

BROKER_ENV = "DISENTANGLE_BROKER_URL"
VISIBILITY_ENV = "DISENTANGLE_TASK_VISIBILITY_SECONDS"
QUEUE_ENV = "DISENTANGLE_QUEUE"  # the queue name: servers sharing one broker keep to their own
TASK_NAME = "disentangle.run"
MAX_RETRIES = 3
MAX_DELIVERIES = 3
# How long a task taken by a worker that vanished whole (its machine lost) waits before another worker
# gets it. Tasks are one page or one document's text layer: minutes are plenty.
DEFAULT_VISIBILITY_SECONDS = 600
POLL_SECONDS = 0.05


def broker_url() -> str | None:
    """The broker named by $DISENTANGLE_BROKER_URL, or None (jobs run in local processes)."""
    return os.environ.get(BROKER_ENV) or None


@cache
def celery_app(url: str) -> Any:
    """The Celery application for a broker (its result backend is the same Redis), with our one task."""
    try:
        from celery import Celery
    except ImportError as exc:  # an optional dependency: laptops never need it
        raise InputError(
            "a broker is configured but Celery is not installed: pip install 'disentangle-watch[server]'"
        ) from exc
    if not url.startswith(("redis://", "rediss://")):
        raise InputError(f"the broker must be a Redis URL (redis://host:6379/0), not {url.split(':')[0]}://…")
    app = Celery("disentangle", broker=url, backend=url, set_as_current=False)
    visibility = int(os.environ.get(VISIBILITY_ENV) or DEFAULT_VISIBILITY_SECONDS)
    app.conf.update(
        task_serializer="pickle",
        result_serializer="pickle",
        accept_content=["pickle"],
        task_default_queue=os.environ.get(QUEUE_ENV) or "disentangle",
        task_acks_late=True,  # acknowledged when done: a worker killed mid-task leaves it in the queue
        task_reject_on_worker_lost=True,  # ... and a pool process killed mid-task puts it back at once
        worker_prefetch_multiplier=1,  # one task at a time per process: pages spread over all workers
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )

    @app.task(name=TASK_NAME, bind=True, max_retries=MAX_RETRIES)
    def run(self: Any, job: Callable[[Any], Any], item: Any) -> tuple[str, Any]:
        deliveries = _count_delivery(app, self.request.id, self.request.retries or 0)
        if deliveries > MAX_DELIVERIES:
            return "crash", f"the process reading it died {MAX_DELIVERIES} times"
        try:
            return "ok", job(item)
        except Exception as exc:  # the job broke its promise not to raise: a passing fault, maybe
            if self.request.retries >= MAX_RETRIES:
                return "crash", f"the job failed {MAX_RETRIES + 1} times: {type(exc).__name__}: {exc}"
            raise self.retry(exc=exc, countdown=min(30, 2**self.request.retries)) from exc

    return app


def _count_delivery(app: Any, task_id: str, retries: int) -> int:
    """How many times this task has started (a redelivery after a killed worker counts again); kept in the
    result backend's Redis so every worker sees the same count."""
    key = f"disentangle-deliveries-{task_id}-{retries}"
    client = app.backend.client
    count = int(client.incr(key))
    client.expire(key, 24 * 3600)
    return count


class CeleryExecutor:
    """Runs each item's job as a Celery task and yields outcomes as they finish (the Executor protocol)."""

    def __init__(self, url: str, *, on_wait: Callable[[int, int], None] | None = None) -> None:
        self.url = url
        self.app = celery_app(url)
        self.on_wait = on_wait  # called now and then with (finished, sent) while waiting

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
    ) -> Iterator[JobOutcome[Item, Result]]:
        """`control.should_stop` revokes the tasks not finished (a task already running finishes; its
        result is dropped) and yields them as stopped; `control.item_seconds` is not enforced here."""
        control = control or JobControl()
        task = self.app.tasks[TASK_NAME]
        backend = self.app.backend
        pending = {task.apply_async((job, item)).id: item for item in items}
        sent, finished, last_report, last_poll = len(pending), 0, time.monotonic(), 0.0
        try:
            while pending:
                now = time.monotonic()
                if now - last_poll >= JOB_POLL_SECONDS:
                    last_poll = now
                    if control.progress is not None:
                        control.progress()
                    if control.should_stop is not None and control.should_stop():
                        self.app.control.revoke(list(pending))
                        for task_id in list(pending):
                            yield JobOutcome(pending.pop(task_id), stopped=True)
                        return
                # One MGET for every task still out: polling each result would cost a round trip each.
                ids = list(pending)
                raw = backend.client.mget([backend.get_key_for_task(task_id) for task_id in ids])
                done = 0
                for task_id, value in zip(ids, raw, strict=True):
                    if value is None:
                        continue
                    meta = backend.decode_result(value)
                    if meta.get("status") not in ("SUCCESS", "FAILURE", "REVOKED"):
                        continue
                    item = pending.pop(task_id)
                    backend.forget(task_id)
                    finished += 1
                    done += 1
                    yield _outcome(item, meta)
                if not done:
                    now = time.monotonic()
                    if self.on_wait is not None and now - last_report > 5:
                        self.on_wait(finished, sent)
                        last_report = now
                    time.sleep(POLL_SECONDS)
        finally:
            for task_id in pending:  # the caller stopped listening: tasks already sent still run once
                backend.forget(task_id)

    def workers(self, timeout: float = 2.0) -> list[str]:
        """The workers answering on this broker now (by name)."""
        replies = self.app.control.ping(timeout=timeout) or []
        return sorted(name for reply in replies for name in reply)


def _outcome(item: Item, meta: dict[str, Any]) -> JobOutcome[Item, Any]:
    if meta.get("status") != "SUCCESS":
        return JobOutcome(item, crash=f"the task failed: {meta.get('result')!r}")
    kind, value = meta["result"]
    if kind == "ok":
        return JobOutcome(item, result=value)
    return JobOutcome(item, crash=str(value))


def run_worker(url: str, concurrency: int, *, loglevel: str = "WARNING") -> None:
    """Consume tasks until stopped (SIGTERM finishes the tasks in hand; SIGKILL loses none of them)."""
    app = celery_app(url)
    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={max(1, concurrency)}",
            f"--loglevel={loglevel}",
            f"--hostname=disentangle-{os.getpid()}@{socket.gethostname()}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ]
    )
