"""OCR of real scanned agreements, partly scanned PDFs and images; the real corpus against ICE's labels."""

from __future__ import annotations

import csv
import datetime
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from disentangle.errors import InputError
from disentangle.extract import extract_agreement
from disentangle.ingest import read_document
from disentangle.ingest._ocr import parse_tsv
from disentangle.model import Document, PageMethod

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SCAN = FIXTURES / "washington_ut_tfm_moa_2025_scan_p1_p9.pdf"
GARBAGE_LAYER = FIXTURES / "noble_in_wso_moa_2025_p1_p2.pdf"
BORN_DIGITAL = FIXTURES / "arcadia_fl_tfm_moa_2025.pdf"
BROKEN_FONT = FIXTURES / "calhoun_tx_tfm_moa_2025_p2.pdf"
CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus" / "moa"

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_from_pages(*sources: tuple[Path, int]) -> bytes:
    """A new PDF made of the given (file, 0-based page) pairs, copied unchanged."""
    combined = pdfium.PdfDocument.new()
    for path, index in sources:
        combined.import_pages(pdfium.PdfDocument(path), [index])
    buffer = io.BytesIO()
    combined.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scan() -> Document:
    return read_document(SCAN, ocr_workers=2)


@needs_tesseract
def test_real_scan_reads_the_agreement_words(scan: Document) -> None:
    first = flat(scan.pages[0].text)
    assert "MEMORANDUM OF AGREEMENT" in first
    assert "Immigration and Customs Enforcement" in first
    assert "Washington County" in first
    assert [page.method for page in scan.pages] == [PageMethod.OCR, PageMethod.OCR]
    assert all(page.ocr_confidence is not None and 80 <= page.ocr_confidence <= 100 for page in scan.pages)


@needs_tesseract
def test_scanned_page_with_a_typed_stamp_is_still_ocred(scan: Document) -> None:
    # Page 9 of the original carries only "March 21, 2025 / Acting Director" as text; the rest is image.
    stamp_only = read_document(SCAN, ocr=False).pages[1].text
    assert flat(stamp_only) == "March 21, 2025 Acting Director"
    assert len(scan.pages[1].text) > 10 * len(stamp_only)
    assert "terminat" in scan.pages[1].text.lower()  # the page is about suspension and termination


def test_without_ocr_the_pages_needing_it_are_listed() -> None:
    document = read_document(SCAN, ocr=False)
    assert [page.method for page in document.pages] == [PageMethod.EMPTY, PageMethod.TEXT_LAYER]
    assert document.metadata["pages_needing_ocr"] == [1, 2]
    assert read_document(GARBAGE_LAYER, ocr=False).metadata["pages_needing_ocr"] == [1, 2]
    assert "pages_needing_ocr" not in read_document(BORN_DIGITAL, ocr=False).metadata


@needs_tesseract
def test_scanned_signature_page_keeps_its_two_columns(scan: Document) -> None:
    """Tesseract reads the LEA's and ICE's blocks one after the other; the page text puts them side by side,
    as `pdftotext -layout` does for a text layer, so the extractor splits them the same way."""
    lines = scan.pages[1].text.split("\n")
    heads = [line for line in lines if "For the LEA" in line and "For ICE" in line]
    assert len(heads) == 1 and re.search(r"For the LEA:\s{3,}For ICE:", heads[0])
    column = heads[0].index("For ICE")
    dates = [line for line in lines if line.count("Date") == 2]
    assert dates and abs(dates[0].rindex("Date") - column) <= 3
    assert "March 21, 2025" in dates[0][column - 3 :] and "03/05/25" in dates[0][:column]
    signatories = {s.side: s for s in extract_agreement(scan).signatories}
    assert signatories["ice"].date == datetime.date(2025, 3, 21)
    assert signatories["ice"].title == "Acting Director"
    assert signatories["lea"].date == datetime.date(2025, 3, 5)


def tsv_row(block: int, line: int, word: int, box: tuple[int, int, int, int], text: str) -> str:
    return "\t".join(map(str, (5, 1, block, 1, line, word, *box, 95.0, text)))


