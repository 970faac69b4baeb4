"""PDF -> pages: the text layer, laid out by poppler, where it is real; OCR of 300-dpi renders where not."""

from __future__ import annotations

import itertools
import math
import re
import subprocess
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from disentangle.errors import DocumentError
from disentangle.ingest._base import (
    NO_BID,
    SIGNATURE,
    Ingestor,
    Reading,
    ReadOptions,
    clean_page_text,
    describe_head,
    letter_share,
)
from disentangle.ingest._ocr import (
    OCR_DPI,
    OcrText,
    PagePipeline,
    check_languages,
    encode_for_tesseract,
    recognize,
)
from disentangle.limits import LIMITS, DocumentLimits, check_page_count, check_page_text
from disentangle.model import Page, PageMethod

_PDFIUM_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "the file could not be opened",
    pdfium_c.FPDF_ERR_FORMAT: "it is damaged or not a PDF (PDFium cannot parse it)",
    pdfium_c.FPDF_ERR_PASSWORD: (
        "encrypted PDF: it needs a password to open; ask the agency for an unlocked copy"
    ),
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF with an unsupported security handler",
}
_METADATA_KEYS = ("Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate")


class PdfIngestor(Ingestor):
    """Born-digital, scanned and partly scanned PDFs, one page at a time so memory does not grow with pages.

    A page keeps its text layer when it has at least `min_text_chars` visible characters of which at least
    `min_letter_share` are letters. Otherwise, if anything besides text is drawn on it (a scan is an
    image), or if it has that many characters but too few letters (a font whose codes map to the wrong
    characters: the glyphs are drawn right), it is rendered at 300 dpi and read by Tesseract; in the
    second case OCR's reading replaces the layer only when it has clearly more letters (a table of figures
    keeps its exact text). Calibrated on the 287(g) corpus: scanned
    signature pages carry stamps of 10-75 characters ("March 21, 2025 Acting Director"), while real text
    pages, even the short last page of a section, have well over 100.

    PDFium decides which pages are read from their text layer, but the text of those pages comes from
    `layout_command` (poppler's `pdftotext -layout`), run once per document: it keeps columns side by
    side on the same lines and form-field values where they are drawn, which signature blocks need
    (PDFium's own text gives the two signature columns one after the other and appends form fields at
    the end of the page). When the command is missing, fails, times out or finds another page count,
    every page keeps PDFium's text and `metadata["text_layout"]` says why.
    """

    name = "pdf"
    media_types = ("application/pdf",)
    extensions = (".pdf",)
    min_text_chars: ClassVar[int] = 100
    min_letter_share: ClassVar[float] = 0.5
    max_pages: ClassVar[int] = 20_000
    pages_per_opening: ClassVar[int] = 200
    layout_command: ClassVar[tuple[str, ...]] = ("pdftotext", "-layout", "-enc", "UTF-8", "-q")
    layout_seconds: ClassVar[tuple[float, float]] = (30.0, 0.25)  # timeout: fixed part, and per page

    def content_score(self, head: bytes) -> float:
        return SIGNATURE if b"%PDF-" in head[:1024] else NO_BID

    def read(self, path: Path, options: ReadOptions) -> Reading:
        with path.open("rb") as handle:
            head = handle.read(1024)
            if b"%PDF-" not in head:
                raise DocumentError(
                    f"not a PDF, whatever its name says: it starts with {describe_head(head)}"
                )
            handle.seek(max(0, path.stat().st_size - 1024))
            if b"%%EOF" not in handle.read():
                raise DocumentError(
                    "truncated PDF: the end-of-file marker is missing (the download or copy was cut short)"
                )
        document = _Reopening(path, self.pages_per_opening)
        try:
            count = document.count
            if count == 0:
                raise DocumentError("the PDF has no pages")
            if count > self.max_pages:
                raise DocumentError(f"the PDF has {count} pages, more than the limit of {self.max_pages}")
            check_page_count(count, options.limits, "pages in the PDF")
            if options.ocr and count > options.limits.max_ocr_pages:
                self._check_ocr_pages(document, options)
            metadata = _metadata(document.current)
            fixed, per_page = self.layout_seconds
            layout, metadata["text_layout"] = _layout_pages(
                self.layout_command, path, count, fixed + per_page * count
            )
            pages, unread, unlaid = self._pages(document, options, layout)
        finally:
            document.close()
        metadata["page_count"] = count
        if unlaid:  # pages the layout tool found blank but PDFium did not: PDFium's text is kept
            metadata["pages_without_layout"] = unlaid
        if unread:  # read with ocr=False: these pages' words are only in the image
            metadata["pages_needing_ocr"] = unread
        return Reading(self.media_types[0], pages, metadata)

    def _pages(
        self, document: _Reopening, options: ReadOptions, layout: list[str] | None
    ) -> tuple[list[Page], list[int], list[int]]:
        pages: list[Page] = []
        unread: list[int] = []
        unlaid: list[int] = []
        few_letters: dict[int, float] = {}  # page -> letter share of a text layer with few letters
        pipeline: PagePipeline | None = None
        given: dict[int, OcrText] = {}
        try:
            for index in range(document.count):
                page = document.page(index)
                try:
                    text, needs_ocr, layer_letters = self._text_layer(page)
                    check_page_text(index + 1, text, options.limits)
                    if layer_letters is not None:
                        few_letters[index + 1] = layer_letters
                    if layout is not None:
                        check_page_text(index + 1, layout[index], options.limits)
                        laid_out = clean_page_text(_BLANK_CONTROLS.sub(" ", layout[index]))
                        layout[index] = ""  # each page's layout is needed once
                        if laid_out.strip():
                            text = laid_out
                        elif text.strip():
                            unlaid.append(index + 1)
                    if needs_ocr and options.page_texts is not None:
                        if index + 1 in options.page_texts:  # read by OCR elsewhere already
                            given[index + 1] = options.page_texts[index + 1]
                        else:
                            unread.append(index + 1)
                    elif needs_ocr and options.ocr:
                        if pipeline is None:
                            pipeline = PagePipeline(
                                options.ocr_languages, options.ocr_workers, options.limits
                            )
                        pipeline.submit(index + 1, partial(_render, page, options.limits.max_pixels))
                    elif needs_ocr:
                        unread.append(index + 1)
                    method = PageMethod.TEXT_LAYER if text.strip() else PageMethod.EMPTY
                    pages.append(Page(index + 1, text, method))
                finally:
                    page.close()
            found_pages = itertools.chain(pipeline.results() if pipeline else (), sorted(given.items()))
            if pipeline is not None or given:
                for number, found in found_pages:
                    layer = few_letters.get(number)
                    if found.text.strip() and (layer is None or letter_share(found.text)[1] >= layer + 0.2):
                        # A layer of many characters but few letters is a broken encoding, or a table of
                        # figures: OCR replaces it only when it reads clearly more letters.
                        pages[number - 1] = Page(number, found.text, PageMethod.OCR, found.confidence)
        finally:
            if pipeline is not None:
                pipeline.close()
        return pages, unread, unlaid

    def _check_ocr_pages(self, document: _Reopening, options: ReadOptions) -> None:
        """Refuse, before any page is OCRed, a PDF with more pages to OCR than the limit (a scan of
        20,000 pages would otherwise queue a day of Tesseract)."""
        limit = options.limits.max_ocr_pages
        scanned = 0
        for index in range(document.count):
            page = document.page(index)
            try:
                scanned += self._text_layer(page)[1]
            finally:
                page.close()
            if scanned > limit:
                raise DocumentError(
                    f"more than {limit:,} of its {document.count:,} pages need OCR, the limit for one "
                    "document: split it, or ingest it with OCR off"
                )

    def _text_layer(self, page: pdfium.PdfPage) -> tuple[str, bool, float | None]:
        """PDFium's text of the page, whether the page must be OCRed to be read, and, for a layer with many
        characters but few letters, its share of letters (OCR must read clearly better to replace it)."""
        textpage = page.get_textpage()
        try:
            raw = textpage.get_text_range()
        finally:
            textpage.close()
        # Judged before cleaning: a text layer from a broken font encoding is mostly control characters.
        visible, letters = letter_share(raw)
        text = clean_page_text(raw)
        if visible >= self.min_text_chars and letters >= self.min_letter_share:
            return text, False, None
        if visible >= self.min_text_chars:
            # Plenty of characters but few letters: a font whose codes map to the wrong characters (Calhoun
            # County TX, 2025). The glyphs are drawn right, so OCR of the render reads what the layer cannot.
            return text, True, letters
        # A page with nothing drawn but text shows exactly its text layer: OCR cannot add anything.
        return text, _draws_more_than_text(page), None


