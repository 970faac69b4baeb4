"""The document library in real Chromium: upload a real agreement, watch it being read, read its facts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle import extract, ingest
from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser

ARCADIA = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "arcadia_fl_tfm_moa_2025.pdf"


@pytest.fixture(scope="module")
def library_server(registry_copy: Callable[[str], Workspace], serve: Callable[[Workspace], str]) -> str:
    """The app over a workspace of our own (a copy of the session's registry) that uploads write to."""
    return serve(registry_copy("browser-library"))


def new_tab(browser: Any, server: str, errors: list[str], **options: Any) -> Any:
    context = browser.new_context(base_url=server, **options)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    return tab


@pytest.fixture
def tab(browser: Any, library_server: str) -> Iterator[Any]:
    errors: list[str] = []
    page = new_tab(browser, library_server, errors, viewport={"width": 1400, "height": 1000})
    yield page
    page.context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def upload(tab: Any, files: list[Path] | list[dict[str, Any]]) -> str:
    """Upload through the form; return the job page's URL once the job is done."""
    tab.goto("/documents/upload")
    tab.get_by_label("Files", exact=True).set_input_files(files)
    tab.get_by_role("button", name="Upload and read").click()
    tab.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    # The page follows the job by itself (JavaScript polling /api/jobs/{id}), then shows the outcomes.
    tab.locator('#job[data-status="done"]').wait_for(timeout=180_000)
    return str(tab.url)


def test_uploading_a_real_agreement_shows_its_signatories(tab: Any) -> None:
    tab.goto("/documents/upload")
    screenshot(tab, "documents-upload-form")
    upload(tab, [ARCADIA])
    screenshot(tab, "documents-job-done")
    link = tab.get_by_role("link", name="Read: open the document")
    assert link.count() == 1
    link.click()
    tab.wait_for_url(re.compile(r"/documents/[0-9a-f]{64}$"))
    assert tab.locator("h1").inner_text() == ARCADIA.name
    rows = tab.locator("table.signatories tbody tr")
    expected = extract.extract_agreement(ingest.read_document(ARCADIA)).signatories
    assert rows.count() == len(expected) > 0
    for index, signatory in enumerate(expected):
        cells = rows.nth(index).locator("td")
        assert cells.nth(1).locator(".value").inner_text() == (signatory.name or "—")
        assert cells.nth(2).locator(".value").inner_text() == (signatory.title or "—")
    screenshot(tab, "documents-agreement-top")

    # Choosing a fact in the list scrolls to its words on its page and marks them.
    first = tab.locator(".fact-list a[href^='#fact-']").filter(has_text="signatories[0].name")
    first.click()
    number = first.get_attribute("data-fact")
    target = tab.locator(f"#fact-{number}")
    target.wait_for()
    assert tab.evaluate("() => location.hash") == f"#fact-{number}"
    assert target.evaluate("m => m.closest('section.page').id") == f"page-{expected[0].page}"
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] <= 1000, "the fact's words are in view"
    assert "current" in (target.get_attribute("class") or "")
    assert target.inner_text() in (expected[0].name or "")
    screenshot(tab, "documents-fact-chosen")

    tab.get_by_text("Show the redline").click()
    tab.locator("article.redline").scroll_into_view_if_needed()
    screenshot(tab, "documents-redline")

    tab.goto("/documents")
    assert tab.get_by_role("link", name=ARCADIA.name).count() == 1
    screenshot(tab, "documents-library")


def test_a_script_in_a_document_stays_text(tab: Any) -> None:
    hostile = {
        "name": "<img src=x onerror=alert(1)>.txt",
        "mimeType": "text/plain",
        "buffer": b"Minutes of the meeting.\n<script>document.title='owned'</script>\n",
    }
    upload(tab, [hostile])
    tab.locator("table.job-files a").first.click()
    tab.wait_for_url(re.compile(r"/documents/[0-9a-f]{64}$"))
    assert "owned" not in tab.title()
    assert tab.locator("pre.page-text").first.inner_text().count("<script>") == 1
    assert tab.locator("img").count() == 0
    screenshot(tab, "documents-hostile-text")


def test_documents_pages_fit_a_phone(browser: Any, library_server: str) -> None:
    errors: list[str] = []
    phone = new_tab(
        browser,
        library_server,
        errors,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        phone.goto("/documents")
        if phone.get_by_role("link", name=ARCADIA.name).count() == 0:  # this test alone: bring it first
            upload(phone, [ARCADIA])
        for path in ("/documents", "/documents/upload"):
            phone.goto(path)
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways ({width} px)"
        screenshot(phone, "documents-phone-upload")
        phone.goto("/documents")
        phone.get_by_role("link", name=ARCADIA.name).click()
        phone.wait_for_url(re.compile(r"/documents/[0-9a-f]{64}$"))
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the document page scrolls sideways ({width} px)"
        screenshot(phone, "documents-phone-document")
        # On a phone the fact list comes first; a fact's link still leads to its words.
        phone.locator(".fact-list a[href^='#fact-']").filter(has_text="signatories[0].title").tap()
        phone.wait_for_timeout(300)  # the smooth scroll ends; only for the screenshot
        screenshot(phone, "documents-phone-fact")
    finally:
        phone.context.close()
    assert errors == [], f"the browser reported errors: {errors}"
