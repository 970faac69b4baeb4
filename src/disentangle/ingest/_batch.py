"""Many files -> the store, in worker processes; a bad file is reported and the batch goes on."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from disentangle.errors import DisentangleError
from disentangle.ingest._jobs import Executor, LocalProcessExecutor
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


def expand_paths(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given, and every file under given folders, sorted; hidden files and symlinks in folders
    are skipped (a link could lead out of the folder a person chose, or round in a loop)."""
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            yield path
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in sorted(files):
                candidate = Path(folder) / name
                if not name.startswith(".") and not candidate.is_symlink():
                    yield candidate


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
) -> IngestSummary:
    """Ingest files and folders (recursively) into `store`, `workers` files at a time.

    Safe to kill at any moment: every write is atomic and keyed by content, so the next run over the same
    paths skips what is stored and completes the rest. `progress` is called in this process with each
    file's result as it finishes.
    """
    store.clean_temporary()
    files = list(expand_paths(paths))
    # Share the cores: with two files at once on two cores, each file's OCR gets one Tesseract process.
    cores = os.cpu_count() or 1
    worker_store = replace(store, ocr_workers=max(1, min(store.ocr_workers, cores // max(1, workers))))
    runner = executor if executor is not None else LocalProcessExecutor(workers)
    summary = IngestSummary()
    stored_now: set[str] = set()
    for outcome in runner.map_unordered(partial(ingest_one, worker_store), files):
        result = outcome.result
        if result is None:
            result = IngestResult(printable_path(outcome.item), error=outcome.crash or "lost by the executor")
        sha256 = result.sha256
        if sha256 is not None and result.new:
            if sha256 in stored_now:  # two copies in one batch raced; one of them was first
                result = replace(result, new=False)
            stored_now.add(sha256)
        summary.add(result)
        if progress is not None:
            progress(result)
    return summary
