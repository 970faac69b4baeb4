"""Many files -> the store, in worker processes; a bad file is reported and the batch goes on."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from disentangle.errors import DisentangleError
from disentangle.ingest._jobs import Executor, JobControl, LocalProcessExecutor
from disentangle.ingest._names import printable_path
from disentangle.ingest._store import DocumentStore
from disentangle.model import PageMethod


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one file."""

    path: str  # as found (printable)
    sha256: str | None = None
    filename: str | None = None  # the sanitised display name
    media_type: str | None = None
    new: bool = False  # stored by this run (False: the same bytes were already in the store)
    pages: int = 0
    ocr_pages: int = 0
    error: str | None = None  # the problem, when the file could not be ingested

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class IngestSummary:
    """Counts over a batch. `documents` counts files read; a file whose bytes another file of the same
    batch (or an earlier run) already stored counts as already stored, so new + already_stored = documents.
    Pages and OCR pages are summed over those documents."""

    documents: int = 0
    new: int = 0
    already_stored: int = 0
    pages: int = 0
    ocr_pages: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file or folder, why it was not read)

    def add(self, result: IngestResult) -> None:
        """Count one file's outcome."""
        if result.error is not None:
            self.failures.append((result.path, result.error))
            return
        self.documents += 1
        self.new += result.new
        self.already_stored += not result.new
        self.pages += result.pages
        self.ocr_pages += result.ocr_pages


def gather_paths(paths: Sequence[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files as given, and every file under given folders, sorted; and what was skipped, with why.

    In folders, hidden files and folders and symbolic links are skipped (a link could lead out of the
    folder a person chose, or round in a loop), and so are folders that cannot be opened: each is reported,
    and none stops the others. A file named on its own is always tried (its problem is its failure)."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        path = Path(path)
        if not _is_dir_quietly(path):
            files.append(path)
            continue

        for folder, subfolders, names in os.walk(path, onerror=partial(_unreadable, skipped, path)):
            kept = []
            for name in sorted(subfolders):
                candidate = Path(folder) / name
                if name.startswith("."):
                    skipped.append((printable_path(candidate), "hidden folder, skipped"))
                elif candidate.is_symlink():
                    skipped.append((printable_path(candidate), "symbolic link, not followed"))
                else:
                    kept.append(name)
            subfolders[:] = kept
            for name in sorted(names):
                candidate = Path(folder) / name
                if name.startswith("."):
                    skipped.append((printable_path(candidate), "hidden file, skipped"))
                elif candidate.is_symlink():
                    skipped.append((printable_path(candidate), "symbolic link, not followed"))
                else:
                    files.append(candidate)
    return files, skipped


def _unreadable(skipped: list[tuple[str, str]], top: Path, error: OSError) -> None:
    where = printable_path(Path(error.filename)) if error.filename else printable_path(top)
    skipped.append((where, f"folder not read: {error.strerror or error}"))


def _is_dir_quietly(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def expand_paths(paths: Sequence[Path]) -> Iterator[Path]:
    """The files gather_paths finds, without what it skipped."""
    yield from gather_paths(paths)[0]


def ingest_one(store: DocumentStore, path: Path) -> IngestResult:
    """The job run in a worker: add one file to the store; never raises for a bad file."""
    shown = printable_path(path)
    try:
        document, new = store.add(path)
    except DisentangleError as exc:
        return IngestResult(shown, error=getattr(exc, "problem", str(exc)))
    except Exception as exc:  # a bug must not stop the batch either; it is reported like a bad file
        return IngestResult(shown, error=f"unexpected {type(exc).__name__}: {exc}")
    ocr_pages = sum(page.method is PageMethod.OCR for page in document.pages)
    return IngestResult(
        shown, document.sha256, document.filename, document.media_type, new, len(document.pages), ocr_pages
    )


def ingest_paths(
    paths: Sequence[Path],
    store: DocumentStore,
    *,
    workers: int = 2,
    progress: Callable[[IngestResult], None] | None = None,
    executor: Executor | None = None,
    item_seconds: float | None = None,
) -> IngestSummary:
    """Ingest files and folders (recursively) into `store`, `workers` files at a time.

    Safe to kill at any moment: every write is atomic and keyed by content, so the next run over the same
    paths skips what is stored and completes the rest. `progress` is called in this process with each
    file's result as it finishes. A file whose reading takes longer than `item_seconds` fails with that.
    """
    store.clean_temporary()
    files, skipped = gather_paths(paths)
    # Share the cores: with two files at once on two cores, each file's OCR gets one Tesseract process.
    cores = os.cpu_count() or 1
    worker_store = replace(store, ocr_workers=max(1, min(store.ocr_workers, cores // max(1, workers))))
    runner = executor if executor is not None else LocalProcessExecutor(workers)
    summary = IngestSummary(skipped=skipped)
    stored_now: set[str] = set()
    control = JobControl(item_seconds=item_seconds, temporary=(store.root / "tmp",))
    for outcome in runner.map_unordered(partial(ingest_one, worker_store), files, control):
        result = outcome.result
        if result is None:
            why = "not read: the batch was stopped" if outcome.stopped else outcome.crash
            result = IngestResult(printable_path(outcome.item), error=why or "lost by the executor")
        sha256 = result.sha256
        if sha256 is not None and result.new:
            if sha256 in stored_now:  # two copies in one batch raced; one of them was first
                result = replace(result, new=False)
            stored_now.add(sha256)
        summary.add(result)
        if progress is not None:
            progress(result)
    return summary
