"""Tesseract on page images: one `tesseract` process per page, a few at once; text and mean confidence."""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial

from PIL import Image

from disentangle.errors import DocumentError, InputError
from disentangle.limits import LIMITS, DocumentLimits

OCR_DPI = 300
# A 300-dpi letter page is 8.4 Mpx; a hostile huge page is rendered smaller.
MAX_PIXELS = LIMITS.max_pixels
PAGE_TIMEOUT_SECONDS = LIMITS.ocr_page_seconds

_LANGUAGES = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")


@dataclass(frozen=True, slots=True)
class OcrText:
    text: str
    confidence: float | None  # mean word confidence 0-100; None when no word was found


def tesseract_environment() -> dict[str, str]:
    # Tesseract's OpenMP threads fight our own page-level processes for the same cores and make it slower.
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


@cache
def tesseract_languages() -> frozenset[str]:
    """The language packs the installed Tesseract has; empty when Tesseract is not installed."""
    executable = shutil.which("tesseract")
    if executable is None:
        return frozenset()
    listing = subprocess.run(
        [executable, "--list-langs"], capture_output=True, text=True, env=tesseract_environment(), check=False
    )
    lines = listing.stdout.splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def check_languages(languages: str) -> None:
    """Refuse a language string Tesseract cannot use, before any page is rendered."""
    if not _LANGUAGES.match(languages):
        raise InputError(f"OCR languages must look like 'eng' or 'eng+spa', not {languages!r}")
    installed = tesseract_languages()
    if not installed:
        raise DocumentError(
            "this document has pages without a text layer and needs OCR, but the `tesseract` program is not "
            "installed (Debian/Ubuntu: apt-get install tesseract-ocr); or read it with ocr=False"
        )
    missing = [code for code in languages.split("+") if code not in installed]
    if missing:
        raise InputError(
            f"Tesseract has no language data for {', '.join(missing)} "
            f"(installed: {', '.join(sorted(installed))})"
        )


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


