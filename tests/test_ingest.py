"""The ingest stage on born-digital and hostile files: formats, bids, errors, names, memory on 2,000 pages."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK

import disentangle.ingest as ingest
from disentangle.errors import DocumentError
from disentangle.ingest import (
    DEFAULT_INGESTORS,
    PdfIngestor,
    choose_ingestor,
    read_document,
    sanitize_filename,
)
from disentangle.ingest._ocr import parse_tsv
from disentangle.model import PageMethod

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SHARED_CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus" / "moa"
BORN_DIGITAL = FIXTURES / "arcadia_fl_tfm_moa_2025.pdf"


# -- files built from code ------------------------------------------------------------------------------


Span = tuple[float, float, str]  # x, y (points from the bottom left) and the text drawn there


def _pdf_string(text: str) -> bytes:
    return b"(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b")"


def build_pdf(
    pages: list[str] | list[list[Span]],
    *,
    encrypt: bytes | None = None,
    cipher: Callable[[int, bytes], bytes] | None = None,
    font_per_page: bool = False,
) -> bytes:
    """A minimal valid PDF: one Helvetica text page per string (lines split on newlines), or per list of
    spans drawn where they say, in the list's order (which is the order of the content stream).

    `encrypt` is an /Encrypt dictionary; `cipher(object number, data)` encrypts each content stream;
    `font_per_page` gives every page its own font object, as a merge of unrelated PDFs has."""
    helvetica = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objects: list[bytes] = [helvetica, b""]
    kids = []
    for content in pages:
        font = 1
        if font_per_page:
            objects.append(helvetica)
            font = len(objects)
        if isinstance(content, str):
            lines = [b"BT /F1 11 Tf 72 720 Td 14 TL"]
            lines += [_pdf_string(line) + b" Tj T*" for line in content.split("\n")]
        else:
            lines = [b"BT /F1 11 Tf"]
            lines += [b"1 0 0 1 %.1f %.1f Tm %s Tj" % (x, y, _pdf_string(text)) for x, y, text in content]
        stream = b"\n".join([*lines, b"ET"])
        if cipher is not None:
            stream = cipher(len(objects) + 1, stream)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, len(objects))
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    catalog = len(objects)
    trailer_extra = b""
    if encrypt is not None:
        objects.append(encrypt)
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (
            len(objects),
            FILE_ID.hex().encode(),
            b"ab" * 16,
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        trailer_extra,
        xref,
    )
    return bytes(out)


# A standard security handler (RC4, revision 2) whose user-password hash matches no password we know:
# PDFium must ask for a password, exactly as with a real password-protected agreement.
ENCRYPT_DICTIONARY = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>" % (b"5a" * 32, b"c3" * 32)
FILE_ID = b"\xab" * 16  # the first /ID element build_pdf writes when encrypting
PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key: bytes, data: bytes) -> bytes:
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def owner_only_encryption(owner_password: bytes = b"clerk") -> tuple[bytes, Callable[[int, bytes], bytes]]:
    """Encryption "against editing": an owner password and an empty user password, as many public PDFs
    carry (PDF 1.7, 7.6.3.3 algorithms 1-4, revision 2). Anyone can open it, so it must be read."""
    permissions = -44
    owner = rc4(hashlib.md5((owner_password + PASSWORD_PAD)[:32]).digest()[:5], PASSWORD_PAD)
    key = hashlib.md5(PASSWORD_PAD + owner + struct.pack("<i", permissions) + FILE_ID).digest()[:5]
    user = rc4(key, PASSWORD_PAD)
    dictionary = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
        owner.hex().encode(),
        user.hex().encode(),
        permissions,
    )

    def cipher(number: int, data: bytes) -> bytes:
        return rc4(hashlib.md5(key + struct.pack("<I", number)[:3] + b"\0\0").digest()[:10], data)

    return dictionary, cipher


AGREEMENT_PAGES = [
    "MEMORANDUM OF AGREEMENT\nThis Memorandum of Agreement constitutes an agreement between\n"
    "United States Immigration and Customs Enforcement and the County Sheriff.",
    "II. AUTHORITY\nSection 287(g) of the Immigration and Nationality Act authorizes the Secretary\n"
    "of Homeland Security to enter into written agreements with a State or political subdivision.",
]


def build_docx(fill: Callable[[docx.document.Document], None]) -> bytes:
    document = docx.Document()
    fill(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_with_hard_break(document: docx.document.Document) -> None:
    document.add_paragraph("MEMORANDUM OF AGREEMENT")
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate([("For ICE:", "For the LEA:"), ("Name: A. Director", "Name: B. Sheriff")]):
        for column, value in enumerate(cells):
            table.cell(row, column).text = value
    run = document.add_paragraph("End of page one.").add_run()
    run.add_break(WD_BREAK.PAGE)
    document.add_paragraph("Page two text.")


def _docx_without_breaks(document: docx.document.Document) -> None:
    document.add_paragraph("One paragraph.")
    document.add_paragraph("Another paragraph, same page.")


def _docx_break_before_and_section(document: docx.document.Document) -> None:
    document.add_paragraph("First.")
    document.add_paragraph("Second.").paragraph_format.page_break_before = True
    document.add_section(WD_SECTION.NEW_PAGE)
    document.add_paragraph("Third.")
    document.add_section(WD_SECTION.CONTINUOUS)
    document.add_paragraph("Still third.")


def zip_with_declared_size(member: str, content: bytes, declared: int) -> bytes:
    """A zip whose member claims `declared` uncompressed bytes (a lying zip bomb header)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, content)
    data = bytearray(buffer.getvalue())
    name = member.encode()
    # Patch the uncompressed size (offset 24) in the member's central directory record.
    start = data.find(b"PK\x01\x02")
    while data[start + 46 : start + 46 + len(name)] != name:
        start = data.find(b"PK\x01\x02", start + 4)
    struct.pack_into("<I", data, start + 24, declared)
    return bytes(data)


