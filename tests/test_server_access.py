"""People on a shared server, through HTTP: sign-in, roles, what each organisation may see, the audit log.

Organisation A (an editor and a viewer) and organisation B (an editor) share one server. A's editor
uploads a records release (a Treasury Forfeiture Fund MOU the reader finds as an agreement) and drafts a
records request; B must not see either by page, API, search, feed or export until A publishes them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from disentangle import letters
from disentangle.errors import ForbiddenError
from disentangle.web import create_app
from disentangle.workspace import NewUser, Workspace
from fixtures.tff import build_tff_mou

REQUESTER = letters.Requester(name="A. Organizer", email="organizer@example.org")
TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def workspace(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("server-access")


@pytest.fixture(scope="module")
def people(workspace: Workspace) -> dict[str, NewUser]:
    return {
        "alice": workspace.add_user("alice@org-a.example", "Organisation A", "editor"),
        "val": workspace.add_user("val@org-a.example", "Organisation A", "viewer"),
        "bob": workspace.add_user("bob@org-b.example", "Organisation B", "editor"),
    }


@pytest.fixture(scope="module")
def client(workspace: Workspace, people: dict[str, NewUser]) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def bearer(user: NewUser) -> dict[str, str]:
    return {"authorization": f"Bearer {user.token}"}


@pytest.fixture(scope="module")
def work(
    client: TestClient,
    workspace: Workspace,
    people: dict[str, NewUser],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Organisation A's work: an upload read in the background and a records request, both private."""
    alice = people["alice"]
    mou = build_tff_mou(tmp_path_factory.mktemp("release") / "pasadena-mou.pdf", variant="seed", fmt="pdf")
    parts = [("files", ("pasadena-mou.pdf", mou.read_bytes(), "application/pdf"))]
    posted = client.post("/documents/upload", files=parts, headers=bearer(alice), follow_redirects=False)
    assert posted.status_code == 303, posted.text
    job_id = posted.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 120
    while True:
        job = client.get(f"/api/jobs/{job_id}", headers=bearer(alice)).json()
        if job["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    (entry,) = job["files"]
    assert entry["state"] == "stored", (entry, job)
    with workspace.acting_as(workspace.user_by_email("alice@org-a.example")):
        request_id, _ = workspace.draft_request(
            "Pasadena Police Department, CA", ["tff-mou"], REQUESTER, today=TODAY
        )
    found = client.get("/api/found", headers=bearer(alice)).json()
    (mine,) = [f for f in found if f["sha256"] == entry["sha256"]]
    return {
        "sha256": entry["sha256"],
        "job": job_id,
        "request": request_id,
        "agreement": mine["agreement_id"],
        "agency": workspace._find_agency("Pasadena Police Department, CA")["id"],
    }


def test_with_accounts_everyone_signs_in_even_on_loopback(client: TestClient) -> None:
    assert client.get("/api/summary").status_code == 401
    page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/summary", headers={"authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/healthz").status_code == 200  # the probes stay open


def test_a_password_signs_in_and_the_session_knows_the_person(
    client: TestClient, people: dict[str, NewUser]
) -> None:
    # A second client of the same app, with its own cookies; not started as a context manager, so its end
    # does not shut the app down (which would stop the jobs the other tests run).
    browser = TestClient(client.app, base_url="http://127.0.0.1")
    form = browser.get("/login").text
    assert 'name="email"' in form and 'name="password"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    wrong = browser.post(
        "/login",
        data={"email": "val@org-a.example", "password": "wrong", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert wrong.status_code == 401
    form = browser.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    right = browser.post(
        "/login",
        data={
            "email": "VAL@org-a.example",
            "password": people["val"].password,
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert right.status_code == 303, right.text
    me = browser.get("/api/me").json()
    assert me == {"user": {"email": "val@org-a.example", "organisation": "Organisation A", "role": "viewer"}}


def test_a_viewer_cannot_upload_or_edit(
    client: TestClient, workspace: Workspace, people: dict[str, NewUser], work: dict[str, Any]
) -> None:
    val = bearer(people["val"])
    parts = [("files", ("note.txt", b"Memorandum of agreement.", "text/plain"))]
    assert client.post("/documents/upload", files=parts, headers=val).status_code == 403
    status = {"status": "sent", "on": "2026-12-07"}
    assert client.post(f"/requests/{work['request']}/status", data=status, headers=val).status_code == 403
    review = {"field": "signed_date", "action": "none"}
    assert client.post(f"/documents/{work['sha256']}/review", data=review, headers=val).status_code == 403
    publish = {"access": "public"}
    assert client.post(f"/access/document/{work['sha256']}", data=publish, headers=val).status_code == 403
    # The rule is the workspace's, not only the web's: the same viewer on any other shell is refused too.
    with workspace.acting_as(workspace.user_by_email("val@org-a.example")), pytest.raises(ForbiddenError):
        workspace.draft_request("Pasadena Police Department, CA", ["tff-mou"], REQUESTER, today=TODAY)
    assert client.get("/api/requests", headers=bearer(people["alice"])).json()  # the editor's request stands


def private_views(work: dict[str, Any]) -> list[str]:
    sha = work["sha256"]
    return [
        f"/documents/{sha}",
        f"/documents/{sha}.json",
        f"/documents/{sha}/original",
        f"/documents/{sha}/redact",
        f"/documents/{sha}/pages/1.png",
        f"/api/documents/{sha}",
        f"/api/documents/{sha}/review",
        f"/jobs/{work['job']}",
        f"/api/jobs/{work['job']}",
    ]


def listings(client: TestClient, headers: dict[str, str], agency: str) -> dict[str, str]:
    """Every page, API, search, feed and export where a document, request or found agreement could show."""
    paths = [
        "/documents",
        "/api/documents",
        "/requests",
        "/api/requests",
        "/requests.ics",
        "/api/jobs",
        "/api/found",
        "/found",
        "/review",
        "/api/review",
        "/search?q=Pasadena",
        "/api/search?q=Pasadena",
        "/api/agreements?state=CA",
        "/feed.atom",
        "/api/changes",
        "/place/Pasadena,%20CA",
        f"/agency/{agency}.json",
        f"/agency/{agency}.csv",
        f"/api/agency/{agency}",
    ]
    out = {}
    for path in paths:
        response = client.get(path, headers={**headers, "accept": "text/html"})
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        out[path] = response.text
    return out


def test_organisation_b_sees_nothing_of_a_until_it_is_published(
    client: TestClient, workspace: Workspace, people: dict[str, NewUser], work: dict[str, Any]
) -> None:
    alice, bob, val = bearer(people["alice"]), bearer(people["bob"]), bearer(people["val"])
    sha, request, agreement = work["sha256"], work["request"], work["agreement"]
    for path in private_views(work):
        assert client.get(path, headers=alice).status_code == 200, path  # the owner sees it all
        assert client.get(path, headers=bob).status_code == 404, path  # as if it did not exist
        assert client.get(path, headers=val).status_code == 404, path  # private: not even A's viewer
    seen_by_alice = listings(client, alice, work["agency"])
    assert sha in seen_by_alice["/api/documents"] and request in seen_by_alice["/api/requests"]
    assert sha in seen_by_alice["/api/found"] and "pasadena-mou.pdf" in seen_by_alice["/documents"]
    for path, body in listings(client, bob, work["agency"]).items():
        for secret in (sha, request, agreement, "pasadena-mou.pdf"):
            assert secret not in body, (path, secret)
    # A private document's agreement stays out of the shared registry for everyone, A included.
    for path in ("/api/agreements?state=CA", "/feed.atom", f"/agency/{work['agency']}.json"):
        assert agreement not in seen_by_alice[path], path

    shared = client.post(f"/access/document/{sha}", data={"access": "organisation"}, headers=alice)
    assert shared.status_code == 200, shared.text
    assert client.get(f"/documents/{sha}", headers=val).status_code == 200  # now A's viewer reads it
    assert client.get(f"/documents/{sha}", headers=bob).status_code == 404

    # Public is published: refused until a person of A has reviewed what to black out, nothing changed.
    refused = client.post(f"/access/document/{sha}", data={"access": "public"}, headers=alice)
    assert refused.status_code == 400 and "reviewed" in refused.text
    assert client.get(f"/documents/{sha}", headers=bob).status_code == 404
    secret = reviewed_with_a_box(workspace, sha)
    published = client.post(f"/access/document/{sha}", data={"access": "public"}, headers=alice)
    assert published.json()["holdings"] == [{"organisation": "Organisation A", "access": "public"}]
    page = client.get(f"/documents/{sha}", headers=bob)  # B reads it through its redacted copy only
    assert page.status_code == 200 and f"/documents/{sha}/published.pdf" in page.text
    assert secret not in page.text and f"/documents/{sha}/original" not in page.text
    assert secret in client.get(f"/documents/{sha}", headers=alice).text  # A still reads its original
    copy = client.get(f"/documents/{sha}/published.pdf", headers=bob)
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF")
    for path in private_views(work)[1:6]:  # the original, its JSON, page images, boxes, the API
        assert client.get(path, headers=bob).status_code == 404, path
        assert client.get(path, headers=alice).status_code == 200, path
    after = listings(client, bob, work["agency"])
    assert agreement in after["/api/agreements?state=CA"]  # published: it enters the shared registry
    assert agreement in after[f"/agency/{work['agency']}.json"]
    assert request not in after["/api/requests"]  # the request was not published
    assert sha in workspace.public_documents()  # and a static site carries its redacted copy

    # Taken back: the copy is gone, B sees nothing again, the agreement leaves the shared registry.
    withdrawn = client.post(f"/access/document/{sha}", data={"access": "organisation"}, headers=alice)
    assert withdrawn.json()["holdings"] == [{"organisation": "Organisation A", "access": "organisation"}]
    assert client.get(f"/documents/{sha}", headers=bob).status_code == 404
    assert client.get(f"/documents/{sha}/published.pdf", headers=bob).status_code == 404
    assert agreement not in client.get("/api/agreements?state=CA", headers=bob).text
    assert sha not in workspace.public_documents()


def reviewed_with_a_box(workspace: Workspace, sha256: str) -> str:
    """A's editor reviews the document's boxes, adding one over a word printed once in it; the word."""
    words = workspace._page_words(sha256)
    counts: dict[str, int] = {}
    for word in words:
        counts[word.text.lower()] = counts.get(word.text.lower(), 0) + 1
    word = next(w for w in words if w.text.isalpha() and len(w.text) >= 7 and counts[w.text.lower()] == 1)
    with workspace.acting_as(workspace.user_by_email("alice@org-a.example")):
        workspace.review_redactions(sha256, by="alice@org-a.example", add=[(word.page, word.box)])
    return word.text


def test_every_change_is_in_the_audit_log_and_the_log_cannot_be_edited(
    client: TestClient, workspace: Workspace, people: dict[str, NewUser], work: dict[str, Any]
) -> None:
    alice, bob = bearer(people["alice"]), bearer(people["bob"])
    sent = client.post(
        f"/requests/{work['request']}/status",
        data={"status": "sent", "on": "2026-12-07"},
        headers=alice,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    entries = client.get("/api/audit?limit=500", headers=alice).json()
    done = {(e["actor"], e["action"], e["subject"]) for e in entries}
    who = "alice@org-a.example"
    assert (who, "job.start", work["job"]) in done
    assert (who, "document.add", work["sha256"]) in done
    assert (who, "web POST", "/documents/upload") in done
    assert (who, "request.draft", work["request"]) in done
    assert (who, "request.status", work["request"]) in done
    assert (who, "web POST", f"/requests/{work['request']}/status") in done
    assert all(e["organisation"] == "Organisation A" for e in entries)
    assert not [e for e in client.get("/api/audit", headers=bob).json() if e["actor"] == who]
    refused = [e for e in entries if e["actor"] == "val@org-a.example" and e["action"].startswith("web")]
    assert refused == []  # refused changes changed nothing, so there is nothing to log
    before = workspace.audit_log(limit=1000)
    assert ("operator", "user.add", "bob@org-b.example") in {(e.actor, e.action, e.subject) for e in before}
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), workspace.store.engine.begin() as connection:
            connection.execute(text(statement))
    assert workspace.audit_log(limit=1000) == before  # nothing changed, nothing removed


def test_sha256_is_checked_when_an_original_is_read(tmp_path: Path) -> None:
    """A stored original changed on disk is refused, never served as evidence."""
    from disentangle.errors import StoreError
    from disentangle.ingest import DocumentStore

    source = tmp_path / "a.txt"
    source.write_text("Memorandum of agreement between the county and ICE.\n")
    store = DocumentStore(tmp_path / "store")
    document, _ = store.add(source)
    path = store.original_path(document.sha256)
    path.chmod(0o644)
    path.write_text("Memorandum of agreement between the county and nobody.\n")
    with pytest.raises(StoreError, match="does not match its sha256"):
        store.original_path(document.sha256)


def test_on_postgresql_the_log_and_the_evidence_refuse_changes(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    """The same triggers on PostgreSQL: the audit log, the originals and their pages are append-only."""
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}options=-csearch_path%3D{postgres_schema}"
    workspace = Workspace(tmp_path / "pg", database_url=url)
    try:
        workspace.add_user("ana@org-c.example", "Organisation C", "admin")
        source = tmp_path / "note.txt"
        source.write_text("Memorandum of agreement between the county and ICE.\n")
        document, _ = workspace.documents.add(source)
        assert workspace.documents.original_path(document.sha256).read_bytes() == source.read_bytes()
        for statement in (
            "UPDATE audit_log SET actor = 'nobody'",
            "DELETE FROM audit_log",
            "UPDATE blob_chunks SET data = 'x'",
            "DELETE FROM document_pages",
            "TRUNCATE blobs CASCADE",
        ):
            with pytest.raises(Exception, match="append-only"), workspace.store.engine.begin() as connection:
                connection.execute(text(statement))
        assert workspace.documents.get(document.sha256) == document
        assert [e.action for e in workspace.audit_log()] == ["user.add", "organisation.add"]
    finally:
        workspace.close()
