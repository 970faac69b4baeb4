"""Cross-site forms, sessions and sign-in throttling (issue 18): what a page on another port cannot do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from disentangle.registry import tables as t
from disentangle.web import create_app
from disentangle.web._security import CSRF_COOKIE, SESSION_COOKIE, sign_binding
from disentangle.workspace import Workspace
from disentangle.workspace._sessions import LOGIN_FAILURES_PER_CLIENT

TOKEN = "correct-horse-battery-staple-42"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Every form post of the app that a page elsewhere could aim at, with fields that pass validation.
SHA = "0" * 64
FORM_POSTS = [
    ("/documents/upload", {}),
    ("/act/request", {"place": "x"}),
    ("/act/request/preview", {"place": "x"}),
    ("/act/request/save", {"place": "x"}),
    ("/act/request/letter.md", {"place": "x"}),
    ("/act/letter/invalidity/preview", {"subject": SHA}),
    ("/act/letter/invalidity/letter.md", {"subject": SHA}),
    ("/requests/x/status", {"status": "sent"}),
    ("/requests/x/letter.md", {}),
    ("/campaigns", {"scope": "x"}),
    ("/found/" + SHA + "/review", {}),
    ("/agreement/x/actions", {}),
    ("/documents/" + SHA + "/review", {"field": "signed_date"}),
]


@pytest.fixture()
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    found = Workspace(tmp_path / "home", data_dir=tmp_path)
    yield found
    found.close()


@pytest.fixture()
def local(workspace: Workspace) -> TestClient:
    return TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1:8000")


@pytest.fixture()
def guarded(workspace: Workspace) -> TestClient:
    return TestClient(create_app(workspace, token=TOKEN, cache_seconds=0), base_url="http://127.0.0.1:8000")


def form_token(client: TestClient, path: str = "/documents/upload") -> str:
    found = FORM_TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


@pytest.mark.parametrize("path", [path for path, _ in FORM_POSTS] + ["/logout"])
@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://127.0.0.1:9999"},  # a page on another local port
        {"origin": "http://evil.example"},
        {"origin": "null"},  # a sandboxed frame or a file: page
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://127.0.0.1:8000"},  # another port of this host
    ],
)
def test_a_form_posted_from_elsewhere_is_refused_before_it_is_read(
    local: TestClient, path: str, headers: dict[str, str]
) -> None:
    token = form_token(local)  # even with the right token: the browser says it came from elsewhere
    response = local.post(path, data={"csrf_token": token}, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "another site or port" in response.text


def test_a_form_posted_from_this_origin_passes_the_origin_check(local: TestClient) -> None:
    token = form_token(local)
    headers = {"origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-origin"}
    response = local.post(
        "/documents/upload",
        data={"csrf_token": token},
        files=[("files", ("a.txt", b"an agreement", "text/plain"))],
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/jobs/")


@pytest.mark.parametrize(("path", "fields"), FORM_POSTS)
def test_a_cookie_and_field_pair_the_attacker_chose_is_refused(
    local: TestClient, path: str, fields: dict[str, str]
) -> None:
    """Cookies ignore ports: a page on 127.0.0.1:9999 can set the CSRF cookie of 127.0.0.1:8000. The
    double-submit check accepted any equal pair; the signed token does not."""
    chosen = "attacker-chosen-value-1234567890"
    local.cookies.set(CSRF_COOKIE, chosen)
    for forged in (chosen, sign_binding(b"not the server's key", chosen), ""):
        response = local.post(path, data={**fields, "csrf_token": forged}, follow_redirects=False)
        assert response.status_code == 403, (path, forged)


def test_the_token_is_bound_to_its_browser(local: TestClient, workspace: Workspace) -> None:
    token = form_token(local)
    other = TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1:8000")
    form_token(other)  # the other browser has its own binding cookie
    response = other.post("/act/request/save", data={"csrf_token": token, "place": "x"})
    assert response.status_code == 403


def test_the_form_key_is_kept_server_side_and_shared(workspace: Workspace) -> None:
    key = workspace.web_key()
    assert len(key) == 32 and workspace.web_key() == key
    again = Workspace(workspace.home, data_dir=workspace._data_dir)
    try:
        assert again.web_key() == key, "every worker process signs with the same key"
    finally:
        again.close()


def sign_in(client: TestClient) -> str:
    response = client.post(
        "/login", data={"token": TOKEN, "csrf_token": form_token(client, "/login")}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie and TOKEN not in cookie
    return cookie


def test_sessions_differ_and_a_stolen_cookie_dies_with_logout(
    guarded: TestClient, workspace: Workspace
) -> None:
    first = sign_in(guarded)
    guarded.cookies.clear()
    second = sign_in(guarded)
    assert first != second, "each sign-in is a new session, not a constant derived from the token"
    copy = TestClient(guarded.app, base_url="http://127.0.0.1:8000")
    copy.cookies.set(SESSION_COOKIE, second)
    assert copy.get("/api/summary").status_code != 401, "the copied cookie works while the session lives"
    token = form_token(guarded, "/login")
    assert guarded.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert copy.get("/api/summary").status_code == 401, "logout ended the session for every copy"
    assert workspace.web_session(second) is None
    assert workspace.web_session(first) is not None, "another browser's session lives on"


def test_an_expired_session_is_refused(guarded: TestClient, workspace: Workspace) -> None:
    session = sign_in(guarded)
    assert guarded.get("/api/summary").status_code != 401
    with workspace.store.transaction() as connection:
        connection.execute(update(t.web_sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert workspace.web_session(session) is None
    assert guarded.get("/api/summary").status_code == 401


def test_the_session_cookie_says_when_it_ends(guarded: TestClient) -> None:
    response = guarded.post(
        "/login", data={"token": TOKEN, "csrf_token": form_token(guarded, "/login")}, follow_redirects=False
    )
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE))
    assert "max-age=43200" in cookie.lower() and "httponly" in cookie.lower()


def test_wrong_tokens_are_throttled_even_before_the_right_one(guarded: TestClient) -> None:
    for _ in range(LOGIN_FAILURES_PER_CLIENT):
        wrong = guarded.post("/login", data={"token": "not-it", "csrf_token": form_token(guarded, "/login")})
        assert wrong.status_code == 401
    blocked = guarded.post("/login", data={"token": "guess", "csrf_token": form_token(guarded, "/login")})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many wrong tokens" in blocked.text
    right = guarded.post(
        "/login", data={"token": TOKEN, "csrf_token": form_token(guarded, "/login")}, follow_redirects=False
    )
    assert right.status_code == 429, "while it waits, even the right token is not tried"
    assert guarded.cookies.get(SESSION_COOKIE) is None


def test_the_throttle_counts_every_worker(workspace: Workspace) -> None:
    """Failures are kept in the database: a second process sees the first one's."""
    for _ in range(LOGIN_FAILURES_PER_CLIENT):
        workspace.record_login_failure("203.0.113.7")
    again = Workspace(workspace.home, data_dir=workspace._data_dir)
    try:
        assert again.login_wait("203.0.113.7") > 0
        assert again.login_wait("203.0.113.8") == 0, "another address is not held back by this one"
        again.clear_login_failures("203.0.113.7")
        assert workspace.login_wait("203.0.113.7") == 0
    finally:
        again.close()
