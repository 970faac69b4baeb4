"""Writing a redacted copy: every page rendered to an image, its boxes painted black, and the image OCRed
again into a new PDF (Tesseract's PDF renderer: the picture with an invisible text layer read from it).

Nothing of the original file's structure reaches the copy: not its text layer, fonts, metadata, annotations,
form fields, attachments, scripts or hidden layers — only the pixels a reader sees, with black where the
boxes are, and the words Tesseract reads on those pixels. The original is opened for reading only.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from disentangle.errors import DocumentError
from disentangle.ingest._ocr import PAGE_TIMEOUT_SECONDS, check_languages, tesseract_environment
from disentangle.model import Redaction

FLATTEN_DPI = 300
PAD_POINTS = 1.5  # a box is painted this much wider on every side: glyphs overhang their boxes
JPEG_QUALITY = 80


@dataclass(frozen=True, slots=True)
class Flattened:
    pages: int
    boxes: int
    text: list[str]  # the copy's text layer, page by page, as pypdfium2 reads it back
    leftovers: list[tuple[int, str]]  # (page, words) of a box's words still readable elsewhere in the copy


def page_images(
    original: Path, *, dpi: float = FLATTEN_DPI, pages: set[int] | None = None
) -> dict[int, Image.Image]:
    """The pages of a PDF or an image file as RGB images at `dpi`, by page number (all, or `pages`)."""
    with original.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF"):
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(str(original))
        except pdfium.PdfiumError as exc:
            raise DocumentError(f"the PDF cannot be opened ({exc})", original) from exc
        try:
            # annotations and form fields are drawn into the pixels (what a reader saw), then flattened
            document.init_forms()
            return {
                i + 1: document[i].render(scale=dpi / 72, may_draw_forms=True).to_pil().convert("RGB")
                for i in range(len(document))
                if pages is None or i + 1 in pages
            }
        finally:
            document.close()
    images: dict[int, Image.Image] = {}
    with Image.open(original) as picture:
        for index in range(getattr(picture, "n_frames", 1)):
            if pages is not None and index + 1 not in pages:
                continue
            picture.seek(index)
            own = float((picture.info.get("dpi") or (FLATTEN_DPI, FLATTEN_DPI))[0] or FLATTEN_DPI)
            frame = picture.convert("RGB")
            if abs(own - dpi) > 1:
                size = (round(frame.width * dpi / own), round(frame.height * dpi / own))
                frame = frame.resize(size, Image.Resampling.LANCZOS)
            images[index + 1] = frame
    return images


def paint(image: Image.Image, redactions: Sequence[Redaction], dpi: float = FLATTEN_DPI) -> Image.Image:
    """The page image with each box filled black (boxes in points, from the top-left corner)."""
    painted = image.copy()
    draw = ImageDraw.Draw(painted)
    scale = dpi / 72
    for r in redactions:
        draw.rectangle(
            (
                max(0, (r.box.x0 - PAD_POINTS) * scale),
                max(0, (r.box.y0 - PAD_POINTS) * scale),
                min(painted.width, (r.box.x1 + PAD_POINTS) * scale),
                min(painted.height, (r.box.y1 + PAD_POINTS) * scale),
            ),
            fill="black",
        )
    return painted


def write_redacted(
    original: Path, redactions: Sequence[Redaction], out: Path, *, languages: str = "eng"
) -> Flattened:
    """Write the redacted copy of `original` to `out` (atomically: a whole file or none) and read it back."""
    import pypdfium2 as pdfium

    check_languages(languages)
    images = page_images(original)
    bad = sorted({r.page for r in redactions if not 1 <= r.page <= len(images)})
    if bad:
        raise DocumentError(f"boxes on page(s) {bad} of a document of {len(images)} page(s)", original)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".redact-", dir=out.parent) as work:
        folder = Path(work)
        merged = pdfium.PdfDocument.new()
        for number, image in sorted(images.items()):
            painted = paint(image, [r for r in redactions if r.page == number])
            picture = folder / f"page-{number:04d}.jpg"
            painted.save(picture, "JPEG", quality=JPEG_QUALITY, dpi=(FLATTEN_DPI, FLATTEN_DPI))
            _tesseract_pdf(picture, folder / f"page-{number:04d}", languages)
            page_pdf = pdfium.PdfDocument(str(folder / f"page-{number:04d}.pdf"))
            merged.import_pages(page_pdf)
            page_pdf.close()
        partial = folder / "copy.pdf"
        merged.save(str(partial))
        merged.close()
        os.replace(partial, out)
    text = text_of(out)
    return Flattened(len(images), len(redactions), text, _leftovers(redactions, text))


def _tesseract_pdf(picture: Path, base: Path, languages: str) -> None:
    command = ["tesseract", str(picture), str(base), "--dpi", str(FLATTEN_DPI), "-l", languages, "pdf"]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            env=tesseract_environment(),
            timeout=PAGE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(f"Tesseract took longer than {PAGE_TIMEOUT_SECONDS} s on one page") from exc
    if done.returncode != 0 or not base.with_suffix(".pdf").is_file():
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DocumentError(
            f"Tesseract could not write a page: {message[-1] if message else done.returncode}"
        )


def text_of(path: Path) -> list[str]:
    """The text of each page of a PDF (of a redacted copy: its OCR layer, what a reader can extract)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _normal(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _leftovers(redactions: Sequence[Redaction], text: Sequence[str]) -> list[tuple[int, str]]:
    """A box's words that can still be read in the copy: the same data written again somewhere no box
    covers. Short words (under five letters and digits) are left out: they are found everywhere."""
    pages = [_normal(page) for page in text]
    found: list[tuple[int, str]] = []
    for r in redactions:
        needle = _normal(r.text)
        if len(needle) < 5:
            continue
        for number, page in enumerate(pages, start=1):
            if needle in page:
                found.append((number, r.text))
    return sorted(set(found))
