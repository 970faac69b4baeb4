"""Scanned releases built from code: PDFs whose pages are images of typed text (no text layer)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WORDS = ("agreement", "sheriff", "county", "detainer", "custody", "records", "release", "officer")


def page_words(number: int) -> str:
    """The line typed on page `number`: its number in words OCR reads back reliably."""
    return f"Page {number} {WORDS[number % len(WORDS)]} {WORDS[(number * 3) % len(WORDS)]}"


PROSE = (
    "The county agrees to hold persons in custody at the request of the federal agency.",
    "Records of each detainer received shall be kept and released under the public records law.",
    "The sheriff shall designate officers to perform the functions described in this agreement.",
    "Either party may terminate this agreement by written notice to the other party.",
)


def scanned_pdf(path: Path, pages: int, *, dpi: int = 100, lines: int = 1) -> Path:
    """A PDF of `pages` letter-size page images: page_words first, then `lines` lines of typed prose."""
    font = ImageFont.load_default(size=dpi // 3)
    small = ImageFont.load_default(size=dpi // 6)
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
        draw = ImageDraw.Draw(image)
        draw.text((dpi, dpi), page_words(number), fill=0, font=font)
        for line in range(lines):
            words = PROSE[(number + line) % len(PROSE)]
            draw.text((dpi, 2 * dpi + line * dpi // 3), words, fill=0, font=small)
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    path.write_bytes(buffer.getvalue())
    return path
