"""Plain text -> pages split at form feeds; UTF-8 (or a BOM's encoding), else Windows-1252."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import ClassVar

from disentangle.errors import DocumentError
from disentangle.ingest._base import FALLBACK, NO_BID, Ingestor, Reading, ReadOptions, clean_page_text
from disentangle.limits import DocumentLimits, check_page_count
from disentangle.model import Page, PageMethod

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and the encoding used: a BOM's, else a declared one that works, else UTF-8, else cp1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    candidates = [declared] if declared else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (LookupError, UnicodeDecodeError):
            continue
    # cp1252 leaves five byte values undefined; they become U+FFFD rather than failing the file.
    return data.decode("cp1252", errors="replace"), "cp1252"


def looks_like_text(head: bytes) -> bool:
    """No NUL bytes and (nearly) all printable once decoded: what a text file's first bytes look like."""
    if not head or b"\x00" in head:
        return False
    text, _ = decode_text(head[: len(head) - 4] if len(head) > 8 else head)
    printable = sum(char.isprintable() or char in "\t\r\n\f" for char in text)
    return printable >= 0.95 * len(text)


class TextIngestor(Ingestor):
    """Plain text files; each form feed (\\f) starts a new page, as in `pdftotext` output."""

    name = "text"
    media_types = ("text/plain",)
    extensions = (".txt", ".text", ".asc")
    max_bytes: ClassVar[int] = 64 * 1024 * 1024

    def content_score(self, head: bytes) -> float:
        return FALLBACK if looks_like_text(head) else NO_BID

    def read(self, path: Path, options: ReadOptions) -> Reading:
        data = read_limited(path, self.max_bytes, options.limits)
        # Counted in the bytes, before a string or a page is made: a file of form feeds is a page bomb.
        check_page_count(data.count(b"\f") + 1, options.limits, "pages (form feeds)")
        if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DocumentError("not a text file: it contains NUL bytes (a binary file with a text name?)")
        text, encoding = decode_text(data)
        pages = [
            Page(number, clean_page_text(part), PageMethod.TEXT_LAYER)
            for number, part in enumerate(text.split("\f"), start=1)
        ]
        while len(pages) > 1 and not pages[-1].text.strip():  # a trailing form feed opens no page
            pages.pop()
        return Reading(self.media_types[0], pages, {"encoding": encoding})


def read_limited(path: Path, limit: int, limits: DocumentLimits) -> bytes:
    """The whole file, refused when it is bigger than `limit` or could hold more characters or lines than
    a document may have (a text format is read in one piece, so this is checked first)."""
    size = path.stat().st_size
    if size > limit:
        raise DocumentError(f"too large for a text document: {size:,} bytes (limit {limit:,})")
    # A character is at least one byte in every encoding read here but UTF-16/32 (2 and 4).
    if size > 4 * limits.max_chars:
        raise DocumentError(
            f"too much text: {size:,} bytes, more than the {limits.max_chars:,} characters "
            "a document may have"
        )
    data = path.read_bytes()
    lines = data.count(b"\n") + data.count(b"\r")
    if lines > 2 * limits.max_lines:  # CRLF counts twice here
        raise DocumentError(f"{lines:,} line breaks, more than the limit of {limits.max_lines:,} lines")
    return data
