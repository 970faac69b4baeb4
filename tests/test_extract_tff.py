"""Treasury Forfeiture Fund MOUs as the public ones are written: every variant family, as text, as a
born-digital
PDF and as a 200-dpi scan (tests/fixtures/tff.py builds them), must give its agency, state, NCIC code, ICE
office,
both (or all) signatories with titles and dates, and the obligation, reimbursement and termination clauses
— each
quoted whole from its page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from disentangle.extract import Extraction, extract_agreement
from disentangle.extract._text import DocumentView
from disentangle.ingest import read_document
from fixtures.tff import FORMATS, VARIANTS, Variant, build_tff_mou

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
# The seed-worded MOU in every format; each other family as text and PDF, and scanned where OCR changes what
# must be read (a lost signature rule, an NCIC code read "0R", "IN WITNESS WHEREOPF", a block cut by the
# page).
SCANNED = ("seed", "ice-sac-2015", "ice-sac-office", "ice-hsi-named-title", "county-for-its-department")
CASES = [
    pytest.param(key, fmt, marks=[needs_tesseract] if fmt == "scan" else [], id=f"{key}-{fmt}")
    for key in VARIANTS
    for fmt in FORMATS
    if fmt != "scan" or key in SCANNED
]


def _words(text: str) -> str:
    return " ".join(text.split())


def _read(tmp_path: Path, key: str, fmt: str) -> Extraction:
    path = build_tff_mou(tmp_path / f"{key}.{'txt' if fmt == 'txt' else 'pdf'}", key, fmt)
    return extract_agreement(read_document(path))


def _clause_quotes(result: Extraction, section: str) -> list[tuple[str, int]]:
    return [(f.evidence.quote, f.evidence.page) for f in result.findings if f.field.split(".")[0] == section]


@pytest.mark.parametrize(("key", "fmt"), CASES)
def test_every_variant_family_is_read_whole(tmp_path: Path, key: str, fmt: str) -> None:
    variant: Variant = VARIANTS[key]
    result = _read(tmp_path, key, fmt)
    assert result.kind == "tff-mou"
    assert (result.agency_name or "").rstrip(".") == variant.agency.rstrip(".")
    assert result.state == variant.state, result.warnings
    assert result.ori == variant.ori
    assert result.ice_office == variant.ice_office
    wanted = sorted((s.side, s.name, s.title, s.signed) for s in variant.signers)
    read = sorted((s.side, s.name, s.title, s.date) for s in result.signatories)
    assert read == wanted
    # The clauses, each the whole sentence as printed, with the page it stands on.
    assert _words(variant.obligation) in [q for q, _ in _clause_quotes(result, "obligations")]
    assert _words(variant.reimbursement) in [q for q, _ in _clause_quotes(result, "reimbursement")]
    assert _words(variant.termination) in [q for q, _ in _clause_quotes(result, "term")]
    assert result.term == "until_terminated"
    assert result.termination.by_lea and result.termination.by_ice
    assert result.effective_rule == "upon_signature"
    assert result.effective_date == max(s.signed for s in variant.signers)
    # The title as printed over its several lines, quoted whole (a letter names the agreement by it).
    (title,) = [f.value for f in result.findings if f.field == "title"]
    assert title == _words(" ".join(variant.title))


@pytest.mark.parametrize(("key", "fmt"), CASES)
def test_every_quote_is_the_page_s_words(tmp_path: Path, key: str, fmt: str) -> None:
    """Each fact's quote is the page text at its span (whitespace folded): the evidence a letter may quote."""
    path = build_tff_mou(tmp_path / f"{key}.{'txt' if fmt == 'txt' else 'pdf'}", key, fmt)
    document = read_document(path)
    result = extract_agreement(document)
    pages = {page.number: page.text for page in DocumentView(document).pages}
    for fact in result.findings:
        ev = fact.evidence
        on_page = _words(pages[ev.page][ev.start : ev.end])
        if ev.rule.endswith("~across-pages"):
            assert ev.quote.startswith(on_page), fact
        else:
            assert ev.quote == on_page, fact


def test_the_seed_mou_s_obligation_is_quoted_whole_with_its_page(tmp_path: Path) -> None:
    result = _read(tmp_path, "seed", "pdf")
    [(quote, page)] = _clause_quotes(result, "obligations")
    assert quote == (
        "To the maximum extent possible, the Pasadena Police Department shall assign dedicated officers to "
        "investigations and joint operations."
    )
    assert page == 2
    [entry] = result.obligations
    assert entry["text"] == quote and entry["page"] == 2 and entry["code"] == "assign_officers"
    # The state from the NCIC code and the SAC office, not "CA or TX" from the city's name alone.
    rules = {f.evidence.rule for f in result.findings if f.field == "agency.state"}
    assert {"state.ori_prefix", "state.hsi_office_area"} <= rules
    assert result.template is not None and result.template.family == "tff-mou-ice"


def test_the_hsi_text_is_its_own_template_family(tmp_path: Path) -> None:
    result = _read(tmp_path, "hsi-tff-agency", "txt")
    assert result.template is not None and result.template.family == "tff-mou-hsi-2023"


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("CA0195300", "CA0195300"),
        ("0R0347700", "OR0347700"),
        ("CA 0I95300", "CA0195300"),
        ("XX0000000", None),
    ],
)
def test_ncic_codes_read_through_ocr_confusions(tmp_path: Path, printed: str, read: str | None) -> None:
    text = build_tff_mou(tmp_path / "seed.txt", "seed", "txt").read_text().replace("CA0195300", printed)
    path = tmp_path / "changed.txt"
    path.write_text(text)
    result = extract_agreement(read_document(path))
    assert result.ori == read
    if read and read != printed:
        [fact] = result.evidence_for("agency.ori")
        assert fact.evidence.quote == printed and fact.evidence.rule.endswith("~ocr")


def test_a_title_is_its_heading_lines_and_never_body_text() -> None:
    from disentangle.model import Document, Page, PageMethod

    def title(text: str) -> str | None:
        document = Document("0" * 64, "t.txt", "text/plain", [Page(1, text, PageMethod.TEXT_LAYER)])
        result = extract_agreement(document)
        headings = [f.value for f in result.findings if f.field == "title"]
        return headings[0] if headings else None

    body = (
        "This Agreement is entered into by the Alder Grove Police Department and ICE so that costs of joint\n"
        "operations are paid back from the Treasury Forfeiture Fund, as 31 USC 9705 provides, and the\n"
        "Alder Grove Police Department shall assign dedicated officers to investigations.\n"
    )
    heading = "MEMORANDUM OF UNDERSTANDING\nBetween\nICE and the Alder Grove Police Department\n"
    heading += "For the Reimbursement of Joint Operations Expenses from the\nTreasury Forfeiture Fund\n"
    assert title(heading + "I. PARTIES\n" + body) == " ".join(heading.split())
    assert title("I. PARTIES\n" + body) is None  # the kind told from body text: no title invented
