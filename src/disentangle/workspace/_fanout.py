"""Reading fanned out over workers: one task per document's text layer, one per page to OCR, one to
assemble each document, one to extract it. Any Executor runs them; Celery runs them on many machines.

    1. the submitter stores each original in the shared store (it alone has the file)
    2. prepare     a worker reads the text layers; a PDF's pages without text are listed for OCR
    3. OCR         one task per page, keyed by (sha256, page) in ocr_pages: claimed, then read once
    4. assemble    the document is read again with those pages' texts and its pages are stored
    5. extract     what the document says (uploads only), stored by the submitter

Every step is idempotent: a task run twice (a worker killed after the work, before its acknowledgement)
finds its work done and does nothing more.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from disentangle import ingest
from disentangle.errors import DisentangleError
from disentangle.ingest import Executor, JobControl, OcrText
from disentangle.ingest._names import printable_path
from disentangle.model import Document, PageMethod
from disentangle.registry import tables as t
from disentangle.workspace._base import BLOB_DIR_ENV, DATABASE_ENV, default_home
from disentangle.workspace._judging import JudgeMixin

if TYPE_CHECKING:
    from disentangle.workspace._library import LibraryMixin

MAX_PAGE_ATTEMPTS = 3  # a page whose worker died this many times is recorded as failed, not tried forever


class OcrPageState(StrEnum):
    """Where one page's OCR stands."""

    CLAIMED = "claimed"  # a worker started on it (attempts says how many have)
    READ = "read"  # read; its text is final and is never written again
    FAILED = "failed"  # Tesseract failed on it, or its workers died MAX_PAGE_ATTEMPTS times


@dataclass(frozen=True, slots=True)
class SharedReader:
    """How a worker opens the same library (picklable). A worker's own $DISENTANGLE_DATABASE_URL and
    $DISENTANGLE_BLOB_DIR win over the submitter's: the database may have another address from there."""

    home: Path
    database_url: str
    schema: str | None
    data_dir: Path | None
    blob_dir: str | None

    def open(self) -> LibraryMixin:
        """The workspace, opened once per worker process (a task of one page must not pay for a new
        engine and a migration check)."""
        opened = _OPENED.get(self)
        if opened is None or opened[0] != os.getpid():
            opened = _OPENED[self] = (os.getpid(), self._open())
        return opened[1]

    def _open(self) -> LibraryMixin:
        from disentangle.workspace._library import LibraryMixin  # the library builds on this module

        url = os.environ.get(DATABASE_ENV) or self.database_url
        if self.blob_dir and not os.environ.get(BLOB_DIR_ENV):
            os.environ[BLOB_DIR_ENV] = self.blob_dir
        # On a shared database a worker keeps only its cache, in its own home: the submitter's folder
        # need not exist on the worker's machine.
        home = self.home if url.startswith("sqlite") else default_home()
        return LibraryMixin(home, database_url=url, data_dir=self.data_dir, schema=self.schema)


_OPENED: dict[SharedReader, tuple[int, LibraryMixin]] = {}


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _counts(document: Document) -> dict[str, Any]:
    return {
        "sha256": document.sha256,
        "filename": document.filename,
        "media_type": document.media_type,
        "pages": len(document.pages),
        "ocr_pages": sum(page.method is PageMethod.OCR for page in document.pages),
    }


def _guarded(
    step: Callable[[LibraryMixin], dict[str, Any]], reader: SharedReader, key: Any
) -> dict[str, Any]:
    """Run a step in an opened workspace; a bad file or a bug becomes the step's error, never a raise."""
    try:
        return {"key": key, **step(reader.open())}
    except DisentangleError as exc:
        return {"key": key, "error": getattr(exc, "problem", str(exc))}
    except Exception as exc:  # reported like a bad file; the batch goes on
        return {"key": key, "error": f"unexpected {type(exc).__name__}: {exc}"}


