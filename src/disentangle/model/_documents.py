"""Documents and the evidence that ties every extracted fact to a page and a quote."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PageMethod(StrEnum):
    """How a page's text was obtained."""

    TEXT_LAYER = "text-layer"  # the PDF's own text layer, or a born-digital format (DOCX, HTML, text)
    OCR = "ocr"  # Tesseract on a rendered page image
    EMPTY = "empty"  # no text layer and OCR found nothing


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    text: str
    method: PageMethod
    ocr_confidence: float | None = None  # mean word confidence 0-100 when method is OCR


@dataclass(slots=True)
class Document:
    """One ingested file: its content address, what it is, and its pages' text."""

    sha256: str
    filename: str  # as given, sanitised for display; the original bytes live under the sha256
    media_type: str  # application/pdf, application/vnd.openxmlformats-..., text/html, text/plain
    pages: list[Page] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All pages joined by form feeds, so a character offset maps back to one page."""
        return "\f".join(page.text for page in self.pages)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a finding stands: the document, the page, the character span on that page, the words."""

    sha256: str
    page: int
    start: int  # character offset within the page's text
    end: int
    quote: str
    rule: str  # the id of the knowledge/ rule or pattern that produced the finding
    confidence: float  # 0..1


@dataclass(frozen=True, slots=True)
class Finding:
    """One extracted fact (field, value) with its evidence."""

    field: str
    value: Any
    evidence: Evidence
