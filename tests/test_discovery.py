"""Discovery: campaigns to every agency of a place, agreements found in released documents entering the
registry (after a person's confirmation where the reader is unsure), and their life as a locality acts."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from disentangle import letters
from disentangle.errors import InputError, NotFoundError
from disentangle.registry import tables as t
from disentangle.workspace import Workspace
from fixtures.tff import build_tff_mou

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
REQUESTER = letters.Requester(name="A. Organizer", email="organizer@example.org")
TODAY = date(2026, 12, 7)
LA_COUNTY = "ocd-division/country:us/state:ca/county:los_angeles"


def tff_text(agency: str = "Pasadena", ori: str = "CA0195300", office: str = "SAC Los Angeles") -> str:
    """The synthetic TFF MOU fixture (invented wording in the template's shape) made to name an agency."""
    text = (FIXTURES / "tff_mou_synthetic.txt").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return body.replace("Example City", agency).replace("XX0000000", ori).replace("SAC Example", office)


def test_a_campaign_writes_to_every_agency_the_roster_places_in_the_county(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("campaign-la")
    with workspace.store.read() as connection:
        placed = connection.scalar(
            select(func.count())
            .select_from(t.agencies)
            .where(t.agencies.c.county_id == LA_COUNTY, t.agencies.c.origin.in_(["fbi-roster", "ice-list"]))
        )
    started = workspace.start_campaign("tff-mou", "Los Angeles County, CA", REQUESTER, today=TODAY)
    assert len(started["requests"]) == placed > 40
    assert {r["law"] for r in started["requests"]} == {"Cal. Gov. Code § 7920.000 et seq."}
    assert "CA0195300" in {r["ori"] for r in started["requests"]}
    listed = {r["id"] for r in workspace.records_requests(today=TODAY)}
    assert {r["id"] for r in started["requests"]} <= listed
    shown = workspace.campaign(started["id"], today=TODAY)
    assert shown["summary"]["requests"] == placed
    assert shown["summary"]["by_status"] == {"draft": placed}
    bundle = zipfile.ZipFile(io.BytesIO(workspace.campaign_bundle(started["id"], "md")))
    names = bundle.namelist()
    assert len([n for n in names if n.endswith(".md")]) == placed
    letter = bundle.read(next(n for n in names if "Pasadena-Police" in n)).decode("utf-8")
    assert "Treasury Forfeiture Fund" in letter and "Pasadena Police Department" in letter
    rows = list(csv.DictReader(io.StringIO(bundle.read("requests.csv").decode("utf-8"))))
    assert len(rows) == placed and rows[0]["law"] == "California Public Records Act"


def test_a_campaign_over_a_file_of_agencies_names_the_bad_line(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("campaign-file")
    listing = tmp_path / "agencies.txt"
    listing.write_text("# two agencies\nCA0195300\nLASD\n", encoding="utf-8")
    started = workspace.start_campaign("ice-agreements", str(listing), REQUESTER, today=TODAY)
    assert [r["ori"] for r in started["requests"]] == ["CA0195300", "CA0190000"]  # the file's order
    listing.write_text("CA0195300\nGotham City Police Department\n", encoding="utf-8")
    before = len(workspace.records_requests(today=TODAY))
    with pytest.raises(InputError, match="line 2: no agency matches 'Gotham City Police Department'"):
        workspace.start_campaign("ice-agreements", str(listing), REQUESTER, today=TODAY)
    assert len(workspace.records_requests(today=TODAY)) == before  # nothing half-written
    with pytest.raises(NotFoundError, match="no place matches"):
        workspace.start_campaign("tff-mou", "Atlantis County, ZZ", REQUESTER, today=TODAY)


def test_the_pasadena_journey_from_request_to_terminated(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("pasadena-journey")
    request_id, letter = workspace.draft_request(
        "Pasadena Police Department, CA", ["tff-mou"], REQUESTER, today=TODAY
    )
    assert letter.due is not None and "§ 7920.000" in letter.markdown
    mou = build_tff_mou(tmp_path / "pasadena-mou.pdf", variant="seed", fmt="pdf")
    (row,) = workspace.attach_to_request(request_id, [mou], today=TODAY)
    assert row["kind"] == "tff-mou" and row["review"] == "read", row
    agreement_id = row["agreement_id"]
    assert agreement_id.startswith("found-ca-pasadena-police-department-ca0195300-tff-mou-")

    place = workspace.show("Pasadena, CA")
    (found,) = [a for a in place["agreements"] if a["id"] == agreement_id]
    assert found["status"] == "in-force" and found["model"] == "tff-mou"
    assert found["found"]["request_ids"] == [request_id]
    assert [e["kind"] for e in place["events"]] == ["found"]
    county = workspace.show("Los Angeles County, CA")
    assert agreement_id in {a["id"] for a in county["agreements"]}

    # An import rebuilds the registry: the agreement found in records is still there.
    workspace.import_bundled(force=True)
    assert agreement_id in {a["id"] for a in workspace.show("Pasadena, CA")["agreements"]}

    sender = letters.Sender(name="A. Manager", title="City Manager", body="City of Pasadena")
    termination = workspace.termination_letter(agreement_id, sender, today=TODAY, record=True)
    clause = next(c for c in workspace.found(agreement_id).clauses if c.part == "termination")
    assert (
        clause.evidence.quote
        == "It remains in force unless explicitly terminated, in writing, by either party."
    )
    assert clause.evidence.quote in termination.markdown
    page = workspace.document(row["sha256"]).pages[clause.evidence.page - 1].text
    assert clause.evidence.quote in " ".join(page.split())

    events = workspace.record_action(agreement_id, "termination-sent", date(2026, 12, 8))
    kinds = [(e["kind"], e["date"]) for e in events]
    assert ("termination_sent", "2026-12-08") in kinds
    assert ("terminated", "2026-12-08") in kinds  # "in writing", no notice period: ends when sent
    assert ("termination_drafted", TODAY.isoformat()) in kinds
    ended = workspace.agreement(agreement_id)
    assert ended["agreement"]["status"] == "terminated"
    terminated = next(e for e in ended["events"] if e["kind"] == "terminated")
    assert terminated["detail"]["evidence"]["clause"]["quote"] == clause.evidence.quote


def test_a_document_of_another_agency_waits_for_a_person(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("needs-review")
    request_id, _ = workspace.draft_request("CA0195300", ["tff-mou"], REQUESTER, today=TODAY)
    mou = tmp_path / "other.txt"
    mou.write_text(tff_text(agency="Example City", ori="XX0000000"), encoding="utf-8")
    (row,) = workspace.attach_to_request(request_id, [mou], today=TODAY)
    assert row["review"] == "needs-review"
    assert any("not Pasadena Police Department" in reason for reason in row["reasons"]), row["reasons"]
    assert row["agreement_id"] not in {a["id"] for a in workspace.agreements()}
    with pytest.raises(InputError, match="give the agency"):
        workspace.review_found(row["sha256"], "confirm")
    confirmed = workspace.review_found(row["sha256"], "confirm", agency="South Pasadena Police Department")
    assert confirmed["review"] == "confirmed" and confirmed["reviewed_by"] == "a person"
    assert confirmed["agreement_id"].startswith("found-ca-south-pasadena-police-department-")
    assert confirmed["agreement_id"] in {a["id"] for a in workspace.show("South Pasadena, CA")["agreements"]}
    # A new reading of the same document does not undo the person's decision.
    workspace.read_stored(row["sha256"])
    assert workspace.found(row["sha256"]).review.value == "confirmed"
    rejected = workspace.review_found(row["sha256"], "reject")
    assert rejected["in_registry"] is False
    assert confirmed["agreement_id"] not in {a["id"] for a in workspace.agreements()}


def test_a_copy_of_an_agreement_ice_lists_links_to_it(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("listed-copy")
    copy = tmp_path / "citrus.txt"
    copy.write_text((FIXTURES / "citrus_tfm_2025.txt").read_text(encoding="utf-8"), encoding="utf-8")
    stored: list[str] = []
    workspace.ingest([copy], progress=lambda result: stored.append(result.sha256))
    reading = workspace.reading(stored[0])
    found = workspace.found(reading["sha256"])
    assert found.listed and not found.agreement_id.startswith("found-")
    history = workspace.agreement(found.agreement_id)
    assert "document_found" in [e["kind"] for e in history["events"]]
    before = {a["id"] for a in workspace.agreements()}
    assert not {i for i in before if i.startswith("found-")}


def test_only_recordable_events_and_known_agreements(registry_copy: Callable[[str], Workspace]) -> None:
    workspace = registry_copy("actions")
    with pytest.raises(NotFoundError):
        workspace.record_action("no-such-agreement", "terminated", TODAY)
    with pytest.raises(ValueError):
        workspace.record_action("al-etowah-county-sheriff-s-office-jem-20160608", "exploded", TODAY)
