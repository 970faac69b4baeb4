"""The Act pages in-process: request and letter wizards, the tracker, the cost calculator, the place page.

Pages that write (requests) run over a copy of the session registry in tmp_path, never the shared one.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from disentangle import costs, letters
from disentangle.web import create_app
from disentangle.workspace import Workspace

GALVESTON = "48167"
FIXTURES = Path(__file__).parent / "fixtures"
REQUESTER = {
    "name": "Ana Díaz",
    "organization": "Galveston Rights Watch",
    "address": "1 Main St\nGalveston, TX",
}


@pytest.fixture
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("web-act")


@pytest.fixture
def client(own: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(own, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def html_text(fragment: str) -> str:
    return fragment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def csrf_of(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"{url} has a form with a CSRF token"
    return found.group(1)


def active_agency(workspace: Workspace, state: str) -> dict[str, Any]:
    """An agreement of the state: an active one when there is one (California has none active)."""
    return (workspace.agreements(state=state, status="active") or workspace.agreements(state=state))[0]


def request_form(client: TestClient, agency_id: str, **extra: Any) -> dict[str, Any]:
    token = csrf_of(client, f"/act/request?agency={agency_id}")
    return {"csrf_token": token, "agency": agency_id, "topic": ["agreements", "costs"], **REQUESTER, **extra}


# ------------------------------------------------------------------------------------------ request wizard


def test_step_one_finds_agencies_and_links_to_step_two(client: TestClient, own: Workspace) -> None:
    page = client.get("/act/request", params={"q": "Galveston County Sheriff"}).text
    agency = own.search("Galveston County Sheriff")
    agencies = [r for r in agency if r["match"] == "agency"]
    assert agencies
    for row in agencies:
        assert f"/act/request?agency={row['id']}" in page
        assert html_text(row["name"]) in page


@pytest.mark.parametrize("state", ["TX", "CA", "FL"])
def test_preview_names_the_agency_its_state_law_and_the_computed_due_date(
    client: TestClient, own: Workspace, state: str
) -> None:
    agreement = active_agency(own, state)
    law = letters.records_law(state)
    page = client.post("/act/request/preview", data=request_form(client, agreement["agency_id"]))
    assert page.status_code == 200, page.text[:500]
    assert html_text(agreement["agency"]) in page.text
    assert html_text(law.label) in page.text and html_text(law.citation) in page.text
    deadline = letters.deadline_for(law, date.today())
    if deadline.date is not None:
        assert f'<strong class="due">{deadline.date.isoformat()}</strong>' in page.text
    else:  # Texas: no fixed date, but the milestones have theirs
        assert "no fixed date" in page.text.lower()
        for _clock, day in letters.milestone_dates(law, date.today()):
            assert day.isoformat() in page.text
    # The letter's standard asks come from the letters stage's knowledge.
    assert html_text(letters.asks_for("costs")[0].text) in page.text


def test_downloads_carry_the_agency_and_the_statute(client: TestClient, own: Workspace) -> None:
    import docx
    import pypdfium2

    agreement = active_agency(own, "TX")
    citation = letters.records_law("TX").citation
    form = request_form(client, agreement["agency_id"])
    markdown = client.post("/act/request/letter.md", data=form)
    assert markdown.status_code == 200 and "attachment" in markdown.headers["content-disposition"]
    assert agreement["agency"] in markdown.text and citation in markdown.text
    word = client.post("/act/request/letter.docx", data=form)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert agreement["agency"] in text and citation in text
    pdf = client.post("/act/request/letter.pdf", data=form)
    document = pypdfium2.PdfDocument(pdf.content)
    words = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert " ".join(citation.split()) in " ".join(words.split())
    assert client.post("/act/request/letter.exe", data=form).status_code == 400


def test_forms_without_the_csrf_token_are_refused(client: TestClient, own: Workspace) -> None:
    agency_id = active_agency(own, "TX")["agency_id"]
    form = request_form(client, agency_id)
    for url in ("/act/request/preview", "/act/request/save", "/act/request/letter.md"):
        assert client.post(url, data={**form, "csrf_token": ""}).status_code == 403, url
        assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403, url
    assert own.records_requests(today=date.today()) == [], "nothing was saved"
    request_id, _ = own.draft_request(agency_id, ["agreements"], letters.Requester("A"), today=date.today())
    refused = client.post(f"/requests/{request_id}/status", data={"status": "sent", "csrf_token": "x"})
    assert refused.status_code == 403
    assert own.tracked_request(request_id).status is letters.RequestStatus.DRAFT


def test_requester_text_is_escaped(client: TestClient, own: Workspace) -> None:
    form = request_form(client, active_agency(own, "TX")["agency_id"], name='<script>alert("x")</script>')
    page = client.post("/act/request/preview", data=form).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_missing_topic_and_name_are_clear_400s_on_the_form(client: TestClient, own: Workspace) -> None:
    form = request_form(client, active_agency(own, "TX")["agency_id"])
    no_topic = client.post("/act/request/preview", data={**form, "topic": []})
    assert no_topic.status_code == 400 and "choose at least one kind of record" in no_topic.text
    assert 'name="topic"' in no_topic.text, "the form is shown again"
    no_name = client.post("/act/request/preview", data={**form, "name": " "})
    assert no_name.status_code == 400 and "name is required" in no_name.text


# ------------------------------------------------------------------------------------------ tracker


def test_saving_a_request_shows_it_in_the_tracker_and_the_api(client: TestClient, own: Workspace) -> None:
    agreement = active_agency(own, "CA")
    saved = client.post(
        "/act/request/save", data=request_form(client, agreement["agency_id"]), follow_redirects=False
    )
    assert saved.status_code == 303
    (row,) = own.records_requests(today=date.today())
    assert saved.headers["location"].startswith(f"/requests?saved={row['id']}")
    page = client.get(saved.headers["location"]).text
    assert f'id="{row["id"]}"' in page and html_text(agreement["agency"]) in page
    assert html_text(letters.records_law("CA").citation) in page
    listed = client.get("/api/requests").json()
    assert [r["id"] for r in listed] == [row["id"]] and listed[0]["status"] == "draft"
    # The place page's fragment lists it under the agency's place.
    place = own.show(agreement["agency_id"])
    key = place["jurisdiction"]["fips"] if place.get("jurisdiction") else agreement["agency_id"]
    fragment = client.get("/requests", params={"place": key, "fragment": 1}).text
    assert row["id"] in fragment


def test_status_form_moves_the_request_and_sets_the_due_date(client: TestClient, own: Workspace) -> None:
    agreement = active_agency(own, "CA")
    request_id, _ = own.draft_request(
        agreement["agency_id"], ["agreements"], letters.Requester("A"), today=date.today()
    )
    token = csrf_of(client, "/requests")
    sent = client.post(
        f"/requests/{request_id}/status",
        data={"csrf_token": token, "status": "sent", "on": date.today().isoformat()},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    tracked = own.tracked_request(request_id)
    assert tracked.status is letters.RequestStatus.SENT
    due = letters.deadline_for(letters.records_law("CA"), date.today()).date
    assert due is not None and tracked.due() == due
    row = next(r for r in client.get("/api/requests").json() if r["id"] == request_id)
    assert row["due"] == due.isoformat() and row["overdue_days"] == 0
    wrong = client.post(
        f"/requests/{request_id}/status", data={"csrf_token": token, "status": "draft", "on": "2020-01-01"}
    )
    assert wrong.status_code == 400 and "cannot go from sent to draft" in wrong.text


def test_overdue_requests_are_flagged_with_their_days(client: TestClient, own: Workspace) -> None:
    agreement = active_agency(own, "CA")
    long_ago = date.today() - timedelta(days=120)
    late, _ = own.draft_request(
        agreement["agency_id"], ["agreements"], letters.Requester("A"), today=long_ago
    )
    own.advance_request(late, "sent", long_ago)
    fresh, _ = own.draft_request(
        agreement["agency_id"], ["agreements"], letters.Requester("B"), today=date.today()
    )
    own.advance_request(fresh, "sent", date.today())
    days = own.tracked_request(late).days_overdue(date.today())
    assert days > 90
    page = client.get("/requests").text
    flagged = re.findall(r'<tr class="overdue">\s*<td><a href="/requests#([^"]+)">', page)
    assert flagged == [late]
    assert f"overdue {days} days" in page
    assert [r["id"] for r in client.get("/api/requests", params={"overdue": True}).json()] == [late]
    # An overdue request offers the follow-up and the appeal, signed as it was drafted.
    token = csrf_of(client, "/requests")
    follow_up = client.post(f"/requests/{late}/letter.md", data={"csrf_token": token, "kind": "follow-up"})
    assert follow_up.status_code == 200
    assert agreement["agency"] in follow_up.text and letters.records_law("CA").citation in follow_up.text
    assert "\nA\n" in follow_up.text or follow_up.text.rstrip().endswith("A")
    calendar = client.get("/requests.ics")
    assert calendar.headers["content-type"].startswith("text/calendar") and "BEGIN:VCALENDAR" in calendar.text


def test_the_tracker_needs_the_token_off_loopback(own: Workspace) -> None:
    token = "a-long-enough-test-token"
    app = create_app(own, token=token, allowed_hosts=["tracker.example"])
    with TestClient(app, base_url="http://tracker.example") as outsider:
        assert outsider.get("/api/requests").status_code == 401
        page = outsider.get("/requests", headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert outsider.get("/api/requests", headers={"authorization": f"Bearer {token}"}).status_code == 200


# ------------------------------------------------------------------------------------------ action letters


def test_termination_wizard_from_search_to_download(client: TestClient, own: Workspace) -> None:
    import docx

    agreement = active_agency(own, "TX")
    found = client.get("/act/letter/terminate", params={"q": agreement["agency"]}).text
    assert f"/act/letter/terminate?subject={agreement['id']}" in found
    token = csrf_of(client, f"/act/letter/terminate?subject={agreement['id']}")
    form = {
        "csrf_token": token,
        "subject": agreement["id"],
        "signer": "Jane Roe",
        "title": "County Judge",
        "body": "Galveston County",
    }
    preview = client.post("/act/letter/terminate/preview", data=form)
    assert preview.status_code == 200 and html_text(agreement["agency"]) in preview.text
    word = client.post("/act/letter/terminate/letter.docx", data=form)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert agreement["agency"] in text and "Jane Roe" in text
    missing = client.post("/act/letter/terminate/preview", data={**form, "title": ""})
    assert missing.status_code == 400 and "title is required" in missing.text


def test_resolution_wizard_names_every_active_agreement(client: TestClient, own: Workspace) -> None:
    token = csrf_of(client, f"/act/letter/resolution?subject={GALVESTON}")
    form = {
        "csrf_token": token,
        "subject": GALVESTON,
        "body_name": "Commissioners Court of Galveston County",
        "jurisdiction": "Galveston County",
        "officer": "County Judge",
    }
    markdown = client.post("/act/letter/resolution/letter.md", data=form).text
    active = {a["agency"] for a in own.show(GALVESTON)["agreements"] if a["status"] == "active"}
    assert active and all(name in markdown for name in active)


def test_invalidity_wizard_reads_the_uploaded_agreement(client: TestClient) -> None:
    lines = (FIXTURES / "extract" / "tff_mou_synthetic.txt").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#")).replace(
        "Example City Police Department", "Pasadena Police Department"
    )
    token = csrf_of(client, "/act/letter/invalidity")
    form = {
        "csrf_token": token,
        "place": "Pasadena, CA",
        "signer": "A. Official",
        "title": "City Manager",
        "body": "City of Pasadena",
    }
    upload = {"file": ("pasadena.txt", (text + "\n\nPasadena, California\n").encode(), "text/plain")}
    preview = client.post("/act/letter/invalidity/preview", data=form, files=upload)
    assert preview.status_code == 200 and "Chief of Police" in preview.text
    sha256 = re.search(r'name="subject" value="([0-9a-f]{64})"', preview.text)
    assert sha256, "the preview names the stored upload by its sha256"
    again = client.post("/act/letter/invalidity/letter.md", data={**form, "subject": sha256.group(1)})
    assert again.status_code == 200 and "Pasadena Police Department" in again.text
    nothing = client.post("/act/letter/invalidity/preview", data=form)
    assert nothing.status_code == 400 and "upload" in nothing.text


# ------------------------------------------------------------------------------------------ costs


COST_QUERY = {"regime": "287g-fy2026", "officers": "3", "base_salary": "81000", "overtime_hours": "150"}


def test_cost_form_and_api_equal_workspace_cost(client: TestClient, own: Workspace) -> None:
    given = {k: v for k, v in COST_QUERY.items() if k != "regime"}
    expected = own.cost(COST_QUERY["regime"], given)  # inputs left out take a medium agency's defaults
    answer = client.get("/api/cost", params=COST_QUERY).json()
    assert answer["estimate"] == expected.to_dict()
    assert answer["sensitivity"] == costs.sensitivity(expected.regime.id, expected.inputs).to_dict()
    page = client.get("/act/cost", params=COST_QUERY)
    assert page.status_code == 200
    local = f"${expected.local:,.2f}"
    federal = f"${expected.federal:,.2f}"
    assert local in page.text and federal in page.text
    share = (expected.local_share or Decimal(0)) * 100
    assert f"{share:.1f}%" in page.text
    assert 'value="81000"' in page.text, "the form keeps what was entered"
    # Inputs left out take the defaults of costs/: a medium agency's, each stated as assumed.
    bare = client.get("/api/cost", params={"regime": "tff-joint-operations"}).json()
    assert bare["estimate"] == own.cost("tff-joint-operations", {}).to_dict()
    assert any("a medium agency" in line for line in bare["estimate"]["assumptions"])


def test_cost_prefilled_from_an_agreement(client: TestClient, own: Workspace) -> None:
    agreement = active_agency(own, "TX")
    estimate = own.cost_of_agreement(agreement["id"])
    answer = client.get("/api/cost", params={"agreement": agreement["id"]}).json()
    assert answer["estimate"] == estimate.to_dict() and answer["assumptions"] == list(estimate.assumptions)
    page = client.get("/act/cost", params={"agreement": agreement["id"]}).text
    assert f'<option value="{estimate.regime.id}" selected>' in page
    assert f"${estimate.local:,.2f}" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({**COST_QUERY, "officers": "-2"}, "'officers' must be a finite number of at least 0"),
        ({**COST_QUERY, "officers": "2.5"}, "'officers' must be a whole number"),
        ({**COST_QUERY, "regime": "nope"}, "unknown cost regime 'nope'"),
        ({**COST_QUERY, "share_of_time": "3"}, "'share_of_time' is a share of each officer's time"),
        ({**COST_QUERY, "benefit_load": "50"}, "'benefit_load' is a fraction of base salary between 0 and 1"),
        ({**COST_QUERY, "size": "huge"}, "unknown agency size 'huge'"),
        ({"agreement": "no-such-agreement"}, "no agreement"),
    ],
)
def test_bad_cost_inputs_are_clear_400s(client: TestClient, query: dict[str, str], message: str) -> None:
    answer = client.get("/api/cost", params=query)
    assert answer.status_code in (400, 404) and message in answer.json()["error"]
    page = client.get("/act/cost", params=query)
    assert page.status_code in (400, 404) and html_text(message) in page.text


# ------------------------------------------------------------------------------------------ place page


def test_place_page_has_scorecard_cost_requests_and_act(client: TestClient, own: Workspace) -> None:
    page = client.get(f"/place/{GALVESTON}").text
    shown = own.show(GALVESTON)
    active = [a for a in shown["agreements"] if a["status"] == "active"]
    for heading in ("Scorecard", "Cost", "Records requests", "Act"):
        assert f">{heading}</h2>" in page
    card = own.assess(GALVESTON).to_dict()
    for row in card["rows"]:
        assert f'<th scope="row">{html_text(row["label"])}</th>' in page
    assert f'href="/scorecard/{GALVESTON}"' in page, "the full scorecard is linked"
    assert f'data-fragment="/requests?place={GALVESTON}&amp;fragment=1"' in page
    assert f'href="/requests?place={GALVESTON}"' in page, "the requests have a link without the script"
    for agreement in active:
        assert f"/act/cost?agreement={agreement['id']}" in page
        assert f"/act/letter/terminate?subject={agreement['id']}" in page
        assert f"/act/request?agency={agreement['agency_id']}" in page
        estimate = own.cost_of_agreement(agreement["id"])
        assert f"${estimate.local:,.2f}" in page
        sizing = estimate.sizing  # each row says what its figures assume: the agency's size and the pay
        assert sizing is not None and html_text(sizing.agency) in page
        worded = f"{sizing.sworn} sworn officer" if sizing.sworn is not None else "no sworn-officer count"
        assert worded in page and "assigned to the agreement at $" in page
    # Each agency at its own size: Galveston County's agreements are not all priced the same.
    assert len({own.cost_of_agreement(a["id"]).total for a in active}) > 1
    assert f"/act/letter/resolution?subject={GALVESTON}" in page


def test_scorecard_page_fragment_and_api_agree_with_assess(client: TestClient, own: Workspace) -> None:
    card = own.assess(GALVESTON).to_dict()
    assert client.get(f"/api/scorecard/{GALVESTON}").json() == card
    fragment = client.get(f"/scorecard/{GALVESTON}", params={"fragment": 1}).text
    assert "<html" not in fragment
    for row in card["rows"]:
        cell = f'<th scope="row">{html_text(row["label"])}</th>'
        assert cell in fragment
        after = fragment.split(cell, 1)[1]
        assert f'class="answer answer-{row["answer"]}">{row["answer"]}<' in after.split("</tr>", 1)[0]
    page = client.get(f"/scorecard/{GALVESTON}").text
    assert "<h1>Scorecard of Galveston County, TX</h1>" in page
    assert client.get("/api/scorecard/TX0840000").status_code == 400, "an agency has no scorecard"


def test_openapi_describes_the_act_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/cost", "/api/requests", "/api/scorecard/{q}", "/api/records-law/{state}"):
        assert path in paths, path
    names = {p["name"] for p in paths["/api/cost"]["get"]["parameters"]}
    assert {"regime", "agreement", "officers", "base_salary", "benefit_load"} <= names
    law = client.get("/api/records-law/TX").json()
    assert law["citation"] == letters.records_law("TX").citation


def test_every_act_page_has_one_h1_and_labelled_inputs(client: TestClient, own: Workspace) -> None:
    agreement = active_agency(own, "TX")
    urls = [
        "/act",
        "/act/request",
        f"/act/request?agency={agreement['agency_id']}",
        "/act/cost?regime=287g-fy2026",
        "/requests",
        f"/act/letter/terminate?subject={agreement['id']}",
        f"/act/letter/resolution?subject={GALVESTON}",
        "/act/letter/invalidity",
    ]
    for url in urls:
        page = client.get(url).text
        assert page.count("<h1") == 1, url
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|checkbox)")[^>]*\bid="([^"]+)"', page
        )
        for control in ids:
            assert f'for="{control}"' in page, (url, control)
