"""A person finishes a real scanned agreement in Chromium: the fields the reader could not read are listed,
each beside the crop of its page; a typed date is kept as a person's entry and shown as such on the document
page, on the agreement page and in the API.

The scan is Portage County (OH) Sheriff's Office's 2025 Warrant Service Officer agreement as ICE published it
(https://www.ice.gov/doclib/287gMOA/PortageCountySO_WSO_MOA_031225.pdf), from the shared corpus beside the
checkout; the test is skipped when the corpus is absent. Its sheriff dated his signature by hand
("03/11/2025"), which OCR does not read."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "moa"
SCAN = CORPUS / "pdf" / "OHIO__Portage_County_Sheriff_s_Office__PortageCountySO_WSO_MOA_031225.pdf"


@pytest.fixture(scope="module")
def review_site(
    registry_copy: Callable[[str], Workspace], serve: Callable[[Workspace], str]
) -> tuple[str, str]:
    if not SCAN.exists():
        pytest.skip(f"{SCAN.name}: the shared corpus is absent")
    workspace = registry_copy("browser-review")
    workspace.ingest([SCAN], workers=1)
    sha256 = hashlib.sha256(SCAN.read_bytes()).hexdigest()
    workspace.reading(sha256)
    return serve(workspace), sha256


def test_a_person_types_the_handwritten_date_of_a_real_scan(
    browser: Any, review_site: tuple[str, str]
) -> None:
    server, sha256 = review_site
    errors: list[str] = []
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))

    # The queue lists the document with its waiting fields.
    tab.goto("/review")
    row = tab.locator("table.queue tbody tr").filter(has_text=SCAN.name)
    assert row.count() == 1
    assert "Local agency signature date" in row.inner_text()
    screenshot(tab, "review-queue")

    tab.goto(f"/documents/{sha256}")
    items = tab.locator(".review-item")
    labels = [items.nth(i).locator("h3").inner_text() for i in range(items.count())]
    assert "Local agency signature date" in labels
    item = items.filter(has=tab.get_by_role("heading", name="Local agency signature date", exact=True))
    assert "OCR could not read it" in item.locator(".reason").inner_text()
    # Each waiting field stands beside the crop of its page, drawn from the stored original.
    crops = tab.locator(".review-item img")
    assert crops.count() == items.count()
    for index in range(crops.count()):
        crops.nth(index).scroll_into_view_if_needed()
        tab.wait_for_function(
            "img => img.complete && img.naturalWidth > 100", arg=crops.nth(index).element_handle()
        )
    item.scroll_into_view_if_needed()
    screenshot(tab, "review-document-fields")

    # A date that is no date is refused with one line, beside its field; nothing is saved.
    item.get_by_label("Date (YYYY-MM-DD)").fill("2025-13-11")
    item.get_by_role("button", name="Save what I typed").click()
    tab.locator(".review-item .error").wait_for()
    assert "is not a date" in tab.locator(".review-item .error").inner_text()

    item = tab.locator(".review-item").filter(
        has=tab.get_by_role("heading", name="Local agency signature date", exact=True)
    )
    item.get_by_label("Date (YYYY-MM-DD)").fill("2025-03-11")
    item.get_by_label("Your name or initials").fill("A. Reviewer")
    item.get_by_role("button", name="Save what I typed").click()
    tab.wait_for_url(re.compile(rf"/documents/{sha256}#review-title$"))

    # The field no longer waits; the signatories table and the signed date say a person entered them.
    headings = tab.locator(".review-item h3").all_inner_texts()
    assert "Local agency signature date" not in headings
    lea_row = tab.locator("table.signatories tbody tr").first
    assert "2025-03-11" in lea_row.inner_text()
    assert lea_row.locator(".person-entry").inner_text() == "entered by a person"
    signed = tab.locator("dl.meta div").filter(has=tab.locator("dt", has_text=re.compile("^Signed$")))
    # The agreement's signed date is its latest signature, ICE's typed 2025-03-17: read by the machine, and
    # no longer waiting now that every signature's date is known.
    assert "2025-03-17" in signed.inner_text()
    assert "entered by a person" not in signed.inner_text() and "needs review" not in signed.inner_text()
    entered = tab.locator("ul.entered").inner_text()
    assert "2025-03-11" in entered and "A. Reviewer" in entered and "the machine read nothing" in entered
    # Judged again with the person's date: the agency's signature no longer "carries no date".
    flags = tab.locator("ul.flags").inner_text() if tab.locator("ul.flags").count() else ""
    assert "No date could be read for the agency signature" not in flags
    tab.locator("table.signatories").scroll_into_view_if_needed()
    screenshot(tab, "review-document-entered")

    # The API says which values a person entered, and keeps the machine's reading beside them.
    data = json.loads(tab.request.get(f"/api/documents/{sha256}").text())
    entry = data["entered_by_person"]["signatories[0].date"]
    assert entry["value"] == "2025-03-11" and entry["by"] == "A. Reviewer" and entry["state"] == "corrected"
    assert "signed_date" not in data["entered_by_person"]
    review = {r["field"]: r for r in data["review"]}
    assert review["signatories[0].date"]["machine"] is None
    assert review["signatories[0].date"]["entered_by_person"] is True
    assert data["reading"]["extraction"]["signatories"][0]["date"] is None  # the machine's reading stands

    # The agreement the document is a copy of shows the typed date as a person's entry.
    found = json.loads(tab.request.get("/api/found").text())
    mine = next(f for f in found if f["sha256"] == sha256)
    assert mine["signed"] == "2025-03-17"
    lea_signer = next(s for s in mine["signatories"] if s["side"] == "lea")
    assert lea_signer["date"] == "2025-03-11" and lea_signer["date_note"] == "entered by a person"
    tab.goto(f"/agreement/{mine['agreement_id']}")
    read = tab.locator("#read-title").locator("xpath=..")
    lea = read.locator("tbody tr").filter(has_text="the local agency")
    assert "2025-03-11" in lea.inner_text() and "entered by a person" in lea.inner_text()
    read.scroll_into_view_if_needed()
    screenshot(tab, "review-agreement-page")
    context.close()
    refused = [e for e in errors if "status of 400" in e]  # the page that refused the impossible date
    assert len(refused) == 1 and [e for e in errors if e not in refused] == [], errors
