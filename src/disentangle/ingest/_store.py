"""Originals stored once by sha256, pages as JSON beside them; every write atomic, nothing rewritten."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from disentangle.errors import DocumentError, InputError, NotFoundError, StoreError
from disentangle.ingest._base import CHUNK_BYTES, Ingestor, ReadOptions
from disentangle.ingest._names import printable_path
from disentangle.ingest._read import DEFAULT_INGESTORS, read_as, sha256_file
from disentangle.limits import LIMITS, DocumentLimits
from disentangle.model import Document, Page, PageMethod

PAGES_FORMAT = 1  # version of the pages JSON layout, written into each file
STALE_TEMP_SECONDS = 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DocumentStore:
    """A folder of originals addressed by content, and the pages read from each.

        root/originals/ab/cd/<sha256>   the bytes as received, read-only, never modified
        root/pages/<sha256>.json        the Document read from them (written after the original)
        root/tmp/                       half-written files; a kill leaves them here, never in place

    A document is in the store when its pages JSON exists. Each file is written to root/tmp, flushed to
    disk, then renamed into place, so a reader (or a run killed with kill -9) sees a whole file or none.
    """

    root: Path
    ocr: bool = True
    ocr_languages: str = "eng"
    ocr_workers: int = 2
    ingestors: Sequence[Ingestor] = field(default=DEFAULT_INGESTORS, repr=False)
    limits: DocumentLimits = field(default=LIMITS, repr=False)  # the bounds every file is read within

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # -- reading ------------------------------------------------------------------------------------------

    def original_path(self, sha256: str) -> Path:
        """Where the original bytes are; NotFoundError when they are not stored."""
        path = self._original(sha256)
        if not path.is_file():
            raise NotFoundError(f"document {sha256} is not in the store at {self.root}")
        return path

    def has(self, sha256: str) -> bool:
        return self._pages(sha256).is_file() and self._original(sha256).is_file()

    def get(self, sha256: str) -> Document:
        """The stored Document; NotFoundError when absent, StoreError when its pages file is unreadable."""
        path = self._pages(sha256)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise NotFoundError(f"document {sha256} is not in the store at {self.root}") from exc
        try:
            return document_from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path}: pages file is not valid ({exc})") from exc

    def documents(self) -> list[str]:
        """The sha256 of every stored document, sorted."""
        folder = self.root / "pages"
        if not folder.is_dir():
            return []
        return sorted(path.stem for path in folder.glob("*.json") if _SHA256.match(path.stem))

    # -- writing ------------------------------------------------------------------------------------------

    def add(self, path: Path, *, name: str | None = None) -> tuple[Document, bool]:
        """Ingest one file: (its Document, True) when new, (the stored Document, False) when already stored.

        Fails with DocumentError (naming the file) and stores nothing when the file cannot be read.
        """
        path = Path(path)
        shown = name if name is not None else printable_path(path)
        if not path.is_file():
            raise DocumentError("no such file" if not path.exists() else "not a regular file", shown)
        try:
            sha256 = sha256_file(path)
        except OSError as exc:
            raise DocumentError(exc.strerror or str(exc), shown) from exc
        if self.has(sha256):
            return self.get(sha256), False
        with self._reading(sha256):
            if self.has(sha256):  # another process read the same bytes while this one waited
                return self.get(sha256), False
            return self._add_new(path, sha256, name, shown), True

    def _add_new(self, path: Path, sha256: str, name: str | None, shown: str) -> Document:
        # Read from our own copy, so the pages come from exactly the bytes we keep, even if the
        # source file changes underneath us.
        temporary = self._copy_to_temporary(path, sha256, shown)
        options = ReadOptions(self.ocr, self.ocr_languages, self.ocr_workers, self.limits)
        try:
            document = read_as(
                temporary, name if name is not None else path.name, sha256, options, self.ingestors
            )
            self._commit_original(temporary, sha256)
        except DocumentError as exc:
            raise DocumentError(exc.problem, shown) from exc
        finally:
            temporary.unlink(missing_ok=True)
        self._write_atomic(self._pages(sha256), lambda handle: _dump_pages(document, handle))
        return document

    @contextlib.contextmanager
    def _reading(self, sha256: str) -> Iterator[None]:
        """Hold the lock of one content while it is read, so that two ingests of the same file at once
        (two terminals, two uploads) read it once: the second waits, then finds it stored."""
        folder = self.root / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # no advisory locks here: at worst the same bytes are read twice
            yield
            return
        with (folder / f"{sha256}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clean_temporary(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove half-written files left by killed runs (only old ones: a live run may own new ones)."""
        folder = self.root / "tmp"
        removed = 0
        if not folder.is_dir():
            return 0
        limit = time.time() - older_than
        for path in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        return removed

    # -- inside -------------------------------------------------------------------------------------------

    def _original(self, sha256: str) -> Path:
        _check_sha256(sha256)
        return self.root / "originals" / sha256[:2] / sha256[2:4] / sha256

    def _pages(self, sha256: str) -> Path:
        _check_sha256(sha256)
        return self.root / "pages" / f"{sha256}.json"

    def _temporary(self, suffix: str) -> tuple[int, Path]:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}-", suffix=suffix)
        return handle, Path(name)

    def _copy_to_temporary(self, source: Path, sha256: str, shown: str) -> Path:
        handle, temporary = self._temporary(".original")
        digest = hashlib.sha256()
        try:
            with os.fdopen(handle, "wb") as out, source.open("rb") as inp:
                while chunk := inp.read(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise DocumentError(exc.strerror or str(exc), shown) from exc
        if digest.hexdigest() != sha256:
            temporary.unlink(missing_ok=True)
            raise DocumentError("the file changed while it was being read; try again", shown)
        return temporary

    def _commit_original(self, temporary: Path, sha256: str) -> None:
        target = self._original(sha256)
        if target.is_file():  # stored by an earlier run whose pages file was not written yet
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
        _fsync_directory(target.parent)

    def _write_atomic(self, target: Path, write: Callable[[IO[bytes]], Any]) -> None:
        handle, temporary = self._temporary(target.suffix)
        try:
            with os.fdopen(handle, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(target.parent)


def _check_sha256(sha256: str) -> None:
    # The only thing that ever becomes part of a path inside the store, so it must be exactly hex.
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise InputError(f"not a sha256 (64 lower-case hex digits): {sha256!r}")


def _fsync_directory(folder: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open a directory, which is fine there.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _dump_pages(document: Document, handle: IO[bytes]) -> None:
    """The pages JSON written a page at a time: a document of many pages is never one string in memory."""
    head = {key: value for key, value in document_to_json(document, with_pages=False).items()}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    handle.write(text[: text.rindex("}")].rstrip().encode("utf-8") + b',\n "pages": [')
    for index, page in enumerate(document.pages):
        entry = {
            "number": page.number,
            "method": page.method.value,
            "ocr_confidence": page.ocr_confidence,
            "text": page.text,
        }
        handle.write(
            (",\n  " if index else "\n  ").encode() + json.dumps(entry, ensure_ascii=False).encode("utf-8")
        )
    handle.write(b"\n ]\n}")


def document_to_json(document: Document, *, with_pages: bool = True) -> dict[str, Any]:
    return {
        "format": PAGES_FORMAT,
        "sha256": document.sha256,
        "filename": document.filename,
        "media_type": document.media_type,
        "metadata": document.metadata,
        **(
            {
                "pages": [
                    {
                        "number": page.number,
                        "method": page.method.value,
                        "ocr_confidence": page.ocr_confidence,
                        "text": page.text,
                    }
                    for page in document.pages
                ]
            }
            if with_pages
            else {}
        ),
    }


def document_from_json(data: dict[str, Any]) -> Document:
    if data.get("format") != PAGES_FORMAT:
        raise ValueError(f"unknown pages format {data.get('format')!r}")
    pages = [
        Page(int(page["number"]), str(page["text"]), PageMethod(page["method"]), page.get("ocr_confidence"))
        for page in data["pages"]
    ]
    return Document(data["sha256"], data["filename"], data["media_type"], pages, dict(data["metadata"]))
