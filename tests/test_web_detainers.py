"""The detainer pages in-process: national and county pages with charts, "no data" years, downloads, the
contradictions list, the click-and-arrest form, and the scorecard without raw Python values."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from disentangle.web import create_app
from disentangle.workspace import Workspace


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_national_page_shows_the_us_citizen_lifts_by_year(client: TestClient) -> None:
    page = client.get("/detainers")
    assert page.status_code == 200
    text = page.text
    assert "Detainers lifted because the person was a U.S. citizen" in text
    for year, count in ((2007, 15), (2012, 150), (2015, 38)):
        assert f"{year}: <strong>{count}</strong>" in text
    assert "in all 693" in text
    assert text.count('class="chart detainer-chart"') == 4  # outcomes, citizens, months, forms
    assert "Program history" in text and "Priority Enforcement Program" in text
    assert "https://github.com/nprapps/sanctuary-cities" in text
    assert "{'" not in text and "seed" not in text.lower()


def test_county_page_marks_missing_years_and_compares_policy(client: TestClient) -> None:
    page = client.get("/detainers/17031")
    assert page.status_code == 200
    assert re.search(r'<tr class="no-data"><td>2012</td>', page.text)
    assert ">no data</text>" in page.text  # the chart marks the year too, and draws no bar for it
    assert "verdict-contradicts" in page.text
    assert "The Sheriff of Cook County shall decline ICE detainer requests" in page.text


def test_place_page_carries_the_detainer_section(client: TestClient) -> None:
    for fips, policy in (("17031", "Ordinance 11-O-73"), ("06085", "Board Policy 3.54"), ("48201", None)):
        text = client.get(f"/place/{fips}").text
        assert 'id="detainers-title"' in text and "detainer-chart" in text, fips
        if policy:
            assert policy in text, fips
        else:
            assert "No policy on record says" in text
        assert "{'year'" not in text  # facts and scorecard in words, never a Python dict


def test_downloads_have_one_row_a_year_with_sources(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/detainers/17031.csv").text)))
    by_year = {r["year"]: r for r in rows}
    assert by_year["2012"]["note"] == "no data" and by_year["2012"]["declined"] == ""
    assert (
        by_year["2013"]["declined"] == "8"
        and "declined_vs_everythingelse.csv row 817" in by_year["2013"]["source"]
    )
    data = client.get("/detainers/17031.json").json()
    assert data["scope"] == "county" and data["practice_against_policy"]
    national = client.get("/detainers.json").json()
    assert {y["year"]: y["us_citizen"] for y in national["years"]}[2010] == 101


def test_click_and_arrest_takes_the_readers_values(client: TestClient) -> None:
    data = client.get(
        "/detainers.json?from=2012&to=2012&status_error_rate=10%25&database_share=0.5&overstay_share=0"
    ).json()
    model = data["click_and_arrest"]
    assert model["detainers"] == 272_878 and model["observed_us_citizen_lifts"] == 150
    assert model["expected_holds_on_a_wrong_record"] == pytest.approx(272_878 * 0.5 * 0.10, abs=0.1)
    bad = client.get("/detainers?database_share=7")
    assert bad.status_code == 400 and "database_share must be between" in bad.text


def test_contradictions_and_unknown_keys(client: TestClient) -> None:
    found = client.get("/detainers/contradictions.json").json()
    assert [c["place"] for c in found] == ["Cook County, IL"]
    assert "Cook County, IL" in client.get("/detainers/contradictions").text
    assert client.get("/detainers/no-such-facility-anywhere").status_code == 404
    assert json.loads(client.get("/detainers/IL0160000.json").text)["scope"] == "agency"