def deflate_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (40 * 1024 * 1024))
    return buffer.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# -- the public surface ---------------------------------------------------------------------------------


def test_public_surface_is_sorted_and_complete() -> None:
    assert ingest.__all__ == sorted(ingest.__all__)
    assert all(hasattr(ingest, name) for name in ingest.__all__)
    public = {name for name in vars(ingest) if not name.startswith("_") and name != "annotations"}
    assert public == set(ingest.__all__)


# -- who reads what -------------------------------------------------------------------------------------

DOCX_HEAD = b"PK\x03\x04" + b"\0" * 26 + b"word/document.xml"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("agreement.pdf", b"%PDF-1.7\n", "pdf"),
        ("agreement", b"%PDF-1.4\n", "pdf"),  # the signature alone is enough
        ("agreement.PDF", b"junk", "pdf"),  # the name alone bids: the reader then refuses it clearly
        ("agreement.pdf", b"<!DOCTYPE html><html>", "pdf"),  # an error page saved as .pdf is not HTML
        ("agreement.pdf", DOCX_HEAD, "docx"),  # a Word file with a wrong name is still Word
        ("agreement.docx", DOCX_HEAD, "docx"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "docx"),  # claimed, to refuse it by name
        ("minutes.html", b"<p>hi", "html"),
        ("minutes", b"<!doctype html><title>x", "html"),
        ("notes.txt", b"<html>", "text"),  # the name beats a look-alike
        ("scan.tif", b"II*\x00rest", "image"),
        ("scan", b"\x89PNG\r\n\x1a\nrest", "image"),
        ("README", b"plain words, nothing else", "text"),
    ],
)
def test_the_best_bidder_reads_the_file(name: str, head: bytes, expected: str) -> None:
    assert choose_ingestor(Path(name), head).name == expected


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("blob.bin", b"\x00\x01\x02\x03binary"),
        ("archive.zip", b"PK\x03\x04" + b"\0" * 40),
        ("x", b"\x7fELF\x02"),
    ],
)
def test_nobody_bids_for_unknown_binaries(name: str, head: bytes) -> None:
    with pytest.raises(DocumentError, match="unsupported file type"):
        choose_ingestor(Path(name), head)


def test_every_default_ingestor_declares_what_it_takes() -> None:
    names = [ingestor.name for ingestor in DEFAULT_INGESTORS]
    assert len(names) == len(set(names))
    for ingestor in DEFAULT_INGESTORS:
        assert ingestor.media_types and ingestor.extensions
        assert all(ext.startswith(".") and ext == ext.lower() for ext in ingestor.extensions)
        assert ingestor.score(Path("x" + ingestor.extensions[0]), b"") > 0
        assert ingestor.score(Path("x.unknown-extension"), b"") == 0


# -- born-digital PDF -----------------------------------------------------------------------------------


