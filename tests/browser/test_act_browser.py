"""The Act pages in real Chromium: a request from search to download and tracker, letters downloaded as
DOCX and PDF and read back, the calculator's live results, the place page's fragments, phone widths."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle import letters
from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser

GALVESTON = "48167"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    """A workspace of this module's own over a copy of the registry: these tests save requests."""
    return registry_copy("act-browser")


@pytest.fixture(scope="module")
def act_server(own: Workspace, serve: Callable[[Workspace], str]) -> str:
    return serve(own)


def new_tab(browser: Any, server: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, base_url=server, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.console_errors = errors  # a test that provokes an error on purpose takes it off this list
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    return context, tab, errors


@pytest.fixture
def tab(browser: Any, act_server: str) -> Iterator[Any]:
    context, page, errors = new_tab(browser, act_server, {"width": 1280, "height": 900})
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


@pytest.fixture
def phone(browser: Any, act_server: str) -> Iterator[Any]:
    context, page, errors = new_tab(browser, act_server, PHONE)
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def docx_text(content: bytes) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def pdf_text(content: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    return " ".join(
        " ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))
    )


def download(tab: Any, button: str) -> bytes:
    with tab.expect_download() as info:
        tab.get_by_role("button", name=button).click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_records_request_from_search_to_downloads_and_tracker(tab: Any, own: Workspace) -> None:
    agreement = own.agreements(state="TX", status="active")[0]
    law = letters.records_law("TX")
    tab.goto("/act")
    tab.get_by_role("link", name="Ask for the records").click()
    tab.get_by_label("Agency name, ORI").fill(agreement["agency"])
    tab.keyboard.press("Enter")
    tab.get_by_role("link", name=agreement["agency"], exact=True).first.click()
    tab.wait_for_url(re.compile(r"/act/request\?agency="))
    tab.get_by_label("Your name (or your organization's)").fill("Ana Díaz")
    tab.get_by_label("Organization (optional)").fill("Galveston Rights Watch")
    tab.get_by_label("Costs").check() if tab.get_by_label("Costs").count() else None
    screenshot(tab, "act-request-details", full_page=True)
    tab.get_by_role("button", name="Preview the letter").click()
    tab.wait_for_url(re.compile(r"/act/request/preview$"))
    assert law.label in tab.locator("#law-title").inner_text()
    assert agreement["agency"] in tab.locator("article.letter").inner_text()
    screenshot(tab, "act-request-preview")

    word = docx_text(download(tab, "Download DOCX"))
    assert agreement["agency"] in word and law.citation in word and "Ana Díaz" in word
    pdf = pdf_text(download(tab, "Download PDF"))
    assert " ".join(law.citation.split()) in pdf and "Ana Díaz" in pdf

    tab.get_by_role("button", name="Save to tracker").click()
    tab.wait_for_url(re.compile(r"/requests\?saved=req-"))
    saved = tab.locator(".saved").inner_text()
    request_id = re.search(r"req-\d+", saved)
    assert request_id, saved
    assert agreement["agency"] in tab.locator(f"#{request_id.group(0)}").inner_text()
    # Record that it was sent: the form's date is today, the status moves and the page says so.
    section = tab.locator(f"#{request_id.group(0)}")
    section.get_by_label("New status").select_option("sent")
    section.get_by_role("button", name="Record").click()
    tab.wait_for_load_state()
    assert "Status sent" in tab.locator(f"#{request_id.group(0)}").inner_text()
    assert own.tracked_request(request_id.group(0)).sent_on == date.today()
    screenshot(tab, "act-requests", full_page=True)


def test_termination_letter_downloads_as_docx_and_pdf(tab: Any, own: Workspace) -> None:
    agreement = own.agreements(state="TX", status="active")[0]
    tab.goto(f"/place/{GALVESTON}")
    active = [a for a in own.show(GALVESTON)["agreements"] if a["status"] == "active"]
    first = active[0]
    tab.locator(f'a[href="/act/letter/terminate?subject={first["id"]}"]').click()
    tab.wait_for_url(re.compile(r"/act/letter/terminate\?subject="))
    tab.get_by_label("Name of the official who signs").fill("Jane Roe")
    tab.get_by_label("Their title").fill("County Judge")
    tab.get_by_label("The government they sign for").fill("Galveston County")
    tab.get_by_role("button", name="Preview the letter").click()
    tab.wait_for_url(re.compile(r"/preview$"))
    screenshot(tab, "act-terminate-preview")
    word = docx_text(download(tab, "Download DOCX"))
    pdf = pdf_text(download(tab, "Download PDF"))
    for text in (word, " ".join(pdf.split())):
        assert first["agency"] in text or " ".join(first["agency"].split()) in text
        assert "Jane Roe" in text and "County Judge" in text
    assert agreement["state"] == "TX"


def test_cost_calculator_updates_live(tab: Any, own: Workspace) -> None:
    tab.goto("/act/cost?regime=tff-joint-operations")
    results = tab.locator("#cost-results")
    assert "Who pays" in results.inner_text()
    tab.get_by_label("officers assigned to the agreement").fill("5")
    tab.locator("#cost-results[data-live]").wait_for()
    inputs = {
        name: tab.locator(f"#in-{name}").input_value()
        for name in ("officers", "base_salary", "overtime_hours")
    }
    expected = own.cost("tff-joint-operations", {k: v for k, v in inputs.items() if v})
    shown = results.inner_text()
    assert f"${expected.local:,.2f}" in shown and f"${expected.federal:,.2f}" in shown
    assert "officers=5" in tab.url, "the address keeps the inputs (a shareable link)"
    screenshot(tab, "act-cost-live", full_page=True)
    tab.get_by_label("officers assigned to the agreement").fill("-3")
    tab.locator("#cost-results .error").wait_for()
    assert "'officers' must be a finite number of at least 0" in results.inner_text()
    # Chromium logs the API's 400 answer as a console error: it is the answer asked for here.
    tab.console_errors[:] = [e for e in tab.console_errors if "status of 400" not in e]


def test_place_page_shows_its_scorecard_and_loads_its_requests(tab: Any, own: Workspace) -> None:
    agreement = next(a for a in own.show(GALVESTON)["agreements"] if a["status"] == "active")
    own.draft_request(agreement["agency_id"], ["agreements"], letters.Requester("B. Roe"), today=date.today())
    tab.goto(f"/place/{GALVESTON}")
    tab.locator("[data-loaded] table.requests").wait_for()
    assert agreement["agency"] in tab.locator("[data-loaded] table.requests").inner_text()
    card = own.assess(GALVESTON)
    rows = tab.locator("table.scorecard tbody tr")
    assert rows.count() == len(card.rows)
    tab.locator("#scorecard-title").scroll_into_view_if_needed()
    screenshot(tab, "act-place-scorecard")
    tab.locator("#cost-title").scroll_into_view_if_needed()
    screenshot(tab, "act-place-cost-act")


@pytest.mark.parametrize(
    "url",
    [
        "/act",
        "/act/request?agency=TX0840000",
        "/act/cost?regime=287g-fy2026",
        "/requests",
        f"/place/{GALVESTON}",
        f"/scorecard/{GALVESTON}",
        "/act/letter/invalidity",
    ],
)
def test_act_pages_fit_a_phone(phone: Any, url: str) -> None:
    phone.goto(url)
    phone.wait_for_load_state("networkidle")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url} scrolls sideways on a phone: {width}px"
    name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")
    screenshot(phone, f"act-phone-{name}", full_page=True)


def test_request_preview_fits_a_phone_and_works_by_keyboard(phone: Any) -> None:
    phone.goto("/act/request?agency=TX0840000")
    phone.get_by_label("Your name (or your organization's)").fill("Ana Díaz")
    phone.get_by_role("button", name="Preview the letter").focus()
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/preview$"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the preview scrolls sideways on a phone: {width}px"
    screenshot(phone, "act-phone-request-preview", full_page=True)
