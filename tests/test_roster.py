"""Every law-enforcement agency of the FBI roster is a registry agency, found by the names people use."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from disentangle import letters
from disentangle.errors import InputError, NotFoundError
from disentangle.registry import tables as t
from disentangle.sources.roster import common_names, known_names
from disentangle.workspace import Workspace

ROSTER = "287g-watch/fbi_lee_latest.csv"


@pytest.mark.parametrize(
    ("fbi_name", "type_id", "state", "county", "expected"),
    [
        ("Pasadena", "police", "CA", "Los Angeles County", "Pasadena Police Department"),
        (
            "West Brandywine Township",
            "police",
            "PA",
            "Chester County",
            "West Brandywine Township Police Department",
        ),
        ("Maricopa", "sheriff", "AZ", "Maricopa County", "Maricopa County Sheriff's Office"),
        ("Orleans", "sheriff", "LA", "Orleans Parish", "Orleans Parish Sheriff's Office"),
        ("Highway Patrol", "state_police", "SC", None, "South Carolina Highway Patrol"),
        ("Illinois State Police", "state_police", "IL", None, "Illinois State Police"),
        (
            "Department of Natural Resources",
            "state_agency",
            "WV",
            "Upshur County",
            "West Virginia Department of Natural Resources",
        ),
        (
            "Tarleton State University",
            "state_university",
            "TX",
            "Erath County",
            "Tarleton State University Police Department",
        ),
        ("Chehalis Tribal", "tribal", "WA", None, "Chehalis Tribal Police Department"),
        # A name that says what the agency is keeps its own words.
        (
            "Cook County Forest Preserve Police",
            "police",
            "IL",
            "Cook County",
            "Cook County Forest Preserve Police",
        ),
        (
            "Richmond City Sheriff's Office",
            "sheriff",
            "VA",
            "Richmond city",
            "Richmond City Sheriff's Office",
        ),
        ("Matagorda County Constable", "constable", "TX", "Matagorda County", "Matagorda County Constable"),
        # No county known: a county's names cannot be made, the FBI's name stays.
        ("Lonely", "sheriff", "ND", None, "Lonely"),
    ],
)
def test_names_people_use(fbi_name: str, type_id: str, state: str, county: str | None, expected: str) -> None:
    assert common_names(fbi_name, type_id, state, county)[0] == expected


def test_bare_names_stay_as_aliases() -> None:
    names = common_names("Pasadena", "police", "CA", "Los Angeles County")
    assert names == ["Pasadena Police Department", "Pasadena Police", "Pasadena PD", "Pasadena"]


def test_every_roster_row_is_an_agency_merged_or_left_out_by_the_rule(
    registry: Workspace, data_dir: Path
) -> None:
    with (data_dir / ROSTER).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    federal = {r["ori"] for r in rows if r["state_abbr"] == "FS"}
    with registry.store.read() as connection:
        roster_oris = set(
            connection.scalars(select(t.agencies.c.ori).where(t.agencies.c.origin == "fbi-roster"))
        )
        merged_oris = set(
            connection.scalars(
                select(t.agencies.c.ori).where(
                    t.agencies.c.origin == "ice-list", t.agencies.c.ori.is_not(None)
                )
            )
        )
        duplicated = connection.scalar(
            select(func.count()).select_from(
                select(t.agencies.c.ori)
                .where(t.agencies.c.origin == "fbi-roster")
                .group_by(t.agencies.c.ori)
                .having(func.count() > 1)
                .subquery()
            )
        )
    oris = {r["ori"] for r in rows}
    assert duplicated == 0
    assert not roster_oris & merged_oris  # a merged row is not added a second time
    assert oris - federal == roster_oris | (merged_oris & oris)
    assert not (roster_oris | merged_oris) & federal


@pytest.mark.parametrize(
    ("asked", "ori"),
    [
        ("Pasadena Police Department, CA", "CA0195300"),
        ("CA0195300", "CA0195300"),
        ("ca0195300", "CA0195300"),
        ("Los Angeles County Sheriff's Department", "CA0190000"),
        ("LASD", "CA0190000"),
        ("Cook County Sheriff's Office, IL", "IL0160000"),
        ("Maricopa County Sheriff's Office", "AZ0070000"),
        ("Harris County Sheriff's Office, TX", "TX1010000"),
        ("Chicago Police Department", "ILCPD0000"),
        ("chicago police department", "ILCPD0000"),
    ],
)
def test_agencies_are_found_by_the_names_people_use(registry: Workspace, asked: str, ori: str) -> None:
    assert registry._find_agency(asked)["ori"] == ori


def test_a_name_of_several_agencies_lists_them_instead_of_guessing(registry: Workspace) -> None:
    with pytest.raises(InputError) as caught:
        registry._find_agency("Pasadena Police Department")
    message = str(caught.value)
    assert "(CA, ca-pasadena-police-department-ca0195300)" in message
    assert "(TX, tx-pasadena-police-department-tx1011500)" in message
    assert "add the state" in message
    with pytest.raises(NotFoundError):
        registry._find_agency("Gotham City Police Department")


def test_search_ranks_the_exact_name_first_and_finds_a_place_s_agencies(registry: Workspace) -> None:
    found = registry.search("Pasadena Police Department, CA")
    agencies = [r for r in found if r["match"] == "agency"]
    assert agencies[0]["ori"] == "CA0195300"
    assert all(r["state"] == "CA" for r in found)
    by_place = registry.search("Pasadena, CA")
    assert by_place[0]["id"] == "ocd-division/country:us/state:ca/place:pasadena"
    assert "CA0195300" in {r.get("ori") for r in by_place if r["match"] == "agency"}


def test_search_takes_like_wildcards_literally(registry: Workspace) -> None:
    assert registry.search("%") == []
    assert registry.search("_") == []
    assert [r for r in registry.search("Pasadena_Police") if r["match"] == "agency"] == []


def test_a_place_lists_its_agencies_with_and_without_agreements(registry: Workspace) -> None:
    pasadena = registry.show("Pasadena, CA")
    assert [a["ori"] for a in pasadena["agencies"]] == ["CA0195300"]
    assert pasadena["agencies"][0]["agreements"] == []
    county = registry.show("Los Angeles County, CA")
    oris = {a["ori"] for a in county["agencies"]}
    assert {"CA0195300", "CA0190000", "CA0194200"} <= oris


def test_known_names_cite_a_public_page() -> None:
    for entry in known_names().values():
        assert entry.source.startswith("https://")
        assert len(entry.ori) == 9


def test_a_records_request_to_pasadena_pd_under_the_california_act(
    registry_copy: Callable[[str], Workspace],
) -> None:
    workspace = registry_copy("roster-request")
    requester = letters.Requester(name="A. Organizer")
    request_id, letter = workspace.draft_request(
        "Pasadena Police Department, CA", ["agreements"], requester, today=date(2026, 12, 7)
    )
    assert "Gov. Code § 7920.000" in letter.markdown
    assert letter.due is not None and letter.due > date(2026, 12, 7)
    assert workspace.tracked_request(request_id).agency.name == "Pasadena Police Department"
