"""The document library through the Workspace: jobs that store and read uploads, readings kept once."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from disentangle import extract, ingest
from disentangle.errors import InputError, NotFoundError
from disentangle.ingest import JobControl, JobOutcome
from disentangle.registry import tables as t
from disentangle.workspace import Workspace
from disentangle.workspace import _library as library_module
from disentangle.workspace._library import (
    MAX_UPLOAD_FILES,
    STALE_AFTER,
    UPLOADS,
    FileState,
    JobStatus,
    upload_refusal,
)

INGEST = Path(__file__).parent / "fixtures" / "ingest"
ARCADIA = INGEST / "arcadia_fl_tfm_moa_2025.pdf"
SCAN = INGEST / "washington_ut_tfm_moa_2025_scan_p1_p9.pdf"
Item = TypeVar("Item")
Result = TypeVar("Result")


@pytest.fixture(scope="module")
def library(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("library")


class InThisProcess:
    """An Executor that runs each job here, one after another: the protocol's smallest implementation."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def map_unordered(
        self, job: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
    ) -> Iterator[JobOutcome[Item, Result]]:
        for item in items:
            self.items.append(item)
            yield JobOutcome(item, result=job(item))


def upload(workspace: Workspace, files: Sequence[tuple[str, bytes | Path]]) -> list[tuple[str, Path]]:
    """Files as the web app leaves them: numbered copies in a private folder of the workspace."""
    folder = workspace.upload_folder()
    out = []
    for index, (name, content) in enumerate(files):
        path = folder / f"{index:04d}.upload"
        if isinstance(content, Path):
            shutil.copyfile(content, path)
        else:
            path.write_bytes(content)
        out.append((name, path))
    return out


# ---------------------------------------------------------------------- what an upload may be

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40


@pytest.mark.parametrize(
    ("content", "refused"),
    [
        (ARCADIA, None),
        (b"<!doctype html><html><body><p>An agreement</p></body></html>", None),
        (b"MEMORANDUM OF AGREEMENT between ICE and the county\n", None),
        (PNG, None),
        (b"PK\x03\x04" + b"\x00" * 60, None),  # a zip: the Word reader decides whether it is a .docx
        (ELF, "its content starts with bytes 7f 45 4c 46"),  # a program, whatever its name says
        (b"\x00\x01\x02\x03\xff\xfe" * 20, "not a PDF, Word (.docx), HTML, text or image"),
        (b"", "empty file"),
    ],
)
def test_an_upload_is_taken_by_its_content(
    tmp_path: Path, content: bytes | Path, refused: str | None
) -> None:
    path = tmp_path / "agreement.pdf"  # the name claims PDF every time: only the content counts
    if isinstance(content, Path):
        shutil.copyfile(content, path)
    else:
        path.write_bytes(content)
    reason = upload_refusal(path)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"agreement text " * 100)
    assert upload_refusal(path, size_limit=1500) is None
    assert "too large" in (upload_refusal(path, size_limit=1000) or "")


# ---------------------------------------------------------------------- jobs


def test_a_job_stores_reads_and_links_a_real_agreement(library: Workspace) -> None:
    files = upload(
        library,
        [
            ("arcadia.pdf", ARCADIA),
            ("../../etc/passwd.pdf", ELF),
            ("notes.txt", b"Notes from the council meeting: <script>alert(1)</script>\n"),
        ],
    )
    job = library.start_ingest_job(files)
    assert job["status"] == JobStatus.QUEUED and job["total"] == 3
    # Refused at once, with the reason, under a name that is a label and never a path.
    refused = job["files"][1]
    assert refused["state"] == FileState.FAILED and "not a PDF" in refused["error"]
    assert refused["name"] == ".._.._etc_passwd.pdf"
    assert not files[1][1].exists(), "a refused upload is removed at once"
    assert all("path" not in f for f in job["files"]), "where a file waited is not shown"

    executor = InThisProcess()
    done = library.run_ingest_job(job["id"], executor=executor)
    assert [item[2] for item in executor.items] == ["arcadia.pdf", "notes.txt"], "only waiting files run"
    assert (done["status"], done["done"], done["failed"]) == (JobStatus.DONE, 3, 1)
    assert done["finished_at"] is not None
    states = [f["state"] for f in done["files"]]
    assert states == [FileState.STORED, FileState.FAILED, FileState.STORED]
    assert not list((library.home / UPLOADS).iterdir()), "the uploaded copies are removed"

    sha256 = done["files"][0]["sha256"]
    assert library.documents.has(sha256)
    reading = library.reading(sha256)
    expected = extract.extract_agreement(ingest.read_document(ARCADIA))
    assert reading["extraction"]["signatories"] == [s.to_json() for s in expected.signatories]
    assert reading["kind"] == expected.kind and reading["state"] == expected.state
    assert reading["filename"] == "arcadia.pdf"
    # Linked to the agreement on ICE's lists, the agency known, and judged.
    match = library.link_extraction(expected)
    assert match is not None and reading["agreement_id"] == match["agreement_id"]
    assert reading["judgement"]["registry_match"]["agency_id"]
    assert {f["code"] for f in reading["judgement"]["flags"]} == {
        f["code"] for f in library.check_extraction(expected)["flags"]
    }
    assert reading["comparison"]["status"] == "compared" and "<article class='redline'>" in reading["redline"]
    # Listed in the library with what was read.
    listed = {d["sha256"]: d for d in library.library()}
    assert listed[sha256]["read"] and listed[sha256]["agency_name"] == expected.agency_name


