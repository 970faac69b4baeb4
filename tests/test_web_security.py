"""The web app's safety: escaping, security headers, loopback-only hosts, the token, CSRF, traversal."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from fastapi.testclient import TestClient

from disentangle.errors import InputError
from disentangle.web import check_binding, create_app, is_loopback
from disentangle.web._downloads import download_name
from disentangle.web._security import CSRF_COOKIE, SESSION_COOKIE, safe_next
from disentangle.web._site import external_url
from disentangle.workspace import Workspace, bundled_data_dir

HOSTILE = "<script>alert('agency')</script> Sheriff's Office"
TOKEN = "correct-horse-battery-staple-42"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A registry built from one ICE sheet whose agency name is a script tag."""
    data = tmp_path_factory.mktemp("hostile-data")
    sheets = data / "ice-287g-monthly" / "participating_monthly"
    sheets.mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"])
    sheet.append(
        ["Texas", HOSTILE, "County", "Galveston County", "Jail Enforcement Model", "2025-01-02", None]
    )
    sheet.append(
        [
            "Texas",
            "Plain Police Department",
            "Municipality",
            "Harris County",
            "Task Force Model",
            "2025-02-03",
            None,
        ]
    )
    book.save(sheets / "20260101__participatingAgencies01012026am.xlsx")
    (data / "PROVENANCE.md").write_text("test data made by tests/test_web_security.py\n")
    shutil.copytree(bundled_data_dir() / "us-atlas", data / "us-atlas")
    workspace = Workspace(tmp_path_factory.mktemp("hostile-home"), data_dir=data)
    workspace.import_bundled()
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(hostile: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(hostile, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def guarded(hostile: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(hostile, token=TOKEN), base_url="http://192.0.2.10:8000") as test_client:
        yield test_client


def hostile_agency_id(workspace: Workspace) -> str:
    found = [r for r in workspace.search("script") if r["match"] == "agency"]
    assert len(found) == 1
    return str(found[0]["id"])


# ---------------------------------------------------------------------- escaping


def test_script_in_an_agency_name_renders_inert_everywhere(client: TestClient, hostile: Workspace) -> None:
    agency_id = hostile_agency_id(hostile)
    for path in ["/", f"/agency/{agency_id}", "/search?q=script", "/feed.atom", "/api"]:
        body = client.get(path).text
        assert "<script>alert" not in body, path
    for path in ["/", f"/agency/{agency_id}", "/search?q=script"]:
        assert "&lt;script&gt;alert(&#39;agency&#39;)&lt;/script&gt;" in client.get(path).text, path
    feed = ElementTree.fromstring(client.get("/feed.atom").content)
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") or "" for e in feed]
    assert any(HOSTILE in title for title in titles), "the feed's XML carries the name as text"
    # JSON carries the name as data, as it is.
    assert client.get(f"/api/agency/{agency_id}").json()["agency"]["name"] == HOSTILE


@pytest.mark.parametrize(
    "query",
    ['<script>alert("q")</script>', '"><img src=x onerror=alert(1)>', "</title><script>x</script>"],
)
def test_search_text_is_escaped(client: TestClient, query: str) -> None:
    body = client.get("/search", params={"q": query}).text
    assert query not in body
    assert "<img src=x" not in body and "<script>x" not in body and '<script>alert("q")' not in body
    assert (
        'value="'
        + query.replace("&", "&amp;").replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;")
        in body
    )


def test_pages_have_no_inline_script_style_or_handlers(client: TestClient, hostile: Workspace) -> None:
    for path in ["/", f"/agency/{hostile_agency_id(hostile)}", "/search?q=plain", "/api", "/nowhere"]:
        body = client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert scripts == ['<script src="/static/app.js" defer>'], path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", body), path


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.ice.gov/doclib/287gMOA/x.pdf", True),
        ("http://www.ice.gov/doclib/287gMOA/x.pdf", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>x</script>", False),
        ("//evil.example/x.pdf", False),
        (None, False),
    ],
)
def test_only_http_links_leave_the_site(url: str | None, kept: bool) -> None:
    assert (external_url(url) is not None) is kept


# ---------------------------------------------------------------------- headers and hosts


@pytest.mark.parametrize(
    "path", ["/", "/search?q=x", "/api/summary", "/static/style.css", "/nowhere", "/feed.atom"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("127.0.0.1", True),
        ("evil.example", False),  # a page elsewhere that rebinds its name to 127.0.0.1
        ("evil.example:8000", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
    ],
)
def test_without_a_token_only_loopback_hosts_are_answered(
    client: TestClient, host: str, allowed: bool
) -> None:
    response = client.get("/api/summary", headers={"host": host})
    assert (response.status_code == 200) is allowed
    if not allowed:
        assert response.status_code == 400


@pytest.mark.parametrize(
    ("host", "token", "ok"),
    [
        ("127.0.0.1", None, True),
        ("localhost", None, True),
        ("::1", None, True),
        ("127.0.0.2", None, True),
        ("0.0.0.0", None, False),
        ("192.168.1.5", None, False),
        ("::", None, False),
        ("example.org", None, False),
        ("0.0.0.0", TOKEN, True),
        ("127.0.0.1", "short", False),  # a token too short to resist guessing
    ],
)
def test_binding_off_loopback_needs_a_token(host: str, token: str | None, ok: bool) -> None:
    assert is_loopback(host) is (host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"))
    if ok:
        check_binding(host, token)
    else:
        with pytest.raises(InputError):
            check_binding(host, token)


# ---------------------------------------------------------------------- the token


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": f"Bearer {TOKEN}"}, 200),
        ({"x-disentangle-token": TOKEN}, 200),
        ({"authorization": "Bearer wrong-token-wrong-token"}, 401),
        ({"x-disentangle-token": TOKEN[:-1]}, 401),
        ({"authorization": f"Basic {TOKEN}"}, 401),
        ({"cookie": f"{SESSION_COOKIE}={TOKEN}"}, 401),  # the cookie never holds the token itself
    ],
)
def test_with_a_token_every_request_needs_it(guarded: TestClient, headers: dict, status: int) -> None:
    guarded.cookies.clear()
    for path in ["/api/summary", "/api/map", "/openapi.json", "/feed.atom", "/search?q=plain", "/api"]:
        assert guarded.get(path, headers=headers).status_code == status, path


def test_a_page_without_the_token_sends_the_browser_to_the_login_form(guarded: TestClient) -> None:
    guarded.cookies.clear()
    response = guarded.get("/search?q=plain", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsearch%3Fq%3Dplain"
    assert guarded.get("/static/style.css").status_code == 200, "the login form's stylesheet is public"
    assert guarded.get("/login").status_code == 200


def test_login_sets_a_session_and_logout_needs_the_form_token(guarded: TestClient) -> None:
    guarded.cookies.clear()
    form = guarded.get("/login", params={"next": "/search?q=plain"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf and guarded.cookies.get(CSRF_COOKIE), "the form's token is bound to a cookie"
    assert guarded.cookies.get(CSRF_COOKIE) != csrf.group(1), "the token is signed, not the cookie itself"
    wrong = guarded.post("/login", data={"token": "not-it", "csrf_token": csrf.group(1), "next": "/"})
    assert wrong.status_code == 401 and guarded.cookies.get(SESSION_COOKIE) is None
    csrf_value = csrf.group(1)
    response = guarded.post(
        "/login",
        data={"token": TOKEN, "csrf_token": csrf_value, "next": "/search?q=plain"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/search?q=plain"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()
    assert TOKEN not in response.headers["set-cookie"]
    assert guarded.get("/search?q=plain").status_code == 200
    assert guarded.get("/api/summary").status_code == 200
    signed_in = guarded.get("/login")
    assert "Sign out" in signed_in.text
    refused = guarded.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert guarded.get("/api/summary").status_code == 200, "a forged logout changes nothing"
    stale = guarded.post("/logout", data={"csrf_token": csrf_value}, follow_redirects=False)
    assert stale.status_code == 403, "a token from before signing in is bound to another binding"
    token = re.search(r'name="csrf_token" value="([^"]+)"', signed_in.text)
    assert token
    logout = guarded.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert logout.status_code == 303
    guarded.cookies.delete(SESSION_COOKIE)
    assert guarded.get("/api/summary").status_code == 401


@pytest.mark.parametrize("csrf", ["", "forged-value"])
def test_login_without_the_forms_csrf_token_is_refused(guarded: TestClient, csrf: str) -> None:
    guarded.cookies.clear()
    guarded.get("/login")
    response = guarded.post("/login", data={"token": TOKEN, "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/place/48167", "/place/48167"),
        ("/search?q=a", "/search?q=a"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_login_only_returns_to_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_without_a_token_there_is_no_login(client: TestClient) -> None:
    assert client.get("/login").status_code == 404


# ---------------------------------------------------------------------- traversal


@pytest.mark.parametrize(
    "path",
    [
        "/static/../_app.py",
        "/static/%2e%2e/_app.py",
        "/static/..%2f_app.py",
        "/static/%2e%2e%2f%2e%2e%2fworkspace.py",
        "/static/..%5c_app.py",
        "/static/templates/../../_app.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
    ],
)
def test_static_files_cannot_reach_outside_their_folder(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert "def create_app" not in response.text and "root:" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/place/..%2f..%2fetc%2fpasswd.csv",
        "/place/../../etc/passwd.json",
        "/agency/..%2f..%2fworkspace.json",
        "/place/%2e%2e/%2e%2e/registry.sqlite.csv",
    ],
)
def test_download_names_cannot_reach_files(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    "stem",
    [
        "Galveston County TX 48167",
        "../../etc/passwd",
        "a/b\\c",
        'x"; filename="evil.sh',
        "",
        "....",
        "ÉTAT é",
    ],
)
def test_download_names_are_plain(stem: str) -> None:
    for suffix in ("csv", "json"):
        name = download_name(stem, suffix)
        assert re.fullmatch(rf"disentangle-[a-z0-9]+(-[a-z0-9]+)*\.{suffix}", name), name


def test_hostile_agency_download_name_is_plain(client: TestClient, hostile: Workspace) -> None:
    response = client.get(f"/agency/{hostile_agency_id(hostile)}.csv")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="disentangle-[a-z0-9-]+\.csv"', response.headers["content-disposition"]
    )
    assert HOSTILE in response.text, "the CSV carries the name as data"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["serve", "--host", "0.0.0.0"], "would expose the app beyond this machine"),
        (["serve", "--host", "192.168.1.5", "--port", "8123"], "give --token"),
        (["serve", "--token", "short"], "at least 16 characters"),
    ],
)
def test_serve_refuses_to_start_unsafely(tmp_path: Path, args: list[str], says: str) -> None:
    from click.testing import CliRunner

    from disentangle.cli import main

    result = CliRunner().invoke(main, ["--workspace", str(tmp_path), *args], env={"DISENTANGLE_TOKEN": None})
    assert result.exit_code == 1
    assert says in result.output
    assert not (tmp_path / "registry.sqlite").exists(), "it refuses before touching the workspace"


def test_the_web_package_exports_a_sorted_public_surface() -> None:
    import disentangle.web as web

    assert web.__all__ == sorted(web.__all__)
    assert all(callable(getattr(web, name)) for name in web.__all__)


def test_an_empty_registry_still_renders_and_says_what_to_do(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, data_dir=bundled_data_dir())
    try:
        with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as empty:
            home = empty.get("/")
            assert home.status_code == 200
            assert "disentangle import" in home.text
            assert home.text.count('<path class="c-none"') > 3000, "every county drawn, nothing on record"
            assert empty.get("/feed.atom").status_code == 200
            assert empty.get("/api/map").json()["counties"] == []
            assert empty.get("/place/48167").status_code == 404
    finally:
        workspace.close()
