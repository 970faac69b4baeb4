"""What every ingestor is: the formats it declares, a bid for a file, and one verb that reads it."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from disentangle.limits import LIMITS, DocumentLimits
from disentangle.model import Page

# How sure a bid is. The content's own signature beats the file name, and the name beats a guess, so a
# Word file saved as "agreement.pdf" is still read as Word, while an HTML error page saved as ".pdf"
# goes to the PDF ingestor, which refuses it with a clear message instead of storing a web page.
SIGNATURE = 1.0  # the bytes carry the format's unmistakable signature (%PDF-, a zip with word/)
NAME = 0.5  # the file name's extension claims the format
LOOKS_LIKE = 0.3  # the content looks like the format (an <html> tag) but carries no signature
FALLBACK = 0.1  # anything that decodes as text
NO_BID = 0.0

HEAD_BYTES = 8192  # how much of a file's start every ingestor sees when it bids
CHUNK_BYTES = 1024 * 1024  # how much of a file is hashed or copied at a time


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read: OCR pages without text or not, in which Tesseract languages, with how many processes,
    within which bounds of work (pages, characters, pixels, OCR time)."""

    ocr: bool = True
    ocr_languages: str = "eng"
    ocr_workers: int = 2  # Tesseract processes run at once for one document's pages
    limits: DocumentLimits = LIMITS
    # Pages already read by OCR elsewhere (page number -> OcrText, one task per page on a worker): the
    # ingestor takes these instead of running Tesseract, and runs none itself.
    page_texts: Mapping[int, Any] | None = None


@dataclass(slots=True)
class Reading:
    """What an ingestor found in one file."""

    media_type: str
    pages: list[Page]
    metadata: dict[str, Any] = field(default_factory=dict)


class Ingestor(ABC):
    """Reads one family of formats. Subclasses declare what they take and bid for each file."""

    name: ClassVar[str]  # a short id, recorded in each Document's metadata
    media_types: ClassVar[tuple[str, ...]]  # the first is what read() reports
    extensions: ClassVar[tuple[str, ...]]  # lower case, with the dot

    def score(self, path: Path, head: bytes) -> float:
        """How sure this ingestor is that it can read the file: NO_BID (0) .. SIGNATURE (1).

        `path` is the file's name as given (only its extension matters); `head` is its first bytes.
        """
        return max(self.name_score(path), self.content_score(head))

    def name_score(self, path: Path) -> float:
        return NAME if path.suffix.lower() in self.extensions else NO_BID

    def content_score(self, head: bytes) -> float:
        """Override to sniff the content; the default trusts only the name."""
        return NO_BID

    @abstractmethod
    def read(self, path: Path, options: ReadOptions) -> Reading:
        """Read the file's pages; raise DocumentError (without a path: the caller adds it) on bad input."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_page_text(text: str) -> str:
    """One line-ending convention and no control characters, so offsets into stored text are stable.

    Form feeds are removed too: Document.text joins pages with them, so a page must not contain one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROL.sub("", text)


def describe_head(head: bytes) -> str:
    """A short printable picture of a file's first bytes, for error messages."""
    start = head[:24]
    printable = sum(32 <= byte < 127 or byte in b"\t\r\n" for byte in start)
    if start and printable == len(start):
        return repr(start.decode("ascii").strip()[:24])
    return "bytes " + start[:8].hex(" ")


def letter_share(text: str) -> tuple[int, float]:
    """Visible characters and the share of them that are letters, to judge whether a text layer is real."""
    visible = [char for char in text if not char.isspace()]
    if not visible:
        return 0, 0.0
    letters = sum(unicodedata.category(char).startswith("L") for char in visible)
    return len(visible), letters / len(visible)
