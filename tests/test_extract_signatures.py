"""Signature blocks of real agreements (the shared corpus's `pdftotext -layout` files): what each block says,
read where the text shows it, with evidence that quotes the page."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from disentangle.extract import Extraction, extract_agreement
from disentangle.extract._knowledge import parties
from disentangle.extract._signatures import _as_title, _date_text
from disentangle.model import Document, Page, PageMethod


def corpus_text(shared_dir: Path, stem: str) -> Document:
    """A corpus text as the evaluation reads it: pages split at form feeds."""
    path = shared_dir / "corpus" / "moa" / "text" / f"{stem}.txt"
    raw = path.read_bytes()
    pages = raw.decode("utf-8").split("\f")
    if not pages[-1].strip():
        pages.pop()
    return Document(
        sha256=hashlib.sha256(raw).hexdigest(),
        filename=path.name,
        media_type="text/plain",
        pages=[Page(i + 1, text, PageMethod.TEXT_LAYER) for i, text in enumerate(pages)],
    )


def signatory(result: Extraction, side: str, part: str = "agreement") -> dict[str, object]:
    found = [s for s in result.to_json()["signatories"] if s["side"] == side and s["part"] == part]
    assert len(found) == 1, result.to_json()["signatories"]
    return found[0]


def evidence(result: Extraction, document: Document, quote_part: str) -> None:
    """Some signature fact quotes `quote_part`, and its span is that quote on its page."""
    facts = [f for f in result.to_json()["facts"] if f["field"].startswith("signator")]
    hits = [f for f in facts if quote_part in f["quote"]]
    assert hits, facts
    for fact in hits:
        page = document.pages[fact["page"] - 1].text
        assert " ".join(page[fact["start"] : fact["end"]].split()) == fact["quote"]


def test_clipped_digital_stamp_in_an_ocr_layer(shared_dir: Path) -> None:
    # Refugio County TX, 2020 JEM: the OCR layer lost "Date: 2" of Cronen's stamp: "~~~~~020.06.0909:02:52".
    document = corpus_text(
        shared_dir, "TEXAS__Refugio_County_Sheriff_s_Office__287gJEM_RefugioCoTX_06-09-2020"
    )
    result = extract_agreement(document)
    ice = signatory(result, "ice")
    assert ice["name"] == "C.M. Cronen"
    assert ice["date"] == "2020-06-09" and ice["date_form"] == "digital"
    evidence(result, document, "020.06.09")


def test_digital_stamp_with_date_and_time_run_together(shared_dir: Path) -> None:
    # Bartow PD FL, 2025 TFM: "Date: 2025.04.2117:40:24".
    document = corpus_text(shared_dir, "FLORIDA__Bartow_Police_Department__BartowPDFL_TFM_MOA_042925")
    dates = {s.date for s in extract_agreement(document).signatories}
    assert date(2025, 4, 21) in dates


def test_title_in_front_of_the_name(shared_dir: Path) -> None:
    # Rockingham County NC, 2019 WSO: the LEA block prints "Sheriff Sam Page".
    document = corpus_text(
        shared_dir, "NORTH_CAROLINA__Rockingham_County_Sheriff_s_Office__287gWSO_RockinghamCoNc2019-12-31"
    )
    lea = signatory(extract_agreement(document), "lea")
    assert (lea["name"], lea["title"]) == ("Sam Page", "Sheriff")


def test_title_clipped_by_the_signature(shared_dir: Path) -> None:
    # Nash County NC, 2020 WSO: ICE's name is lost under the signature and the title reads
    # "ecutive Associate Director Enforcement".
    document = corpus_text(
        shared_dir, "NORTH_CAROLINA__Nash_County_Sheriff_s_Office__287gWSO_NashCoNC2020-01-29"
    )
    result = extract_agreement(document)
    assert signatory(result, "ice")["title"] == "Executive Associate Director"
    assert signatory(result, "lea")["name"] == "Keith Stone"


def test_slash_read_as_a_letter_in_a_typed_date(shared_dir: Path) -> None:
    # Marion County FL, 2025 TFM, an OCR layer: "Date 2/21 l2025".
    document = corpus_text(
        shared_dir, "FLORIDA__Marion_County_Sheriff_s_Office__marionCoSheriffsOffice_TFM_MOA_02262025"
    )
    result = extract_agreement(document)
    assert signatory(result, "lea")["date"] == "2025-02-21"
    evidence(result, document, "2/21 l2025")


@pytest.mark.parametrize(
    ("text", "side", "title"),
    [
        ("Sheriff Sam Page", "lea", "Sheriff"),
        ("Sheriff, Waushara County", "lea", "Sheriff, Waushara County"),
        ("Acting Director, U.S. Immigration and Customs Enforcement", "ice", "Acting Director"),
        ("ecutive Associate Director Enforcement", "ice", "Executive Associate Director"),
        ("Sheriff Clay County", "lea", "Sheriff Clay County"),
        ("Enforcement and Removal Operations", "ice", None),
        ("ociate", "ice", None),
    ],
)
def test_title_lines(text: str, side: str, title: str | None) -> None:
    assert _as_title(text, side, parties()) == title


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2/21 l2025", "2/21 /2025"),
        ("3l4l2025", "3/4/2025"),
        ("Il 2025", "Il 2025"),
        ("Date__12", "Date  12"),
    ],
)
def test_date_text_keeps_length(text: str, read: str) -> None:
    assert _date_text(text) == read and len(read) == len(text)


def test_digital_stamp_name_wrapped_onto_the_next_line(shared_dir: Path) -> None:
    # Lake Placid PD FL, 2025 TFM, a form without Name lines: "Digitally signed by Mark J." / "Schneider".
    document = corpus_text(
        shared_dir, "FLORIDA__Lake_Placid_Police_Department__LakePlacidPoliceDeptFL_TFM_MOA_02.28.25"
    )
    result = extract_agreement(document)
    lea = signatory(result, "lea")
    assert (lea["name"], lea["title"], lea["date"]) == ("Mark J. Schneider", "Chief of Police", "2025-02-28")
    assert signatory(result, "ice")["name"] is None  # ICE's block prints no name
    evidence(result, document, "Mark J.")


def test_agency_from_the_unlabelled_block_when_the_parties_clause_is_damaged(shared_dir: Path) -> None:
    # Duplin County NC, 2020 WSO: a bad OCR layer ("the Duplin Coun.cy, NC Sheriff's O .· (OC$O)"); the LEA's
    # signature column still ends with "Duplin County SheriWs Office", which names the county, so the state.
    document = corpus_text(
        shared_dir, "NORTH_CAROLINA__Duplin_County_Sheriff_s_Office__287gWSO_DuplinCoNC_06-25-2020"
    )
    result = extract_agreement(document).to_json()
    assert result["agency"]["name"] == "Duplin County Sheriffs Office"
    assert result["agency"]["state"] == "NC"
    fact = next(f for f in result["facts"] if f["field"] == "agency.name")
    assert fact["rule"] == "agency.signature_block_county_agency"
    assert fact["quote"] == "Duplin County SheriWs Office"
    page = document.pages[fact["page"] - 1].text
    assert page[fact["start"] : fact["end"]] == fact["quote"]


def test_the_block_agency_line_is_the_last_resort() -> None:
    """A parties clause that names the agency wins over a county agency printed at the end of a line."""
    clause = (
        "This Memorandum of Agreement constitutes an agreement between United States Immigration and Customs "
        "Enforcement (ICE), a component of the Department of Homeland Security (DHS), and the Pender County "
        "Sheriff's Office (PCSO), pursuant to which ICE delegates to nominated officers the authority.\n"
    )
    block = (
        "Enrique M. Lucero\n"
        "Executive Associate Director                      Sheriff\n"
        "Enforcement and Removal Operations                Brunswick County Sheriffs Office\n"
    )
    text = clause + "287(g) Warrant Service Officer\n" + block
    document = Document("0" * 64, "t.txt", "text/plain", [Page(1, text, PageMethod.TEXT_LAYER)])
    assert extract_agreement(document).agency_name == "Pender County Sheriff's Office"
    damaged = text.replace("the Pender County Sheriff's Office (PCSO)", "the Pe.nd(er Co #### (P$SO)")
    assert damaged != text
    document = Document("1" * 64, "t.txt", "text/plain", [Page(1, damaged, PageMethod.TEXT_LAYER)])
    assert extract_agreement(document).agency_name == "Brunswick County Sheriffs Office"


@pytest.mark.parametrize(
    ("ice_date", "lea_date", "left_out", "why"),
    [
        # Calhoun TX's ICE date OCR'd "March 7, 2029" beside the LEA's 2025 date.
        ("March 7, 2029", "02/21/2025", "ice", "more than a year after"),
        # A date before the "Revised 02/12/2025" footer of the template it is signed on.
        ("February 26, 2025", "02/21/2015", "lea", "before the template's revision"),
        ("February 26, 2025", "02/21/2025", None, None),  # the real dates: both kept
    ],
)
def test_a_signature_date_that_cannot_be_right_is_left_out_with_a_warning(
    ice_date: str, lea_date: str, left_out: str | None, why: str | None
) -> None:
    from test_extract_golden import fixture_document  # the committed Citrus FL 2025 TFM

    real = fixture_document("citrus_tfm_2025")
    pages = [
        Page(
            p.number,
            p.text.replace("02/21/2025", lea_date).replace("February 26, 2025", ice_date),
            p.method,
        )
        for p in real.pages
    ]
    result = extract_agreement(Document(real.sha256, real.filename, real.media_type, pages))
    dates = {s.side: s.date for s in result.signatories if s.part == "agreement"}
    kept = {"lea": date(2025, 2, 21), "ice": date(2025, 2, 26)}
    assert dates == {side: None if side == left_out else value for side, value in kept.items()}
    warnings = [w for w in result.warnings if "a misreading, left out" in w]
    if left_out is None:
        assert warnings == []
        assert result.signed_date == date(2025, 2, 26)
    else:
        assert len(warnings) == 1 and why in warnings[0]
        assert not any(f.field.endswith(".date") and f.value is None for f in result.findings)
        assert result.signed_date == kept["lea" if left_out == "ice" else "ice"]
