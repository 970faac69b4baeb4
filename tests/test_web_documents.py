"""The document library in the web app: upload with CSRF, background reading, the document page."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from disentangle import extract, ingest
from disentangle.web import _uploads, create_app
from disentangle.web._documents import marked_text
from disentangle.web._security import CSRF_COOKIE
from disentangle.workspace import Workspace
from disentangle.workspace._library import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES

INGEST = Path(__file__).parent / "fixtures" / "ingest"
ARCADIA = INGEST / "arcadia_fl_tfm_moa_2025.pdf"
JOB_DEADLINE_SECONDS = 180  # a wait for the background job, not a speed test


@pytest.fixture(scope="module")
def workspace(registry_copy: Callable[[str], Workspace]) -> Workspace:
    """Our own workspace with a copy of the session's registry: uploads write to it."""
    return registry_copy("web-documents")


@pytest.fixture(scope="module")
def client(workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def csrf_token(client: TestClient) -> str:
    form = client.get("/documents/upload")
    assert form.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found and client.cookies.get(CSRF_COOKIE), "the form's token is bound to this browser's cookie"
    return found.group(1)


def post_files(client: TestClient, files: list[tuple[str, bytes]], token: str | None = None) -> Any:
    token = csrf_token(client) if token is None else token
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/documents/upload", data={"csrf_token": token}, files=parts, follow_redirects=False)


def upload_and_wait(client: TestClient, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    response = post_files(client, files)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    job_id = location.rsplit("/", 1)[-1]
    assert location == f"/jobs/{job_id}"
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"the job did not finish: {job}"
        time.sleep(0.3)


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def arcadia(client: TestClient) -> dict[str, Any]:
    """The real agreement uploaded through the form and read in the background."""
    job = upload_and_wait(client, [("Arcadia MOA.pdf", ARCADIA.read_bytes())])
    assert job["status"] == "done" and job["files"][0]["state"] == "stored", job
    return job


# ---------------------------------------------------------------------- upload and the document page


def test_uploading_a_real_agreement_shows_its_signatories(
    client: TestClient, arcadia: dict[str, Any]
) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    job_page = client.get(f"/jobs/{arcadia['id']}")
    assert job_page.status_code == 200
    assert f'href="/documents/{sha256}"' in job_page.text and "http-equiv" not in job_page.text

    page = client.get(f"/documents/{sha256}")
    assert page.status_code == 200
    tree = lxml_html.fromstring(page.text)
    rows = tree.xpath("//table[contains(@class, 'signatories')]/tbody/tr")
    extraction = extract.extract_agreement(ingest.read_document(ARCADIA))
    expected = extraction.signatories
    assert expected, "the fixture has signature blocks"
    assert len(rows) == len(expected)
    for n, (row, signatory) in enumerate(zip(rows, expected, strict=True)):
        cells = [squash(cell.text_content()) for cell in row.xpath("td")]
        values = [squash(cell.xpath("string(span[@class='value'])")) for cell in row.xpath("td")]
        assert values[1] == (signatory.name or "—")
        assert values[2] == (signatory.title or "—")
        assert values[3] == (signatory.date.isoformat() if signatory.date else "—")
        # A value the reader is unsure of, or could not read, says it waits for review.
        for index, key in ((1, "name"), (2, "title"), (3, "date")):
            review = next(r for r in extraction.review() if r.field == f"signatories[{n}].{key}")
            assert ("needs review" in cells[index]) == review.open
        assert cells[4] == str(signatory.page)


def test_every_fact_is_highlighted_at_its_quote(client: TestClient, arcadia: dict[str, Any]) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    tree = lxml_html.fromstring(client.get(f"/documents/{sha256}").text)
    facts = client.get(f"/api/documents/{sha256}").json()["reading"]["extraction"]["facts"]
    assert len(facts) > 30
    for number, fact in enumerate(facts, start=1):
        page = tree.get_element_by_id(f"page-{fact['page']}")
        marks = [m for m in page.xpath(".//mark") if str(number) in m.get("data-facts").split()]
        highlighted = squash("".join(m.text_content() for m in marks))
        quote = squash(fact["quote"])
        # A fact inferred from its words (a state from an agency's name) quotes them, then says how in
        # brackets; every other quote is the words themselves.
        assert highlighted == quote or quote.startswith(f"{highlighted} ["), (number, fact["field"])
        assert highlighted, (number, fact["field"])
        target = tree.get_element_by_id(f"fact-{number}")
        assert target.xpath("ancestor::section[@id]")[0].get("id") == f"page-{fact['page']}"
        links = tree.xpath(f"//nav[contains(@class, 'fact-list')]//a[@href='#fact-{number}']")
        assert len(links) == 1


def test_the_document_page_shows_link_validity_terms_and_redline(
    client: TestClient, workspace: Workspace, arcadia: dict[str, Any]
) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    page = client.get(f"/documents/{sha256}").text
    reading = workspace.reading(sha256)
    match = reading["judgement"]["registry_match"]
    assert f'href="/agency/{match["agency_id"]}"' in page and match["agreement_id"] in page
    for flag in reading["judgement"]["flags"]:
        assert flag["code"].replace("-", " ") in page
    assert "Arrest without a warrant" in page, "functions are named as knowledge/ names them"
    tree = lxml_html.fromstring(page)
    redline = tree.xpath("//article[@class='redline']")
    assert len(redline) == 1 and redline[0].xpath(".//p[contains(@class, 'clause')]")
    levels = [int(h.tag[1]) for h in tree.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::h4]")]
    assert levels[0] == 1 and levels.count(1) == 1, "one h1: the redline's headings are demoted"
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), "no heading level skipped"
    assert page.count("<script") == 2, "only the two script files"


def test_the_library_and_the_api_list_the_document(client: TestClient, arcadia: dict[str, Any]) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    listing = client.get("/documents")
    assert listing.status_code == 200 and f'href="/documents/{sha256}"' in listing.text
    assert "Arcadia MOA.pdf" in listing.text
    documents = client.get("/api/documents").json()
    entry = next(d for d in documents if d["sha256"] == sha256)
    assert entry["kind"] == "287g-tfm" and entry["state"] == "FL" and entry["agreement_id"]
    one = client.get(f"/api/documents/{sha256}").json()
    assert one["document"]["pages"][0]["text"] and one["reading"]["sha256"] == sha256
    assert any(j["id"] == arcadia["id"] for j in client.get("/api/jobs").json())
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/documents", "/api/documents/{sha256}", "/api/jobs", "/api/jobs/{job_id}"):
        assert path in paths


def test_the_place_page_of_the_agreement_lists_the_document(
    client: TestClient, workspace: Workspace, arcadia: dict[str, Any]
) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    reading = workspace.reading(sha256)
    # The place the matched agreement's agency belongs to: its page loads the documents as a fragment.
    matched = next(a for a in workspace.agreements() if a["id"] == reading["agreement_id"])
    place = matched["jurisdiction"]
    page = client.get(f"/place/{place}")
    assert page.status_code == 200
    found = re.search(r'data-fragment="/documents\?place=([^"&]+)&amp;fragment=1"', page.text)
    assert found, "the place page loads its documents"
    fragment = client.get("/documents", params={"place": found.group(1), "fragment": "1"})
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    assert f'href="/documents/{sha256}"' in fragment.text and "<html" not in fragment.text
    # Another place's list does not show it.
    elsewhere = client.get("/documents", params={"place": "48167", "fragment": "1"})
    assert f'href="/documents/{sha256}"' not in elsewhere.text
    assert "No document in this workspace is matched to agreements of Galveston County" in elsewhere.text


def test_downloads_are_attachments_with_safe_names(client: TestClient, arcadia: dict[str, Any]) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    original = client.get(f"/documents/{sha256}/original")
    assert original.status_code == 200 and original.content == ARCADIA.read_bytes()
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"] == 'attachment; filename="disentangle-arcadia-moa.pdf"'
    extraction = client.get(f"/documents/{sha256}.json")
    assert extraction.json()["sha256"] == sha256
    assert "attachment" in extraction.headers["content-disposition"]


def test_uploading_the_same_file_again_points_at_the_same_document(
    client: TestClient, workspace: Workspace, arcadia: dict[str, Any]
) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    read_at = workspace.reading(sha256)["read_at"]
    again = upload_and_wait(client, [("renamed.pdf", ARCADIA.read_bytes())])
    entry = again["files"][0]
    assert entry["state"] == "already-stored" and entry["sha256"] == sha256
    page = client.get(f"/jobs/{again['id']}").text
    assert f'href="/documents/{sha256}"' in page and "Already in the library as Arcadia MOA.pdf" in page
    assert workspace.reading(sha256)["read_at"] == read_at


# ---------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("<img src=x onerror=alert(1)>.txt", b"Minutes.\n<script>alert('text')</script>\nEnd.\n"),
        ("page.html", b"<html><body><p>&lt;script&gt;alert('html')&lt;/script&gt;</p></body></html>"),
    ],
)
def test_script_in_a_document_renders_inert(client: TestClient, name: str, content: bytes) -> None:
    job = upload_and_wait(client, [(name, content)])
    entry = job["files"][0]
    assert entry["state"] == "stored", entry
    job_page = client.get(f"/jobs/{job['id']}").text
    page = client.get(f"/documents/{entry['sha256']}").text
    for text in (job_page, page, client.get("/documents").text):
        assert "<img" not in text and "<script>alert" not in text
    assert "&lt;script&gt;alert(" in page
    if name.startswith("<img"):
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page and "&lt;img src=x" in job_page
    tree = lxml_html.fromstring(page)
    assert [s.get("src") for s in tree.xpath("//script")] == ["/static/app.js", "/static/documents.js"]


