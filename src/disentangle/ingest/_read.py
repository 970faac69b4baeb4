"""One file -> one Document: hash it, let the ingestors bid, let the best bidder read it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from disentangle.errors import DisentangleError, DocumentError
from disentangle.ingest._base import CHUNK_BYTES, HEAD_BYTES, NO_BID, Ingestor, ReadOptions, describe_head
from disentangle.ingest._docx import DocxIngestor
from disentangle.ingest._html import HtmlIngestor
from disentangle.ingest._image import ImageIngestor
from disentangle.ingest._names import printable_path, sanitize_filename
from disentangle.ingest._pdf import PdfIngestor
from disentangle.ingest._text import TextIngestor
from disentangle.limits import LIMITS, DocumentLimits, check_pages, check_size
from disentangle.model import Document

# The built-in formats, in tie-break order. Extensions enter through the same door: pass your own list.
DEFAULT_INGESTORS: tuple[Ingestor, ...] = (
    PdfIngestor(),
    DocxIngestor(),
    HtmlIngestor(),
    ImageIngestor(),
    TextIngestor(),
)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def choose_ingestor(name: Path, head: bytes, ingestors: Sequence[Ingestor] = DEFAULT_INGESTORS) -> Ingestor:
    """The best bidder for a file; the first of equal bidders. DocumentError when nobody bids."""
    best, best_score = None, NO_BID
    for ingestor in ingestors:
        score = ingestor.score(name, head)
        if score > best_score:
            best, best_score = ingestor, score
    if best is None:
        kind = f"{name.suffix} file" if name.suffix else "file without an extension"
        raise DocumentError(f"unsupported file type: a {kind} starting with {describe_head(head)}")
    return best


def read_document(
    path: Path,
    *,
    ocr: bool = True,
    ocr_languages: str = "eng",
    ocr_workers: int = 2,
    name: str | None = None,
    ingestors: Sequence[Ingestor] = DEFAULT_INGESTORS,
    limits: DocumentLimits = LIMITS,
) -> Document:
    """Read one file into a Document (sha256, sanitised name, media type, pages). Pure: stores nothing.

    `name` is the file's name as the person gave it (an upload's name) when `path` is a temporary copy;
    it decides the display name and the extension the ingestors see. Any problem with the file is a
    DocumentError naming it.
    """
    path = Path(path)
    return read_as(path, name, None, ReadOptions(ocr, ocr_languages, ocr_workers, limits), ingestors)


def read_as(
    path: Path, name: str | None, sha256: str | None, options: ReadOptions, ingestors: Sequence[Ingestor]
) -> Document:
    """read_document for the store: `sha256` when already computed; errors name `name` or `path`."""
    label = sanitize_filename(name if name is not None else path.name)
    shown = label if name is not None else printable_path(path)
    try:
        if not path.is_file():
            raise DocumentError("no such file" if not path.exists() else "not a regular file")
        size = check_size(path, options.limits)
        if size == 0:
            raise DocumentError("empty file (0 bytes)")
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        ingestor = choose_ingestor(Path(label), head, ingestors)
        try:
            reading = ingestor.read(path, options)
        except DisentangleError:
            raise
        except MemoryError as exc:
            raise DocumentError(f"could not be read as {ingestor.name}: it needs too much memory") from exc
        except Exception as exc:  # hostile files reach library corners nobody documents; name the file
            raise DocumentError(
                f"could not be read as {ingestor.name} ({type(exc).__name__}: {exc})"
            ) from exc
        # Whatever the format, what extraction will read is bounded (pages, characters, lines).
        check_pages([page.text for page in reading.pages], options.limits)
        digest = sha256 or sha256_file(path)
    except DocumentError as exc:
        if exc.path is None:
            raise DocumentError(exc.problem, shown) from exc
        raise
    except OSError as exc:
        raise DocumentError(f"cannot be read: {exc.strerror or exc}", shown) from exc
    metadata = {"ingestor": ingestor.name, "size_bytes": size, **reading.metadata}
    return Document(digest, label, reading.media_type, reading.pages, metadata)