# Control characters in a text layer are glyphs of a broken or shifted font encoding (a shifted space is
# \x03): blanked rather than removed in laid-out text, so the columns after them stay where they are drawn.
_BLANK_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LAYOUT_EXIT = {1: "could not open the PDF", 3: "the PDF does not permit copying its text"}  # poppler's codes


def _layout_pages(
    command: tuple[str, ...], path: Path, count: int, timeout: float
) -> tuple[list[str] | None, str]:
    """Every page's layout-preserving text from one run of `command` (pages end with form feeds), and how
    the text was laid out; None with the reason when the run gives no usable pages (PDFium's text is used)."""
    tool = command[0]
    fallback = "none, PDFium's text in content-stream order"
    try:
        done = subprocess.run(
            [*command, str(path.absolute()), "-"],  # absolute: a name starting with "-" is not an option
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return None, f"{fallback} ({tool} is not installed: install poppler-utils)"
    except subprocess.TimeoutExpired:
        return None, f"{fallback} ({tool} took more than {timeout:g} s)"
    except OSError as exc:
        return None, f"{fallback} ({tool} could not be run: {exc.strerror or exc})"
    if done.returncode != 0:
        why = _LAYOUT_EXIT.get(done.returncode, "failed")
        return None, f"{fallback} ({tool} {why}, exit status {done.returncode})"
    pages = done.stdout.decode("utf-8", errors="replace").split("\f")
    if pages[-1] == "":  # the form feed that ends the last page
        pages.pop()
    if len(pages) != count:
        return None, f"{fallback} ({tool} found {len(pages)} pages, PDFium {count})"
    return pages, " ".join(command[:2])


def ocr_pdf_page(path: Path, number: int, languages: str = "eng", limits: DocumentLimits = LIMITS) -> OcrText:
    """One page of a PDF rendered at 300 dpi and read by Tesseract, exactly as a whole-document read does
    it: the unit of work a worker does when a document's OCR is fanned out one task per page."""
    check_languages(languages)
    document = _open(path)
    try:
        if not 1 <= number <= len(document):
            raise DocumentError(f"the PDF has no page {number}")
        page = _flattened_page(document, number - 1)
        try:
            image, dpi = _render(page, limits.max_pixels)
        finally:
            page.close()
    finally:
        document.close()
    return recognize(image, dpi, languages)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        problem = _PDFIUM_ERRORS.get(getattr(exc, "err_code", None), f"PDFium cannot open it ({exc})")
        raise DocumentError(problem) from exc
    # Before any page is loaded: lets PDFium build missing form-field appearances for flattening.
    document.init_forms()
    return document


class _Reopening:
    """A PDF read page by page, closed and reopened every `every` pages.

    PDFium keeps every font and image a document has loaded until the document is closed. Pages that
    share resources cost nothing more, but a PDF whose pages each carry their own (a merge of many
    scans, or a hostile file) would grow without bound: measured at 93 KB per page on 2,000 pages.
    """

    def __init__(self, path: Path, every: int) -> None:
        self.path = path
        self.every = every
        self.current = _open(path)
        self.count = len(self.current)

    def page(self, index: int) -> pdfium.PdfPage:
        if index and index % self.every == 0:
            self.current.close()
            self.current = _open(self.path)
        return _flattened_page(self.current, index)

    def close(self) -> None:
        self.current.close()


def _flattened_page(document: pdfium.PdfDocument, index: int) -> pdfium.PdfPage:
    """The page with its annotations merged into its content, so filled-in form fields (the agency's name,
    a signature date) and typed-on notes are part of the text. Their text lands at the end of the page's
    text: PDFium orders text by content stream, and flattening appends."""
    page = document[index]
    if pdfium_c.FPDFPage_GetAnnotCount(page) > 0:
        flattened = pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_NORMALDISPLAY)
        if flattened == pdfium_c.FLATTEN_SUCCESS:  # the handle is stale now; load the page again
            page.close()
            page = document[index]
    return page


def _draws_more_than_text(page: pdfium.PdfPage) -> bool:
    # Form XObjects are containers: get_objects descends into them and judges what they hold.
    only_text = (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM)
    return any(obj.type not in only_text for obj in page.get_objects(max_depth=4))


def _render(page: pdfium.PdfPage, max_pixels: int) -> tuple[bytes, int]:
    """The page at 300 dpi in grayscale, or less for a page so large that 300 dpi would blow memory."""
    width, height = page.get_size()
    scale = OCR_DPI / 72
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return encode_for_tesseract(bitmap.to_pil()), max(1, round(scale * 72))
    finally:
        bitmap.close()


def _metadata(document: pdfium.PdfDocument) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        info = document.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        info = {}
    for key in _METADATA_KEYS:
        value = clean_page_text(str(info.get(key, ""))).strip()
        if value:
            found[key.lower()] = value
    if pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1:
        found["encrypted"] = "permissions only (opened without a password)"
    version = document.get_version()
    if version:
        found["pdf_version"] = f"{version // 10}.{version % 10}"
    return found