def test_layout_puts_blocks_side_by_side_and_prose_single_spaced() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        # Block 1, two lines of prose; words 28 px apart at 20 px per character.
        tsv_row(1, 1, 1, (300, 100, 80, 40), "This"),
        tsv_row(1, 1, 2, (408, 100, 60, 40), "MOA"),
        tsv_row(1, 2, 1, (300, 160, 120, 40), "binds."),
        # Blocks 2 and 3 stand side by side below: Tesseract gives them one after the other.
        tsv_row(2, 1, 1, (300, 300, 100, 40), "Date:"),
        tsv_row(2, 1, 2, (420, 300, 160, 40), "3/5/25"),
        tsv_row(3, 1, 1, (1300, 302, 100, 40), "Date:"),
        tsv_row(3, 1, 2, (1420, 302, 240, 40), "March"),
    ]
    found = parse_tsv("\n".join([header, *rows]), layout=True)
    lines = found.text.split("\n")
    assert lines[0] == "This MOA" and lines[1] == "binds."
    assert "" in lines[2:-1]  # the gap above the blocks is a blank line
    assert re.fullmatch(r"Date: 3/5/25 {20,}Date: March", lines[-1])
    assert lines[-1].rindex("Date") == 50  # 1000 px right of the margin at 20 px per character
    assert parse_tsv("\n".join([header, *rows])).text.split("\n\n")[-1] == "Date: March"
    assert found.confidence == 95.0


@needs_tesseract
def test_partly_scanned_pdf_ocrs_only_the_page_without_real_text(tmp_path: Path) -> None:
    """Page 1 born digital; page 2 a scan under a garbage text layer (a broken font encoding)."""
    mixed = tmp_path / "mixed.pdf"
    mixed.write_bytes(pdf_from_pages((BORN_DIGITAL, 0), (GARBAGE_LAYER, 0)))
    document = read_document(mixed, ocr_workers=1)
    born, scanned = document.pages
    assert born.method is PageMethod.TEXT_LAYER and born.ocr_confidence is None
    assert born.text == read_document(BORN_DIGITAL).pages[0].text
    assert scanned.method is PageMethod.OCR
    assert "MEMORANDUM OF AGREEMENT" in flat(scanned.text)
    assert "Noble County" in flat(scanned.text)
    assert not re.search(r"[\x00-\x08\x0e-\x1f]", scanned.text)


@needs_tesseract
def test_a_text_only_page_in_a_broken_font_encoding_is_read_by_ocr() -> None:
    """Calhoun County TX: nothing but text is drawn, yet the text layer is control characters and
    punctuation; the drawn glyphs are right, so OCR of the render reads the agreement."""
    layer = read_document(BROKEN_FONT, ocr=False)
    assert layer.metadata["pages_needing_ocr"] == [1]
    assert "Immigration" not in layer.text
    document = read_document(BROKEN_FONT, ocr_workers=1)
    (page,) = document.pages
    assert page.method is PageMethod.OCR and page.ocr_confidence is not None
    words = flat(page.text)
    assert "TRAINING AND ASSIGN" in words and "Calhoun County Sheriff's Office, TX" in words
    assert len(re.findall(r"\b(?:the|of|and|to)\b", words)) > 20


@needs_tesseract
def test_a_born_digital_table_of_figures_keeps_its_text_layer(tmp_path: Path) -> None:
    """Few letters among many characters is also a table of numbers: OCR reads no more letters, so the
    exact text layer stays."""
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>{n:03d}</td><td>{n * 1234.5:,.2f}</td><td>{n * 97 % 1000:,}</td>"
        f"<td>{n}/{n % 28 + 1}/25</td></tr>"
        for n in range(1, 41)
    )
    figures = tmp_path / "figures.pdf"
    HTML(string=f"<table style='font-size:14pt'>{rows}</table>").write_pdf(figures)
    layer = read_document(figures, ocr=False)
    assert 1 in layer.metadata["pages_needing_ocr"]  # judged suspect: few letters
    document = read_document(figures, ocr_workers=1)
    assert document.pages[0].method is PageMethod.TEXT_LAYER
    assert document.pages[0].text == layer.pages[0].text
    assert "45,676.50" in document.pages[0].text


