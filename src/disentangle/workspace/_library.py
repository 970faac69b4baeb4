"""The document library: stored documents with what was read from them, and background ingestion jobs."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from disentangle import __version__, extract, ingest
from disentangle.errors import DisentangleError, InputError, NotFoundError, StoreBusyError
from disentangle.ingest._base import HEAD_BYTES, NO_BID, describe_head
from disentangle.limits import LIMITS
from disentangle.model import Document, PageMethod
from disentangle.registry import tables as t
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._fanout import FanOutMixin, PageProgress

MAX_UPLOAD_BYTES = LIMITS.max_bytes  # one file; the largest agreement in the corpus is under 20 MB
MAX_UPLOAD_FILES = 50  # one upload; a folder's worth of agreements, read two at a time
UPLOADS = "uploads"  # the folder in the workspace where uploads wait to be read, removed afterwards
_ZIP_MAGIC = b"PK\x03\x04"  # a DOCX is a zip whose word/ entry may start past the first bytes
_READING_COLUMNS = ("extraction", "judgement", "comparison", "redline")  # the heavy ones


class JobStatus(StrEnum):
    """Where an ingestion job stands."""

    QUEUED = "queued"  # recorded; its files wait for a worker
    RUNNING = "running"  # files are being read
    DONE = "done"  # every file has an outcome (stored, already stored or failed)
    CANCELLED = "cancelled"  # a person stopped it; files not read say so
    INTERRUPTED = "interrupted"  # it stopped before every file had an outcome (server stopped, budget spent)


# A running job's thread touches its row this often; a queued or running job not touched for STALE_AFTER
# lost the process that ran it (a server killed or restarted) and is shown as interrupted.
HEARTBEAT_SECONDS = 10.0
STALE_AFTER = timedelta(seconds=60)
CANCEL_POLL_SECONDS = 1.0  # how often a running job looks for a person's cancel
JOB_RECORD_PATIENCE = 600.0  # how long a job waits out a locked database to record an outcome
RUNNING_JOBS = 1  # jobs reading at once in one process (each with its own worker processes); others queue
_RUNNING = threading.BoundedSemaphore(RUNNING_JOBS)


@dataclass(frozen=True, slots=True)
class JobBudget:
    """What one ingestion job may spend before it is stopped, and one file of it."""

    seconds: float = 2 * 3600.0  # the whole job
    pages: int = 10_000  # pages read by the whole job
    file_seconds: float = 40 * 60.0  # one file (OCR of a 1,000-page scan fits)


def _patiently(write: Callable[[], Any], patience: float = JOB_RECORD_PATIENCE) -> Any:
    """Run a write again with backoff while the database is busy, up to `patience` seconds."""
    deadline = time.monotonic() + patience
    pause = 0.05
    while True:
        try:
            return write()
        except StoreBusyError:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


class FileState(StrEnum):
    """What became of one file of a job."""

    WAITING = "waiting"  # not read yet
    STORED = "stored"  # new in the library, and read
    ALREADY_STORED = "already-stored"  # the same bytes were already in the library: nothing changed
    FAILED = "failed"  # refused or unreadable; `error` says why


class DocumentState(StrEnum):
    """Where a stored document stands."""

    STORED = "stored"  # the original and its pages are stored; what it says is not read yet
    READ = "read"  # extracted, linked and judged by this version


@dataclass(frozen=True, slots=True)
class LibraryDocument:
    """One stored document as `disentangle documents` lists it."""

    sha256: str
    filename: str
    pages: int
    ocr_pages: int
    state: DocumentState
    organisation: str | None  # the organisation it belongs to; None in a single-user workspace

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "filename": self.filename,
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "state": self.state.value,
            "organisation": self.organisation,
        }


@dataclass(frozen=True, slots=True)
class LibraryReader:
    """How a worker process opens the same workspace (picklable: paths and the database URL)."""

    home: Path
    database_url: str
    schema: str | None
    data_dir: Path | None
    ocr_workers: int

    def open(self) -> LibraryMixin:
        return LibraryMixin(
            self.home, database_url=self.database_url, data_dir=self.data_dir, schema=self.schema
        )


def upload_refusal(path: Path, size_limit: int = MAX_UPLOAD_BYTES) -> str | None:
    """Why an uploaded file is not taken (too big, empty, or not a format we read by its content), or None.

    The content decides, not the name: a program renamed "agreement.pdf" is refused here."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if size == 0:
        return "empty file (0 bytes)"
    if size > size_limit:
        return f"too large: more than {size_limit // (1024 * 1024)} MB (the limit for one file)"
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    sniffed = max(ingestor.content_score(head) for ingestor in ingest.DEFAULT_INGESTORS)
    if sniffed > NO_BID or head.startswith(_ZIP_MAGIC):
        return None
    return (
        "not a PDF, Word (.docx), HTML, text or image (PNG, JPEG, TIFF) file: "
        f"its content starts with {describe_head(head)}"
    )


