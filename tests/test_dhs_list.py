"""DHS's May 2025 "sanctuary jurisdictions" page: the list inside the navigation, counted two ways."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from disentangle.errors import SourceFormatError
from disentangle.model import STATES, Level
from disentangle.sources.dhs_list import FILE, Designation, parse_dhs_designations, read_dhs_designations

DATA = Path(__file__).resolve().parents[1] / "data"
TEXT = (DATA / FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def designations() -> list[Designation]:
    return read_dhs_designations(DATA)


def _list_lines() -> list[str]:
    """The lines of the list by a plain text slice, independent of the parser's state machine."""
    lines = [line.replace("\f", "").strip() for line in TEXT.splitlines()]
    return lines[lines.index("Sanctuary Jurisdiction List") + 1 : lines.index("Keywords")]


def test_state_count_matches_the_basis_lines(designations: list[Designation]) -> None:
    bases = [
        line for line in _list_lines() if line.startswith(("Self-Identification as a State", "Court Order"))
    ]
    states = [d for d in designations if d.level is Level.STATE and d.state != "DC"]
    assert len(states) == len(bases) == 14
    assert len({d.state for d in states}) == 14


def test_county_count_matches_the_lines_that_name_a_county(designations: list[Designation]) -> None:
    county_lines = [line for line in _list_lines() if re.search(r" (County|Parish)$", line)]
    counties = [d for d in designations if d.level is Level.COUNTY]
    assert len(counties) == len(county_lines)
    assert 350 < len(counties) < 450


def test_place_count_is_what_remains_of_the_list(designations: list[Designation]) -> None:
    state_names = {state.name for state in STATES}
    structure = {"State", "County", "Counties", "Cities", "Open all", "Close all", ""}
    remaining = [
        line
        for line in _list_lines()
        if line not in structure
        and line not in state_names
        and not line.startswith(("Self-Identification", "Court Order"))
        and not re.search(r" (County|Parish)$", line)
    ]
    places = [d for d in designations if d.level is Level.PLACE]
    assert len(places) == len(remaining)
    assert 150 < len(places) < 250


@pytest.mark.parametrize(
    ("state", "name", "level", "lookup_name", "section"),
    [
        ("CA", "Alameda County", Level.COUNTY, "Alameda County", "County"),
        ("CA", "Alameda", Level.PLACE, "Alameda", "Cities"),  # the city of the same name
        ("CA", "California", Level.STATE, "California", "State"),
        ("NM", "Doña Ana County", Level.COUNTY, "Doña Ana County", "Counties"),
        (
            "MN",
            "Nicollet County",
            Level.COUNTY,
            "Nicollet County",
            "Counties",
        ),  # after "Open all" and a page break
        ("ID", "City of Boise", Level.PLACE, "Boise", "Cities"),
        ("CO", "Town of Vail", Level.PLACE, "Vail", "Cities"),
        ("MD", "Baltimore City", Level.PLACE, "Baltimore City", "Cities"),
        ("LA", "New Orleans/Orleans (Parish)", Level.PLACE, "New Orleans", "Cities"),
        ("KS", "Douglas County", Level.COUNTY, "Douglas County", "Cities"),  # printed under Cities
        ("KS", "Lawrence", Level.PLACE, "Lawrence", "County"),  # printed under County
        ("DC", "District of Columbia", Level.STATE, "District of Columbia", "Cities"),
        ("WI", "Milwaukee", Level.PLACE, "Milwaukee", "Cities"),
    ],
)
def test_named_rows(
    designations: list[Designation], state: str, name: str, level: Level, lookup_name: str, section: str
) -> None:
    (found,) = [d for d in designations if d.state == state and d.name == name]
    assert (found.level, found.lookup_name, found.section) == (level, lookup_name, section)
    lines = TEXT.splitlines()
    assert name in lines[found.source.row - 1] or found.level is Level.STATE


def test_rows_point_at_their_lines(designations: list[Designation]) -> None:
    lines = TEXT.splitlines()
    for designation in designations:
        printed = lines[designation.source.row - 1].replace("\f", "").strip()
        assert printed == (designation.basis or designation.name)


@pytest.mark.parametrize(
    "text",
    ["Open all", "Close all", "Keywords", "IMMIGRATION", "Topics", "Press Releases", "About DHS", "Videos"],
)
def test_navigation_is_not_a_jurisdiction(designations: list[Designation], text: str) -> None:
    assert text in TEXT
    assert not [d for d in designations if text in (d.name, d.lookup_name)]


def test_state_bases(designations: list[Designation]) -> None:
    bases = Counter(d.basis for d in designations if d.level is Level.STATE)
    assert bases["Court Order Requiring State Sanctuary Requirements"] == 1  # Rhode Island
    assert bases["Self-Identification as Local Sanctuary Jurisdiction"] == 1  # D.C.
    assert all(d.basis is None for d in designations if d.level is not Level.STATE)


def test_designated_date_comes_from_the_capture_header(designations: list[Designation]) -> None:
    assert {d.designated for d in designations} == {date(2025, 5, 29)}
    without_header = TEXT.replace("29 May 2025 - 13 Jun 2025", "")
    assert {d.designated for d in parse_dhs_designations(without_header)} == {None}


def test_no_state_section_repeats(designations: list[Designation]) -> None:
    keys = [(d.state, d.name, d.level) for d in designations]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Home\nTopics\nNews\n", "no 'Sanctuary Jurisdiction List' heading"),
        ("Sanctuary Jurisdiction List\nAlaska\n\nCities\nCity of Anchorage\n", "truncated"),
        ("Sanctuary Jurisdiction List\nCity of Anchorage\nKeywords\n", "not under a state"),
        (
            "Sanctuary Jurisdiction List\nAlaska\nState\nCity of Anchorage\nKeywords\n",
            "not a designation basis",
        ),
        ("Sanctuary Jurisdiction List\nKeywords\n", "no jurisdictions"),
    ],
)
def test_bad_pages(text: str, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        parse_dhs_designations(text, Path("page.txt"))
