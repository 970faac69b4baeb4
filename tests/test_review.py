"""Never guess, and let a person finish: review states of extracted fields, a person's entries kept beside
the machine's reading, carried into the found agreement and the judgement, the queue, the crops, the CLI."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from disentangle import extract, ingest
from disentangle.cli import main
from disentangle.errors import InputError
from disentangle.extract._review import debris, plausible_agency, plausible_name, plausible_title
from disentangle.model import FieldState, ReviewReason
from disentangle.workspace import Workspace

ARCADIA = Path(__file__).parent / "fixtures" / "ingest" / "arcadia_fl_tfm_moa_2025.pdf"
SHA = hashlib.sha256(ARCADIA.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- plausibility (the examples)


@pytest.mark.parametrize(
    "agency",
    ["Law Comaly Shuntts Ofn", "Sytton Cq", "Winkler Cc", "Audrey Alexander", "DFS, Criminal Division"],
)
def test_an_agency_needs_an_agency_word_and_no_debris(agency: str) -> None:
    assert plausible_agency(agency) is not None


@pytest.mark.parametrize(
    "agency",
    [
        "St. Johns County Sheriff's Office",
        "Arcadia Police Dept",
        "West Virginia National Guard/Military Authority",
    ],
)
def test_real_agency_names_are_plausible(agency: str) -> None:
    assert plausible_agency(agency) is None


@pytest.mark.parametrize(
    "title", ["Pherift", "ciek nf Ps Ice OD", "E xe c u t iv e v i ce P r e s, d e nt & coo"]
)
def test_ocr_debris_is_no_title(title: str) -> None:
    assert plausible_title(title, "lea") is not None


@pytest.mark.parametrize("title", ["Sheriff", "Chief of Pollce", "Sheriff Clay County", "Acting Director"])
def test_known_titles_and_near_misses_are_titles(title: str) -> None:
    assert plausible_title(title, "lea") is None


@pytest.mark.parametrize(
    ("name", "plausible"),
    [
        ("Todd M. Lyons", True),
        ("C.M. Cronen", True),
        ("David Ellis Jr", True),
        ("CHRISTOPHER M CRON EN", False),  # a word split by OCR
        ("M. Lucero", False),  # only an initial: the first name is under the signature
        ("Sytton Cq", False),
    ],
)
def test_person_names(name: str, plausible: bool) -> None:
    assert (plausible_name(name) is None) is plausible


def test_debris() -> None:
    assert debris("Office Of the Sherm. P1i 1rn Coc:nly")
    assert not debris("Nassau County Sheriff's Office")


# ---------------------------------------------------------------------- review states of an extraction


def test_a_name_under_a_signature_waits_for_review_and_the_read_fields_are_read() -> None:
    extraction = extract.extract_agreement(ingest.read_document(ARCADIA, ocr=False))
    reviews = {r.field: r for r in extraction.review()}
    ice_name = reviews["signatories[1].name"]
    assert ice_name.state is FieldState.NEEDS_REVIEW and ice_name.machine is None
    assert ice_name.reason is ReviewReason.HANDWRITTEN  # a text layer without the name: written by hand
    assert ice_name.region is not None and ice_name.region.page == extraction.signatories[1].page
    assert reviews["agency.name"].state is FieldState.READ
    assert reviews["signed_date"].state is FieldState.READ and reviews["signed_date"].value == "2025-03-05"
    # Nothing silently missing: every party's name, title and date is there, read or waiting.
    for index in range(len(extraction.signatories)):
        for key in ("name", "title", "date"):
            assert f"signatories[{index}].{key}" in reviews
    as_json = extraction.to_json()["review"]
    assert {r["field"] for r in as_json} == set(reviews)


def test_a_missing_party_and_an_undated_one_leave_the_signed_date_waiting() -> None:
    document = ingest.read_document(ARCADIA, ocr=False)
    extraction = extract.extract_agreement(document)
    extraction.signatories = extraction.signatories[:1]  # as if ICE's block had not been found
    reviews = {r.field: r for r in extraction.review()}
    for key in ("name", "title", "date"):
        missing = reviews[f"signatories[ice].{key}"]
        assert missing.state is FieldState.NEEDS_REVIEW and missing.reason is ReviewReason.NOT_FOUND
    assert reviews["signed_date"].state is FieldState.NEEDS_REVIEW
    assert reviews["signed_date"].machine == "2025-02-28"  # a suggestion, not the answer
    assert reviews["signed_date"].value is None


# ---------------------------------------------------------------------- a person's entries


@pytest.fixture
def library(registry_copy: Callable[[str], Workspace]) -> Workspace:
    workspace = registry_copy("review")
    workspace.ingest([ARCADIA], workers=1)
    workspace.reading(SHA)
    return workspace


def test_a_person_types_a_value_kept_beside_the_machines_reading(library: Workspace) -> None:
    with pytest.raises(InputError, match=r"signatories\[1\].name: no value typed"):
        library.enter_field(SHA, "signatories[1].name", "   ")
    with pytest.raises(InputError, match="is not a field of this document"):
        library.enter_field(SHA, "signatories[7].name", "X")
    with pytest.raises(InputError, match="is not a date"):
        library.enter_field(SHA, "signatories[0].date", "the 31st of February")
    with pytest.raises(InputError, match="not a US state"):
        library.enter_field(SHA, "agency.state", "Atlantis")
    assert library.person_entries(SHA) == []  # nothing refused was saved
    assert [q.sha256 for q in library.review_queue()] == [SHA]

    entered = library.enter_field(SHA, "signatories[1].name", "Madison D. Sheahan", by="A. Reviewer")
    assert entered.entry is not None and entered.entry.state is FieldState.CORRECTED
    assert entered.value == "Madison D. Sheahan" and entered.machine is None
    assert entered.entry.by == "A. Reviewer" and entered.entry.region is not None
    # The machine's reading is never overwritten; the API's reading says which values a person entered.
    assert library.reading(SHA)["extraction"]["signatories"][1]["name"] is None
    overlaid = library.reviewed_extraction(SHA)
    assert overlaid["signatories"][1]["name"] == "Madison D. Sheahan"
    assert overlaid["person_entries"]["signatories[1].name"]["by"] == "A. Reviewer"
    assert library.review_queue() == []  # nothing else waited

    # A confirmation of the machine's reading is an entry too, and a later entry is the value; the history
    # keeps both.
    confirmed = library.enter_field(SHA, "signatories[0].date", None, confirm=True)
    assert confirmed.entry is not None and confirmed.entry.state is FieldState.CONFIRMED
    library.enter_field(SHA, "signatories[0].date", "3/1/2025")
    history = [e for e in library.person_entries(SHA) if e.field == "signatories[0].date"]
    assert [e.value for e in history] == ["2025-02-28", "2025-03-01"]
    found = library.found(SHA)
    lea = next(s for s in found.signatories if s.side == "lea")
    assert lea.date is not None and lea.date.isoformat() == "2025-03-01"


def test_a_typed_date_becomes_the_found_agreements_signed_date(library: Workspace) -> None:
    library.enter_field(SHA, "signatories[1].date", "2025-03-07")
    reviews = {r.field: r for r in library.field_reviews(SHA)}
    signed = reviews["signed_date"]
    assert signed.value == "2025-03-07" and signed.entry is not None  # the latest date is the person's
    assert library.found(SHA).signed is not None and library.found(SHA).signed.isoformat() == "2025-03-07"


def test_the_page_region_is_cropped_from_the_original(library: Workspace) -> None:
    path = library.review_region(SHA, "signatories[1].name")
    with Image.open(path) as image:
        width, height = image.size
    page_width = 8.5 * 110  # a letter page rendered at the crop's resolution
    assert 0.3 * page_width < width <= page_width + 1 and 50 < height < 11 * 110 * 0.6
    assert library.review_region(SHA, "signatories[1].name") == path  # cached


def test_the_cli_lists_prompts_and_takes_one_field(library: Workspace) -> None:
    runner = CliRunner()
    home = ["--workspace", str(library.home)]
    listed = runner.invoke(main, [*home, "review", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["sha256"] == SHA
    shown = runner.invoke(main, [*home, "review", SHA[:12]])
    assert "signatories[1].name" in shown.stdout and "look at: " in shown.stdout
    bad = runner.invoke(
        main, [*home, "review", SHA[:12], "--field", "signatories[0].date", "--value", "2025-02-30"]
    )
    assert bad.exit_code == 1 and "is not a date" in bad.stderr and "Traceback" not in bad.output
    good = runner.invoke(
        main, [*home, "review", SHA[:12], "--field", "signatories[1].name", "--value", "Madison D. Sheahan"]
    )
    assert good.exit_code == 0, good.output
    assert "corrected" in good.stderr
    assert library.review_queue() == []


def test_entries_are_kept_the_same_on_postgresql(
    tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    workspace = Workspace(tmp_path, database_url=postgres_url, schema=postgres_schema)
    try:
        workspace.ingest([ARCADIA], workers=1)
        workspace.reading(SHA)
        entered = workspace.enter_field(SHA, "signatories[1].name", "Madison D. Sheahan", by="A. Reviewer")
        assert entered.entry is not None and entered.entry.at.tzinfo is not None
        assert [(e.field, e.value, e.by) for e in workspace.person_entries(SHA)] == [
            ("signatories[1].name", "Madison D. Sheahan", "A. Reviewer")
        ]
        assert workspace.review_queue() == []
        assert workspace.reading(SHA)["extraction"]["signatories"][1]["name"] is None
    finally:
        workspace.close()


def test_the_web_form_refuses_without_its_token_and_names_a_bad_field(library: Workspace) -> None:
    from fastapi.testclient import TestClient

    from disentangle.web import create_app

    with TestClient(create_app(library, cache_seconds=0), base_url="http://127.0.0.1") as client:
        page = client.get(f"/documents/{SHA}")
        assert page.status_code == 200 and "Fields to finish" in page.text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found and client.cookies.get("disentangle_csrf")
        token = found.group(1)
        refused = client.post(f"/documents/{SHA}/review", data={"field": "signatories[1].name", "value": "X"})
        assert refused.status_code == 403
        unknown = client.post(
            f"/documents/{SHA}/review",
            data={"csrf_token": token, "field": "signatories[9].name", "value": "X"},
        )
        assert unknown.status_code == 400 and "is not a field of this document" in unknown.text
        crop = client.get(f"/documents/{SHA}/region.png", params={"field": "signatories[1].name"})
        assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
        assert client.get(f"/documents/{SHA}/region.png", params={"field": "nothing"}).status_code == 404
        assert library.person_entries(SHA) == []


def test_the_queue_of_one_records_request(registry_copy: Callable[[str], Workspace]) -> None:
    from datetime import date

    from disentangle import letters

    workspace = registry_copy("review-request")
    agency = str(workspace.agreements(state="FL", model="tfm", status="active")[0]["agency_id"])
    requester = letters.Requester(name="Jane Doe", organization="County Watch", email="jane@example.org")
    released, _ = workspace.draft_request(agency, ["agreements"], requester, today=date(2026, 11, 2))
    other, _ = workspace.draft_request(agency, ["agreements"], requester, today=date(2026, 11, 2))
    workspace.attach_to_request(released, [ARCADIA], today=date(2026, 11, 3))
    queue = workspace.review_queue(request_id=released)
    assert [(q.sha256, q.request_ids) for q in queue] == [(SHA, (released,))]
    assert workspace.review_queue(request_id=other) == []
    assert [q.sha256 for q in workspace.review_queue()] == [SHA]
