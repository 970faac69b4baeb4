"""Hostile files built by code (issue 18): amplification bombs, huge texts, page bombs, Office zip bombs.

Each builder writes one file into a folder and returns its path. Shared by tests/test_hostile_inputs.py
(each is refused with one line naming its limit) and bench/hostile_bench.py (peak memory of each).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

MB = 1024 * 1024
HERE = Path(__file__).resolve().parent
AGREEMENT = HERE / "fixtures" / "extract" / "tff_mou_synthetic.txt"


def agreement_text(size: int) -> str:
    """Real agreement wording repeated to `size` characters, with a form feed every ~3,000 (pages)."""
    base = "\n".join(
        line for line in AGREEMENT.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )
    page = base[:3000]
    pages = (page + "\f") * (size // (len(page) + 1) + 1)
    return pages[:size]


def form_feeds(folder: Path) -> Path:
    """2 MB of form feeds: two million pages once split (1.27 GB and a 200 MB page before the limits)."""
    path = folder / "form-feeds.txt"
    path.write_bytes(b"page\f" * (2 * MB // 5))
    return path


def line_breaks(folder: Path) -> Path:
    """2 MB of line breaks: two million lines on one page."""
    path = folder / "line-breaks.txt"
    path.write_bytes(b"\n" * (2 * MB))
    return path


def huge_text(folder: Path) -> Path:
    """45 MB of agreement text: under the upload limit, far over the characters a document may have."""
    path = folder / "huge.txt"
    with path.open("w", encoding="utf-8") as out:
        chunk = agreement_text(MB)
        for _ in range(45):
            out.write(chunk)
    return path


def one_long_page(folder: Path) -> Path:
    """Three million characters without a line break or a form feed: one page far over its limit."""
    path = folder / "one-long-page.txt"
    path.write_bytes(b"agreement " * 300_000)
    return path


def long_agreement(size: int) -> Callable[[Path], Path]:
    """Agreement text of `size` characters in pages: within the limits, so it is read and extracted."""

    def build(folder: Path) -> Path:
        path = folder / f"agreement-{size // MB or size}.txt"
        path.write_text(agreement_text(size), encoding="utf-8")
        return path

    return build


def html_tags(folder: Path) -> Path:
    """10 MB of empty block tags: each one a line break in the visible text."""
    path = folder / "tags.html"
    path.write_bytes(b"<html><body>" + b"<p></p>" * (10 * MB // 7) + b"</body></html>")
    return path


def pdf_pages(folder: Path, pages: int = 6_000) -> Path:
    """A PDF of `pages` tiny blank pages: a page bomb in a few hundred kilobytes."""
    path = folder / f"pages-{pages}.pdf"
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(72, 72)
    document.save(str(path))
    document.close()
    return path


def pdf_scans(folder: Path, pages: int = 1_200) -> Path:
    """A PDF of `pages` pages that each draw a small image and no text: every page would need OCR."""
    from PIL import Image

    path = folder / f"scans-{pages}.pdf"
    document = pdfium.PdfDocument.new()
    bitmap = Image.new("L", (40, 40), 128)
    for _ in range(pages):
        page = document.new_page(612, 792)
        image = pdfium.PdfImage.new(document)
        image.set_bitmap(pdfium.PdfBitmap.from_pil(bitmap))
        image.set_matrix(pdfium.PdfMatrix().scale(500, 500))
        page.insert_obj(image)
        page.gen_content()
        image.close()
        page.close()
    document.save(str(path))
    document.close()
    return path


def _zip(path: Path, members: dict[str, bytes], *, declared: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = bytearray(path.read_bytes())
    for name, size in (declared or {}).items():  # a zip that lies about a member's size
        encoded = name.encode()
        start = raw.find(b"PK\x01\x02")  # the central directory record (its size at offset 24)
        while raw[start + 46 : start + 46 + len(encoded)] != encoded:
            start = raw.find(b"PK\x01\x02", start + 4)
        struct.pack_into("<I", raw, start + 24, size)
    path.write_bytes(bytes(raw))
    return path


_DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx_bomb(folder: Path, inflated: int = 1024 * MB) -> Path:
    """A DOCX whose document.xml inflates a thousandfold: ~3 MB that would be 1 GB of XML."""
    body = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * (inflated // 36)
    xml = b'<w:document xmlns:w="w"><w:body>' + body + b"</w:body></w:document>"
    return _zip(folder / "bomb.docx", {"[Content_Types].xml": _DOCX_TYPES, "word/document.xml": xml})


def docx_lying_sizes(folder: Path) -> Path:
    """A DOCX whose zip directory claims 3 GB for a tiny document.xml."""
    return _zip(
        folder / "lying.docx",
        {"[Content_Types].xml": _DOCX_TYPES, "word/document.xml": b"<w:document/>"},
        declared={"word/document.xml": 3_000_000_000},
    )


def docx_many_members(folder: Path) -> Path:
    """A DOCX of 6,000 zip members."""
    members = {"[Content_Types].xml": _DOCX_TYPES, "word/document.xml": b"<w:document/>"}
    members.update({f"word/media/{n}.bin": b"" for n in range(6_000)})
    return _zip(folder / "members.docx", members)


def xlsx_bomb(folder: Path, inflated: int = 1024 * MB) -> Path:
    """An ICE-shaped workbook whose sheet XML inflates a thousandfold (1.2 MB to 1 GB, as in issue 18)."""
    row = b'<row><c t="inlineStr"><is><t>Texas</t></is></c></row>'
    sheet = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    sheet += row * (inflated // len(row)) + b"</sheetData></worksheet>"
    return _zip(
        folder / "participatingAgencies01012026am.xlsx",
        {
            "[Content_Types].xml": _DOCX_TYPES,
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": sheet,
        },
    )


def png_pixels(folder: Path, side: int = 30_000) -> Path:
    """A PNG of 30,000 x 30,000 grey pixels (900 million) in a few hundred kilobytes."""
    raw_row = b"\x00" + b"\x80" * side
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(raw_row) for _ in range(side)]
    chunks.append(compressor.flush())
    data = b"".join(chunks)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path = folder / "pixels.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def tiff_frames(folder: Path, frames: int = 1_100) -> Path:
    """A TIFF of 1,100 small frames: every frame a page to OCR."""
    from PIL import Image

    first = Image.new("1", (16, 16), 1)
    rest = [Image.new("1", (16, 16), 1) for _ in range(frames - 1)]
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=rest)
    path = folder / "frames.tif"
    path.write_bytes(buffer.getvalue())
    return path


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    build: Callable[[Path], Path]
    refusal: str | None  # a part of the one-line refusal; None: within the limits, read


HOSTILE = (
    Hostile("form-feed bomb (2 MB)", form_feeds, "pages (form feeds), more than the limit"),
    Hostile("line-break bomb (2 MB)", line_breaks, "more than the limit of 200,000 lines"),
    Hostile("huge text (45 MB)", huge_text, "characters a document may have"),
    Hostile("one page of 3 M characters", one_long_page, "per page"),
    Hostile("HTML of 1.5 M empty tags (10 MB)", html_tags, None),
    Hostile("PDF page bomb (6,000 pages)", pdf_pages, "pages in the PDF, more than the limit"),
    Hostile("PDF of 1,200 scanned pages", pdf_scans, "need OCR, the limit for one document"),
    Hostile("TIFF of 1,100 frames", tiff_frames, "frames to OCR, more than the limit"),
    Hostile("PNG of 900 million pixels", png_pixels, "pixels"),
    Hostile("DOCX bomb (1 GB of XML)", docx_bomb, "zip bomb"),
    Hostile("DOCX that lies about its sizes", docx_lying_sizes, "zip bomb"),
    Hostile("DOCX of 6,000 members", docx_many_members, "zip members"),
    Hostile("agreement text, 1 MB", long_agreement(MB), None),
    Hostile("agreement text, 3 MB", long_agreement(3 * MB), None),
)

# Names a person (or a hostile page) can give an upload: each is only ever a label.
HOSTILE_NAMES = [
    ".",
    "..",
    "/",
    "../../etc/passwd",
    "a/../../b.txt",
    "\u202efdp.exe",
    "x" * 400 + ".txt",
    "\x00.txt",
]