def test_real_born_digital_agreement_keeps_its_text_layer() -> None:
    document = read_document(BORN_DIGITAL)
    assert document.sha256 == hashlib.sha256(BORN_DIGITAL.read_bytes()).hexdigest()
    assert document.filename == BORN_DIGITAL.name
    assert document.media_type == "application/pdf"
    assert [page.number for page in document.pages] == list(range(1, 15))
    assert {page.method for page in document.pages} == {PageMethod.TEXT_LAYER}
    assert all(page.ocr_confidence is None for page in document.pages)
    assert document.metadata["page_count"] == 14 and document.metadata["ingestor"] == "pdf"
    assert "MEMORANDUM OF AGREEMENT" in document.pages[0].text
    assert "Arcadia" in document.pages[0].text
    assert "\f" not in "".join(page.text for page in document.pages)
    assert document.text.count("\f") == 13


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_laid_out_text_has_the_words_pdfium_finds_page_by_page() -> None:
    """Two independent readers (poppler lays the pages out, PDFium judges them) find the same words."""
    laid_out = read_document(BORN_DIGITAL)
    pdfium_only = read_document(
        BORN_DIGITAL, ingestors=[pdf_ingestor(layout_command=("no-such-layout-tool",))]
    )
    assert laid_out.metadata["text_layout"] == "pdftotext -layout"
    assert pdfium_only.metadata["text_layout"].startswith("none")
    assert len(laid_out.pages) == len(pdfium_only.pages) == 14
    for ours, theirs in zip(laid_out.pages, pdfium_only.pages, strict=True):
        ours_words = set(re.findall(r"[A-Za-z]{3,}", ours.text))
        their_words = set(re.findall(r"[A-Za-z]{3,}", theirs.text))
        overlap = len(ours_words & their_words) / max(1, len(ours_words | their_words))
        assert overlap >= 0.9, (ours.number, overlap)


def test_generated_pdf_pages_come_back_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "generated.pdf", build_pdf(AGREEMENT_PAGES))
    document = read_document(path)
    assert [page.method for page in document.pages] == [PageMethod.TEXT_LAYER] * 2
    assert document.pages[0].text.splitlines()[0].strip() == "MEMORANDUM OF AGREEMENT"
    assert "287(g)" in document.pages[1].text and "287(g)" not in document.pages[0].text


def test_short_page_that_draws_only_text_is_not_sent_to_ocr(tmp_path: Path) -> None:
    # 20 visible characters, mostly digits: below both thresholds, but there is nothing to OCR.
    path = write(tmp_path, "short.pdf", build_pdf(["Page 7 of 14 - 2025-03-05"]))
    document = read_document(path, ocr=False)
    assert document.pages[0].method is PageMethod.TEXT_LAYER
    assert "pages_needing_ocr" not in document.metadata


# -- layout: columns side by side, form fields in place ----------------------------------------------------

# A signature page as ICE's forms draw it: the LEA's column, then ICE's, in content-stream order.
SIGNATURE_COLUMNS: list[Span] = [
    (72, 700, "For the LEA:"),
    (72, 680, "Name: Jane Roe"),
    (72, 660, "Date: March 3, 2025"),
    (330, 700, "For ICE:"),
    (330, 680, "Name: John Doe"),
    (330, 660, "Date: March 7, 2025"),
]
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


def pdf_ingestor(**settings: object) -> PdfIngestor:
    """A PdfIngestor with other class settings (its layout command, its timeouts)."""
    return type("PdfIngestorUnderTest", (PdfIngestor,), settings)()  # type: ignore[no-any-return]


@needs_pdftotext
@pytest.mark.parametrize(
    ("settings", "layout", "side_by_side"),
    [
        ({}, "pdftotext -layout", True),
        ({"layout_command": ("no-such-layout-tool",)}, "no-such-layout-tool is not installed", False),
        ({"layout_command": ("sh", "-c", "exit 99")}, "sh failed, exit status 99", False),
        ({"layout_command": ("sh", "-c", "printf 'one page\\f'")}, "sh found 1 pages, PDFium 2", False),
        (
            {"layout_command": ("sh", "-c", "sleep 5"), "layout_seconds": (0.5, 0.0)},
            "sh took more than 0.5 s",
            False,
        ),
    ],
)
def test_signature_columns_stay_side_by_side_unless_the_layout_tool_fails(
    tmp_path: Path, settings: dict[str, object], layout: str, side_by_side: bool
) -> None:
    path = write(tmp_path, "signatures.pdf", build_pdf([SIGNATURE_COLUMNS, AGREEMENT_PAGES[1]]))
    document = read_document(path, ingestors=[pdf_ingestor(**settings)])
    assert layout in document.metadata["text_layout"]
    assert document.metadata["text_layout"].startswith("none") is not side_by_side
    first, second = (page.text for page in document.pages)
    lines = first.splitlines()
    both = [line for line in lines if "Jane Roe" in line and "John Doe" in line]
    assert bool(both) is side_by_side, first
    assert (
        bool([line for line in lines if "March 3, 2025" in line and "March 7, 2025" in line]) is side_by_side
    )
    # Whichever way it was read, no word is lost and pages keep their order.
    assert all(span[2] in first for span in SIGNATURE_COLUMNS)
    assert "287(g)" in second and "287(g)" not in first
    assert [page.method for page in document.pages] == [PageMethod.TEXT_LAYER] * 2


