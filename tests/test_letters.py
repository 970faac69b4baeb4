"""Letter templates, action letters, renderers (DOCX, PDF) and golden letters for three real agencies."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from disentangle.errors import InputError
from disentangle.letters import (
    Addressee,
    AgreementFacts,
    GoverningBody,
    Letter,
    Quote,
    Requester,
    Sender,
    ValidityFlag,
    draft_invalidity,
    draft_request,
    draft_resolution,
    draft_termination,
    parse_markdown,
    records_law,
    render_template,
    template_specs,
    to_docx,
    to_pdf,
    write_letter,
)
from disentangle.letters._letters import template_variables
from disentangle.model import Evidence

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "letters"
ICE_LIST = (
    ROOT / "data/ice-287g-monthly/participating_monthly/20260518_latest__participatingAgencies05182026am.xlsx"
)
TODAY = date(2026, 6, 1)
SHERIFF = Addressee("Smith County Sheriff’s Office", "TX", ("227 N. Spring Ave.", "Tyler, TX 75702"))
SIGNER = Sender("A. Official", "Sheriff", "Smith County Sheriff’s Office")


# ---- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(template_specs()))
def test_template_declares_exactly_what_it_uses(name: str) -> None:
    assert template_variables(name) == set(template_specs()[name].variables)


def test_missing_variable_names_template_and_variable() -> None:
    context = {name: "x" for name in template_specs()["termination"].variables if name != "clause"}
    with pytest.raises(InputError, match=r"'termination.md.j2' needs variable 'clause'"):
        render_template("termination", context)
    with pytest.raises(InputError, match=r"needs variable 'clause'"):
        render_template("termination", {**context, "clause": None})


def test_undeclared_attribute_is_input_error_not_blank() -> None:
    spec = template_specs()["appeal"]
    context: dict[str, object] = {name: "" for name in spec.variables}
    context.update(law={"label": "X Act"}, deadline={"kind": "fixed"}, sent="May 1", date="June 1")
    context.update(recipient_lines=["A"], signature_lines=["B"], grounds=[], appeal="", denied="")
    with pytest.raises(InputError, match=r"appeal\.md\.j2"):
        render_template("appeal", context)  # law.citation is missing: an error, not an empty string


# ---- action letters ----------------------------------------------------------------------------


def test_termination_quotes_the_agreements_own_clause_and_addresses_it() -> None:
    own = Quote(
        "Termination by the LEA shall be provided, in writing, to ICE.", "sha256:ab12", page=9, section="XIX"
    )
    agreement = AgreementFacts(
        "287g-jem", SHERIFF, signed=date(2009, 10, 1), termination_clause=own, notice_to=("ICE ERO Houston",)
    )
    letter = draft_termination(agreement, sender=SIGNER, today=TODAY, effective=date(2026, 7, 1))
    assert "> Termination by the LEA shall be provided, in writing, to ICE." in letter.markdown
    assert "XIX, page 9, sha256:ab12" in letter.markdown
    assert letter.markdown.count("ICE ERO Houston") == 1
    assert "effective July 1, 2026" in letter.markdown
    assert "standard words" not in letter.markdown and letter.notes == ()


@pytest.mark.parametrize(
    ("kind", "clause_words", "to_words"),
    [
        ("287g-tfm", "to the local Field Office", "Enforcement and Removal Operations"),
        ("tff-mou", "terminated, in writing, by either party", "Homeland Security Investigations"),
    ],
)
def test_termination_falls_back_to_family_wording_and_says_so(
    kind: str, clause_words: str, to_words: str
) -> None:
    letter = draft_termination(AgreementFacts(kind, SHERIFF), sender=SIGNER, today=TODAY)
    assert clause_words in letter.markdown and to_words in letter.markdown
    assert "standard words" in letter.markdown and letter.notes


def test_termination_of_unknown_kind_needs_its_clause() -> None:
    with pytest.raises(InputError, match="quote the agreement's own clause"):
        draft_termination(AgreementFacts("other", SHERIFF, notice_to=("x",)), sender=SIGNER, today=TODAY)


def test_invalidity_lists_flags_with_rule_evidence_and_authority() -> None:
    flag = ValidityFlag(
        code="no-authority",
        severity="error",
        message="Only the Chief of Police signed; the charter requires the City Manager.",
        evidence=(Evidence("cd34" * 16, 7, 120, 135, "Chief of Police", "signature.title_line", 0.85),),
        rule="authority.charter-signatory",
        citation="Pasadena City Charter",
    )
    agreement = AgreementFacts(
        "tff-mou", Addressee("Pasadena Police Department", "CA"), signed=date(2016, 11, 15)
    )
    letter = draft_invalidity(agreement, [flag], sender=SIGNER, today=TODAY)
    assert "## 1. No authority" in letter.markdown
    assert "Authority: Pasadena City Charter." in letter.markdown
    assert '> "Chief of Police"' in letter.markdown and "page 7 of the agreement" in letter.markdown
    # The tool's explanation is its own words: never in quotation marks.
    assert '"Only the Chief of Police signed' not in letter.markdown
    assert "terminated, in writing, by either party" in letter.markdown
    with pytest.raises(InputError, match="at least one validity flag"):
        draft_invalidity(agreement, [], sender=SIGNER, today=TODAY)


def test_resolution_ends_agreements_adopts_prohibitions_and_cites_models() -> None:
    agreements = [
        AgreementFacts("287g-tfm", SHERIFF, signed=date(2025, 2, 18), source="ICE 287(g) list, 2026-05-18"),
        AgreementFacts("tff-mou", Addressee("Tyler Police Department", "TX")),
    ]
    body = GoverningBody("Commissioners Court of Smith County", "Smith County", "County Judge")
    text = draft_resolution(body, agreements, today=TODAY).markdown
    assert text.count("WHEREAS, the ") >= 3
    assert "Termination by the LEA shall be provided, in writing, to the local Field Office." in text
    assert "ICE detainer or ICE administrative warrant" in text
    assert "(known as a 287(g) agreement)" in text
    for model in ("Cook County, Illinois", "Santa Clara County, California", "New York City", "§ 10-178"):
        assert model in text
    custom = draft_resolution(body, agreements, today=TODAY, prohibitions=["sign new agreements with ICE"])
    assert "1. sign new agreements with ICE." in custom.markdown
    with pytest.raises(InputError, match="at least one agreement"):
        draft_resolution(body, [], today=TODAY)


# ---- rendering ---------------------------------------------------------------------------------


def _ca_request() -> Letter:
    pd = Addressee("Pasadena Police Department", "CA", ("207 N. Garfield Ave.", "Pasadena, CA 91101"))
    return draft_request(pd, records_law("CA"), "agreements", Requester("Alex Doe"), today=date(2025, 11, 26))


def test_markdown_blocks() -> None:
    blocks = parse_markdown("# T\n\nA\\\nB\nC\n\n1. x\n2. y\n\n> q\\\n> r\n\n- z\n")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "ordered", "quote", "bullet"]
    assert blocks[1].lines == ["A", "B C"]
    assert blocks[2].items == [("1.", "x"), ("2.", "y")]
    assert blocks[3].lines == ["q", "r"]


def test_docx_has_citation_due_date_and_is_editable() -> None:
    from docx import Document

    letter = _ca_request()
    document = Document(io.BytesIO(to_docx(letter)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Cal. Gov. Code § 7920.000 et seq." in text
    assert "7922.535(a)" in text and "December 8, 2025" in text
    assert "207 N. Garfield Ave.\nPasadena, CA 91101" in text  # hard line breaks survive
    assert document.paragraphs[0].style.name.startswith("Heading")
    bold = [run.text for p in document.paragraphs for run in p.runs if run.bold]
    assert "December 8, 2025" in bold


def test_pdf_text_has_citation_and_due_date() -> None:
    import pypdfium2

    letter = _ca_request()
    pdf = pypdfium2.PdfDocument(to_pdf(letter))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = " ".join(text.split())
    assert "Cal. Gov. Code § 7920.000 et seq." in flat
    assert "December 8, 2025" in flat and "7922.535(a)" in flat


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils' pdffonts is not installed")
def test_pdf_embeds_fonts(tmp_path: Path) -> None:
    path = write_letter(_ca_request(), tmp_path / "r.pdf")
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = [line.split() for line in listing.splitlines()[2:]]
    assert fonts, "no fonts in the PDF"
    # Columns: name type encoding emb sub uni ...; "emb" must be yes for every font.
    assert all(row[-5] == "yes" for row in fonts), listing


def test_write_letter_by_suffix(tmp_path: Path) -> None:
    letter = _ca_request()
    assert write_letter(letter, tmp_path / "r.md").read_text(encoding="utf-8") == letter.markdown
    assert write_letter(letter, tmp_path / "r.docx").read_bytes()[:2] == b"PK"
    assert write_letter(letter, tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(InputError, match=r"\.txt"):
        write_letter(letter, tmp_path / "r.txt")


# ---- golden letters for three agencies on ICE's 287(g) list --------------------------------------

# One Texas county sheriff with a Task Force Model agreement, one Florida agency, one other state
# (Virginia, whose law limits requests to its citizens). The address of the Smith County Sheriff's
# Office is the one its own 287(g) MOA gives in Appendix A (Revised 02/14/2025).
PICKS = {
    "tx-smith-county-sheriff": (
        "TEXAS",
        "Smith County Sheriff’s Office",
        ("227 N. Spring Ave.", "Tyler, TX 75702"),
    ),
    "fl-arcadia-police": ("FLORIDA", "Arcadia Police Department", ()),
    "va-shenandoah-county-sheriff": ("VIRGINIA", "Shenandoah County Sheriff's Office", ()),
}
REQUESTER = Requester("Alex Doe", "Community Records Project", email="records@example.org")


def _ice_rows() -> dict[tuple[str, str], datetime]:
    from openpyxl import load_workbook

    book = load_workbook(ICE_LIST, read_only=True)
    rows = {}
    for row in book.worksheets[0].iter_rows(min_row=2, values_only=True):
        state, agency, _, _, support, signed = row[:6]
        if agency and str(support).strip() == "Task Force Model":
            rows[(str(state).strip(), str(agency).strip())] = signed
    return rows


def _golden_letters() -> dict[str, Letter]:
    from disentangle.model import normalize_state

    rows = _ice_rows()
    letters = {}
    for key, (state, name, address) in PICKS.items():
        signed = rows[(state, name)]  # a KeyError here means the agency left ICE's list
        code = normalize_state(state)
        assert code is not None
        residence = "a citizen of the Commonwealth of Virginia" if code == "VA" else None
        requester = Requester(
            REQUESTER.name, REQUESTER.organization, email=REQUESTER.email, residence=residence
        )
        agency = Addressee(name, code, address)
        letters[f"{key}.request"] = draft_request(
            agency, records_law(code), "agreements", requester, today=TODAY
        )
        agreement = AgreementFacts(
            "287g-tfm", agency, signed=signed.date(), source="ICE 287(g) participating agencies, 2026-05-18"
        )
        signer = Sender("[Name]", "[Title of the official authorized to bind the agency]", name)
        letters[f"{key}.termination"] = draft_termination(agreement, sender=signer, today=TODAY)
    return letters


@pytest.mark.skipif(not ICE_LIST.exists(), reason="the bundled ICE 287(g) list is absent")
def test_golden_letters() -> None:
    update = os.environ.get("UPDATE_GOLDEN") == "1"
    letters = _golden_letters()
    assert len(letters) == 6
    for name, letter in letters.items():
        path = GOLDEN / f"{name}.md"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(letter.markdown.encode("utf-8"))
        assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review the diff"
        assert path.read_bytes() == letter.markdown.encode("utf-8"), (
            f"{path.name} differs from the golden copy"
        )
