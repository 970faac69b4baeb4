"""Originals stored once by sha256, pages as JSON beside them; every write atomic, nothing rewritten."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from disentangle.errors import DocumentError, NotFoundError, StoreError
from disentangle.ingest._base import CHUNK_BYTES, Ingestor, ReadOptions
from disentangle.ingest._blobs import BlobStore, FolderBlobs, FolderPages, PagesIndex
from disentangle.ingest._names import printable_path
from disentangle.ingest._ocr import OcrText
from disentangle.ingest._read import DEFAULT_INGESTORS, read_as, sha256_file
from disentangle.limits import LIMITS, DocumentLimits
from disentangle.model import Document, Page, PageMethod

PAGES_FORMAT = 1  # version of the pages JSON layout, written into each file
STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True)
class DocumentStore:
    """Originals addressed by content, and the pages read from each.

        root/originals/ab/cd/<sha256>   the bytes as received, read-only, never modified
        root/pages/<sha256>.json        the Document read from them (written after the original)
        root/tmp/                       half-written files; a kill leaves them here, never in place

    A document is in the store when its pages JSON exists. Each file is written to root/tmp, flushed to
    disk, then renamed into place, so a reader (or a run killed with kill -9) sees a whole file or none.

    `blobs` and `pages_index` move the originals and the pages elsewhere (the database, or a folder every
    machine mounts: see ingest._blobs); `root` then only holds temporary files and a cache of originals
    fetched from there, each checked against its sha256 before it is used.
    """

    root: Path
    ocr: bool = True
    ocr_languages: str = "eng"
    ocr_workers: int = 2
    ingestors: Sequence[Ingestor] = field(default=DEFAULT_INGESTORS, repr=False)
    blobs: BlobStore | None = field(default=None, repr=False, compare=False)
    pages_index: PagesIndex | None = field(default=None, repr=False, compare=False)
    limits: DocumentLimits = field(default=LIMITS, repr=False)  # the bounds every file is read within

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def shared(self) -> bool:
        """Whether originals live beyond this folder (a worker elsewhere can read them)."""
        return self.blobs is not None

    @property
    def _blobs(self) -> BlobStore:
        return self.blobs if self.blobs is not None else FolderBlobs(self.root / "originals")

    @property
    def _index(self) -> PagesIndex:
        return self.pages_index if self.pages_index is not None else FolderPages(self.root / "pages")

    # -- reading ------------------------------------------------------------------------------------------

    def original_path(self, sha256: str) -> Path:
        """A file on this machine holding the original bytes, checked against their sha256 once per
        process (a damaged store is a StoreError, never wrong evidence); NotFoundError when not stored."""
        local = self._blobs.local_path(sha256)
        if local is None:
            local = self.root / "cache" / sha256
            if not local.is_file():
                self._blobs.copy_to(sha256, local)  # checked on the way
                _VERIFIED[str(local)] = _stamp(local)
        if _VERIFIED.get(str(local)) != _stamp(local):
            _verify(local, sha256)
            _VERIFIED[str(local)] = _stamp(local)
        return local

    def has(self, sha256: str) -> bool:
        return self._index.get(sha256) is not None and self._blobs.has(sha256)

    def has_original(self, sha256: str) -> bool:
        return self._blobs.has(sha256)

    def get(self, sha256: str) -> Document:
        """The stored Document; NotFoundError when absent, StoreError when its pages file is unreadable."""
        raw = self._index.get(sha256)
        if raw is None:
            raise NotFoundError(f"document {sha256} is not in the store")
        try:
            return document_from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"the pages of document {sha256} are not valid ({exc})") from exc

    def documents(self) -> list[str]:
        """The sha256 of every stored document, sorted."""
        return self._index.all()

    # -- writing ------------------------------------------------------------------------------------------

    def add(self, path: Path, *, name: str | None = None) -> tuple[Document, bool]:
        """Ingest one file: (its Document, True) when new, (the stored Document, False) when already stored.

        Fails with DocumentError (naming the file) and stores nothing when the file cannot be read.
        """
        path = Path(path)
        shown = name if name is not None else printable_path(path)
        sha256 = self._hash(path, shown)
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
        self.commit(document)
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

    def put_original(self, path: Path, *, name: str | None = None) -> tuple[str, bool]:
        """Store a file's bytes only (its sha256, and whether they were new), for a worker to read later,
        perhaps on another machine. Nothing is read: a file that is not a document is refused when read."""
        path = Path(path)
        shown = name if name is not None else printable_path(path)
        sha256 = self._hash(path, shown)
        if self._blobs.has(sha256):
            return sha256, False
        temporary = self._copy_to_temporary(path, sha256, shown)
        try:
            self._commit_original(temporary, sha256)
        finally:
            temporary.unlink(missing_ok=True)
        return sha256, True

    def read_original(
        self,
        sha256: str,
        name: str,
        *,
        ocr: bool | None = None,
        page_texts: Mapping[int, OcrText] | None = None,
    ) -> Document:
        """Read a stored original into a Document (nothing stored). `page_texts` are pages already read
        by OCR elsewhere (one task per page); with them Tesseract is not run here."""
        local = self.original_path(sha256)
        options = ReadOptions(
            self.ocr if ocr is None else ocr,
            self.ocr_languages,
            self.ocr_workers,
            self.limits,
            page_texts=page_texts,
        )
        return read_as(local, name, sha256, options, self.ingestors)

    def commit(self, document: Document) -> bool:
        """Record a document's pages unless a reading is recorded already; True when recorded now."""
        if not self._blobs.has(document.sha256):
            raise NotFoundError(f"document {document.sha256}: its original is not stored")
        if self._index.get(document.sha256) is not None:
            return False
        buffer = io.BytesIO()
        _dump_pages(document, buffer)  # a page at a time: the text is never one more string in memory
        self._index.put(document.sha256, buffer.getvalue())
        return True

    def with_options(self, **changes: Any) -> DocumentStore:
        return replace(self, **changes)

    def _hash(self, path: Path, shown: str) -> str:
        if not path.is_file():
            raise DocumentError("no such file" if not path.exists() else "not a regular file", shown)
        try:
            return sha256_file(path)
        except OSError as exc:
            raise DocumentError(exc.strerror or str(exc), shown) from exc

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
        if self.blobs is not None:
            self.blobs.put(temporary, sha256)
            return
        target = FolderBlobs(self.root / "originals").path(sha256)
        if target.is_file():  # stored by an earlier run whose pages file was not written yet
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
        _fsync_directory(target.parent)


_VERIFIED: dict[str, tuple[int, int, int]] = {}  # path -> (inode, size, mtime) when its sha256 was checked


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise NotFoundError(f"document {path.name} is not in the store") from exc
    return info.st_ino, info.st_size, info.st_mtime_ns


def _verify(path: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise StoreError(
            f"the stored original {sha256} does not match its sha256: the store is damaged; "
            "restore it from a backup"
        )


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
