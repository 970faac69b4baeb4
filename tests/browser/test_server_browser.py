"""A shared server in Chromium: one signs in with email and password, uploads, publishes, reads the log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.workspace import NewUser, Workspace
from fixtures.tff import build_tff_mou


@pytest.fixture(scope="module")
def shared(
    registry_copy: Callable[[str], Workspace], serve: Callable[[Workspace], str]
) -> tuple[str, dict[str, NewUser]]:
    workspace = registry_copy("server-browser")
    people = {
        "ana": workspace.add_user("ana@org-a.example", "Organisation A", "editor"),
        "sam": workspace.add_user("sam@org-a.example", "Organisation A", "viewer"),
    }
    return serve(workspace), people


@pytest.fixture
def tab(browser: Any, shared: tuple[str, dict[str, NewUser]]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=shared[0])
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def sign_in(tab: Any, user: NewUser) -> None:
    tab.goto("/documents")
    assert "/login" in tab.url  # on loopback too, once accounts exist
    screenshot(tab, "server-login")
    tab.fill("#email", user.user.email)
    tab.fill("#password", user.password)
    tab.click("form.login button[type=submit]")
    tab.wait_for_url("**/documents")


def test_an_editor_uploads_publishes_and_sees_it_in_the_audit_log(
    tab: Any, shared: tuple[str, dict[str, NewUser]], tmp_path: Path
) -> None:
    sign_in(tab, shared[1]["ana"])
    mou = build_tff_mou(tmp_path / "pasadena-mou.pdf", variant="seed", fmt="pdf")
    tab.goto("/documents/upload")
    tab.get_by_label("Files", exact=True).set_input_files(str(mou))
    tab.get_by_role("button", name="Upload and read").click()
    tab.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    tab.locator('#job[data-status="done"]').wait_for(timeout=180_000)
    tab.click("a:has-text('open the document')")
    form = tab.locator("form.access")
    assert "Organisation A" in form.inner_text() and "(private)" in form.inner_text()
    screenshot(tab, "server-document-access")
    document_url = tab.url
    # Public is published: refused until a person has reviewed the boxes to black out.
    tab.select_option("#access", "public")
    tab.click("form.access button[type=submit]")
    tab.wait_for_load_state()
    assert "reviewed" in tab.inner_text("main")
    tab.goto(document_url + "/redact")
    tab.fill("#by", "Ana")
    tab.click("button[value=publish]")
    tab.wait_for_url(re.compile(r"/redact#publish$"))
    tab.goto(document_url)
    assert "(public)" in tab.locator("form.access").inner_text()
    assert "the published, redacted copy" in tab.inner_text("main")
    tab.goto("/audit")
    log = tab.locator("table.audit").inner_text()
    for action in ("session.open", "job.start", "document.add", "document.publish", "web POST"):
        assert action in log, action
    screenshot(tab, "server-audit-log", full_page=True)


def test_a_viewer_sees_no_publish_form_and_cannot_upload(
    tab: Any, shared: tuple[str, dict[str, NewUser]]
) -> None:
    sign_in(tab, shared[1]["sam"])
    tab.goto("/documents")
    link = tab.locator("table.library a").first
    link.click()  # the document Organisation A's editor published
    assert tab.locator("form.access select").count() == 0
    tab.goto("/login")
    assert "viewer of Organisation A" in tab.inner_text("main")
    screenshot(tab, "server-viewer-session")