CORPUS_LAYOUT = [
    # ICE's name and title are form-field values: on the line of the LEA's, where they are drawn.
    (
        "MICHIGAN__Jackson_County_Sheriff_s_Office__JacksonCountyMI_WSO_MOA_031825",
        7,
        ("Sheriff", "Acting Director"),
    ),
    # A glyph-shifted font (shift 29: ")RU" is "For", a space is \x03): its spaces stay blanks in the columns.
    (
        "IDAHO__Owyhee_County_Sheriff_s_Office__OwyheeCoSheriffsOfficeID_WSO_MOA_03.07.2025",
        7,
        (")RU WKH /($", ")RU ,&("),
    ),
]


@needs_pdftotext
@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="the shared 287(g) corpus is not beside the checkout")
@pytest.mark.parametrize(
    ("doc_id", "page", "together"), CORPUS_LAYOUT, ids=[row[0][:20] for row in CORPUS_LAYOUT]
)
@pytest.mark.parametrize("with_layout", [True, False])
def test_real_signature_page_keeps_its_columns(
    doc_id: str, page: int, together: tuple[str, ...], with_layout: bool
) -> None:
    settings = {} if with_layout else {"layout_command": ("no-such-layout-tool",)}
    document = read_document(
        SHARED_CORPUS / "pdf" / f"{doc_id}.pdf", ocr=False, ingestors=[pdf_ingestor(**settings)]
    )
    found = [
        (p.number, line)
        for p in document.pages
        for line in p.text.splitlines()
        if all(t in line for t in together)
    ]
    assert [number for number, _ in found] == ([page] if with_layout else []), found
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", p.text) for p in document.pages)


# -- hostile and broken files ---------------------------------------------------------------------------


def _truncated_real_pdf() -> bytes:
    data = BORN_DIGITAL.read_bytes()
    return data[: len(data) * 6 // 10]


HOSTILE = [
    ("encrypted.pdf", lambda: build_pdf(AGREEMENT_PAGES, encrypt=ENCRYPT_DICTIONARY), "encrypted PDF"),
    ("truncated.pdf", _truncated_real_pdf, "truncated PDF"),
    ("cut-generated.pdf", lambda: build_pdf(AGREEMENT_PAGES)[:300], "truncated PDF"),
    ("empty.pdf", lambda: b"", "empty file"),
    ("empty.txt", lambda: b"", "empty file"),
    ("error-page.pdf", lambda: b"<!DOCTYPE html><html><body>403 Forbidden</body></html>", "not a PDF"),
    ("noise.pdf", lambda: os.urandom(4096).replace(b"%PDF-", b"xxxxx"), "not a PDF"),
    ("mangled.pdf", lambda: b"%PDF-1.4\n" + b"garbage " * 500 + b"\n%%EOF\n", "damaged or not a PDF"),
    ("bomb.docx", lambda: zip_with_declared_size("word/document.xml", b"<w/>", 3_000_000_000), "zip bomb"),
    ("ratio-bomb.docx", deflate_bomb, "zip bomb"),
    ("old.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy Word .doc"),
    ("fake.docx", lambda: b"this is not a zip archive at all", "not a DOCX"),
    ("broken.docx", lambda: b"PK\x03\x04" + os.urandom(300), "damaged DOCX"),
    (
        "not-word.docx",
        lambda: zip_with_declared_size("other.xml", b"<x/>", 4),
        "not a readable Word document",
    ),
    ("binary.txt", lambda: b"text\x00with\x00nuls" * 20, "NUL bytes"),
    ("program.exe", lambda: b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(200), "unsupported file type"),
    ("broken.png", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a readable image"),
]


@pytest.mark.parametrize(("name", "make", "problem"), HOSTILE, ids=[row[0] for row in HOSTILE])
def test_hostile_file_is_a_clear_document_error(
    tmp_path: Path, name: str, make: Callable[[], bytes], problem: str
) -> None:
    path = write(tmp_path, name, make())
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    assert problem in raised.value.problem
    assert name in str(raised.value)  # the message names the file


def test_pdf_encrypted_only_against_editing_is_read(tmp_path: Path) -> None:
    dictionary, cipher = owner_only_encryption()
    path = write(tmp_path, "protected.pdf", build_pdf(AGREEMENT_PAGES, encrypt=dictionary, cipher=cipher))
    document = read_document(path)
    assert document.pages[0].text.splitlines()[0].strip() == "MEMORANDUM OF AGREEMENT"
    assert document.metadata["encrypted"].startswith("permissions only")
    assert "encrypted" not in read_document(write(tmp_path, "plain.pdf", build_pdf(AGREEMENT_PAGES))).metadata


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("unencrypted.pdf", lambda: build_pdf(AGREEMENT_PAGES)),
        ("small-zip-ratio.docx", lambda: build_docx(_docx_without_breaks)),
        ("notes.txt", lambda: "\n".join(AGREEMENT_PAGES).encode()),
    ],
)
def test_the_same_formats_read_fine_when_not_hostile(
    tmp_path: Path, name: str, make: Callable[[], bytes]
) -> None:
    assert read_document(write(tmp_path, name, make())).pages


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "nowhere.pdf")
    with pytest.raises(DocumentError, match="not a regular file"):
        read_document(tmp_path)


