"""Hostile inputs (issue 18), built by code: each is refused with one line naming the limit it passed, and
leaves nothing behind; hostile names stay labels; one bad path never stops a batch; a locked or shared
database costs no outcome. Peak memory per input is measured by bench/hostile_bench.py, not here."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

import hostile_files as hf
from disentangle import ingest
from disentangle.errors import DocumentError, SourceFormatError, StoreBusyError, StoreConflictError
from disentangle.ingest import DocumentStore, JobControl, JobOutcome, TextIngestor
from disentangle.limits import DocumentLimits
from disentangle.registry import Store, sqlite_url
from disentangle.registry import _store as store_module
from disentangle.registry import tables as t
from disentangle.sources.detainer_tables import read_detainer_table
from disentangle.sources.ice_sheets import read_sheet
from disentangle.web import create_app
from disentangle.workspace import Workspace

# Smaller bounds where the full-size file would take a minute to build; the refusal is the same code.
SMALL = DocumentLimits(max_ocr_pages=40, max_pixels=1_000_000)
CASES = [
    (hf.form_feeds, None, "419,431 pages (form feeds), more than the limit of 5,000 pages"),
    (hf.line_breaks, None, "2,097,152 line breaks, more than the limit of 200,000 lines"),
    (hf.huge_text, None, "more than the 4,000,000 characters a document may have"),
    (hf.one_long_page, None, "page 1 has 3,000,000 characters, more than the limit of 1,000,000 per page"),
    (hf.pdf_pages, None, "6,000 pages in the PDF, more than the limit of 5,000 pages"),
    (
        lambda f: hf.pdf_scans(f, 45),
        SMALL,
        "more than 40 of its 45 pages need OCR, the limit for one document",
    ),
    (lambda f: hf.tiff_frames(f, 50), SMALL, "50 frames to OCR, more than the limit of 40 for one document"),
    (
        lambda f: hf.png_pixels(f, 3_000),
        SMALL,
        "more than 2,000,000 pixels (the limit is 1,000,000 per page)",
    ),
    (lambda f: hf.docx_bomb(f, 300 * hf.MB), None, "suspicious DOCX (zip bomb?): it would inflate to"),
    (hf.docx_lying_sizes, None, "suspicious DOCX (zip bomb?): it would inflate to 3,000,000,"),
    (hf.docx_many_members, None, "suspicious DOCX: 6,002 zip members (the limit is 5,000)"),
]


@pytest.mark.parametrize(("build", "limits", "refusal"), CASES, ids=lambda v: getattr(v, "__name__", None))
def test_each_hostile_file_is_one_line_naming_its_limit_and_stores_nothing(
    tmp_path: Path, build: Callable[[Path], Path], limits: DocumentLimits | None, refusal: str
) -> None:
    path = build(tmp_path)
    store = DocumentStore(tmp_path / "store", limits=limits or DocumentLimits())
    with pytest.raises(DocumentError) as raised:
        store.add(path)
    message = str(raised.value)
    assert refusal in message
    assert message.startswith(str(path)), "the file is named"
    assert "\n" not in message and "Traceback" not in message
    assert store.documents() == []
    assert not list((store.root / "tmp").glob("*")), "nothing half-written is left"
    assert not (store.root / "originals").exists() or not any((store.root / "originals").rglob("*.*"))


@pytest.mark.parametrize("size", [hf.MB, 3 * hf.MB])
def test_long_real_text_within_the_limits_is_read_and_extracted(tmp_path: Path, size: int) -> None:
    from disentangle import extract

    document = ingest.read_document(hf.long_agreement(size)(tmp_path))
    assert len(document.pages) > 600
    assert extract.extract_agreement(document).kind != "unknown"


def test_an_html_page_of_empty_tags_is_read_as_one_bounded_page(tmp_path: Path) -> None:
    document = ingest.read_document(hf.html_tags(tmp_path))
    assert len(document.pages) == 1 and len(document.pages[0].text) < 1000


def test_the_limits_are_one_place_and_can_be_lowered(tmp_path: Path) -> None:
    path = hf.long_agreement(200_000)(tmp_path)
    tight = DocumentLimits(max_chars=100_000)
    with pytest.raises(DocumentError, match="more than the limit of 100,000 for one document"):
        ingest.read_document(path, limits=tight)
    too_big = DocumentLimits(max_bytes=1_000)
    with pytest.raises(DocumentError, match="more than the limit of 0 MB"):
        ingest.read_document(path, limits=too_big)


# ---------------------------------------------------------------------- workbooks


def test_a_workbook_bomb_is_refused_before_openpyxl_inflates_it(tmp_path: Path) -> None:
    path = hf.xlsx_bomb(tmp_path, 300 * hf.MB)
    with pytest.raises(SourceFormatError, match=r"zip bomb\?"):
        read_sheet(path)
    with pytest.raises(SourceFormatError, match=r"inflates \d[\d,]* times \(the limit is 100\)") as raised:
        read_detainer_table(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


# ---------------------------------------------------------------------- names, batches, concurrency


@pytest.fixture()
def library(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path / "home", data_dir=tmp_path)
    yield workspace
    workspace.close()


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@pytest.mark.parametrize("name", hf.HOSTILE_NAMES)
def test_hostile_upload_names_are_labels_never_a_500(library: Workspace, name: str) -> None:
    client = TestClient(create_app(library, cache_seconds=0), base_url="http://127.0.0.1")
    content = f"A council memo uploaded as {name!r}.\n".encode()
    letter = client.post(
        "/act/letter/invalidity/preview",
        data={"csrf_token": csrf(client, "/act/letter/invalidity")},
        files={"file": (name, content, "text/plain")},
    )
    assert letter.status_code in (200, 400), letter.text[:300]
    assert "Internal Server Error" not in letter.text
    assert library.documents.documents(), "the file was stored under its sha256, the name only a label"
    upload = client.post(
        "/documents/upload",
        data={"csrf_token": csrf(client, "/documents/upload")},
        files=[("files", (name, content + b"again\n", "text/plain"))],
        follow_redirects=False,
    )
    assert upload.status_code in (303, 400), upload.text[:300]
    for stored in library.library():
        assert "/" not in stored["filename"] and "\x00" not in stored["filename"]
        assert len(stored["filename"]) <= 200


def test_one_bad_path_does_not_stop_the_batch_and_skips_say_why(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "a.txt").write_text("first memo\n")
    (inbox / "sub" / "b.txt").write_text("second memo\n")
    (inbox / ".DS_Store").write_bytes(b"\x00\x01")
    (inbox / ".hidden").mkdir()
    (inbox / "link.txt").symlink_to(inbox / "a.txt")
    (inbox / "away").symlink_to(tmp_path)
    summary = ingest.ingest_paths([inbox, tmp_path / "missing.pdf"], DocumentStore(tmp_path / "store"))
    assert (summary.documents, summary.new) == (2, 2)
    assert summary.failures == [(str(tmp_path / "missing.pdf"), "no such file")]
    skipped = dict(summary.skipped)
    assert skipped[str(inbox / ".DS_Store")] == "hidden file, skipped"
    assert skipped[str(inbox / ".hidden")] == "hidden folder, skipped"
    assert skipped[str(inbox / "link.txt")] == "symbolic link, not followed"
    assert skipped[str(inbox / "away")] == "symbolic link, not followed"


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens every folder")
def test_an_unreadable_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "closed").mkdir(parents=True)
    (inbox / "a.txt").write_text("memo\n")
    (inbox / "closed").chmod(0)
    try:
        files, skipped = ingest.gather_paths([inbox])
    finally:
        (inbox / "closed").chmod(0o700)
    assert files == [inbox / "a.txt"]
    assert skipped[0][0] == str(inbox / "closed") and "folder not read" in skipped[0][1]


class CountingText(TextIngestor):
    """A text ingestor that counts its reads (shared by the threads of one test) and takes its time."""

    reads: list[str] = []  # noqa: RUF012 - shared on purpose

    def read(self, path: Path, options: ingest.ReadOptions) -> ingest.Reading:
        CountingText.reads.append(path.name)
        time.sleep(0.3)  # long enough for the other ingest to arrive while this one reads
        return super().read(path, options)


class InThread:
    def map_unordered(
        self, job: Callable[[Any], Any], items: Sequence[Any], control: JobControl | None = None
    ) -> Iterator[JobOutcome[Any, Any]]:
        for item in items:
            yield JobOutcome(item, result=job(item))


def test_two_ingests_of_the_same_files_at_once_read_each_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        (inbox / f"memo-{n}.txt").write_text(f"council memo number {n}\n")
    store = DocumentStore(tmp_path / "store", ingestors=(CountingText(),))
    CountingText.reads.clear()
    summaries: list[ingest.IngestSummary] = []
    threads = [
        threading.Thread(
            target=lambda: summaries.append(ingest.ingest_paths([inbox], store, executor=InThread()))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(CountingText.reads) == 3, "each of the three files was read once, by one of the two"
    assert sum(s.new for s in summaries) == 3 and sum(s.already_stored for s in summaries) == 3


# ---------------------------------------------------------------------- the database


def test_a_busy_database_is_one_line_without_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_SECONDS", 0.2)
    store = Store(sqlite_url(tmp_path / "registry.sqlite"))
    store.migrate()
    holder = sqlite3.connect(tmp_path / "registry.sqlite")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusyError) as raised, store.transaction() as connection:
            connection.execute(insert(t.web_keys).values(name="x", value="y", created_at=now()))
    finally:
        holder.rollback()
        holder.close()
    assert str(tmp_path) not in str(raised.value)
    assert str(raised.value) == (
        "the registry database is busy: another process is writing to it (an import?); try again shortly"
    )
    store.dispose()


def test_a_job_outlives_a_locked_database_and_keeps_every_outcome(
    library: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from disentangle.workspace import _library

    monkeypatch.setattr(store_module, "SQLITE_BUSY_SECONDS", 0.2)
    locked = Workspace(library.home, data_dir=library._data_dir)  # a store made with the short wait
    folder = locked.upload_folder()
    (folder / "0000.upload").write_bytes(b"first memo\n")
    (folder / "0001.upload").write_bytes(b"second memo\n")
    job = locked.start_ingest_job([("a.txt", folder / "0000.upload"), ("b.txt", folder / "0001.upload")])
    monkeypatch.setattr(_library, "HEARTBEAT_SECONDS", 0.1)
    holder = sqlite3.connect(library.home / "registry.sqlite", check_same_thread=False)

    class LocksBetweenFiles(InThread):
        def map_unordered(
            self, job_: Callable[[Any], Any], items: Sequence[Any], control: JobControl | None = None
        ) -> Iterator[JobOutcome[Any, Any]]:
            for item in items:
                result = job_(item)
                holder.execute("BEGIN IMMEDIATE")  # an import takes the write lock for 3 s
                threading.Timer(3.0, holder.rollback).start()
                yield JobOutcome(item, result=result)

    try:
        done = locked.run_ingest_job(job["id"], executor=LocksBetweenFiles())
    finally:
        time.sleep(3.2)
        holder.close()
        locked.close()
    assert done["status"] == "done"
    assert [f["state"] for f in done["files"]] == ["stored", "stored"]


def test_two_writers_of_the_same_row_are_one_line(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "registry.sqlite"))
    store.migrate()
    row = {"name": "csrf", "value": "00", "created_at": now()}
    with store.transaction() as connection:
        connection.execute(insert(t.web_keys).values(**row))
    with pytest.raises(StoreConflictError) as raised, store.transaction() as connection:
        connection.execute(insert(t.web_keys).values(**row))
    assert "\n" not in str(raised.value) and "two imports at once?" in str(raised.value)
    assert str(tmp_path) not in str(raised.value)
    store.dispose()


def now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.mark.parametrize(
    ("text", "found"), [("%", False), ("_", False), ("100%", False), ("Galveston", True)]
)
def test_like_wildcards_are_literal_in_search(registry: Workspace, text: str, found: bool) -> None:
    assert bool(registry.search(text)) is found


def test_search_folds_case_the_same_on_sqlite_as_on_postgresql(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "registry.sqlite"))
    with store.engine.connect() as connection:
        from sqlalchemy import text

        assert connection.scalar(text("SELECT lower('MÉXICO')")) == "méxico"
    store.dispose()
