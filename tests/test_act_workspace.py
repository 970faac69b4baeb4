"""Records requests and action letters through the Workspace: drafted, stored, tracked, rendered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pypdfium2
import pytest

from disentangle import letters
from disentangle.errors import InputError, NotFoundError
from disentangle.workspace import Workspace

REQUESTER = letters.Requester(name="Jane Doe", organization="County Watch", email="jane@example.org")


@pytest.fixture(scope="module")
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    """These tests draft and track requests: a copy of the session registry, never the registry itself."""
    return registry_copy("act-workspace")


def georgia_wso_agency(own: Workspace) -> str:
    return str(own.agreements(state="GA", model="wso", status="active")[0]["agency_id"])


def test_a_request_goes_through_its_whole_life(own: Workspace) -> None:
    agency = georgia_wso_agency(own)
    request_id, letter = own.draft_request(
        agency, ["agreements", "detainers"], REQUESTER, today=date(2026, 11, 2)
    )
    assert "O.C.G.A. § 50-18-71" in letter.markdown
    assert own.tracked_request(request_id).status is letters.RequestStatus.DRAFT
    sent = own.advance_request(request_id, "sent", date(2026, 11, 2))
    assert sent.due() == date(2026, 11, 5)  # three business days (Georgia Open Records Act)
    overdue = {r["id"]: r for r in own.records_requests(today=date(2026, 11, 23), overdue=True)}
    assert overdue[request_id]["overdue_days"] == 18
    for status in (
        "acknowledged",
        "awaiting-response",
        "extended",
        "partially-fulfilled",
        "rejected",
        "appealed",
    ):
        own.advance_request(request_id, status, date(2026, 11, 20))
    final = own.advance_request(request_id, "fulfilled", date(2026, 12, 1), "all records released")
    assert [c.status.value for c in final.history] == [
        "draft",
        "sent",
        "acknowledged",
        "awaiting-response",
        "extended",
        "partially-fulfilled",
        "rejected",
        "appealed",
        "fulfilled",
    ]
    assert request_id not in {r["id"] for r in own.records_requests(today=date(2026, 12, 31), overdue=True)}
    with pytest.raises(InputError, match="cannot go from fulfilled"):
        own.advance_request(request_id, "sent", date(2026, 12, 2))
    stored = own.tracked_request(request_id)
    assert stored.status is letters.RequestStatus.FULFILLED and len(stored.history) == 9


def test_withdrawn_and_dates_before_the_last_event(own: Workspace) -> None:
    request_id, _ = own.draft_request(
        georgia_wso_agency(own), ["policies"], REQUESTER, today=date(2026, 11, 2)
    )
    with pytest.raises(InputError, match="before the last event"):
        own.advance_request(request_id, "sent", date(2026, 11, 1))
    assert own.advance_request(request_id, "withdrawn", date(2026, 11, 3)).status.value == "withdrawn"
    with pytest.raises(NotFoundError):
        own.tracked_request("req-9999")


def test_follow_up_cites_the_statute_and_dates_and_calendar_lists_the_deadline(own: Workspace) -> None:
    request_id, _ = own.draft_request(
        georgia_wso_agency(own), ["agreements"], REQUESTER, today=date(2026, 11, 2)
    )
    own.advance_request(request_id, "sent", date(2026, 11, 2))
    follow_up = own.request_letter(request_id, "follow-up", REQUESTER, today=date(2026, 11, 23))
    assert "50-18-71" in follow_up.markdown and "November 5, 2026" in follow_up.markdown
    calendar = own.requests_calendar()
    assert "BEGIN:VCALENDAR" in calendar and "DTSTART;VALUE=DATE:20261105" in calendar


def test_bulk_drafts_one_request_per_agency_of_a_state(own: Workspace) -> None:
    expected = {a["agency_id"] for a in own.agreements(state="GA", model="wso", status="active")}
    drafted = own.draft_requests_bulk(
        ["agreements"], REQUESTER, today=date(2026, 11, 2), state="GA", model="wso"
    )
    assert len(drafted) == len(expected) > 1
    assert all(letter.state == "GA" and "50-18-71" in letter.markdown for _, letter in drafted)
    with pytest.raises(InputError, match="no agency"):
        own.draft_requests_bulk(["agreements"], REQUESTER, today=date(2026, 11, 2), state="VT", model="jem")


def test_termination_letter_renders_to_pdf_with_its_clause(own: Workspace, tmp_path: Path) -> None:
    agreement = own.agreements(state="GA", model="wso", status="active")[0]
    sender = letters.Sender(name="A. Official", title="County Manager", body="Example County")
    letter = own.termination_letter(agreement["id"], sender, today=date(2026, 11, 23))
    assert agreement["agency"] in letter.markdown and "in writing" in letter.markdown
    path = letters.write_letter(letter, tmp_path / "terminate.pdf")
    document = pypdfium2.PdfDocument(path)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "in writing" in text and "County Manager" in text
    with pytest.raises(NotFoundError):
        own.termination_letter("no-such-agreement", sender, today=date(2026, 11, 23))


def test_requests_are_never_exported(own: Workspace, tmp_path: Path) -> None:
    own.draft_request(georgia_wso_agency(own), ["agreements"], REQUESTER, today=date(2026, 11, 2))
    written = own.export("json", tmp_path)
    assert "records_requests" not in written and not (tmp_path / "records_requests.json").exists()
    assert "Jane Doe" not in "".join(p.read_text() for p in tmp_path.glob("*.json"))
    arcadia = Path(__file__).parent / "fixtures" / "ingest" / "arcadia_fl_tfm_moa_2025.pdf"
    request_id, _ = own.draft_request(
        georgia_wso_agency(own), ["agreements"], REQUESTER, today=date(2026, 11, 2)
    )
    own.attach_to_request(request_id, [arcadia], today=date(2026, 11, 3))
    database = own.export("sqlite", tmp_path / "db")  # must not trip over the private tables' keys
    assert "request_documents" not in database and "agreements" in database


FIXTURES = Path(__file__).parent / "fixtures"


def test_released_documents_are_filed_under_the_request_and_linked(own: Workspace, tmp_path: Path) -> None:
    arcadia = FIXTURES / "ingest" / "arcadia_fl_tfm_moa_2025.pdf"
    agency = own.agreements(state="FL", model="tfm", status="active")[0]["agency_id"]
    request_id, _ = own.draft_request(agency, ["agreements"], REQUESTER, today=date(2026, 11, 2))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    rows = own.attach_to_request(request_id, [arcadia, empty], today=date(2026, 11, 20))
    filed = [r for r in rows if not r.get("error")]
    failed = [r for r in rows if r.get("error")]
    assert len(filed) == 1 and filed[0]["kind"] == "287g-tfm"
    assert filed[0]["agreement_id"] == "fl-arcadia-police-department-tfm-20250305"
    assert failed and "empty" in failed[0]["error"]
    again = own.attach_to_request(request_id, [arcadia], today=date(2026, 11, 21))
    assert again[0]["already_attached"] is True
    with pytest.raises(NotFoundError):
        own.attach_to_request("req-9999", [arcadia], today=date(2026, 11, 21))


def test_notice_of_invalidity_for_the_pasadena_mou(own: Workspace, tmp_path: Path) -> None:
    lines = (FIXTURES / "extract" / "tff_mou_synthetic.txt").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#")).replace(
        "Example City Police Department", "Pasadena Police Department"
    )
    mou = tmp_path / "pasadena.txt"
    mou.write_text(text + "\n\nPasadena, California\n")
    sender = letters.Sender(name="A. Official", title="City Manager", body="City of Pasadena")
    notice = own.invalidity_notice(mou, sender, today=date(2026, 11, 23), place="Pasadena, CA")
    assert "Chief of Police" in notice.markdown and "City manager" in notice.markdown


def test_resolution_ends_every_active_agreement_of_a_place(own: Workspace) -> None:
    body = letters.GoverningBody(
        name="Commissioners Court", jurisdiction="Galveston County", officer="County Judge"
    )
    resolution = own.resolution("Galveston County, TX", body, today=date(2026, 11, 23))
    active = [a for a in own.show("Galveston County, TX")["agreements"] if a["status"] == "active"]
    assert resolution.markdown.count("WHEREAS, the ") >= len(active)
    assert "Galveston County Sheriff" in resolution.markdown
    with pytest.raises(InputError, match="no agreement in force"):
        own.resolution("Alameda County, CA", body, today=date(2026, 11, 23))