def test_two_thousand_pages_in_bounded_memory(tmp_path: Path) -> None:
    """Pages are read one at a time and PDFium's caches dropped every 200 pages: peak memory for 2,000
    pages, each with its own font, stays near that for 200 (without the reopening it grows by ~19 MB)."""
    text = AGREEMENT_PAGES[0] + "\n" + AGREEMENT_PAGES[1]
    small = write(tmp_path, "small.pdf", build_pdf([text] * 200))
    numbered = [f"Page {n}\n{text}" for n in range(1, 2001)]
    large = write(tmp_path, "large.pdf", build_pdf(numbered, font_per_page=True))
    # The probe's own high-water mark: VmHWM belongs to the process's memory map, which exec replaces,
    # while getrusage's ru_maxrss in a child also counts the (large) pytest process it was forked from.
    probe = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from disentangle.ingest import read_document\n"
        "document = read_document(Path(sys.argv[1]), ocr=False)\n"
        "try:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = int(status.split('VmHWM:')[1].split()[0])\n"
        "except OSError:\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "numbers = [page.text.split()[1] for page in document.pages[199:201] + document.pages[-1:]]\n"
        "print(json.dumps([len(document.pages), numbers, peak]))\n"
    )

    def measure(path: Path) -> tuple[int, list[str], int]:
        done = subprocess.run(
            [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
        )
        pages, last, peak_kib = json.loads(done.stdout)
        return pages, last, peak_kib

    pages_small, _, peak_small = measure(small)
    pages_large, last, peak_large = measure(large)
    assert (pages_small, pages_large, last) == (200, 2000, ["200", "201", "2000"])
    assert peak_large < 400 * 1024, f"peak RSS {peak_large / 1024:.0f} MB"
    assert peak_large - peak_small < 16 * 1024, f"grew {(peak_large - peak_small) / 1024:.0f} MB"


# -- DOCX, HTML, plain text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fill", "expected_pages", "breaks"),
    [
        (
            _docx_with_hard_break,
            [
                ["MEMORANDUM OF AGREEMENT", "For ICE:\tFor the LEA:", "Name: A. Director\tName: B. Sheriff"],
                ["Page two text."],
            ],
            "explicit",
        ),
        (_docx_without_breaks, [["One paragraph.", "Another paragraph, same page."]], "none"),
        (_docx_break_before_and_section, [["First."], ["Second."], ["Third.", "Still third."]], "explicit"),
    ],
)
def test_docx_pages_are_its_explicit_breaks(
    tmp_path: Path,
    fill: Callable[[docx.document.Document], None],
    expected_pages: list[list[str]],
    breaks: str,
) -> None:
    document = read_document(write(tmp_path, "agreement.docx", build_docx(fill)))
    assert document.media_type.endswith("wordprocessingml.document")
    assert document.metadata["page_breaks"] == breaks
    found = [[line for line in page.text.splitlines() if line.strip()] for page in document.pages]
    assert [[line for line in lines if line != "End of page one."] for lines in found] == expected_pages