def test_uploading_the_same_file_again_changes_nothing(library: Workspace) -> None:
    first = library.run_ingest_job(
        library.start_ingest_job(upload(library, [("arcadia.pdf", ARCADIA)]))["id"], executor=InThisProcess()
    )
    sha256 = first["files"][0]["sha256"]
    before = library.reading(sha256)
    again = library.run_ingest_job(
        library.start_ingest_job(upload(library, [("copy of arcadia.pdf", ARCADIA)]))["id"],
        executor=InThisProcess(),
    )
    entry = again["files"][0]
    assert entry["state"] == FileState.ALREADY_STORED and entry["sha256"] == sha256
    assert entry["stored_name"] == before["filename"]
    assert library.reading(sha256)["read_at"] == before["read_at"], "not read a second time"
    assert [d["sha256"] for d in library.library()].count(sha256) == 1


def test_a_job_in_worker_processes_reads_a_scan(library: Workspace) -> None:
    """The default executor: worker processes (forkserver) that open the same workspace themselves."""
    job = library.start_ingest_job(upload(library, [("washington scan.pdf", SCAN)]))
    done = library.run_ingest_job(job["id"], workers=1)
    entry = done["files"][0]
    assert entry["state"] == FileState.STORED, entry
    reading = library.reading(entry["sha256"])
    assert reading["ocr_pages"] == 2
    expected = extract.extract_agreement(ingest.read_document(SCAN))
    assert reading["extraction"]["signatories"] == [s.to_json() for s in expected.signatories]
    assert library.ingest_job(job["id"]) == done, "any process reads the same job from the store"


def test_a_file_gone_before_it_is_read_fails_alone(library: Workspace) -> None:
    files = upload(library, [("gone.pdf", ARCADIA), ("notes.txt", b"plain notes\n")])
    job = library.start_ingest_job(files)
    files[0][1].unlink()
    done = library.run_ingest_job(job["id"], executor=InThisProcess())
    assert [f["state"] for f in done["files"]] == [FileState.FAILED, FileState.STORED]
    assert "no such file" in done["files"][0]["error"]


def test_a_job_that_stops_midway_says_so(library: Workspace) -> None:
    class DiesAfterOne(InThisProcess):
        def map_unordered(
            self, job: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
        ) -> Iterator[JobOutcome[Item, Result]]:
            yield JobOutcome(items[0], result=job(items[0]))
            raise RuntimeError("the worker machine went away")

    files = upload(library, [("a.txt", b"first text\n"), ("b.txt", b"second text\n")])
    job = library.start_ingest_job(files)
    with pytest.raises(RuntimeError):
        library.run_ingest_job(job["id"], executor=DiesAfterOne())
    stopped = library.ingest_job(job["id"])
    assert stopped["status"] == JobStatus.INTERRUPTED
    assert [f["state"] for f in stopped["files"]] == [FileState.STORED, FileState.FAILED]
    assert "stopped" in stopped["files"][1]["error"]
    assert not files[1][1].exists()


def test_an_empty_or_oversized_batch_is_refused(library: Workspace) -> None:
    with pytest.raises(InputError, match="at least one"):
        library.start_ingest_job([])
    too_many = [("x.txt", Path("x"))] * (MAX_UPLOAD_FILES + 1)
    with pytest.raises(InputError, match="too many files"):
        library.start_ingest_job(too_many)
    with pytest.raises(NotFoundError):
        library.ingest_job("0" * 32)


def test_a_missing_file_is_refused_with_the_others_kept(library: Workspace, tmp_path: Path) -> None:
    present = upload(library, [("notes.txt", b"notes kept while another file is lost\n")])
    job = library.start_ingest_job([*present, ("lost.pdf", tmp_path / "never-written.pdf")])
    assert [f["state"] for f in job["files"]] == [FileState.WAITING, FileState.FAILED]
    assert "cannot be read" in job["files"][1]["error"] and job["files"][1]["size"] is None
    done = library.run_ingest_job(job["id"], executor=InThisProcess())
    assert done["status"] == JobStatus.DONE and done["files"][0]["state"] == FileState.STORED


def test_files_outside_the_uploads_folder_are_never_deleted(library: Workspace, tmp_path: Path) -> None:
    mine = tmp_path / "my agreement.txt"
    mine.write_bytes(b"an agreement between the county and ICE\n")
    job = library.start_ingest_job([("my agreement.txt", mine)])
    library.run_ingest_job(job["id"], executor=InThisProcess())
    assert mine.exists()


