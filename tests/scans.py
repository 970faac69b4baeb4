"""Scanned releases built from code: PDFs whose pages are images of typed text (no text layer)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WORDS = ("agreement", "sheriff", "county", "detainer", "custody", "records", "release", "officer")


def page_words(number: int) -> str:
    """The line typed on page `number`: its number in words OCR reads back reliably."""
    return f"Page {number} {WORDS[number % len(WORDS)]} {WORDS[(number * 3) % len(WORDS)]}"


def scanned_pdf(path: Path, pages: int, *, dpi: int = 100) -> Path:
    """A PDF of `pages` letter-size page images, each with a few typed lines (page_words first)."""
    font = ImageFont.load_default(size=dpi // 3)
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
        draw = ImageDraw.Draw(image)
        draw.text((dpi, dpi), page_words(number), fill=0, font=font)
        draw.text(
            (dpi, 2 * dpi), "This memorandum was released under the public records law.", fill=0, font=font
        )
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    path.write_bytes(buffer.getvalue())
    return path