HTML = (
    b"<!DOCTYPE html><html><head><meta charset='windows-1252'><title>Board agenda &amp; minutes</title>"
    b"<style>p { color: red }</style><script>var secret = 'do not index';</script></head>"
    b"<body><h1>Agenda</h1><p>Item 4: 287(g) agreement with ICE \x96 renewal</p>"
    b"<table><tr><td>Vote</td><td>5\x960</td></tr></table><noscript>enable js</noscript>"
    b"<p>Caf\xe9 &lt;annex&gt;</p></body></html>"
)


@pytest.mark.parametrize(
    ("needle", "present"),
    [
        ("Agenda", True),
        ("Item 4: 287(g) agreement with ICE – renewal", True),  # cp1252 en dash, as declared
        ("Café <annex>", True),  # entities decoded
        ("Vote", True),
        ("secret", False),  # script dropped
        ("color", False),  # style dropped
        ("enable js", False),  # noscript dropped
        ("Board agenda", False),  # the title is metadata, not page text
    ],
)
def test_html_visible_text_only(tmp_path: Path, needle: str, present: bool) -> None:
    document = read_document(write(tmp_path, "agenda.html", HTML))
    assert (needle in document.pages[0].text) is present
    assert document.metadata["title"] == "Board agenda & minutes"
    assert len(document.pages) == 1 and document.media_type == "text/html"


@pytest.mark.parametrize(
    ("data", "pages", "encoding"),
    [
        (b"one\fTwo\fthree", ["one", "Two", "three"], "utf-8"),
        ("caf\u00e9 \u2013 ok\f".encode(), ["café – ok"], "utf-8"),  # a trailing form feed opens no page
        ("caf\u00e9 \u2013 ok".encode("cp1252"), ["café – ok"], "cp1252"),
        ("\ufeffbom\r\nline".encode(), ["bom\nline"], "utf-8-sig"),
        ("wide\ftext".encode("utf-16"), ["wide", "text"], "utf-16"),
    ],
)
def test_plain_text_pages_split_on_form_feeds(
    tmp_path: Path, data: bytes, pages: list[str], encoding: str
) -> None:
    document = read_document(write(tmp_path, "notes.txt", data))
    assert [page.text for page in document.pages] == pages
    assert [page.number for page in document.pages] == list(range(1, len(pages) + 1))
    assert document.metadata["encoding"] == encoding


# -- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("agreement.pdf", "agreement.pdf"),
        ("Acuerdo de cooperación.pdf", "Acuerdo de cooperación.pdf"),
        ("../../etc/passwd", ".._.._etc_passwd"),
        ("..\\..\\Windows\\evil.pdf", ".._.._Windows_evil.pdf"),
        ("line\nbreak\r.pdf", "linebreak.pdf"),
        ("\x1b[31mred\x1b[0m.pdf", "[31mred[0m.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("..", "unnamed"),
        ("  ", "unnamed"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_sanitize_filename(given: str, stored: str) -> None:
    assert sanitize_filename(given) == stored


def test_name_given_for_a_temporary_copy_decides_label_and_format(tmp_path: Path) -> None:
    path = write(tmp_path, "upload-3f9a", b"one\ftwo")
    document = read_document(path, name="../Minutes\n2024.txt")
    assert document.filename == ".._Minutes2024.txt"
    assert len(document.pages) == 2


# -- Tesseract's TSV ------------------------------------------------------------------------------------

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t2550\t3300\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t96.0\tMEMORANDUM\n"
    "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90.0\tOF\n"
    "5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t84.0\tAGREEMENT\n"
    "5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t-1\t \n"
    "5\t1\t2\t1\t1\t2\t0\t0\t10\t10\t60.0\tICE\n"
)


def test_tsv_gives_lines_paragraphs_and_mean_word_confidence() -> None:
    found = parse_tsv(TSV)
    assert found.text == "MEMORANDUM OF\nAGREEMENT\n\nICE"
    assert found.confidence == pytest.approx((96 + 90 + 84 + 60) / 4)
    assert parse_tsv(TSV.splitlines()[0]).confidence is None