def test_a_wrong_type_is_a_clear_error_for_that_file(client: TestClient) -> None:
    job = upload_and_wait(
        client,
        [
            ("agreement.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4),
            ("ok.txt", b"plain notes\n"),
        ],
    )
    first, second = job["files"]
    assert first["state"] == "failed" and "not a PDF, Word (.docx), HTML, text or image" in first["error"]
    assert second["state"] == "stored"
    page = client.get(f"/jobs/{job['id']}").text
    assert "Not read: not a PDF" in page


def test_a_file_over_the_limit_is_refused_for_its_size(client: TestClient) -> None:
    job = upload_and_wait(client, [("huge.txt", b"a" * (MAX_UPLOAD_BYTES + 1))])
    entry = job["files"][0]
    assert entry["state"] == "failed" and "too large" in entry["error"]
    assert f"more than {MAX_UPLOAD_BYTES // 2**20} MB" in client.get(f"/jobs/{job['id']}").text


def test_a_request_over_the_total_limit_is_refused_before_reading(
    client: TestClient, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = len(workspace.ingest_jobs(200))
    monkeypatch.setattr(_uploads, "MAX_REQUEST_BYTES", 1000)
    response = post_files(client, [("a.txt", b"x" * 2000)])
    assert response.status_code == 413 and "too much at once" in response.text
    assert len(workspace.ingest_jobs(200)) == jobs


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, workspace: Workspace) -> None:
    jobs = len(workspace.ingest_jobs(200))
    csrf_token(client)
    for token in ("", "forged-token"):
        response = post_files(client, [("a.txt", b"some text\n")], token=token)
        assert response.status_code == 403
        assert "did not come from this site" in response.text
    assert len(workspace.ingest_jobs(200)) == jobs


def test_no_file_chosen_is_a_clear_error(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/documents/upload",
        data={"csrf_token": token},
        files=[("files", ("", b"", "application/octet-stream"))],
        follow_redirects=False,
    )
    assert response.status_code == 400 and "no file was chosen" in response.text


def test_a_traversing_file_name_stays_a_label(client: TestClient, workspace: Workspace) -> None:
    # A copy of the agreement with a comment after its end: a valid PDF with bytes of its own.
    content = ARCADIA.read_bytes() + b"\n% another copy\n"
    job = upload_and_wait(client, [("../../etc/passwd.pdf", content)])
    entry = job["files"][0]
    assert entry["state"] == "stored" and entry["name"] == ".._.._etc_passwd.pdf"
    assert workspace.document(entry["sha256"]).filename == ".._.._etc_passwd.pdf"
    written = [p for p in workspace.home.parent.rglob("*") if "passwd" in p.name]
    assert written == [], "no file anywhere is named after the upload"
    assert not list((workspace.home / "uploads").rglob("*.upload")), "the uploaded copies are gone"


def test_a_queued_job_page_refreshes_itself_without_javascript(
    client: TestClient, workspace: Workspace
) -> None:
    folder = workspace.upload_folder()
    (folder / "0000.upload").write_bytes(b"waiting text\n")
    job = workspace.start_ingest_job([("waiting.txt", folder / "0000.upload")])
    page = client.get(f"/jobs/{job['id']}").text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'data-status="queued"' in page and "<progress" in page
    workspace.run_ingest_job(job["id"], workers=1)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/documents/" + "0" * 64, 404),
        ("/documents/not-a-hash", 400),
        ("/documents/..%2F..%2Fregistry.sqlite", 404),
        ("/jobs/" + "0" * 32, 404),
        ("/jobs/../../etc/passwd", 404),
        ("/api/documents/" + "f" * 64, 404),
        ("/api/jobs/xyz", 422),
    ],
)
def test_unknown_documents_and_jobs_say_so(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status


# ---------------------------------------------------------------------- highlighting


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("abc", [], "abc"),
        (
            "a<b>c",
            [(1, 1, 4)],
            'a<mark class="fact" data-facts="1" id="fact-1" tabindex="-1">&lt;b&gt;</mark>c',
        ),
        (  # overlapping: cut where each starts and ends, never crossing elements
            "abcdef",
            [(1, 0, 4), (2, 2, 6)],
            '<mark class="fact" data-facts="1" id="fact-1" tabindex="-1">ab</mark>'
            '<mark class="fact" data-facts="1 2" id="fact-2" tabindex="-1">cd</mark>'
            '<mark class="fact" data-facts="2">ef</mark>',
        ),
        (  # same start: the second gets an anchor of its own
            "abcd",
            [(1, 0, 2), (2, 0, 4)],
            '<span class="fact-anchor" id="fact-2" tabindex="-1"></span>'
            '<mark class="fact" data-facts="1 2" id="fact-1" tabindex="-1">ab</mark>'
            '<mark class="fact" data-facts="2">cd</mark>',
        ),
        (
            "abc",
            [(1, 2, 9), (2, 5, 7), (3, 2, 2)],
            'ab<mark class="fact" data-facts="1" id="fact-1" tabindex="-1">c</mark>',
        ),
    ],
)
def test_marked_text(text: str, spans: list[tuple[int, int, int]], expected: str) -> None:
    assert str(marked_text(text, spans)) == expected


