"""NPR's detainers-declined tables: the joined per-facility file, national totals, links to counties."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from disentangle.errors import SourceFormatError
from disentangle.sources.detainers import (
    DECLINED_COLUMNS,
    DECLINED_FILE,
    DECLINED_REASON,
    DetainerCount,
    FacilityLinker,
    read_detainer_totals,
    read_detainers_declined,
)
from disentangle.sources.facilities import County, CountyIndex, read_facilities

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def counts() -> list[DetainerCount]:
    return read_detainers_declined(DATA)


def _raw() -> list[list[str]]:
    with (DATA / DECLINED_FILE).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_every_row_is_read(counts: list[DetainerCount]) -> None:
    assert len(counts) == len(_raw())
    assert {count.year for count in counts} == set(range(2007, 2016))


def test_declined_sums_reconcile_with_the_national_lift_reason_table(counts: list[DetainerCount]) -> None:
    by_year: Counter[int] = Counter()
    for count in counts:
        by_year[count.year] += count.declined
    national = {
        total.year: total.count
        for total in read_detainer_totals(DATA)
        if total.measure == "lift-reason" and total.label == DECLINED_REASON
    }
    assert set(national) == set(by_year)
    for year, declined in by_year.items():
        # the per-facility table drops detainers with no facility (one in 2014); nothing else may differ
        assert 0 <= national[year] - declined <= 1, year


def test_the_joined_columns_are_the_other_outcomes(counts: list[DetainerCount]) -> None:
    raw = _raw()
    assert sum(count.other_outcomes is None for count in counts) == sum(1 for row in raw if not row[5])
    adams = next(c for c in counts if c.year == 2015 and c.facility == "ADAMS COUNTY JAIL")
    assert (adams.declined, adams.other_outcomes, adams.outcomes_total) == (48, 19, 67)


def test_names_shared_by_several_facilities_are_marked_pooled(counts: list[DetainerCount]) -> None:
    places = defaultdict(set)
    for count in counts:
        places[(count.year, count.facility)].add((count.city, count.state))
    for count in counts:
        assert count.other_pooled == (len(places[(count.year, count.facility)]) > 1)
    jefferson = [c for c in counts if c.year == 2014 and c.facility == "JEFFERSON COUNTY JAIL"]
    assert len(jefferson) > 1
    assert all(c.other_pooled and c.outcomes_total is None for c in jefferson)
    # pooled rows carry the same joined count: the SQL grouped the right side by name alone
    assert len({c.other_outcomes for c in jefferson}) == 1


@pytest.mark.parametrize(
    ("facility", "state", "fips", "rule"),
    [
        ("YUBA COUNTY JAIL", "CA", "06115", "county-in-name"),
        ("MOHAVE CO CORR CENTER", "AZ", "04015", "county-in-name"),
        ("LAKE COUNTY JAIL", "IL", "17097", "county-in-name"),  # not Lee County Jail, a close fuzzy neighbour
        ("EL PASO COUNTY JAIL (CO)", "CO", "08041", "county-in-name"),  # El Paso County, Colorado
        ("PRINCE WILLIAM", "VA", "51153", "county-in-name"),  # the whole name is a county
        ("STERNS CO. JAIL", "MN", "27145", "county-in-name-fuzzy"),  # Stearns
        ("METRO DADE JAIL", "FL", "12086", "facility"),
        ("RIKERS ISLAND, QUEENS, NY", "NY", "36081", "facility"),
        ("BRONX CENTRAL BOOKING", "NY", "36005", "city-is-county"),
        ("PHILADELPHIA DETENTION CT", "PA", "42101", "city-is-county"),
        ("SANTA MONICA POLICE DEPT.", "CA", None, None),  # a city police department: no county is guessed
        ("KANSAS CITY POLICE DEPT.", "MO", None, None),  # Kansas City spans four counties
        ("OTHER-OTHER FACILITY", None, None, None),
    ],
)
def test_links(
    counts: list[DetainerCount], facility: str, state: str | None, fips: str | None, rule: str | None
) -> None:
    rows = [count for count in counts if count.facility == facility and count.state == state]
    assert rows
    assert {(count.county_fips, count.link_rule) for count in rows} == {(fips, rule)}


def test_facility_links_carry_a_detloc_of_the_list(counts: list[DetainerCount]) -> None:
    detlocs = {facility.detloc for facility in read_facilities(DATA)}
    linked = [count for count in counts if count.detloc]
    assert linked
    assert {count.detloc for count in linked} <= detlocs
    metro = next(count for count in counts if count.facility == "METRO DADE JAIL")
    assert metro.detloc == "METROFL"


def test_link_rate(counts: list[DetainerCount]) -> None:
    places = {(c.facility, c.city, c.state): c for c in counts if c.state}
    linked = [c for c in places.values() if c.county_fips]
    assert len(linked) / len(places) > 0.7


def _counties() -> CountyIndex:
    return CountyIndex(
        [
            County("17097", "Lake County", "IL", None, 2),
            County("17103", "Lee County", "IL", None, 3),
            County("06037", "Los Angeles County", "CA", None, 4),
        ]
    )


def test_linker_refuses_a_facility_of_another_county() -> None:
    index = _counties()
    lee = next(f for f in read_facilities(DATA, index) if f.name == "LEE COUNTY JAIL" and f.state == "IL")
    linker = FacilityLinker([lee], index)
    lake = linker.link("LAKE COUNTY JAIL", "WAUKEGAN", "IL")
    assert lake is not None
    assert (lake.county_fips, lake.detloc) == ("17097", None)
    same = linker.link("LEE CO JAIL", lee.city, "IL")
    assert same is not None
    assert (same.county_fips, same.detloc) == ("17103", lee.detloc)


def test_linker_needs_the_same_city_for_a_loose_name() -> None:
    index = _counties()
    pomona = next(f for f in read_facilities(DATA, index) if f.detloc == "POMONCA")
    linker = FacilityLinker([pomona], index)
    assert linker.link("POMONA CITY JAIL", "POMONA", "CA") is not None
    assert linker.link("POMONA JAIL", "ONTARIO", "CA") is None  # loose name, other city
    assert linker.link("POMONA CITY JAIL", "POMONA", "TX") is None  # other state


def test_national_totals(tmp_path: Path) -> None:
    totals = read_detainer_totals(DATA)
    issued_by_year = {t.year: t.count for t in totals if t.measure == "issued" and t.month is None}
    by_month: Counter[int] = Counter()
    for total in totals:
        if total.measure == "issued" and total.month is not None:
            by_month[total.year] += total.count
    assert issued_by_year == dict(by_month)  # the yearly table is the sum of the monthly one
    assert issued_by_year[2011] == 314966
    lifted: Counter[int] = Counter()
    for total in totals:
        if total.measure == "lift-reason":
            lifted[total.year] += total.count
    assert all(lifted[year] <= issued for year, issued in issued_by_year.items())
    forms = {t.label for t in totals if t.measure == "detainer-type"}
    assert "I247D - Immigration Detainer - Request for Action" in forms


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / DECLINED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(DECLINED_COLUMNS) + "\n" + body, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("2015,A JAIL,TOWN,TEXAS,2,B JAIL,2015,1\n", "joined columns name"),
        ("2015,A JAIL,TOWN,TEXAS,2,A JAIL,2014,1\n", "joined columns name"),
        ("2015,A JAIL,TOWN,TEXAS,0,,,\n", "not positive"),
        ("2015,A JAIL,TOWN,NARNIA,2,,,\n", "unknown state"),
        ("15,A JAIL,TOWN,TEXAS,2,,,\n", "not a year"),
        ("2015,,TOWN,TEXAS,2,,,\n", "det_facility is empty"),
    ],
)
def test_bad_rows(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        read_detainers_declined(_write(tmp_path, body), facilities=[], counties=_counties())


def test_a_small_file_reads(tmp_path: Path) -> None:
    body = "2015,LAKE COUNTY JAIL,WAUKEGAN,ILLINOIS,3,LAKE COUNTY JAIL,2015,10\n2015,A JAIL,TOWN,TEXAS,2,,,\n"
    first, second = read_detainers_declined(_write(tmp_path, body), facilities=[], counties=_counties())
    assert (first.state, first.declined, first.other_outcomes, first.county_fips) == ("IL", 3, 10, "17097")
    assert (first.source.row, second.source.row) == (2, 3)
    assert (second.other_outcomes, second.county_fips, second.link_rule) == (None, None, None)
