"""The document store and batch ingest: content addressing, atomic writes, bad files, kill -9 mid-run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from disentangle.errors import DocumentError, InputError, NotFoundError
from disentangle.ingest import (
    DocumentStore,
    IngestResult,
    JobControl,
    JobOutcome,
    LocalProcessExecutor,
    ingest_paths,
)
from disentangle.model import PageMethod
from test_ingest import AGREEMENT_PAGES, ENCRYPT_DICTIONARY, HOSTILE, build_pdf


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(root: Path) -> dict[str, bytes]:
    """Every file under originals/, by name."""
    return {path.name: path.read_bytes() for path in (root / "originals").rglob("*") if path.is_file()}


def assert_store_is_whole(root: Path) -> None:
    """Every original is named by its content's sha256 at ab/cd/<sha256>; every pages file parses."""
    store = DocumentStore(root)
    for path in (root / "originals").rglob("*"):
        if path.is_file():
            digest = sha(path.read_bytes())
            assert path.relative_to(root / "originals").parts == (digest[:2], digest[2:4], digest)
    for path in (root / "pages").iterdir():
        assert path.suffix == ".json" and path.stem in stored_files(root), path.name
        document = store.get(path.stem)
        assert json.loads(path.read_text(encoding="utf-8"))["sha256"] == document.sha256 == path.stem


# -- the store ------------------------------------------------------------------------------------------


def test_add_stores_the_original_once_and_the_pages_beside_it(tmp_path: Path) -> None:
    data = build_pdf(AGREEMENT_PAGES)
    source = tmp_path / "in" / "agreement.pdf"
    source.parent.mkdir()
    source.write_bytes(data)
    store = DocumentStore(tmp_path / "store")

    document, new = store.add(source)
    assert new and document.sha256 == sha(data) and len(document.pages) == 2
    original = store.original_path(document.sha256)
    assert original == tmp_path / "store" / "originals" / sha(data)[:2] / sha(data)[2:4] / sha(data)
    assert original.read_bytes() == data
    assert not original.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert store.has(document.sha256) and store.documents() == [document.sha256]
    assert store.get(document.sha256) == document

    copy = tmp_path / "in" / "same bytes, other name.pdf"
    copy.write_bytes(data)
    again, new_again = store.add(copy)
    assert not new_again
    assert again == document  # the stored Document, first name included
    assert stored_files(tmp_path / "store") == {sha(data): data}
    assert_store_is_whole(tmp_path / "store")


def test_a_file_that_cannot_be_read_leaves_nothing_behind(tmp_path: Path) -> None:
    source = tmp_path / "locked.pdf"
    source.write_bytes(build_pdf(AGREEMENT_PAGES, encrypt=ENCRYPT_DICTIONARY))
    store = DocumentStore(tmp_path / "store")
    with pytest.raises(DocumentError, match="encrypted PDF") as raised:
        store.add(source)
    assert str(source) in str(raised.value)
    assert not store.has(sha(source.read_bytes()))
    assert stored_files(tmp_path / "store") == {}
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("../../etc/passwd", InputError),
        ("ABCDEF" + "0" * 58, InputError),  # upper case is not how we write them
        ("0" * 63, InputError),
        ("0" * 64, NotFoundError),  # well formed, just not stored
    ],
)
def test_lookups_accept_only_stored_sha256(tmp_path: Path, key: str, error: type[Exception]) -> None:
    store = DocumentStore(tmp_path)
    with pytest.raises(error):
        store.get(key)
    with pytest.raises(error):
        store.original_path(key)
    if error is InputError:
        with pytest.raises(InputError):
            store.has(key)
    else:
        assert not store.has(key)