def prepare_job(reader: SharedReader, item: tuple[Any, str, str]) -> dict[str, Any]:
    """Step 2: the text layers; a document that needs no page OCR is stored at once."""
    key, sha256, name = item

    def step(workspace: LibraryMixin) -> dict[str, Any]:
        store = workspace.documents.with_options(ocr_workers=1)
        if store.has(sha256):
            return {"done": True, "new": False, **_counts(store.get(sha256))}
        document = store.read_original(sha256, name, page_texts={})  # PDF pages without text: listed
        needing = list(document.metadata.get("pages_needing_ocr") or [])
        if document.media_type != "application/pdf" or not needing:
            return {"done": True, "new": store.commit(document), **_counts(document)}
        return {"done": False, "ocr": needing, **_counts(document)}

    return _guarded(step, reader, key)


def ocr_page_job(reader: SharedReader, item: tuple[str, int, str]) -> dict[str, Any]:
    """Step 3: one page rendered and read by Tesseract, unless it is read already."""
    sha256, page, languages = item

    def step(workspace: LibraryMixin) -> dict[str, Any]:
        state = workspace.claim_ocr_page(sha256, page)
        if state is not OcrPageState.CLAIMED:
            return {"sha256": sha256, "page": page, "state": state.value, "again": True}
        try:
            found = ingest.ocr_pdf_page(workspace.documents.original_path(sha256), page, languages)
        except DisentangleError as exc:
            workspace.record_ocr_page(sha256, page, None, getattr(exc, "problem", str(exc)))
            return {"sha256": sha256, "page": page, "state": OcrPageState.FAILED.value}
        wrote = workspace.record_ocr_page(sha256, page, found, None)
        return {"sha256": sha256, "page": page, "state": OcrPageState.READ.value, "again": not wrote}

    return _guarded(step, reader, (sha256, page))


def assemble_job(reader: SharedReader, item: tuple[Any, str, str]) -> dict[str, Any]:
    """Step 4: the document read again with its pages' OCR texts, and stored once."""
    key, sha256, name = item

    def step(workspace: LibraryMixin) -> dict[str, Any]:
        store = workspace.documents
        if store.has(sha256):
            return {"done": True, "new": False, **_counts(store.get(sha256))}
        document = store.read_original(sha256, name, page_texts=workspace.ocr_page_texts(sha256))
        return {"done": True, "new": store.commit(document), **_counts(document)}

    return _guarded(step, reader, key)


def extract_job(reader: SharedReader, item: tuple[Any, str]) -> dict[str, Any]:
    """Step 5: what the document says (computed here, stored by the submitter)."""
    key, sha256 = item

    def step(workspace: LibraryMixin) -> dict[str, Any]:
        if workspace._current_reading(sha256):
            return {"reading": None}
        return {"reading": workspace._read(workspace.documents.get(sha256))}

    return _guarded(step, reader, key)


@dataclass(slots=True)
class _PagesOf:
    """One document's pages listed for OCR, the files (keys) that carry it, and how many are read."""

    keys: list[Any]
    pages: list[int]
    read: int = 0


def _why(outcome: Any) -> str:
    """Why an item has no result: the job was stopped before it, or the process reading it died."""
    return "not read: the job was stopped" if outcome.stopped else outcome.crash or "lost by the executor"


def _fresh(result: dict[str, Any], fresh: dict[Any, bool]) -> dict[str, Any]:
    """`new` is True only when the file's bytes were new to the store (the first of two copies wins)."""
    if result.get("error"):
        return result
    return {**result, "new": bool(fresh.get(result["key"])) and bool(result.get("new", True))}


@dataclass(frozen=True, slots=True)
class PageProgress:
    """OCR of one file's pages so far (sent to a progress callback as each page is read)."""

    key: Any
    filename: str
    read: int
    total: int


