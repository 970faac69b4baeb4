"""The web app's pages and JSON API, in-process, against the registry built from the bundled data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from xml.etree import ElementTree

import markupsafe
import pytest
from fastapi.testclient import TestClient

from disentangle.publish import LAYERS
from disentangle.web import create_app
from disentangle.web._downloads import CSV_COLUMNS, records
from disentangle.workspace import Workspace

GALVESTON = "48167"
GALVESTON_SHERIFF_ORI = "TX0840000"
ATOM = "{http://www.w3.org/2005/Atom}"

COUNTY_PATH = re.compile(
    r'<a href="/place/(\d+)"><path class="(c-[a-z0-9]+)" d="M[^"]+"><title>([^<]*)</title>'
)


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry), base_url="http://127.0.0.1") as test_client:
        yield test_client


def html_text(fragment: str) -> str:
    """What Jinja2 escaping turns a value into, for looking it up in a page."""
    return fragment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


# ---------------------------------------------------------------------- home: map, chart, changes


def test_map_draws_every_county_with_a_link_and_facts(client: TestClient, registry: Workspace) -> None:
    response = client.get("/")
    assert response.status_code == 200
    counties = COUNTY_PATH.findall(response.text)
    assert len(counties) > 3000
    rows = {r["fips"]: r for r in registry.county_map()}
    links = {fips: (css, title) for fips, css, title in counties}
    assert len(links) == len(counties), "each county is drawn once"
    css, title = links[GALVESTON]
    galveston = rows[GALVESTON]
    entanglement = LAYERS[0]
    assert css == entanglement.bands[entanglement.classify(galveston)].css
    assert title.startswith("Galveston County, TX")
    assert f"{galveston['287g-tfm']} TFM" in title
    assert f"since {galveston['secure_communities'][:7]}" in title
    # Almost every county on the map is a county of the registry (the atlas is Census 2017).
    assert sum(1 for fips in links if fips in rows) >= len(links) - 2


def test_map_legend_counts_add_up_to_the_counties_drawn(client: TestClient) -> None:
    for layer in LAYERS:
        page = client.get("/", params={"layer": layer.key}).text
        drawn = COUNTY_PATH.findall(page)
        legend = re.findall(r'<span class="swatch (c-[a-z0-9]+)" aria-hidden="true"></span><span>', page)
        assert legend == [band.css for band in layer.bands]
        counts = [
            int(n.replace(",", "")) for n in re.findall(r'<span class="muted">\(([\d,]+)\)</span>', page)
        ]
        assert sum(counts) == len(drawn), layer.key
        for band, count in zip(layer.bands, counts, strict=True):
            assert sum(1 for _fips, css, _title in drawn if css == band.css) == count, (layer.key, band.label)


def test_unknown_map_layer_is_a_clear_400(client: TestClient) -> None:
    response = client.get("/", params={"layer": "nope"})
    assert response.status_code == 400
    assert "unknown map layer" in response.text


def test_home_shows_the_chart_and_the_latest_changes(client: TestClient, registry: Workspace) -> None:
    page = client.get("/").text
    months = registry.stats("month")
    assert page.count('<rect class="hover"') == len(months)
    assert all(f'<polygon class="{css}"' in page for css in ("s-jem", "s-wso", "s-tfm"))
    newest = registry.latest_changes(1)[0]
    assert f'href="/agency/{newest["agency_id"]}"' in page
    assert 'href="/feed.atom"' in page


def test_home_is_served_compressed_with_an_etag(client: TestClient) -> None:
    first = client.get("/", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = client.get("/", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    other = client.get("/", headers={"if-none-match": '"not-this-one"'})
    assert other.status_code == 200


def test_feed_is_atom_with_an_entry_per_change(client: TestClient, registry: Workspace) -> None:
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    changes = registry.latest_changes(len(entries))
    assert len(entries) == min(50, len(registry.latest_changes(1000)))
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i and i.startswith("urn:uuid:") for i in ids)
    for entry, change in zip(entries, changes, strict=True):
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").endswith(f"/agency/{change['agency_id']}")
        assert change["agency"] in (entry.findtext(f"{ATOM}title") or "")
        assert change["source"]["label"] in (entry.findtext(f"{ATOM}content") or "")


# ---------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "expected_link"),
    [
        (GALVESTON, f'href="/place/{GALVESTON}"'),  # a county FIPS
        (GALVESTON_SHERIFF_ORI, 'href="/agency/tx-galveston-county-sheriff-s-office"'),  # an ORI
        ("ocd-division/country:us/state:tx/county:galveston", f'href="/place/{GALVESTON}"'),  # an OCD id
        ("Galveston County", f'href="/place/{GALVESTON}"'),  # a name
    ],
)
def test_search_finds_places_and_agencies(client: TestClient, query: str, expected_link: str) -> None:
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200
    assert expected_link in response.text


@pytest.mark.parametrize("query", ["ZZ9999999", "99999", "no such agency anywhere"])
def test_search_without_a_match_says_so(client: TestClient, query: str) -> None:
    page = client.get("/search", params={"q": query}).text
    assert "0 places and 0 agencies match" in page
    assert 'href="/place/' not in page.split("<main", 1)[1]


def test_empty_search_shows_the_form(client: TestClient) -> None:
    page = client.get("/search", params={"q": "  "}).text
    assert '<input id="q" name="q" type="search"' in page
    assert "match" not in page.split("<main", 1)[1]


# ---------------------------------------------------------------------- place and agency pages


def test_galveston_page_lists_agreements_events_and_facts_with_sources(
    client: TestClient, registry: Workspace
) -> None:
    response = client.get(f"/place/{GALVESTON}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Galveston County, TX</h1>" in page
    assert html_text("Galveston County Sheriff's Office") in page
    shown = registry.show(GALVESTON)
    assert shown["agreements"], "the registry has Galveston County's agreements"
    for agreement in shown["agreements"]:
        assert html_text(agreement["agency"]) in page
        source = agreement["source"]
        assert f">{html_text(source['label'])}</a>, row {source['row']}" in page
    for event in shown["events"]:
        assert f">{html_text(event['source']['label'])}</a>, row {event['source']['row']}" in page
    assert "xlsx" not in page and "data/" not in page  # public sources, never the bundled files
    for fact in shown["facts"]:
        assert f"row {fact['source']['row']}" in page
        assert fact["date"] in page
    pdfs = {a["document_url"] for a in shown["agreements"] if a["document_url"]}
    assert pdfs and all(f'href="{html_text(url)}"' in page for url in pdfs)


def test_place_by_name_and_by_ocd_id_is_the_same_page(client: TestClient) -> None:
    by_fips = client.get(f"/place/{GALVESTON}").text
    by_name = client.get("/place/Galveston County, TX").text
    by_id = client.get("/place/ocd-division/country:us/state:tx/county:galveston").text
    assert by_fips == by_name == by_id


def test_state_page_lists_its_counties(client: TestClient, registry: Workspace) -> None:
    page = client.get("/place/48").text
    texas = [r for r in registry.county_map() if r["state"] == "TX"]
    assert f"The {len(texas)} counties of Texas" in page
    assert all(f'href="/place/{r["fips"]}"' in page for r in texas)
    assert 'href="/place/06' not in page  # no California county on the Texas page


def test_an_agency_id_or_ori_on_the_place_route_goes_to_the_agency_page(client: TestClient) -> None:
    response = client.get(f"/place/{GALVESTON_SHERIFF_ORI}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/agency/tx-galveston-county-sheriff-s-office"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/place/no-such-place-anywhere", 404),
        ("/agency/no-such-agency", 404),
        ("/place/Springfield", 400),  # a name many places share: the page says to add the state
        ("/definitely/not/a/route", 404),
    ],
)
def test_pages_that_cannot_be_shown_say_why(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert "Traceback" not in response.text
    if path.startswith(("/place/", "/agency/")):  # the search form offers what was asked for
        assert f'name="q" type="search" value="{path.split("/", 2)[2]}"' in response.text


def test_agency_page_has_agreements_pdf_links_and_sourced_events(
    client: TestClient, registry: Workspace
) -> None:
    history = registry.history(GALVESTON_SHERIFF_ORI)
    page = client.get(f"/agency/{history['agency']['id']}").text
    assert html_text(history["agency"]["name"]) in page
    assert GALVESTON_SHERIFF_ORI in page
    for agreement in history["agreements"]:
        assert agreement["id"] in page
        if agreement["document_url"]:
            assert f'href="{html_text(agreement["document_url"])}" rel="external noopener noreferrer"' in page
    for event in history["events"]:
        assert f">{html_text(event['source']['label'])}</a>, row {event['source']['row']}" in page


# ---------------------------------------------------------------------- downloads


def test_place_downloads_as_json_and_csv(client: TestClient, registry: Workspace) -> None:
    shown = registry.show(GALVESTON)
    as_json = client.get(f"/place/{GALVESTON}.json")
    assert as_json.status_code == 200
    assert as_json.json() == shown
    assert re.fullmatch(
        r'attachment; filename="disentangle-[a-z0-9-]+\.json"', as_json.headers["content-disposition"]
    )
    as_csv = client.get(f"/place/{GALVESTON}.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == len(shown["agreements"]) + len(shown["events"]) + len(shown["facts"])
    assert len(rows) == len(records(shown))
    assert all(r["source"] and r["source_url"] for r in rows), "every row cites its public source"
    kinds = [r["record"] for r in rows]
    assert kinds.count("agreement") == len(shown["agreements"])
    assert kinds.count("fact") == len(shown["facts"])


def test_agency_downloads(client: TestClient, registry: Workspace) -> None:
    history = registry.history(GALVESTON_SHERIFF_ORI)
    agency_id = history["agency"]["id"]
    assert client.get(f"/agency/{agency_id}.json").json() == history
    rows = list(csv.DictReader(io.StringIO(client.get(f"/agency/{agency_id}.csv").text)))
    assert len(rows) == len(history["agreements"]) + len(history["events"])


# ---------------------------------------------------------------------- JSON API


def test_api_summary_and_stats_are_the_workspace_answers(client: TestClient, registry: Workspace) -> None:
    assert client.get("/api/summary").json() == registry.summary()
    assert client.get("/api/stats", params={"by": "month"}).json() == registry.stats("month")
    assert client.get("/api/stats", params={"by": "state"}).json() == registry.stats("state")
    assert client.get("/api/stats", params={"by": "county"}).status_code == 422


def test_api_map_has_every_county_with_its_bands(client: TestClient, registry: Workspace) -> None:
    data = client.get("/api/map").json()
    unscored = [layer.key for layer in LAYERS if not layer.scored]  # the scorecard layer is asked for
    assert [layer["key"] for layer in data["layers"]] == unscored
    assert len(data["counties"]) == len(registry.county_map())
    galveston = next(c for c in data["counties"] if c["fips"] == GALVESTON)
    assert set(galveston["bands"]) == set(unscored)
    assert galveston["kinds_in_force"] == [
        k for k in ("287g-jem", "287g-wso", "287g-tfm") if galveston[k]
    ] + (["detention"] if galveston["detention"] else [])
    texas = client.get("/api/map", params={"state": "tx"}).json()["counties"]
    assert texas and {c["state"] for c in texas} == {"TX"}


@pytest.mark.parametrize(
    "params",
    [
        {"state": "TX", "model": "jem"},
        {"model": "tfm", "status": "removed"},
        {"state": "Florida", "as_of": "2025-06-01"},
        {"model": "igsa"},
    ],
)
def test_api_agreements_takes_the_cli_filters(client: TestClient, registry: Workspace, params: dict) -> None:
    response = client.get("/api/agreements", params=params)
    assert response.status_code == 200
    expected = registry.agreements(
        state=params.get("state"),
        model=params.get("model"),
        status=params.get("status"),
        as_of=date.fromisoformat(params["as_of"]) if "as_of" in params else None,
    )
    assert response.json() == expected
    assert expected, "each filter picks some agreements in the bundled data"


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"model": "xyz"}, 400, "unknown model"),
        ({"state": "Atlantis"}, 400, "unknown state"),
        ({"status": "dormant"}, 422, "status"),
        ({"as_of": "yesterday"}, 422, "as_of"),
    ],
)
def test_api_agreements_rejects_bad_filters_in_json(
    client: TestClient, params: dict, status: int, says: str
) -> None:
    response = client.get("/api/agreements", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert says in response.json()["error"]


def test_api_place_agency_search_and_changes(client: TestClient, registry: Workspace) -> None:
    assert client.get(f"/api/place/{GALVESTON}").json() == registry.show(GALVESTON)
    assert client.get(f"/api/agency/{GALVESTON_SHERIFF_ORI}").json() == registry.history(
        GALVESTON_SHERIFF_ORI
    )
    assert client.get("/api/search", params={"q": GALVESTON_SHERIFF_ORI}).json() == registry.search(
        GALVESTON_SHERIFF_ORI
    )
    assert client.get("/api/changes", params={"limit": 7}).json() == registry.latest_changes(7)
    missing = client.get("/api/place/no-such-place-anywhere")
    assert missing.status_code == 404 and "no jurisdiction or agency" in missing.json()["error"]
    assert client.get("/api/search").status_code == 422
    assert client.get("/api/changes", params={"limit": 0}).status_code == 422


def test_openapi_describes_every_api_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    expected = {
        "/api/summary",
        "/api/map",
        "/api/stats",
        "/api/agreements",
        "/api/place/{q}",
        "/api/agency/{agency_id}",
        "/api/search",
        "/api/changes",
    }
    assert expected <= paths
    assert not any(p.startswith(("/place", "/agency", "/login")) for p in paths), "pages stay out of the API"
    index = client.get("/api").text
    assert all(f"GET {p}" in index for p in expected)
    assert client.get("/docs").status_code == 404, "no CDN-loaded docs page"


def test_a_sample_of_every_kind_of_page_renders(client: TestClient, registry: Workspace) -> None:
    """Agencies of every type (police, sheriff, detention facility…), counties, and every state."""
    agencies: dict[str, str] = {}
    for row in registry.agreements():
        agencies.setdefault(row["model"], row["agency_id"])
    agency_ids = sorted({r["agency_id"] for r in registry.agreements()})[::60] + list(agencies.values())
    counties = [r["fips"] for r in registry.county_map()][::80]
    states = sorted({r["fips"][:2] for r in registry.county_map()})
    failed = [
        path
        for path in [f"/agency/{a}" for a in agency_ids] + [f"/place/{f}" for f in counties + states]
        if client.get(path).status_code != 200
    ]
    assert failed == []
    assert len(agency_ids) > 40 and len(counties) > 35 and len(states) > 50


def test_the_agreement_page_tells_its_record_history_and_sources(
    client: TestClient, registry: Workspace
) -> None:
    # An agreement with more than one event: its page lists each, with the sheet and row.
    for candidate in registry.agreements(state="TX", status="removed"):
        shown = registry.agreement(candidate["id"])
        if len(shown["events"]) >= 2:
            break
    record = shown["agreement"]
    page = client.get(f"/agreement/{record['id']}")
    assert page.status_code == 200
    assert str(markupsafe.escape(record["agency"])) in page.text and record["id"] in page.text
    for event in shown["events"]:
        assert event["source"]["label"] in page.text
    assert f'href="/agency/{record["agency_id"]}"' in page.text
    assert f"/act/cost?agreement={record['id']}" in page.text
    assert "/act/letter/terminate" not in page.text, "a removed agreement is not offered for termination"
    api = client.get(f"/api/agreement/{record['id']}").json()
    assert api["agreement"] == record and len(api["events"]) == len(shown["events"])
    download = client.get(f"/agreement/{record['id']}.json")
    assert download.headers["content-disposition"].startswith("attachment")
    # The place and agency pages link to it.
    assert f'href="/agreement/{record["id"]}"' in client.get(f"/agency/{record['agency_id']}").text


def test_an_unknown_agreement_is_a_404_that_says_so(client: TestClient) -> None:
    page = client.get("/agreement/no-such-agreement")
    assert page.status_code == 404 and "no-such-agreement" in page.text
    assert client.get("/api/agreement/no-such-agreement").json()["error"].startswith("no agreement")
