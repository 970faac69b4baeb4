"""The web app's feeds per state, county and agency (the registry's events, with their sources), linked from
the place and agency pages; a place nobody knows is a 404."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from disentangle.web import create_app
from disentangle.web._alerts import english_words
from disentangle.workspace import Workspace

ATOM = "{http://www.w3.org/2005/Atom}"
GALVESTON = "48167"
GALVESTON_SHERIFF = "tx-galveston-county-sheriff-s-office"


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _entries(client: TestClient, path: str) -> tuple[ElementTree.Element, list[ElementTree.Element]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    return root, root.findall(f"{ATOM}entry")


def test_a_county_feed_carries_the_changes_of_its_agencies(client: TestClient, registry: Workspace) -> None:
    root, entries = _entries(client, f"/feeds/county/{GALVESTON}.atom")
    assert root.findtext(f"{ATOM}title") == "Galveston County, TX: agreements with ICE, changes"
    assert entries, "Galveston County's sheriff has agreements on ICE's lists"
    expected = registry.alert_feed(english_words(), place=GALVESTON)
    assert [e.findtext(f"{ATOM}title") for e in entries] == [i.title for i in expected.items]
    for entry in entries:
        content = entry.findtext(f"{ATOM}content") or ""
        assert "Source: " in content and ".xlsx" not in content
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert (
        self_link is not None and self_link.get("href") == f"http://127.0.0.1/feeds/county/{GALVESTON}.atom"
    )
    # the county's page offers its feed
    page = client.get(f"/place/{GALVESTON}").text
    assert f'href="/feeds/county/{GALVESTON}.atom"' in page


def test_state_and_agency_feeds(client: TestClient) -> None:
    _root, state = _entries(client, "/feeds/state/TX.atom")
    assert state and all("(TX)" in (e.findtext(f"{ATOM}title") or "") for e in state)
    _root, agency = _entries(client, f"/feeds/agency/{GALVESTON_SHERIFF}.atom")
    assert agency
    for entry in agency:
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").endswith(f"/agency/{GALVESTON_SHERIFF}")
    assert f'href="/feeds/agency/{GALVESTON_SHERIFF}.atom"' in client.get(f"/agency/{GALVESTON_SHERIFF}").text
    # the nation's feed still carries the newest changes, each once
    _root, national = _entries(client, "/feed.atom")
    ids = [e.findtext(f"{ATOM}id") for e in national]
    assert len(ids) == len(set(ids)) == 50


@pytest.mark.parametrize("path", ["/feeds/county/99999.atom", "/feeds/agency/no-such-agency.atom"])
def test_an_unknown_place_or_agency_has_no_feed(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404
