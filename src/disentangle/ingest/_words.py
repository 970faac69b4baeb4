"""A document's words with their boxes on the page: from a PDF's text layer (pypdfium2), or from Tesseract's
word boxes on the page image when the page has no text layer (a scan). Boxes are in PDF points from the
page's top-left corner, so a box drawn on one is drawn on the other."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from disentangle.errors import DocumentError
from disentangle.ingest._ocr import (
    OCR_DPI,
    PAGE_TIMEOUT_SECONDS,
    _tsv_words,
    check_languages,
    encode_for_tesseract,
    tesseract_environment,
)
from disentangle.model import Box, PageWord

TEXT_LAYER_MIN_CHARS = 20  # fewer characters than this on a page: it is read as a scan
_WORD = re.compile(r"\S+")


def page_words(path: Path, *, languages: str = "eng") -> list[PageWord]:
    """Every word of a PDF or an image file, page by page, with its box in points."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF"):
        return list(_pdf_words(path, languages))
    try:
        with Image.open(path) as picture:
            words: list[PageWord] = []
            for index in range(getattr(picture, "n_frames", 1)):
                picture.seek(index)
                dpi = float((picture.info.get("dpi") or (OCR_DPI, OCR_DPI))[0] or OCR_DPI)
                words += ocr_words(picture.convert("L"), index + 1, dpi, languages)
            return words
    except (UnidentifiedImageError, OSError) as exc:
        raise DocumentError(f"not a PDF or an image: no page to find words on ({exc})", path) from exc


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points (an image's at its stated resolution, else 300 dpi)."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF"):
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(str(path))
        try:
            return [(document[i].get_size()[0], document[i].get_size()[1]) for i in range(len(document))]
        finally:
            document.close()
    sizes: list[tuple[float, float]] = []
    with Image.open(path) as picture:
        for index in range(getattr(picture, "n_frames", 1)):
            picture.seek(index)
            dpi = float((picture.info.get("dpi") or (OCR_DPI, OCR_DPI))[0] or OCR_DPI)
            sizes.append((picture.width * 72 / dpi, picture.height * 72 / dpi))
    return sizes


def _pdf_words(path: Path, languages: str) -> Iterator[PageWord]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"the PDF cannot be opened ({exc})", path) from exc
    try:
        for index in range(len(document)):
            page = document[index]
            height = page.get_size()[1]
            textpage = page.get_textpage()
            count = textpage.count_chars()
            text = textpage.get_text_range() if count else ""
            if len(text.strip()) >= TEXT_LAYER_MIN_CHARS:
                for match in _WORD.finditer(text):
                    boxes = [textpage.get_charbox(i) for i in range(match.start(), min(match.end(), count))]
                    if not boxes:
                        continue
                    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
                    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
                    yield PageWord(index + 1, match.group(), Box(left, height - top, right, height - bottom))
            else:
                image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil()
                yield from ocr_words(image, index + 1, OCR_DPI, languages)
            textpage.close()
            page.close()
    finally:
        document.close()


def ocr_words(image: Image.Image, page: int, dpi: float, languages: str = "eng") -> list[PageWord]:
    """Tesseract's words on one page image, with their boxes converted from pixels to points."""
    check_languages(languages)
    command = ["tesseract", "stdin", "stdout", "--dpi", str(int(dpi)), "-l", languages, "tsv"]
    try:
        done = subprocess.run(
            command,
            input=encode_for_tesseract(image),
            capture_output=True,
            env=tesseract_environment(),
            timeout=PAGE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(f"Tesseract took longer than {PAGE_TIMEOUT_SECONDS} s on page {page}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(f"Tesseract failed on page {page}: {message[-1] if message else ''}")
    lines, _confidences = _tsv_words(done.stdout.decode("utf-8", "replace"))
    scale = 72 / dpi
    return [
        PageWord(
            page,
            word.text,
            Box(word.left * scale, word.top * scale, word.right * scale, (word.top + word.height) * scale),
        )
        for line in lines.values()
        for word in line
    ]