def test_hostile_file_name_is_a_label_never_a_path(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = inbox / "..\\..\\escape\n\x1b[2Jnotes.txt"  # a legal POSIX name: backslashes, newline, escape
    source.write_bytes(b"Minutes of the county board.\fPage two.")
    root = tmp_path / "store"
    document, new = DocumentStore(root).add(source)
    assert new and document.filename == ".._.._escape[2Jnotes.txt"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["inbox", "store"]
    assert [path.name for path in inbox.iterdir()] == [source.name]
    assert stored_files(root) == {document.sha256: source.read_bytes()}


def test_an_original_stored_without_its_pages_is_completed(tmp_path: Path) -> None:
    """A run killed between the two renames left the original; the next add writes the pages."""
    data = build_pdf(AGREEMENT_PAGES)
    source = tmp_path / "a.pdf"
    source.write_bytes(data)
    store = DocumentStore(tmp_path / "store")
    document, _ = store.add(source)
    (tmp_path / "store" / "pages" / f"{document.sha256}.json").unlink()
    assert not store.has(document.sha256)
    again, new = store.add(source)
    assert new and again == document and store.has(document.sha256)
    assert stored_files(tmp_path / "store") == {document.sha256: data}


def test_only_stale_temporary_files_are_cleaned(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    (tmp_path / "tmp").mkdir()
    stale, fresh = tmp_path / "tmp" / "111-old.original", tmp_path / "tmp" / "222-new.original"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.clean_temporary() == 1
    assert sorted(path.name for path in (tmp_path / "tmp").iterdir()) == [fresh.name]


# -- batches --------------------------------------------------------------------------------------------


def make_inbox(folder: Path) -> dict[str, bytes]:
    """A folder as a person would drop it: good files, a duplicate, bad files, a hidden file, a subfolder."""
    files = {
        "a.pdf": build_pdf(AGREEMENT_PAGES),
        "copy of a.pdf": build_pdf(AGREEMENT_PAGES),
        "notes.txt": b"first\fsecond\fthird",
        "sub/deeper/agenda.html": b"<html><body><p>Agenda item 4</p></body></html>",
        "sub/locked.pdf": build_pdf(AGREEMENT_PAGES, encrypt=ENCRYPT_DICTIONARY),
        "sub/empty.pdf": b"",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


def test_ingest_paths_counts_and_goes_on_past_bad_files(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    seen: list[IngestResult] = []
    store = DocumentStore(tmp_path / "store")
    missing = tmp_path / "not-there.pdf"
    summary = ingest_paths([inbox, missing], store, workers=2, progress=seen.append)

    assert (summary.documents, summary.new, summary.already_stored) == (4, 3, 1)
    assert summary.pages == 2 + 2 + 3 + 1
    assert summary.ocr_pages == 0
    failures = dict(summary.failures)
    assert set(failures) == {
        str(inbox / "sub" / "locked.pdf"),
        str(inbox / "sub" / "empty.pdf"),
        str(missing),
    }
    assert "encrypted PDF" in failures[str(inbox / "sub" / "locked.pdf")]
    assert "empty file" in failures[str(inbox / "sub" / "empty.pdf")]
    assert "no such file" in failures[str(missing)]
    assert len(seen) == 7 and not any(result.path.endswith(".DS_Store") for result in seen)
    assert len(store.documents()) == 3
    assert_store_is_whole(tmp_path / "store")

    again = ingest_paths([inbox], store, workers=2)
    assert (again.documents, again.new, again.already_stored, len(again.failures)) == (4, 0, 4, 2)


def test_every_hostile_file_is_one_failure_in_a_batch_that_goes_on(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, make, _ in HOSTILE:
        (inbox / name).write_bytes(make())
    (inbox / "zz-good.pdf").write_bytes(build_pdf(AGREEMENT_PAGES))
    summary = ingest_paths([inbox], DocumentStore(tmp_path / "store"), workers=2)
    assert (summary.documents, summary.new) == (1, 1)
    reasons = dict(summary.failures)
    for name, _, problem in HOSTILE:
        assert problem in reasons[str(inbox / name)], name
    assert len(reasons) == len(HOSTILE)


class InlineExecutor:
    """The Executor seam: anything with map_unordered can run the jobs (here, in this process)."""

    def __init__(self) -> None:
        self.items: list[object] = []

    def map_unordered(
        self, job: Callable[[Path], IngestResult], items: Sequence[Path], control: JobControl | None = None
    ) -> Iterator[JobOutcome]:
        for item in items:
            self.items.append(item)
            yield JobOutcome(item, result=job(item))


def test_another_executor_can_run_the_batch(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    executor = InlineExecutor()
    summary = ingest_paths([inbox], DocumentStore(tmp_path / "store"), executor=executor)
    assert len(executor.items) == 6
    assert (summary.documents, summary.new, len(summary.failures)) == (4, 3, 2)


def crash_on_poison(item: str) -> str:
    if item == "poison":
        os._exit(3)  # what a segfault in a C library looks like to the pool
    return item.upper()


def test_a_worker_crash_is_one_failure_not_a_stopped_batch() -> None:
    items = ["a", "b", "poison", "c", "d", "e", "f"]
    outcomes = list(LocalProcessExecutor(workers=2).map_unordered(crash_on_poison, items))
    assert sorted(outcome.item for outcome in outcomes) == sorted(items)
    crashed = [outcome.item for outcome in outcomes if outcome.crash]
    assert crashed == ["poison"]
    assert {outcome.item: outcome.result for outcome in outcomes if not outcome.crash} == {
        item: item.upper() for item in items if item != "poison"
    }


# -- kill -9 --------------------------------------------------------------------------------------------

RUNNER = """
import sys
from pathlib import Path
from disentangle.ingest import DocumentStore, ingest_paths
ingest_paths([Path(sys.argv[1])], DocumentStore(Path(sys.argv[2])), workers=2,
             progress=lambda result: print(result.path, flush=True))
print("done", flush=True)
"""


def _wait_for_group_to_exit(group: int, seconds: float) -> None:
    """Orphaned workers notice their parent is gone and exit; give them time, then end them ourselves."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    pytest.fail("worker processes outlived their killed parent")


def test_kill_9_mid_run_loses_nothing_and_corrupts_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    contents: dict[str, bytes] = {}
    for number in range(30):
        pages = [f"Agreement {number}, page {page}\n" + AGREEMENT_PAGES[page % 2] for page in range(300)]
        contents[f"agreement-{number:02}.pdf"] = build_pdf(pages)
    for number in range(0, 30, 10):  # duplicates under other names
        contents[f"copy-{number:02}.pdf"] = contents[f"agreement-{number:02}.pdf"]
    contents["locked.pdf"] = build_pdf(AGREEMENT_PAGES, encrypt=ENCRYPT_DICTIONARY)
    for name, data in contents.items():
        (inbox / name).write_bytes(data)
    good = {sha(data) for name, data in contents.items() if name != "locked.pdf"}
    root = tmp_path / "store"

    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(inbox), str(root)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so its workers can be found afterwards
    )
    assert runner.stdout is not None
    finished = [runner.stdout.readline() for _ in range(5)]
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    runner.stdout.close()
    _wait_for_group_to_exit(runner.pid, 15)

    assert all(line.strip() for line in finished) and "done\n" not in finished
    stored_after_kill = set(stored_files(root)) if (root / "originals").exists() else set()
    print(f"stored when killed: {len(stored_after_kill)} of {len(good)}")
    assert 0 < len(stored_after_kill) < len(good), "the kill did not land mid-run"
    if (root / "pages").exists():
        assert_store_is_whole(root)

    store = DocumentStore(root)
    summary = ingest_paths([inbox], store, workers=2)
    assert summary.documents == len(contents) - 1
    assert [path for path, _ in summary.failures] == [str(inbox / "locked.pdf")]
    assert set(stored_files(root)) == good  # every file stored, exactly once
    assert set(store.documents()) == good
    assert_store_is_whole(root)
    for number in range(30):
        document = store.get(sha(contents[f"agreement-{number:02}.pdf"]))
        assert len(document.pages) == 300 and document.pages[0].method is PageMethod.TEXT_LAYER
        assert document.pages[299].text.startswith(f"Agreement {number}, page 299")
