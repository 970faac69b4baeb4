"""The Celery path for real: a Redis broker on 127.0.0.1, `disentangle worker` subprocesses, PostgreSQL.

Skipped (cleanly) when Redis or PostgreSQL cannot be reached. A worker is killed with SIGKILL in the
middle of a multi-page OCR job: the job still completes, and every page is read into the store once.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from disentangle import letters
from disentangle.ingest import CeleryExecutor, read_document
from disentangle.letters._campaigns import bundle_zip
from disentangle.model import PageMethod
from disentangle.registry import tables as t
from disentangle.workspace import Workspace
from scans import page_words, scanned_pdf

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 13  # this module's own database on the broker, flushed before each test


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# A queue of this run's own (one Celery app per process keeps its queue): another run on the same broker
# never takes its tasks.
QUEUE = f"disentangle-test-{uuid.uuid4().hex}"


@pytest.fixture
def broker() -> str:
    if not _reachable(REDIS_HOST, REDIS_PORT):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: the Celery path needs a real broker")
    redis = pytest.importorskip("redis")
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    redis.Redis.from_url(url).ping()
    return url


@pytest.fixture
def shared(
    broker: str, postgres_url: str, postgres_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Workspace, Callable[[int], subprocess.Popen[bytes]]]]:
    """The submitter's workspace on PostgreSQL with the broker set, and a way to start workers."""
    separator = "&" if "?" in postgres_url else "?"
    database = f"{postgres_url}{separator}options=-csearch_path%3D{postgres_schema}"
    monkeypatch.setenv("DISENTANGLE_BROKER_URL", broker)
    monkeypatch.setenv("DISENTANGLE_QUEUE", QUEUE)
    workspace = Workspace(tmp_path / "server", database_url=database)
    started: list[subprocess.Popen[bytes]] = []

    def start_worker(concurrency: int = 1) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DISENTANGLE_BROKER_URL": broker,
            "DISENTANGLE_QUEUE": QUEUE,
            "DISENTANGLE_DATABASE_URL": database,
            "DISENTANGLE_HOME": str(tmp_path / f"worker-{len(started)}"),
            "DISENTANGLE_TASK_VISIBILITY_SECONDS": "6",
            "C_FORCE_ROOT": "1",  # these machines run tests as root; a deployment runs workers as a user
            "OMP_THREAD_LIMIT": "1",
        }
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "disentangle", "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the test can kill the worker and its pool
        )
        started.append(process)
        return process

    try:
        yield workspace, start_worker
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        workspace.close()


def wait_for_workers(broker: str, count: int, seconds: float = 60) -> None:
    executor = CeleryExecutor(broker)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(executor.workers(timeout=1.0)) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"{count} worker(s) did not start within {seconds} s")


def page_rows(workspace: Workspace, sha256: str | None = None) -> list[Any]:
    o = t.ocr_pages
    query = select(o)
    if sha256:
        query = query.where(o.c.sha256 == sha256)
    with workspace.store.read() as connection:
        return list(connection.execute(query.order_by(o.c.sha256, o.c.page)))


def test_ingest_runs_on_celery_workers_and_reads_as_the_local_pool_does(
    shared: tuple[Workspace, Callable[[int], subprocess.Popen[bytes]]], broker: str, tmp_path: Path
) -> None:
    workspace, start_worker = shared
    start_worker(2)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scan = scanned_pdf(inbox / "release.pdf", 5)
    (inbox / "note.txt").write_text("Memorandum of agreement between the county and ICE.\n")
    (inbox / "copy-of-release.pdf").write_bytes(scan.read_bytes())
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    wait_for_workers(broker, 1)

    results: list[Any] = []
    progress: list[tuple[int, int]] = []
    summary = workspace.ingest(
        [inbox], progress=results.append, on_pages=lambda p: progress.append((p.read, p.total))
    )

    assert (summary.documents, summary.new, summary.already_stored) == (3, 2, 1)
    assert summary.ocr_pages == 10 and len(summary.failures) == 1
    assert "broken.pdf" in summary.failures[0][0] and "truncated PDF" in summary.failures[0][1]
    assert progress[-1] == (5, 5) and sorted(progress) == progress  # pages counted as workers read them
    sha256 = next(r.sha256 for r in results if r.filename == "release.pdf")
    stored = workspace.documents.get(sha256)
    assert stored == read_document(scan)  # the same Document the local pool makes, page for page
    rows = page_rows(workspace, sha256)
    assert [(row.page, row.state, row.attempts) for row in rows] == [(n, "read", 1) for n in range(1, 6)]
    # Originals live in the database, not in the submitter's folder: a worker elsewhere reads them.
    assert not (tmp_path / "server" / "documents" / "originals").exists()
    listed = {row.filename: row for row in workspace.document_list()}
    assert listed["release.pdf"].ocr_pages == 5 and listed["note.txt"].pages == 1


