"""A person redacts a records release in Chromium: the boxes stand on the page image, one is unticked (the
office's public line), one is drawn by dragging on the page, and publishing serves only the redacted copy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from artifacts import screenshot

from disentangle.workspace import Workspace
from fixtures.records_release import PERSONAL, build_booking_log

pytestmark = pytest.mark.browser


def test_a_person_reviews_the_boxes_and_publishes(
    browser: Any, serve: Callable[[Workspace], str], tmp_path: Path
) -> None:
    release = build_booking_log(tmp_path / "booking-log.pdf", "pdf")
    sha256 = hashlib.sha256(release.read_bytes()).hexdigest()
    workspace = Workspace(tmp_path / "ws")
    workspace.ingest([release], workers=1)
    server = serve(workspace)
    errors: list[str] = []
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))

    tab.goto(f"/documents/{sha256}")
    tab.get_by_role("link", name="redact personal data and publish").click()
    tab.wait_for_url(f"**/documents/{sha256}/redact")
    suggested = len(workspace.redactions(sha256).redactions)
    assert tab.locator("svg.page rect.box").count() == suggested > 30
    assert tab.locator("svg.page image").count() == 2
    # the page image is served and drawn (the security policy lets it through)
    assert tab.evaluate("document.querySelector('svg.page image').getBBox().width") > 500
    screenshot(tab, "redact-review")

    first = tab.locator("svg.page").first
    tab.evaluate("window.scrollTo(0, 0)")
    bounds = first.bounding_box()
    assert bounds is not None
    tab.mouse.move(bounds["x"] + bounds["width"] * 0.85, bounds["y"] + bounds["height"] * 0.05)
    tab.mouse.down()
    tab.mouse.move(bounds["x"] + bounds["width"] * 0.95, bounds["y"] + bounds["height"] * 0.09, steps=5)
    tab.mouse.up()
    drawn = tab.locator("#add").input_value()
    assert drawn.startswith("1:") and len(drawn.split(",")) == 4

    office = tab.locator("ul.boxes li").filter(has_text="(956) 555-0100")
    office.locator("input[type=checkbox]").uncheck()
    box_id = office.locator("input").get_attribute("data-box")
    assert "off" in (tab.locator(f"#{box_id}").get_attribute("class") or "")

    tab.fill("#by", "A. Reviewer")
    tab.get_by_role("button", name="Save and publish the redacted copy").click()
    tab.wait_for_url(f"**/documents/{sha256}/redact#publish")
    assert "Reviewed by A. Reviewer" in tab.locator("p.redact-status").inner_text()
    assert tab.locator("svg.page rect.box.person").count() == 1
    screenshot(tab, "redact-published")

    review = workspace.redactions(sha256)
    assert review.reviewed and len(review.redactions) == suggested  # one unticked, one drawn
    response = tab.request.get(f"/documents/{sha256}/published.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    copy = tmp_path / "served.pdf"
    copy.write_bytes(response.body())
    document = pdfium.PdfDocument(str(copy))
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    document.close()
    for values in PERSONAL.values():
        for value in values:
            assert value not in text
    assert "555-0100" in text  # the office's line, kept by the person
    assert hashlib.sha256(workspace.documents.original_path(sha256).read_bytes()).hexdigest() == sha256
    context.close()
    workspace.close()
    assert errors == [], f"the browser reported errors: {errors}"