class FanOutMixin(JudgeMixin):
    """Reading on workers: the steps above, driven from the process that has the files."""

    def executor(self) -> Executor | None:
        """Celery when $DISENTANGLE_BROKER_URL names a broker, else None (local worker processes)."""
        url = ingest.broker_url()
        return ingest.CeleryExecutor(url) if url else None

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        workers: int = 2,
        progress: Callable[[ingest.IngestResult], None] | None = None,
        executor: Executor | None = None,
        fan_out: bool | None = None,
        on_pages: Callable[[PageProgress], None] | None = None,
    ) -> ingest.IngestSummary:
        """Ingest files and folders (recursively). With a broker configured (or `fan_out`), on workers:
        each PDF's OCR one task per page, `on_pages` told as pages are read; else in local processes."""
        runner = executor if executor is not None else self.executor()
        if fan_out is None:
            fan_out = isinstance(runner, ingest.CeleryExecutor)
        if not fan_out:
            return super().ingest(paths, workers=workers, progress=progress)
        gathered, skipped = ingest.gather_paths([Path(p) for p in paths])
        files = [(path, path, path.name) for path in gathered]
        summary = ingest.IngestSummary(skipped=skipped)
        stored_now: set[str] = set()
        for result in self.read_on_workers(
            files, runner or ingest.LocalProcessExecutor(workers), on_pages=on_pages
        ):
            shown = printable_path(result["key"])
            if result.get("error"):
                found = ingest.IngestResult(shown, error=result["error"])
            else:
                new = result["new"] and result["sha256"] not in stored_now
                stored_now.add(result["sha256"])
                found = ingest.IngestResult(
                    shown,
                    result["sha256"],
                    result["filename"],
                    result["media_type"],
                    new,
                    result["pages"],
                    result["ocr_pages"],
                )
            summary.add(found)
            if progress is not None:
                progress(found)
        return summary

    def readiness(self) -> dict[str, str]:
        """Whether this server can work: the database (reachable, migrations applied) and the broker
        (reachable, with how many workers answer), each "ok", "not configured" or why not, in words."""
        checks: dict[str, str] = {}
        try:
            with self.store.read() as connection:
                applied = set(connection.scalars(select(t.schema_migrations.c.name)))
            missing = [name for name, _ in t.MIGRATIONS if name not in applied]
            checks["database"] = "ok" if not missing else f"{len(missing)} migration(s) not applied"
        except DisentangleError:
            checks["database"] = "unreachable"
        url = ingest.broker_url()
        if not url:
            checks["broker"] = "not configured"
            return checks
        try:
            executor = ingest.CeleryExecutor(url)
            executor.app.backend.client.ping()
            checks["broker"] = "ok"
            checks["workers"] = str(len(executor.workers(timeout=1.0)))
        except Exception:  # any failure to reach it is the same answer to a probe
            checks["broker"] = "unreachable"
        return checks

    def shared_reader(self) -> SharedReader:
        return SharedReader(
            self.home, self.store.url, self.store.schema, self._data_dir, os.environ.get(BLOB_DIR_ENV)
        )

    def read_on_workers(
        self,
        files: Sequence[tuple[Any, Path, str]],
        executor: Executor,
        *,
        extract: bool = False,
        on_pages: Callable[[PageProgress], None] | None = None,
        languages: str = "eng",
        control: JobControl | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Store and read files (key, path, name) through `executor`; yield each file's outcome as it
        is known: {key, error} or {key, sha256, filename, new, pages, ocr_pages[, reading]}."""
        reader = self.shared_reader()
        store = self.documents
        prepared: list[tuple[Any, str, str]] = []
        fresh: dict[Any, bool] = {}
        for key, path, name in files:
            try:
                sha256, fresh[key] = store.put_original(Path(path), name=name)
            except DisentangleError as exc:
                yield {"key": key, "error": getattr(exc, "problem", str(exc))}
                continue
            prepared.append((key, sha256, name))
        names = {key: name for key, _, name in prepared}
        results: list[dict[str, Any]] = []
        assemble: list[tuple[Any, str, str]] = []
        ocr: dict[str, _PagesOf] = {}
        for outcome in executor.map_unordered(partial(prepare_job, reader), prepared, control):
            result = outcome.result or {"key": outcome.item[0], "error": _why(outcome)}
            if result.get("error") or result.get("done"):
                results.append(result)
                continue
            assemble.append((result["key"], result["sha256"], names[result["key"]]))
            ocr.setdefault(result["sha256"], _PagesOf([], result["ocr"])).keys.append(result["key"])
        items = [(sha256, page, languages) for sha256 in sorted(ocr) for page in ocr[sha256].pages]
        for page_outcome in executor.map_unordered(partial(ocr_page_job, reader), items, control):
            of = ocr[page_outcome.item[0]]
            of.read += 1
            if on_pages is not None:
                for key in of.keys:
                    on_pages(PageProgress(key, names[key], of.read, len(of.pages)))
        once = list({sha256: (key, sha256, name) for key, sha256, name in assemble}.values())
        assembled: dict[str, dict[str, Any]] = {}
        for outcome in executor.map_unordered(partial(assemble_job, reader), once, control):
            assembled[outcome.item[1]] = outcome.result or {"error": _why(outcome)}
        results.extend({**assembled[sha256], "key": key} for key, sha256, _ in assemble)
        results = [_fresh(result, fresh) for result in results]
        if extract:
            wanted = [(r["key"], r["sha256"]) for r in results if not r.get("error")]
            readings = {
                outcome.item[0]: outcome.result or {"error": _why(outcome)}
                for outcome in executor.map_unordered(partial(extract_job, reader), wanted, control)
            }
            for result in results:
                done = readings.get(result["key"], {})
                if done.get("error"):
                    result["error"] = done["error"]
                elif not result.get("error"):
                    result["reading"] = done.get("reading")
        yield from results

    # ------------------------------------------------------------------ the pages' OCR, one row each

    def claim_ocr_page(self, sha256: str, page: int) -> OcrPageState:
        """Start on a page: CLAIMED (go on), READ (done before: do nothing) or FAILED (give up)."""
        o = t.ocr_pages
        now = datetime.now(UTC)
        for _ in range(2):  # a second worker may insert the same row at the same moment
            try:
                with self.store.transaction() as connection:
                    row = connection.execute(
                        select(o.c.state, o.c.attempts).where(o.c.sha256 == sha256, o.c.page == page)
                    ).first()
                    if row is None:
                        connection.execute(
                            o.insert().values(
                                sha256=sha256,
                                page=page,
                                state=OcrPageState.CLAIMED.value,
                                attempts=1,
                                worker=_worker_name(),
                                updated_at=now,
                            )
                        )
                        return OcrPageState.CLAIMED
                    if row.state != OcrPageState.CLAIMED:
                        return OcrPageState(row.state)
                    attempts = row.attempts + 1
                    give_up = attempts > MAX_PAGE_ATTEMPTS
                    connection.execute(
                        o.update()
                        .where(o.c.sha256 == sha256, o.c.page == page, o.c.state == OcrPageState.CLAIMED)
                        .values(
                            attempts=attempts,
                            worker=_worker_name(),
                            updated_at=now,
                            state=(OcrPageState.FAILED if give_up else OcrPageState.CLAIMED).value,
                            error=f"its workers died {MAX_PAGE_ATTEMPTS} times" if give_up else None,
                        )
                    )
                    return OcrPageState.FAILED if give_up else OcrPageState.CLAIMED
            except IntegrityError:
                continue
        return OcrPageState.CLAIMED

    def record_ocr_page(self, sha256: str, page: int, found: OcrText | None, error: str | None) -> bool:
        """Write a page's reading (or why it failed) unless it is read already; True when written now."""
        o = t.ocr_pages
        state = OcrPageState.READ if found is not None else OcrPageState.FAILED
        with self.store.transaction() as connection:
            done = connection.execute(
                o.update()
                .where(o.c.sha256 == sha256, o.c.page == page, o.c.state != OcrPageState.READ)
                .values(
                    state=state.value,
                    text=found.text if found else None,
                    confidence=found.confidence if found else None,
                    error=error,
                    worker=_worker_name(),
                    updated_at=datetime.now(UTC),
                )
            )
        return bool(done.rowcount)

    def ocr_page_texts(self, sha256: str) -> dict[int, OcrText]:
        o = t.ocr_pages
        with self.store.read() as connection:
            rows = connection.execute(
                select(o.c.page, o.c.text, o.c.confidence).where(
                    o.c.sha256 == sha256, o.c.state == OcrPageState.READ
                )
            ).all()
        return {row.page: ingest.OcrText(row.text or "", row.confidence) for row in rows}

    def ocr_progress(self, sha256: str) -> dict[str, int]:
        """How many of a document's pages its workers have read, failed, or started (any process can ask)."""
        o = t.ocr_pages
        with self.store.read() as connection:
            rows = connection.execute(
                select(o.c.state, func.count(), func.sum(o.c.attempts))
                .where(o.c.sha256 == sha256)
                .group_by(o.c.state)
            ).all()
        counts = {state.value: 0 for state in OcrPageState}
        attempts = 0
        for state, count, tries in rows:
            counts[state] = int(count)
            attempts += int(tries or 0)
        return {**counts, "attempts": attempts}