def read_upload(reader: LibraryReader, item: tuple[int, str, str]) -> dict[str, Any]:
    """The job run in a worker process: store one file and read it; never raises for a bad file."""
    index, path, name = item
    try:
        workspace = reader.open()
        try:
            store = replace(workspace.documents, ocr_workers=reader.ocr_workers)
            document, new = store.add(Path(path), name=name)
            reading = None if workspace._current_reading(document.sha256) else workspace._read(document)
        finally:
            workspace.close()
    except DisentangleError as exc:
        return {"index": index, "error": getattr(exc, "problem", str(exc))}
    except Exception as exc:  # a bug must not stop the batch: it is reported like a bad file
        return {"index": index, "error": f"unexpected {type(exc).__name__}: {exc}"}
    return {
        "index": index,
        "sha256": document.sha256,
        "filename": document.filename,
        "new": new,
        "pages": len(document.pages),
        "reading": reading,
    }


class LibraryMixin(FanOutMixin):
    """Documents a person has brought, and the jobs that read them."""

    # ------------------------------------------------------------------ the library

    def library(self) -> list[dict[str, Any]]:
        """Every stored document with what was read from it (kind, agency, state, dates, registry link),
        most recently read first; documents stored but not read yet (`disentangle ingest`) come last."""
        r = t.document_readings
        columns = [c for c in r.c if c.name not in _READING_COLUMNS]
        with self.store.read() as connection:
            rows = {row.sha256: row for row in connection.execute(select(*columns))}
        entries: list[dict[str, Any]] = []
        stored = self.documents.documents()
        seen = self.visible(HoldingKind.DOCUMENT, stored)
        for sha256 in (s for s in stored if s in seen):
            row = rows.get(sha256)
            if row is not None:
                entries.append({**_summary(row._mapping), "read": True})
                continue
            try:
                document = self.documents.get(sha256)
            except DisentangleError:  # a pages file broken on disk: listed, not fatal for the list
                continue
            entries.append(
                {
                    "sha256": sha256,
                    "filename": document.filename,
                    "media_type": document.media_type,
                    "pages": len(document.pages),
                    "ocr_pages": sum(p.method is PageMethod.OCR for p in document.pages),
                    "kind": None,
                    "agency_name": None,
                    "state": None,
                    "signed": None,
                    "agreement_id": None,
                    "confidence": None,
                    "extractor_version": None,
                    "read_at": None,
                    "read": False,
                }
            )
        with self.store.read() as connection:
            found = {
                row.sha256: row
                for row in connection.execute(
                    select(
                        t.found_agreements.c.sha256,
                        t.found_agreements.c.agreement_id,
                        t.found_agreements.c.review,
                    )
                )
            }
        for entry in entries:  # a document read as an agreement is that agreement's, whatever ICE lists
            if entry["sha256"] in found:
                entry["agreement_id"] = found[entry["sha256"]].agreement_id
                entry["review"] = found[entry["sha256"]].review
        entries.sort(key=lambda e: (e["read_at"] or "", e["filename"].casefold()), reverse=True)
        return entries

    def document_list(self) -> list[LibraryDocument]:
        """Every stored document (sha256 order): file name, pages, OCR pages, state and organisation."""
        r = t.document_readings
        with self.store.read() as connection:
            read = {
                row.sha256
                for row in connection.execute(select(r.c.sha256).where(r.c.extractor_version == __version__))
            }
        owners = self._document_organisations()
        found: list[LibraryDocument] = []
        stored = self.documents.documents()
        seen = self.visible(HoldingKind.DOCUMENT, stored)
        for sha256 in (s for s in stored if s in seen):
            try:
                document = self.documents.get(sha256)
            except DisentangleError:  # a damaged pages file: not listed, not fatal for the list
                continue
            found.append(
                LibraryDocument(
                    sha256,
                    document.filename,
                    len(document.pages),
                    sum(p.method is PageMethod.OCR for p in document.pages),
                    DocumentState.READ if sha256 in read else DocumentState.STORED,
                    owners.get(sha256),
                )
            )
        return found

    def _document_organisations(self) -> dict[str, str]:
        """sha256 -> the organisations that hold a document (joined by ", " when several do)."""
        h, o = t.holdings, t.organisations
        with self.store.read() as connection:
            rows = connection.execute(
                select(h.c.key, o.c.name)
                .join(o, o.c.id == h.c.organisation_id)
                .where(h.c.kind == HoldingKind.DOCUMENT.value)
                .order_by(o.c.name)
            ).all()
        names: dict[str, list[str]] = {}
        for row in rows:
            names.setdefault(row.key, []).append(row.name)
        return {key: ", ".join(value) for key, value in names.items()}

    def reading(self, sha256: str) -> dict[str, Any]:
        """What was read from a stored document: its extraction, registry link, validity judgement and
        comparison with its template. Read now (and stored) if it never was, or by an older version.
        Another organisation's public document is read only through its published copy."""
        self.require_original(HoldingKind.DOCUMENT, sha256)
        row = self._current_reading(sha256)
        if row is not None:
            return row
        return self.read_stored(sha256)

    def read_stored(self, sha256: str) -> dict[str, Any]:
        """Read a stored document again and store the result (replacing an earlier reading)."""
        self.require_original(HoldingKind.DOCUMENT, sha256)
        values = self._read(self.documents.get(sha256))
        self._store_reading(values)
        found = self._current_reading(sha256)
        assert found is not None
        return found

    def _current_reading(self, sha256: str) -> dict[str, Any] | None:
        r = t.document_readings
        with self.store.read() as connection:
            row = connection.execute(select(r).where(r.c.sha256 == sha256)).first()
        if row is None or row.extractor_version != __version__:
            return None
        reading = _summary(row._mapping)
        reading.update({name: row._mapping[name] for name in _READING_COLUMNS})
        return reading

    def _read(self, document: Document) -> dict[str, Any]:
        """Extract, link, judge and compare one document. JSON-ready values, nothing stored (a worker
        process computes this; the process that owns the job stores it)."""
        extraction = extract.extract_agreement(document)
        judgement: dict[str, Any]
        try:
            judged = self.check_extraction(extraction)
            judgement = {k: v for k, v in judged.items() if k not in ("sha256", "kind")}
        except DisentangleError as exc:
            judgement = {
                "error": getattr(exc, "problem", str(exc)),
                "registry_match": self.link_extraction(extraction),
                "flags": [],
                "conflicts": [],
            }
        match = judgement.get("registry_match")
        if match:
            match["agency_id"] = self._agency_of_agreement(match["agreement_id"])
        comparison = extract.compare_to_template(extraction)
        signed = extraction.signed_date or extraction.effective_date
        return _json_ready(
            {
                "sha256": document.sha256,
                "filename": document.filename,
                "media_type": document.media_type,
                "pages": len(document.pages),
                "ocr_pages": sum(p.method is PageMethod.OCR for p in document.pages),
                "kind": extraction.kind,
                "agency_name": extraction.agency_name,
                "state": extraction.state,
                "signed": signed.isoformat() if signed else None,
                "agreement_id": match["agreement_id"] if match else None,
                "confidence": match["confidence"] if match else None,
                "extraction": extraction.to_json(),
                "judgement": judgement,
                "comparison": comparison.to_json(),
                "redline": comparison.to_html(),
                "extractor_version": __version__,
            }
        )

    def _agency_of_agreement(self, agreement_id: str) -> str | None:
        a = t.agreements
        with self.store.read() as connection:
            found = connection.scalar(select(a.c.agency_id).where(a.c.id == agreement_id))
        return str(found) if found else None

    def _store_reading(self, values: dict[str, Any]) -> None:
        r = t.document_readings
        row = {
            **values,
            "signed": date.fromisoformat(values["signed"]) if values.get("signed") else None,
            "read_at": datetime.now(UTC),
        }
        with self.store.transaction() as connection:
            public = connection.scalar(select(r.c.public).where(r.c.sha256 == values["sha256"]))
            connection.execute(delete(r).where(r.c.sha256 == values["sha256"]))
            connection.execute(r.insert().values(**row, public=public))
        self._after_reading(values)

    # ------------------------------------------------------------------ ingestion jobs

    def upload_folder(self) -> Path:
        """A new private folder in the workspace for one upload's files; the job removes it when done."""
        root = self.home / UPLOADS
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=root, prefix="upload-"))

    def start_ingest_job(
        self, files: Sequence[tuple[str, Path]], *, request_id: str | None = None
    ) -> dict[str, Any]:
        """Record a job for files (name as the person gave it, path of the bytes); refuse at once, each
        with its reason, files that are too big, empty or of a type not read. Run it with run_ingest_job.
        With `request_id` (see `start_request_upload`), each file stored is filed under that request."""
        if not files:
            raise InputError("no file to read: choose at least one PDF, Word, HTML, text or image file")
        if len(files) > MAX_UPLOAD_FILES:
            raise InputError(f"too many files: at most {MAX_UPLOAD_FILES} at once; send the rest after")
        self.require_editor()
        entries = []
        for index, (name, path) in enumerate(files):
            shown = ingest.sanitize_filename(name)
            refusal = upload_refusal(Path(path))
            entry: dict[str, Any] = {
                "index": index,
                "name": shown,
                "size": Path(path).stat().st_size if refusal is None else _size(Path(path)),
                "state": FileState.FAILED.value if refusal else FileState.WAITING.value,
                "error": refusal,
                "sha256": None,
                "path": str(path),
            }
            if request_id is not None:
                entry["request_id"] = request_id
            entries.append(entry)
            if refusal:
                _remove_upload(self.home, Path(path))
        failed = sum(e["state"] == FileState.FAILED for e in entries)
        now = datetime.now(UTC)
        job_id = uuid.uuid4().hex
        with self.store.transaction() as connection:
            connection.execute(
                t.ingest_jobs.insert().values(
                    id=job_id,
                    status=(JobStatus.QUEUED if failed < len(entries) else JobStatus.DONE).value,
                    total=len(entries),
                    done=failed,
                    failed=failed,
                    files=entries,
                    created_at=now,
                    updated_at=now,
                    finished_at=None if failed < len(entries) else now,
                )
            )
        self.hold(HoldingKind.JOB, job_id)
        self.audit("job.start", job_id, {"files": len(entries)})
        return self.ingest_job(job_id)

    def run_ingest_job(
        self,
        job_id: str,
        *,
        executor: ingest.Executor | None = None,
        workers: int = 2,
        stop: threading.Event | None = None,
        budget: JobBudget | None = None,
        fan_out: bool | None = None,
    ) -> dict[str, Any]:
        """Store and read a job's waiting files in worker processes, recording each outcome as it comes.

        The job's progress lives in the database, so any process can show it. A file that fails is
        recorded with its reason and the others go on; the uploaded copies are removed at the end. The job
        stops early when a person cancels it (`cancel_ingest_job`), when `stop` is set (the server is
        shutting down) or when it spends its `budget`; the files not read then say why. At most
        RUNNING_JOBS jobs read at once in one process; the others wait their turn, queued. With a broker
        configured (or `fan_out`), the files go to Celery workers, each PDF's OCR one task per page, and
        each file's entry counts its pages read as they come."""
        budget = budget or JobBudget()
        if executor is None:
            executor = self.executor()
        if fan_out is None:
            fan_out = isinstance(executor, ingest.CeleryExecutor)
        job = self._job_row(job_id)
        files: list[dict[str, Any]] = [dict(f) for f in job["files"]]
        waiting = [(f["index"], f["path"], f["name"]) for f in files if f["state"] == FileState.WAITING]
        if not waiting:
            self._save_job(job_id, files, JobStatus.DONE)
            return self.ingest_job(job_id)
        cancelled = threading.Event()
        if job.get("cancel"):  # cancelled while it waited to start
            cancelled.set()
        done_beating = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job_id, done_beating, cancelled), name=f"job-{job_id}", daemon=True
        )
        beat.start()
        status = JobStatus.INTERRUPTED
        why_stopped = "not read: the job stopped first"
        turn = False
        try:
            while not (turn := _RUNNING.acquire(timeout=0.5)):
                if cancelled.is_set() or (stop is not None and stop.is_set()):
                    break
            if turn:
                status, why_stopped = self._run_files(
                    job_id, files, waiting, executor, workers, stop, cancelled, budget, fan_out
                )
            elif cancelled.is_set():
                status, why_stopped = JobStatus.CANCELLED, "not read: the job was cancelled"
            else:
                why_stopped = "not read: the server stopped before the job's turn"
        finally:
            if turn:
                _RUNNING.release()
            done_beating.set()
            beat.join()
            for entry in files:
                if entry["state"] == FileState.WAITING:
                    entry.update(state=FileState.FAILED.value, error=why_stopped)
                _remove_upload(self.home, Path(entry["path"]))
            self._save_job(job_id, files, status)
            _remove_empty_folders(self.home, files)
        return self.ingest_job(job_id)

    def _run_files(
        self,
        job_id: str,
        files: list[dict[str, Any]],
        waiting: list[tuple[int, str, str]],
        executor: ingest.Executor | None,
        workers: int,
        stop: threading.Event | None,
        cancelled: threading.Event,
        budget: JobBudget,
        fan_out: bool = False,
    ) -> tuple[JobStatus, str]:
        """Read the waiting files of a job; (its final status, why files left unread were not read)."""
        self._save_job(job_id, files, JobStatus.RUNNING)
        cores = os.cpu_count() or 1
        reader = LibraryReader(
            self.home, self.store.url, self.store.schema, self._data_dir, max(1, cores // max(1, workers))
        )
        runner = executor or ingest.LocalProcessExecutor(workers)
        started = time.monotonic()
        pages = 0
        reason: list[str] = []  # why the job stopped early, once it has

        def should_stop() -> bool:
            if not reason:
                if cancelled.is_set():
                    reason.append("not read: the job was cancelled")
                elif stop is not None and stop.is_set():
                    reason.append("not read: the server stopped")
                elif time.monotonic() - started > budget.seconds:
                    reason.append(f"not read: the job's time budget of {budget.seconds:g} s was spent")
                elif pages > budget.pages:
                    reason.append(f"not read: the job's budget of {budget.pages:,} pages was spent")
            return bool(reason)

        uploads = (self.home / UPLOADS).resolve()
        folders = {Path(path).resolve().parent for _, path, _ in waiting}
        control = ingest.JobControl(
            item_seconds=budget.file_seconds,
            should_stop=should_stop,
            cleanup=tuple(sorted(f for f in folders if f.is_relative_to(uploads) and f != uploads)),
            temporary=(self.documents.root / "tmp",),
        )
        for result in (
            self._fanned_out(job_id, files, waiting, runner, control)
            if fan_out
            else self._in_processes(runner, reader, waiting, control, reason)
        ):
            entry = files[result["index"]]
            if result.get("error"):
                entry.update(state=FileState.FAILED.value, error=result["error"])
            else:
                # Held before its reading is stored: an agreement read from a private document must not
                # enter the shared registry.
                self.hold(HoldingKind.DOCUMENT, result["sha256"])
                if result.get("reading"):
                    _patiently(partial(self._store_reading, result["reading"]))
                self.audit("document.add", result["sha256"], {"job": job_id, "new": bool(result["new"])})
                state = FileState.STORED if result["new"] else FileState.ALREADY_STORED
                entry.update(
                    state=state.value,
                    sha256=result["sha256"],
                    stored_name=result["filename"],
                    pages=result["pages"],
                )
                _patiently(partial(self._after_job_file, entry))
                pages += int(result.get("pages") or 0)
            _remove_upload(self.home, Path(entry["path"]))
            self._save_job(job_id, files, JobStatus.RUNNING)
        if not reason:
            return JobStatus.DONE, "not read: the job stopped first"
        status = JobStatus.CANCELLED if cancelled.is_set() else JobStatus.INTERRUPTED
        return status, reason[0]

    def _in_processes(
        self,
        runner: ingest.Executor,
        reader: LibraryReader,
        waiting: list[tuple[int, str, str]],
        control: ingest.JobControl,
        reason: list[str],
    ) -> Iterator[dict[str, Any]]:
        """Each waiting file stored and read whole by one worker process."""
        for outcome in runner.map_unordered(partial(read_upload, reader), waiting, control):
            yield outcome.result or {
                "index": outcome.item[0],
                "error": (reason[0] if reason else "not read: the job was stopped")
                if outcome.stopped
                else outcome.crash or "lost by the executor",
            }

    def _fanned_out(
        self,
        job_id: str,
        files: list[dict[str, Any]],
        waiting: list[tuple[int, str, str]],
        executor: ingest.Executor,
        control: ingest.JobControl,
    ) -> Iterator[dict[str, Any]]:
        """The waiting files read on workers; each file's entry counts its OCR pages as they are read."""

        def pages_read(progress: PageProgress) -> None:
            files[progress.key].update(ocr_read=progress.read, ocr_total=progress.total)
            if progress.read == progress.total or progress.read % 5 == 0:
                self._save_job(job_id, files, JobStatus.RUNNING)

        items = [(index, Path(path), name) for index, path, name in waiting]
        for result in self.read_on_workers(
            items, executor, extract=True, on_pages=pages_read, control=control
        ):
            yield {**result, "index": result["key"]}

    def cancel_ingest_job(self, job_id: str) -> dict[str, Any]:
        """Ask a queued or running job to stop: its running files are stopped at once, the rest not read.
        The process running it stops within a second or two; a finished job is left as it is."""
        j = t.ingest_jobs
        job = self._job_row(job_id)
        if job["status"] not in (JobStatus.QUEUED, JobStatus.RUNNING):
            raise InputError(f"job {job_id} has already finished ({job['status']}); nothing to cancel")
        self.store.retrying(
            lambda connection: connection.execute(j.update().where(j.c.id == job_id).values(cancel=True)),
            patience=30.0,
        )
        return self.ingest_job(job_id)

    def _heartbeat(self, job_id: str, stop: threading.Event, cancelled: threading.Event) -> None:
        """Touch the job's row while it runs (the sign, for every process reading it, that it still
        does) and notice when a person cancels it. A busy or unreachable database is waited out: this
        thread never dies while its job runs."""
        j = t.ingest_jobs
        touched = time.monotonic()
        while not stop.wait(CANCEL_POLL_SECONDS):
            try:
                with self.store.read() as connection:
                    if connection.scalar(select(j.c.cancel).where(j.c.id == job_id)):
                        cancelled.set()
                if time.monotonic() - touched >= HEARTBEAT_SECONDS:
                    with self.store.transaction() as connection:
                        connection.execute(
                            j.update().where(j.c.id == job_id).values(updated_at=datetime.now(UTC))
                        )
                    touched = time.monotonic()
            except Exception:
                continue

    def ingest_job(self, job_id: str) -> dict[str, Any]:
        """A job and each file's outcome, as the job page and /api/jobs/{id} show it."""
        self.require_visible(HoldingKind.JOB, job_id)
        job = self._job_row(job_id)
        files = []
        for entry in job["files"]:
            public = {k: v for k, v in entry.items() if k != "path"}  # where it waited is nobody's business
            files.append(public)
        return {**job, "files": files}

    def ingest_jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest jobs, newest first, without their files."""
        j = t.ingest_jobs
        columns = [c for c in j.c if c.name != "files"]
        with self.store.read() as connection:
            rows = connection.execute(select(*columns).order_by(j.c.created_at.desc()).limit(limit)).all()
        seen = self.visible(HoldingKind.JOB, [row.id for row in rows])
        return [_job_json(row._mapping) for row in rows if row.id in seen]

    def _job_row(self, job_id: str) -> dict[str, Any]:
        j = t.ingest_jobs
        with self.store.read() as connection:
            row = connection.execute(select(j).where(j.c.id == str(job_id))).first()
        if row is None:
            raise NotFoundError(f"no ingestion job {job_id!r}")
        return _job_json(row._mapping)

    def _save_job(self, job_id: str, files: list[dict[str, Any]], status: JobStatus) -> None:
        """Record the job's state; waits out a busy database (an import holding the write lock) rather
        than lose an outcome."""
        done = sum(f["state"] != FileState.WAITING for f in files)
        failed = sum(f["state"] == FileState.FAILED for f in files)
        now = datetime.now(UTC)
        finished = status in (JobStatus.DONE, JobStatus.INTERRUPTED, JobStatus.CANCELLED)
        j = t.ingest_jobs

        def write(connection: Any) -> None:
            connection.execute(
                j.update()
                .where(j.c.id == job_id)
                .values(
                    status=status.value,
                    done=done,
                    failed=failed,
                    files=files,
                    updated_at=now,
                    finished_at=now if finished else None,
                )
            )

        self.store.retrying(write, patience=JOB_RECORD_PATIENCE)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _summary(row: Any) -> dict[str, Any]:
    """The light columns of a reading, JSON-ready."""
    return {
        "sha256": row["sha256"],
        "filename": row["filename"],
        "media_type": row["media_type"],
        "pages": row["pages"],
        "ocr_pages": row["ocr_pages"],
        "kind": row["kind"],
        "agency_name": row["agency_name"],
        "state": row["state"],
        "signed": row["signed"].isoformat() if row["signed"] else None,
        "agreement_id": row["agreement_id"],
        "confidence": row["confidence"],
        "extractor_version": row["extractor_version"],
        "read_at": _iso_time(row["read_at"]),
    }


def _job_json(row: Any, now: datetime | None = None) -> dict[str, Any]:
    job = dict(row)
    touched = job["updated_at"]
    if touched is not None and touched.tzinfo is None:
        touched = touched.replace(tzinfo=UTC)
    unfinished = job["status"] in (JobStatus.QUEUED, JobStatus.RUNNING)
    if unfinished and touched is not None and (now or datetime.now(UTC)) - touched > STALE_AFTER:
        # Nobody has run it for a while: the process that did stopped (a server killed mid-job).
        job["status"] = JobStatus.INTERRUPTED.value
        job["stalled"] = True
    for key in ("created_at", "updated_at", "finished_at"):
        job[key] = _iso_time(job[key])
    return job


def _iso_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    # Extracted values can be dates or numbers of any type; the store and the API want plain JSON.
    ready: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return ready


def _remove_upload(home: Path, path: Path) -> None:
    """Delete an uploaded copy once read, but only inside the workspace's uploads folder: files a
    caller ingests from elsewhere are the person's own and are never touched."""
    root = (home / UPLOADS).resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(root) and resolved != root:
        resolved.unlink(missing_ok=True)


def _remove_empty_folders(home: Path, files: list[dict[str, Any]]) -> None:
    root = (home / UPLOADS).resolve()
    for folder in {Path(f["path"]).resolve().parent for f in files}:
        if folder.is_relative_to(root) and folder != root and folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