def test_a_document_ingested_without_reading_is_read_when_asked(library: Workspace, tmp_path: Path) -> None:
    text = tmp_path / "ingested.txt"
    text.write_text("A memorandum that no extractor recognises.\n")
    summary = library.ingest([text], workers=1)
    assert summary.new == 1
    sha256 = library.documents.documents()
    entry = next(d for d in library.library() if d["filename"] == "ingested.txt")
    assert entry["read"] is False and entry["sha256"] in sha256
    reading = library.reading(entry["sha256"])
    assert reading["kind"] == "unknown" and reading["judgement"]["error"]
    assert next(d for d in library.library() if d["sha256"] == entry["sha256"])["read"] is True


def test_check_extraction_judges_as_check_agreement_does(library: Workspace) -> None:
    by_path = library.check_agreement(ARCADIA)
    by_extraction = library.check_extraction(library.read_agreement(ARCADIA))
    assert by_path == {"file": str(ARCADIA), **by_extraction}


PRIVATE = {"document_readings", "ingest_jobs"}


def test_the_export_still_works_with_documents_read(library: Workspace, tmp_path: Path) -> None:
    library.run_ingest_job(
        library.start_ingest_job(upload(library, [("arcadia.pdf", ARCADIA)]))["id"], executor=InThisProcess()
    )
    assert library.library(), "a document was read"
    written = library.export("sqlite", tmp_path / "db")
    assert written["agreements"] > 1900
    # The person's own documents and upload jobs are not published with the registry.
    assert not PRIVATE & set(written)
    exported = sqlite3.connect(tmp_path / "db" / "disentangle.sqlite")  # a registry a Workspace can open
    counts = {name: exported.execute(f"select count(*) from {name}").fetchone()[0] for name in PRIVATE}
    exported.close()
    assert counts == {"document_readings": 0, "ingest_jobs": 0}
    json_written = library.export("json", tmp_path / "json")
    assert json_written["agreements"] == written["agreements"]
    for name in json_written:
        json.loads((tmp_path / "json" / f"{name}.json").read_text())


@pytest.mark.postgres
def test_a_job_runs_the_same_on_postgresql(tmp_path: Path, postgres_url: str, postgres_schema: str) -> None:
    workspace = Workspace(tmp_path, database_url=postgres_url, schema=postgres_schema)
    try:
        job = workspace.start_ingest_job(upload(workspace, [("arcadia.pdf", ARCADIA), ("x.pdf", ELF)]))
        done = workspace.run_ingest_job(job["id"], executor=InThisProcess())
        assert (done["status"], done["done"], done["failed"]) == (JobStatus.DONE, 2, 1)
        assert workspace.ingest_jobs()[0]["id"] == job["id"]
        sha256 = done["files"][0]["sha256"]
        reading = workspace.reading(sha256)
        expected = extract.extract_agreement(ingest.read_document(ARCADIA))
        assert reading["extraction"]["signatories"] == [s.to_json() for s in expected.signatories]
        assert reading["agreement_id"] is None, "an empty registry links nothing"
        assert [d["sha256"] for d in workspace.library()] == [sha256]
    finally:
        workspace.close()


def test_a_job_whose_server_died_is_shown_interrupted(library: Workspace) -> None:
    job = library.start_ingest_job(upload(library, [("notes.txt", b"a council memo\n")]))
    assert library.ingest_job(job["id"])["status"] == JobStatus.QUEUED, "a fresh job is not stale"
    # What a server killed mid-job leaves: a row nobody touches any more.
    j = t.ingest_jobs
    with library.store.transaction() as connection:
        connection.execute(
            j.update()
            .where(j.c.id == job["id"])
            .values(status="running", updated_at=datetime.now(UTC) - STALE_AFTER - timedelta(seconds=1))
        )
    shown = library.ingest_job(job["id"])
    assert shown["status"] == JobStatus.INTERRUPTED and shown["stalled"]
    assert next(j for j in library.ingest_jobs() if j["id"] == job["id"])["status"] == JobStatus.INTERRUPTED


def test_a_running_job_keeps_touching_its_row(library: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_module, "HEARTBEAT_SECONDS", 0.05)
    job = library.start_ingest_job(upload(library, [("memo.txt", b"another council memo\n")]))
    seen: list[str] = []

    class WaitsForAHeartbeat(InThisProcess):
        def map_unordered(
            self, job_: Callable[[Item], Result], items: Sequence[Item], control: JobControl | None = None
        ) -> Iterator[JobOutcome[Item, Result]]:
            first = library.ingest_job(job["id"])["updated_at"]
            deadline = time.monotonic() + 30  # a bound on the wait, not a speed test
            while library.ingest_job(job["id"])["updated_at"] == first and time.monotonic() < deadline:
                time.sleep(0.05)
            seen.append(library.ingest_job(job["id"])["updated_at"])
            assert seen[-1] != first, "the row was touched while the job ran"
            yield from super().map_unordered(job_, items)

    done = library.run_ingest_job(job["id"], executor=WaitsForAHeartbeat())
    assert done["status"] == JobStatus.DONE and seen