@needs_tesseract
def test_scanned_images_are_pages(tmp_path: Path) -> None:
    page = pdfium.PdfDocument(SCAN)[0]
    rendered = page.render(scale=300 / 72, grayscale=True).to_pil()
    top = rendered.crop((0, 0, rendered.width, rendered.height // 4))
    blank = Image.new("L", (600, 400), 255)
    tiff = tmp_path / "scan.tif"
    top.save(tiff, save_all=True, append_images=[blank], dpi=(300, 300))
    document = read_document(tiff)
    assert document.media_type == "image/tiff"
    assert [page.method for page in document.pages] == [PageMethod.OCR, PageMethod.EMPTY]
    assert "MEMORANDUM OF AGREEMENT" in flat(document.pages[0].text)


@needs_tesseract
@pytest.mark.parametrize(
    ("languages", "error", "message"),
    [
        ("eng; rm -rf /", InputError, "must look like"),
        ("--psm", InputError, "must look like"),
        ("zzz", InputError, "no language data for zzz"),
        ("eng+qqq", InputError, "no language data for qqq"),
    ],
)
def test_bad_ocr_languages_are_refused(languages: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        read_document(SCAN, ocr_languages=languages)


def test_bad_languages_do_not_matter_when_nothing_needs_ocr() -> None:
    assert read_document(BORN_DIGITAL, ocr_languages="zzz").pages


def test_missing_tesseract_is_a_clear_error(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from disentangle.errors import DocumentError\n"
        "from disentangle.ingest import read_document\n"
        "try:\n"
        "    read_document(Path(sys.argv[1]))\n"
        "except DocumentError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(SCAN)],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path)},  # a PATH where no tesseract lives
        check=True,
    )
    assert SCAN.name in done.stdout and "`tesseract` program is not installed" in done.stdout


# -- the real corpus ------------------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared) is absent")

# ICE's sheet says these have a text layer, and they do, but it is garbage: a broken font encoding whose
# pdftotext output is control characters. Every page must be sent to OCR.
GARBAGE_TEXT_LAYERS = {
    "INDIANA__Noble_County_Sheriff_s_Office__NobleCountyIN_WSO_MOA_031225",
    "TEXAS__Calhoun_County_Sheriff_s_Office__CalhounCoTX_TFM_MOA_03.07.2025",
}


@pytest.fixture(scope="module")
def corpus() -> list[tuple[dict[str, str], Document]]:
    """Every corpus PDF with its label row, read without OCR (once for the tests below)."""
    with (CORPUS / "labels.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["pdf"] and (CORPUS / row["pdf"]).is_file()]
    return [(row, read_document(CORPUS / row["pdf"], ocr=False)) for row in rows]


@pytest.mark.corpus
@needs_corpus
def test_corpus_pages_needing_ocr_match_ices_text_layer_labels(
    corpus: list[tuple[dict[str, str], Document]],
) -> None:
    assert len(corpus) > 150
    for row, document in corpus:
        needing = set(document.metadata.get("pages_needing_ocr", []))
        share = len(needing) / len(document.pages)
        if row["has_text_layer"] == "False":
            assert share >= 0.8, (row["doc_id"], sorted(needing))
        elif row["doc_id"] in GARBAGE_TEXT_LAYERS:
            assert share == 1, (row["doc_id"], sorted(needing))
        else:
            assert share < 1, (row["doc_id"], "no page kept its text layer")


@pytest.mark.corpus
@needs_corpus
def test_corpus_text_layers_agree_with_pdftotext(corpus: list[tuple[dict[str, str], Document]]) -> None:
    """Our text layer against the corpus's pdftotext output: the same words, document by document."""
    overlaps = []
    for row, document in corpus:
        if row["has_text_layer"] != "True" or not row["pdftotext"]:
            continue
        ours = set(re.findall(r"[A-Za-z]{3,}", document.text))
        text = (CORPUS / row["pdftotext"]).read_text(encoding="utf-8", errors="replace")
        theirs = set(re.findall(r"[A-Za-z]{3,}", text))
        overlaps.append((len(ours & theirs) / max(1, len(ours | theirs)), row["doc_id"]))
    assert len(overlaps) > 100
    assert min(overlaps)[0] >= 0.75, min(overlaps)
    assert sum(overlap >= 0.9 for overlap, _ in overlaps) >= 0.95 * len(overlaps)