def test_too_many_files_at_once_is_a_clear_error(client: TestClient, workspace: Workspace) -> None:
    jobs = len(workspace.ingest_jobs(200))
    files = [(f"note-{n}.txt", f"note {n}\n".encode()) for n in range(MAX_UPLOAD_FILES + 3)]
    response = post_files(client, files)
    assert response.status_code == 400 and f"at most {MAX_UPLOAD_FILES} at once" in response.text
    assert len(workspace.ingest_jobs(200)) == jobs


def test_the_agreement_page_lists_the_document_matched_to_it(
    client: TestClient, workspace: Workspace, arcadia: dict[str, Any]
) -> None:
    sha256 = arcadia["files"][0]["sha256"]
    agreement_id = workspace.reading(sha256)["agreement_id"]
    page = client.get(f"/agreement/{agreement_id}")
    assert page.status_code == 200
    assert f"/documents?agreement={agreement_id}&amp;fragment=1" in page.text
    fragment = client.get("/documents", params={"agreement": agreement_id, "fragment": "1"})
    assert f'href="/documents/{sha256}"' in fragment.text
    other = next(a["id"] for a in workspace.agreements(state="TX"))
    assert (
        f'href="/documents/{sha256}"'
        not in client.get("/documents", params={"agreement": other, "fragment": "1"}).text
    )