def _tsv_words(tsv: str) -> tuple[dict[tuple[str, ...], list[_Word]], list[float]]:
    """Tesseract's words by line (page, block, paragraph, line), in reading order, and their confidences."""
    lines: dict[tuple[str, ...], list[_Word]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        if not word:
            continue
        try:
            left, top, width, height = (int(value) for value in cells[6:10])
            confidence = float(cells[10])
        except ValueError:
            continue
        lines.setdefault(tuple(cells[1:5]), []).append(_Word(word, left, top, width, height))
        if confidence >= 0:
            confidences.append(confidence)
    return lines, confidences


# How far a word may fall behind its x position before it is moved there: prose drifts a few characters
# from its x positions (letters are wider or narrower than the typical one), handwriting drifts much more.
_DRIFT = 8


def _layout(lines: list[list[_Word]]) -> str:
    """Words placed on rows and columns as `pdftotext -layout` places them.

    Tesseract reads side-by-side columns (the two signature blocks of an agreement) as separate blocks, one
    after the other. Here its lines are merged into rows by their vertical position, and each word starts at
    the column its x position gives (x divided by the page's typical character width), so the columns stay
    side by side. Words of one Tesseract line closer than two characters are joined by one space, so prose
    reads as prose, unless that leaves a word far left of its x position (after wide handwriting). A vertical
    gap of more than 1.3 lines becomes blank lines (at most two).
    """
    lines = [line for line in lines if line]
    if not lines:
        return ""
    words = [w for line in lines for w in line]
    widths = [w.width / len(w.text) for w in words if len(w.text) >= 3]
    widths = widths or [w.width / len(w.text) for w in words]
    char = max(1.0, statistics.median(widths))
    margin = min(w.left for w in words)
    # Rows: Tesseract lines whose vertical middles fall within one another's extent, top to bottom.
    rows: list[list[list[_Word]]] = []
    spans: list[tuple[float, float]] = []
    for line in sorted(lines, key=lambda ws: statistics.median(w.middle for w in ws)):
        top = statistics.median(w.top for w in line)
        bottom = statistics.median(w.top + w.height for w in line)
        middle = (top + bottom) / 2
        if rows and spans[-1][0] <= middle <= spans[-1][1]:
            rows[-1].append(line)
            spans[-1] = (min(spans[-1][0], top), max(spans[-1][1], bottom))
        else:
            rows.append([line])
            spans.append((top, bottom))
    middles = [(top + bottom) / 2 for top, bottom in spans]
    steps = [b - a for a, b in itertools.pairwise(middles) if b > a]
    pitch = statistics.median(steps) if steps else 1.0  # mostly the distance between lines of prose
    out: list[str] = []
    previous_middle: float | None = None
    for row, (top, bottom) in zip(rows, spans, strict=True):
        middle = (top + bottom) / 2
        if previous_middle is not None:
            out.extend([""] * min(2, max(0, int((middle - previous_middle) / pitch - 0.3))))
        previous_middle = middle
        text = ""
        for line in sorted(row, key=lambda ws: ws[0].left):
            previous: _Word | None = None
            for word in line:
                column = round((word.left - margin) / char)
                close = previous is not None and word.left - previous.right < 2 * char
                if text and close and column <= len(text) + _DRIFT:
                    column = len(text) + 1
                elif text:
                    column = max(column, len(text) + 1)
                text = text.ljust(column) + word.text
                previous = word
        out.append(text)
    return "\n".join(out)


def parse_tsv(tsv: str, *, layout: bool = False) -> OcrText:
    """Text from Tesseract's TSV and mean word confidence.

    With `layout`, the words are laid out on rows and columns as `pdftotext -layout` lays out a text layer
    (see `_layout`); without it, Tesseract's own lines in reading order (paragraphs by a blank line).
    """
    lines, confidences = _tsv_words(tsv)
    mean = round(sum(confidences) / len(confidences), 2) if confidences else None
    if layout:
        return OcrText(_layout(list(lines.values())), mean)
    paragraphs: dict[tuple[str, ...], list[str]] = {}
    for key, words in lines.items():
        paragraphs.setdefault(key[:3], []).append(" ".join(w.text for w in words))
    return OcrText("\n\n".join("\n".join(rows) for rows in paragraphs.values()), mean)


def recognize(image: bytes, dpi: int, languages: str, timeout: float = PAGE_TIMEOUT_SECONDS) -> OcrText:
    """One Tesseract process on one encoded page image (PNG or PNM) given on its stdin."""
    command = ["tesseract", "stdin", "stdout", "--dpi", str(dpi), "-l", languages, "tsv"]
    try:
        done = subprocess.run(
            command,
            input=image,
            capture_output=True,
            env=tesseract_environment(),
            timeout=max(1.0, timeout),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(
            f"OCR stopped: Tesseract took longer than {timeout:g} s on one page (the limit)"
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(f"Tesseract failed (exit {done.returncode}): {message[-1] if message else ''}")
    return parse_tsv(done.stdout.decode("utf-8", "replace"), layout=True)


def encode_for_tesseract(image: Image.Image) -> bytes:
    """PNG at the lightest compression: Leptonica decodes it faster than the uncompressed PNM it reads
    slowly, which outweighs the encoding. Measured on 300-dpi grayscale pages (one process, Tesseract 5):
    a typed page 0.65 s as PNM against 0.02 + 0.39 s as PNG; a scanned agreement 1.80-1.90 s against
    0.05 + 1.58-1.68 s."""
    if image.mode not in ("L", "RGB", "1"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class PagePipeline:
    """Runs Tesseract on pages as they are rendered, at most `workers` at once, in page order on output.

    Rendering stays in the caller's thread (PDFium is not thread-safe); each worker thread only waits on
    its own `tesseract` process, so the parallel work is done by processes. One page more than `workers`
    may be in flight, so the next page is rendered while Tesseract reads the last one; submitting blocks
    beyond that, which bounds memory to a few page images whatever the page count. The pages one document
    may send to OCR, the time of one page and of all of them are bounded by `limits`.
    """

    def __init__(self, languages: str, workers: int = 2, limits: DocumentLimits = LIMITS) -> None:
        check_languages(languages)
        self.languages = languages
        self.workers = max(1, workers)
        self.limits = limits
        self._deadline = time.monotonic() + limits.ocr_document_seconds
        self._slots = threading.Semaphore(self.workers + 1)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tesseract")
        self._futures: dict[int, Future[OcrText]] = {}

    def submit(self, number: int, render: Callable[[], tuple[bytes, int]]) -> None:
        """Queue page `number`; `render` returns (encoded image, dpi) and is called in this thread."""
        if len(self._futures) >= self.limits.max_ocr_pages:
            raise DocumentError(
                f"more than {self.limits.max_ocr_pages:,} pages need OCR, the limit for one document: "
                "split it, or ingest it with OCR off"
            )
        self._check_time()
        self._slots.acquire()
        try:
            image, dpi = render()
        except BaseException:
            self._slots.release()
            raise
        self._futures[number] = self._pool.submit(self._run, image, dpi)

    def _check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise DocumentError(
                f"OCR stopped: this document's pages took longer than {self.limits.ocr_document_seconds:g} s "
                "(the limit for one document)"
            )

    def _run(self, image: bytes, dpi: int) -> OcrText:
        try:
            self._check_time()
            left = self._deadline - time.monotonic()
            return recognize(image, dpi, self.languages, min(self.limits.ocr_page_seconds, left))
        finally:
            self._slots.release()

    def results(self) -> Iterator[tuple[int, OcrText]]:
        """Each queued page's text, in page order; the first Tesseract failure is raised."""
        try:
            for number in sorted(self._futures):
                yield number, self._futures[number].result()
        finally:
            self.close()

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> PagePipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encoded(image: Image.Image, dpi: int) -> tuple[bytes, int]:
    return encode_for_tesseract(image), dpi


def recognize_images(
    images: Iterable[tuple[int, Image.Image, int]],
    languages: str,
    workers: int = 2,
    limits: DocumentLimits = LIMITS,
) -> dict[int, OcrText]:
    """OCR already-loaded images (number, image, dpi), e.g. the frames of a TIFF."""
    with PagePipeline(languages, workers, limits) as pipeline:
        for number, image, dpi in images:
            pipeline.submit(number, partial(_encoded, image, dpi))
        return dict(pipeline.results())
