"""Real agreements in, reviewed JSON out: extract_agreement on the fixture texts against golden files.

Golden files change only with UPDATE_GOLDEN=1, so every change in output shows up in review as a diff.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from disentangle.extract import extract_agreement
from disentangle.model import Document, Page, PageMethod

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def fixture_document(name: str) -> Document:
    """A fixture text as ingest makes it: pages split at form feeds; '#' header lines dropped."""
    raw = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    text = "\n".join(line for line in raw.split("\n") if not line.startswith("#"))
    pages = text.split("\f")
    if not pages[-1].strip():
        pages.pop()
    return Document(
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        filename=f"{name}.txt",
        media_type="text/plain",
        pages=[Page(i + 1, t, PageMethod.TEXT_LAYER) for i, t in enumerate(pages)],
    )


@pytest.mark.parametrize("name", NAMES)
def test_extraction_matches_golden(name: str) -> None:
    result = extract_agreement(fixture_document(name)).to_json()
    golden = FIXTURES / f"{name}.golden.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(
            json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert golden.exists(), f"{golden} missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert result == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_every_fact_quotes_its_page(name: str) -> None:
    document = fixture_document(name)
    from disentangle.extract import repair_shifted_glyphs
    from disentangle.extract._text import find_glyph_shift

    shift = find_glyph_shift([p.text for p in document.pages])
    pages = {p.number: repair_shifted_glyphs(p.text, shift) if shift else p.text for p in document.pages}
    facts = extract_agreement(document).to_json()["facts"]
    assert facts
    for fact in facts:
        page = pages[fact["page"]]
        assert 0 <= fact["start"] < fact["end"] <= len(page), fact
        # The quote is the page's words at that span (whitespace runs shown as one space); a clause a page
        # break cuts in two is marked so, spans the part on its first page and quotes on past the break.
        on_page = " ".join(page[fact["start"] : fact["end"]].split())
        if fact["rule"].endswith("~across-pages"):
            assert fact["quote"].startswith(on_page) and len(fact["quote"]) > len(on_page), fact
            assert fact["end"] == len(page.rstrip()) or page[fact["end"] :].strip().isdigit(), fact
        else:
            assert fact["quote"] == on_page, fact
        assert 0.0 < fact["confidence"] <= 1.0
        assert fact["rule"]


@pytest.mark.parametrize(
    ("name", "kind", "era", "revision", "state"),
    [
        ("citrus_tfm_2025", "287g-tfm", "2025", "2025-02-12", "FL"),
        ("franklin_tfm_2025", "287g-tfm", "2025", "2025-03-07", "AL"),
        ("baker_wso_2019", "287g-wso", "2019-2020", None, "FL"),
        ("clay_jem_2020", "287g-jem", "2019-2020", None, "FL"),
        ("texas_oag_tfm_2025", "287g-tfm", "2025-01", None, "TX"),
        ("tff_mou_synthetic", "tff-mou", "ice", None, None),
    ],
)
def test_kind_template_and_state(
    name: str, kind: str, era: str | None, revision: str | None, state: str | None
) -> None:
    result = extract_agreement(fixture_document(name))
    assert result.kind == kind
    assert (result.template.era if result.template else None) == era
    assert (result.template.revision if result.template else None) == revision
    assert result.state == state  # None where the document names no state: never guessed


def test_tff_mou_terms_from_its_quoted_clauses() -> None:
    result = extract_agreement(fixture_document("tff_mou_synthetic"))
    assert result.ori is None  # "XX0000000" starts with no state: not an NCIC code, however read
    assert result.termination.by_lea and result.termination.by_ice
    assert result.termination.lea_in_writing and result.termination.ice_in_writing
    assert result.termination.lea_notice_days is None  # "unless explicitly terminated": no notice period
    assert result.term == "until_terminated"
    assert [o["code"] for o in result.obligations] == ["assign_officers"]
    assert [r["code"] for r in result.reimbursement] == ["overtime_from_tff"]
    assert result.functions == []  # a TFF MOU delegates no immigration-officer powers
    assert result.signed_date is not None and result.signed_date.isoformat() == "2016-11-21"


def test_addendum_of_clay_jem() -> None:
    result = extract_agreement(fixture_document("clay_jem_2020"))
    assert len(result.addenda) == 1
    addendum = result.addenda[0]
    assert addendum["modifies_moa_effective"] == "2020-03-11"
    assert "internal review of this MOA every three years" in addendum["adds"]
    assert result.review_years == 3