@pytest.mark.parametrize("victim", ["pool-process", "whole-worker"])
def test_a_worker_killed_mid_ocr_loses_no_page_and_duplicates_none(
    shared: tuple[Workspace, Callable[[int], subprocess.Popen[bytes]]],
    broker: str,
    tmp_path: Path,
    victim: str,
) -> None:
    """SIGKILL the process reading a page (Celery puts the task back at once), or the whole worker with its
    pool (the broker gives its unacknowledged task to the other worker once its visibility time passes)."""
    workspace, start_worker = shared
    first, second = start_worker(1), start_worker(1)
    pages = 12
    scan = scanned_pdf(tmp_path / "release.pdf", pages)
    wait_for_workers(broker, 2)
    done: dict[str, Any] = {}

    def submit() -> None:
        done["summary"] = workspace.ingest([scan])

    submitter = threading.Thread(target=submit)
    submitter.start()
    # Wait until a page is claimed and its reading is under way, then kill the process reading it. A page
    # may be finished between our look and the kill: then the kill missed it, and we aim again.
    deadline = time.monotonic() + 120
    killed: int | None = None
    workers = [first, second]
    while killed is None and time.monotonic() < deadline:
        rows = page_rows(workspace)
        claimed = [row for row in rows if row.state == "claimed"]
        if claimed and any(row.state == "read" for row in rows):
            target = claimed[0]
            pid = int(target.worker.rsplit(":", 1)[1])
            if victim == "pool-process":
                os.kill(pid, signal.SIGKILL)
            else:
                owner = next(p for p in workers if p.poll() is None and os.getpgid(pid) == p.pid)
                os.killpg(owner.pid, signal.SIGKILL)
                workers.append(start_worker(1))  # keep two alive, as a second kill may be needed
            time.sleep(0.3)
            after = next(row for row in page_rows(workspace) if row.page == target.page)
            if after.state == "claimed" or after.attempts > target.attempts:
                killed = target.page  # it died mid-page: nobody had finished it
        time.sleep(0.05)
    assert killed is not None, "no page was claimed in time"
    submitter.join(timeout=240)
    assert not submitter.is_alive(), "the job did not complete after the worker was killed"

    summary = done["summary"]
    assert (summary.documents, summary.ocr_pages, summary.failures) == (1, pages, [])
    sha256 = workspace.documents.documents()[0]
    rows = page_rows(workspace, sha256)
    assert [row.page for row in rows] == list(range(1, pages + 1))  # each page once: keyed by (sha, page)
    assert {row.state for row in rows} == {"read"}
    assert next(row.attempts for row in rows if row.page == killed) >= 2  # started again after the kill
    document = workspace.documents.get(sha256)
    assert [page.number for page in document.pages] == list(range(1, pages + 1))
    for page in document.pages:
        assert page.method is PageMethod.OCR
        assert page_words(page.number) in " ".join(page.text.split())


def test_a_web_upload_is_read_on_workers_with_its_pages_counted(
    shared: tuple[Workspace, Callable[[int], subprocess.Popen[bytes]]], broker: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from disentangle.web import create_app

    workspace, start_worker = shared
    start_worker(2)
    scan = scanned_pdf(tmp_path / "release.pdf", 4).read_bytes()
    wait_for_workers(broker, 1)
    with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["database"] == "ok" and ready.json()["broker"] == "ok"
        assert int(ready.json()["workers"]) >= 1
        assert client.get("/healthz").json() == {"status": "ok"}
        form = client.get("/documents/upload").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        parts = [("files", ("release.pdf", scan, "application/pdf"))]
        posted = client.post(
            "/documents/upload", data={"csrf_token": token.group(1)}, files=parts, follow_redirects=False
        )
        assert posted.status_code == 303, posted.text
        job_id = posted.headers["location"].rsplit("/", 1)[-1]
        seen: set[tuple[int, int]] = set()
        deadline = time.monotonic() + 120
        while True:
            job = client.get(f"/api/jobs/{job_id}").json()
            entry = job["files"][0]
            if entry.get("ocr_total"):
                seen.add((entry["ocr_read"], entry["ocr_total"]))
            if job["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["status"] == "done" and entry["state"] == "stored", entry.get("error")
        assert (4, 4) in seen  # the job counted the scanned pages as workers read them
        page = client.get(f"/documents/{entry['sha256']}")
        assert page.status_code == 200 and "Page 3" in page.text


def test_a_campaigns_letters_are_rendered_on_the_workers_as_they_would_be_here(
    shared: tuple[Workspace, Callable[[int], subprocess.Popen[bytes]]],
    broker: str,
    registry_copy: Callable[[str], Workspace],
) -> None:
    _, start_worker = shared
    start_worker(2)
    workspace = registry_copy("campaign-on-workers")  # the broker is set: its letters go to the workers
    requester = letters.Requester(name="A. Organizer", email="organizer@example.org")
    today = date(2026, 12, 7)
    started = workspace.start_campaign("tff-mou", "Los Angeles County, CA", requester, today=today)
    count = len(started["requests"])
    assert count > 40
    wait_for_workers(broker, 1)

    told: list[tuple[int, int]] = []
    bundled = workspace.campaign_bundle(started["id"], "html", progress=lambda d, n: told.append((d, n)))
    on_workers = zipfile.ZipFile(io.BytesIO(bundled))
    here = zipfile.ZipFile(io.BytesIO(bundle_zip(workspace.campaign_letters(started["id"]), "html")))
    assert told == [(n, count) for n in range(1, count + 1)]  # every letter counted once, as it came back
    assert on_workers.namelist() == here.namelist() and len(here.namelist()) == count + 1  # + the CSV
    assert all(on_workers.read(name) == here.read(name) for name in here.namelist())

    files = workspace.campaign_letter_files(started["id"], "pdf", CeleryExecutor(broker))
    assert sorted(f.request_id for f in files) == sorted(r["id"] for r in started["requests"])
    assert all(f.data.startswith(b"%PDF") for f in files)
    makers = {f.by for f in files}
    assert f"{socket.gethostname()}:{os.getpid()}" not in makers  # rendered by worker processes, not here
    assert all(by.split(":")[1].isdigit() for by in makers)


def test_readiness_names_an_unreachable_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from disentangle.web import create_app

    pytest.importorskip("celery")
    monkeypatch.setenv("DISENTANGLE_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    workspace = Workspace(tmp_path / "w")
    try:
        with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as client:
            answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
    finally:
        workspace.close()
