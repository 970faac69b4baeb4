"""Bounds on the work one file may cause, for every file that enters (uploads, ingest, workbooks).

A hostile or broken file must cost a bounded amount of memory and time, and be refused with one line that
names the limit it passed. The numbers are generous for real records (the largest agreement in the corpus
is under 20 MB and 100 pages; a records-request production can run to a few thousand pages).

    check_size(path, limits)            before a byte is read
    check_zip(path, "DOCX", limits)     an Office file's declared sizes, before anything is inflated
    check_pages(pages, limits)          what a reader produced, before it is stored or extracted
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from disentangle.errors import DocumentError, InputError

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The bounds; each refusal names the one that was passed."""

    max_bytes: int = 50 * MB  # one file, checked before it is read (uploads stop at this size)
    max_pages: int = 5_000  # pages of one document (a PDF's pages, a text's form feeds, a TIFF's frames)
    max_page_chars: int = 1_000_000  # characters on one page (printed: about 5,000; a text file is one page)
    max_chars: int = 4_000_000  # characters in one document (about 1,000 dense pages)
    max_lines: int = 200_000  # lines in one document (about 4,000 pages of 50 lines)
    max_pixels: int = 60_000_000  # one page image (a 300-dpi letter page is 8.4 million)
    max_ocr_pages: int = 1_000  # pages of one document read by OCR
    ocr_page_seconds: float = 120.0  # Tesseract on one page
    ocr_document_seconds: float = 1_800.0  # Tesseract on all pages of one document
    zip_members: int = 5_000  # entries in an Office file (DOCX, XLSX)
    zip_inflated_bytes: int = 256 * MB  # all entries inflated (images included)
    zip_xml_bytes: int = 64 * MB  # XML entries inflated: what the XML parser holds in memory
    zip_ratio: int = 100  # inflated / compressed, for entries over 1 MB (text compresses about 10 times)


LIMITS = DocumentLimits()
_RATIO_FLOOR = MB


def check_size(path: Path, limits: DocumentLimits = LIMITS, error: type[InputError] = DocumentError) -> int:
    """The file's size, refused when over the limit (before a byte of it is read)."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise error(f"too large: {size:,} bytes, more than the limit of {limits.max_bytes // MB} MB")
    return size


def check_zip(
    path: Path,
    kind: str,
    limits: DocumentLimits = LIMITS,
    error: type[InputError] = DocumentError,
    *,
    named: bool = False,
) -> None:
    """Refuse a zip bomb from its declared sizes, before a byte is inflated; `named` puts the file's path in
    the error (the ingestors add the name the person gave instead).

    Declared sizes can be trusted as an upper bound: zipfile stops inflating a member at its declared size
    and raises on a CRC mismatch, so a member that lies about its size fails instead of growing; openpyxl
    and python-docx read members through zipfile."""

    def refuse(problem: str) -> InputError:
        return error(problem, path) if named else error(problem)

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        damaged = f"not a readable {kind}" if kind.startswith("Excel") else f"damaged {kind}"
        raise refuse(f"{damaged}: the zip archive cannot be read ({exc})") from exc
    if len(members) > limits.zip_members:
        raise refuse(f"suspicious {kind}: {len(members):,} zip members (the limit is {limits.zip_members:,})")
    total = sum(member.file_size for member in members)
    if total > limits.zip_inflated_bytes:
        raise refuse(
            f"suspicious {kind} (zip bomb?): it would inflate to {total:,} bytes "
            f"(the limit is {limits.zip_inflated_bytes // MB} MB)"
        )
    xml = sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels", ".vml")))
    if xml > limits.zip_xml_bytes:
        raise refuse(
            f"suspicious {kind} (zip bomb?): its XML would inflate to {xml:,} bytes "
            f"(the limit is {limits.zip_xml_bytes // MB} MB)"
        )
    for member in members:
        if member.file_size > _RATIO_FLOOR:
            ratio = member.file_size / max(1, member.compress_size)
            if ratio > limits.zip_ratio:
                raise refuse(
                    f"suspicious {kind} (zip bomb?): {member.filename} inflates {ratio:,.0f} times "
                    f"(the limit is {limits.zip_ratio})"
                )


def check_page_count(count: int, limits: DocumentLimits = LIMITS, what: str = "pages") -> None:
    if count > limits.max_pages:
        raise DocumentError(f"{count:,} {what}, more than the limit of {limits.max_pages:,} pages")


def check_page_text(number: int, text: str, limits: DocumentLimits = LIMITS) -> None:
    if len(text) > limits.max_page_chars:
        raise DocumentError(
            f"page {number} has {len(text):,} characters, more than the limit of "
            f"{limits.max_page_chars:,} per page"
        )


def check_pages(texts: Sequence[str], limits: DocumentLimits = LIMITS) -> None:
    """Pages, characters per page, characters and lines in all: the bounds of what extraction reads."""
    check_page_count(len(texts), limits)
    chars = lines = 0
    for number, text in enumerate(texts, start=1):
        check_page_text(number, text, limits)
        chars += len(text)
        lines += text.count("\n") + 1
    if chars > limits.max_chars:
        raise DocumentError(
            f"{chars:,} characters of text, more than the limit of {limits.max_chars:,} for one document"
        )
    if lines > limits.max_lines:
        raise DocumentError(f"{lines:,} lines of text, more than the limit of {limits.max_lines:,}")
