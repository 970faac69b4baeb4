"""The founding journey in real Chromium, as a new user takes it through the web app: a records request to
the Pasadena Police Department, the MOU it releases attached to the request, the agreement found in force on
Pasadena's page and on the map, judged, challenged and terminated, and Pasadena's page showing it ended."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.workspace import Workspace
from fixtures.evidence import assert_letter_quotes_its_sources, pages_of
from fixtures.tff import build_tff_mou

pytestmark = pytest.mark.browser

PASADENA = "0656000"  # the place's FIPS code: /place/0656000
LOS_ANGELES_COUNTY = "06037"
ORI = "CA0195300"
CLAUSE = "It remains in force unless explicitly terminated, in writing, by either party."


@pytest.fixture(scope="module")
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("pasadena-browser")


@pytest.fixture
def tab(browser: Any, own: Workspace, serve: Callable[[Workspace], str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=serve(own))
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def sign(tab: Any) -> None:
    tab.get_by_label("Name of the official who signs").fill("A. Manager")
    tab.get_by_label("Their title").fill("City Manager")
    tab.get_by_label("The government they sign for").fill("City of Pasadena")


def test_the_pasadena_journey_in_the_browser(tab: Any, own: Workspace, tmp_path: Path) -> None:
    # 1. Find the agency by the name people use, and ask it for its records under the CPRA.
    tab.goto("/act")
    tab.get_by_role("link", name="Ask for the records").click()
    tab.get_by_label("Agency name, ORI").fill("Pasadena Police Department")
    tab.keyboard.press("Enter")
    tab.locator(f'a[href*="{ORI.lower()}"]').first.click()
    tab.wait_for_url(re.compile(r"/act/request\?agency="))
    tab.get_by_label("Your name (or your organization's)").fill("A. Organizer")
    tab.get_by_label("Treasury Forfeiture Fund joint-operations agreements").check()
    tab.get_by_role("button", name="Preview the letter").click()
    tab.wait_for_url(re.compile(r"/act/request/preview$"))
    letter = tab.locator("article.letter").inner_text()
    assert "California Public Records Act" in tab.locator("#law-title").inner_text()
    assert "7920.000" in letter and "Pasadena Police Department" in letter
    screenshot(tab, "pasadena-1-request")
    tab.get_by_role("button", name="Save to tracker").click()
    tab.wait_for_url(re.compile(r"/requests\?saved=req-"))
    request_id = re.search(r"req-\d+", tab.locator(".saved").inner_text()).group(0)  # type: ignore[union-attr]
    section = tab.locator(f"#{request_id}")
    section.get_by_label("New status").select_option("sent")
    section.get_by_role("button", name="Record").click()
    tab.wait_for_load_state()
    section = tab.locator(f"#{request_id}")
    due = date.fromisoformat(re.search(r"due (\d{4}-\d\d-\d\d)", section.inner_text()).group(1))  # type: ignore[union-attr]
    assert date.today() < due <= date.today() + timedelta(days=14)

    # 2. The MOU it releases, as a born-digital PDF, attached to the request from the tracker.
    mou = build_tff_mou(tmp_path / "pasadena-mou.pdf", variant="seed", fmt="pdf")
    section.get_by_role("link", name=re.compile("Attach documents the agency released")).click()
    tab.wait_for_url(re.compile(rf"/requests/{request_id}/attach$"))
    assert "Attach what Pasadena Police Department released" in tab.locator("h1").inner_text()
    tab.locator("#files").set_input_files(str(mou))
    tab.get_by_role("button", name="Upload and read").click()
    tab.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    tab.locator('#job[data-status="done"]').wait_for(timeout=120_000)
    tab.reload()  # the finished job's page names the agreement read from the document
    screenshot(tab, "pasadena-2-attached")
    link = tab.get_by_role("link", name=re.compile(r"^found-"))
    agreement_id = link.inner_text()
    (found,) = own.found_agreements()
    assert found["agreement_id"] == agreement_id and found["request_id"] == request_id

    # The request keeps what the agency released, with the agreement read from it.
    tab.goto(f"/requests#{request_id}")
    released = tab.locator(f"#{request_id}").inner_text()
    assert "pasadena-mou.pdf" in released and agreement_id in released
    screenshot(tab, "pasadena-2-request-released", full_page=True)

    # 3. In force on the agreement's page, on Pasadena's page and on the map.
    tab.goto(f"/agreement/{agreement_id}")
    head = tab.locator("main").inner_text()
    assert "in force" in head.lower() and request_id in head
    tab.goto(f"/place/{PASADENA}")
    row = tab.locator("tr", has=tab.locator(f'a[href="/agreement/{agreement_id}"]')).first
    assert "in force" in row.inner_text().lower()
    screenshot(tab, "pasadena-3-place", full_page=True)
    tab.goto("/?layer=found")
    county = tab.locator(f'a[href="/place/{LOS_ANGELES_COUNTY}"] path')
    assert county.get_attribute("class") == "c-q5"  # the band "Found, in force"
    screenshot(tab, "pasadena-4-map")

    # 4. Judged under Pasadena on the document's page: the chief could not bind the city, and the MOU's
    # obligation conflicts with California's values act.
    sha256 = own.found(agreement_id).sha256
    tab.goto(f"/documents/{sha256}")
    judged = tab.locator("main").inner_text()
    assert "Error (no authority)" in judged and "only City manager may bind Pasadena" in judged
    assert "7284.6" in judged
    screenshot(tab, "pasadena-5-document", full_page=True)

    # 5. The notice of invalidity and the termination letter quote the MOU's own words; each is recorded
    # as sent on the agreement, the letter as evidence.
    pages = pages_of(own.documents.get(sha256))
    for kind, link_name, sent_on in (
        ("invalidity", "Give notice it is invalid", "2017-02-14"),
        ("terminate", "Terminate it", "2017-02-16"),
    ):
        tab.goto(f"/agreement/{agreement_id}")
        tab.get_by_role("link", name=link_name).click()
        tab.wait_for_url(re.compile(rf"/act/letter/{kind}\?subject="))
        sign(tab)
        tab.get_by_role("button", name="Preview the letter").click()
        tab.wait_for_url(re.compile(r"/preview$"))
        text = tab.locator("article.letter").inner_text()
        assert CLAUSE in " ".join(text.replace("”", '"').replace("“", '"').split())
        assert_letter_quotes_its_sources(text, pages)
        screenshot(tab, f"pasadena-6-{kind}", full_page=True)
        tab.get_by_label("Sent on").fill(sent_on)
        tab.get_by_role("button", name="Record it as sent").click()
        tab.wait_for_url(re.compile(rf"/agreement/{agreement_id}#life-title$"))

    # 6. Terminated on the day its clause gives; Pasadena's page shows it ended, with the letter.
    life = tab.locator("section[aria-labelledby=life-title]").inner_text()
    assert "2017-02-16" in life and "The letter" in life
    events = {(e["kind"], e["date"]) for e in own.agreement(agreement_id)["events"]}
    assert {("challenged", "2017-02-14"), ("termination_sent", "2017-02-16")} <= events
    assert ("terminated", "2017-02-16") in events
    tab.goto(f"/place/{PASADENA}")
    row = tab.locator("tr", has=tab.locator(f'a[href="/agreement/{agreement_id}"]')).first
    assert "terminated" in row.inner_text().lower()
    screenshot(tab, "pasadena-7-ended", full_page=True)
