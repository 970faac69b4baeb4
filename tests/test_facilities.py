"""ICE detention facilities: reading the list, resolving counties to FIPS, the agreement kind of a type."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from disentangle.knowledge import load_yaml
from disentangle.model import AgreementKind
from disentangle.sources.facilities import (
    COUNTY_AOR_FILE,
    FACILITIES_FILE,
    County,
    CountyIndex,
    Facility,
    facility_agreement_kind,
    facility_agreement_note,
    facility_type,
    fold_county,
    read_county_aor,
    read_facilities,
)

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def facilities() -> dict[str, Facility]:
    return {facility.detloc: facility for facility in read_facilities(DATA)}


def _raw_facilities() -> list[dict[str, str]]:
    with gzip.open(DATA / FACILITIES_FILE, "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="|"))


def test_every_facility_is_read(facilities: dict[str, Facility]) -> None:
    assert len(facilities) == len(_raw_facilities())


@pytest.mark.parametrize(
    ("detloc", "printed_county", "state", "fips", "rule"),
    [
        ("ABRDNWA", "GRAYS HARBOR", "WA", "53027", "name"),  # printed with a trailing space
        ("STCLAMI", "SAINT CLAIR", "MI", "26147", "name"),  # Census writes "St. Clair County"
        ("STTAMLA", "SAINT TAMMANY", "LA", "22103", "name"),  # a parish
        ("KODIAAK", "KODIAK ISLAND", "AK", "02150", "name"),  # a borough
        ("AKLEMON", "JUNEAU", "AK", "02110", "name"),  # a city and borough
        ("AKMATSU", "MATANUSKA SUSITNA", "AK", "02170", "name"),  # "Matanuska-Susitna Borough"
        ("NORHOLD", "NORFOLK", "VA", "51710", "independent-city"),  # "Norfolk city"
        ("NORFOVA", "NORFOLK CITY", "VA", "51710", "name"),
        ("NORFOMA", "NORFOLK", "MA", "25021", "name"),  # same name, another state
        ("KROHOLD", "DADE", "FL", "12086", "renamed"),  # Miami-Dade since 1997
        ("NVNORCC", "COUNTY", "NV", "32510", "city-is-county"),  # placeholder county, city Carson City
        ("ABRXSPA", "BERKS", "PA", "42011", "name"),
        ("CACFBAK", "BAKER", "CA", None, None),  # no Baker County in California: not guessed
        ("PASADCA", "LEE", "CA", None, None),
        ("JENATLA", "COUNTY", "LA", None, None),  # placeholder, and Alexandria LA is not a county
        ("IAHSFTX", "COUNTY", "TX", None, None),  # Houston TX must not become Houston County
        ("DEPCOGU", "GUAM", "GU", None, None),  # territories have no counties in county_aor.csv
        ("TONDHLG", None, None, None, None),  # transport only: no place at all
    ],
)
def test_county_resolution(
    facilities: dict[str, Facility],
    detloc: str,
    printed_county: str | None,
    state: str | None,
    fips: str | None,
    rule: str | None,
) -> None:
    facility = facilities[detloc]
    assert (facility.county, facility.state) == (printed_county, state)
    assert (facility.county_fips, facility.county_rule) == (fips, rule)


def test_accents_lost_in_the_county_file_still_match(facilities: dict[str, Facility]) -> None:
    dona_ana = [facility for facility in facilities.values() if facility.county == "DONA ANA"]
    assert dona_ana
    assert {(facility.county_fips, facility.county_rule) for facility in dona_ana} == {("35013", "wildcard")}


def test_fuzzy_matches_are_few_and_are_typos(facilities: dict[str, Facility]) -> None:
    fuzzy = {
        facility.county: facility.county_fips
        for facility in facilities.values()
        if facility.county_rule == "fuzzy"
    }
    assert fuzzy == {"ABERMARLE": "51003", "SANTA BARBRA": "06083", "VERMILLION": "22113"}
    # "KING" in California is refused rather than read as Kings County
    assert facilities["MTPPDCA"].county == "KING"
    assert facilities["MTPPDCA"].county_fips is None


def test_resolution_rate(facilities: dict[str, Facility]) -> None:
    placed = [
        facility
        for facility in facilities.values()
        if facility.state not in (None, "GU", "VI", "MP") and not CountyIndex.is_placeholder(facility.county)
    ]
    resolved = [facility for facility in placed if facility.county_fips]
    assert len(resolved) / len(placed) > 0.97
    known = {county.fips for county in read_county_aor(DATA)}
    assert {facility.county_fips for facility in resolved} <= known


def test_resolved_fips_agree_with_the_printed_state(facilities: dict[str, Facility]) -> None:
    states = {county.fips: county.state for county in read_county_aor(DATA)}
    for facility in facilities.values():
        if facility.county_fips:
            assert states[facility.county_fips] == facility.state, facility.detloc


def test_fields_are_typed(facilities: dict[str, Facility]) -> None:
    berks = facilities["ABRXSPA"]
    assert (berks.type, berks.type_detailed, berks.authorizing_authority) == ("IGSA", "JUVENILE", "JFRMU")
    assert (berks.first_use, berks.last_use) == (date(2014, 5, 23), date(2017, 11, 4))
    assert (berks.over_72, berks.capacity, berks.aor) == (True, None, "PHI")
    cranston = facilities["RICRANS"]
    assert cranston.zip == "02920"  # zip codes keep their leading zero
    assert cranston.over_72 is None
    assert all(f.first_use <= f.last_use for f in facilities.values() if f.first_use and f.last_use)
    with_capacity = [facility.capacity for facility in facilities.values() if facility.capacity is not None]
    assert with_capacity
    assert all(isinstance(capacity, int) and capacity >= 0 for capacity in with_capacity)


def test_address_placeholders_are_none(facilities: dict[str, Facility]) -> None:
    raw = {row["detloc"]: row["address"] for row in _raw_facilities()}
    for detloc, facility in facilities.items():
        if raw[detloc] in ("NA", "UNAVAILABLE"):
            assert facility.address is None
        else:
            assert facility.address == " ".join(raw[detloc].split())


# --- the agreement kind of a facility type --------------------------------------------------------------


@pytest.fixture(scope="module")
def any_facility(facilities: dict[str, Facility]) -> Facility:
    return facilities["ABRDNWA"]


@pytest.mark.parametrize(
    ("kind", "detailed", "expected", "has_note"),
    [
        ("IGSA", "IGSA", AgreementKind.IGSA, False),
        ("IGSA", "JUVENILE", AgreementKind.IGSA, False),
        ("IGSA", "DIGSA", AgreementKind.IGSA, True),
        ("DIGSA", "DIGSA", AgreementKind.IGSA, True),
        ("USMS IGA", "USMS IGA", AgreementKind.USMS_IGA, False),
        ("CDF", "CDF", None, False),
        ("USMS CDF", "USMS CDF", None, False),
        ("SPC", "SPC", None, False),
        ("BOP", "BOP", None, False),
        ("MIRP", "MIRP", None, False),
        ("Other", "HOLD", None, False),
        ("Other", "HOSPITAL", None, False),
    ],
)
def test_agreement_kind(
    any_facility: Facility, kind: str, detailed: str, expected: AgreementKind | None, has_note: bool
) -> None:
    facility = replace(any_facility, type=kind, type_detailed=detailed)
    assert facility_agreement_kind(facility) == expected
    note = facility_agreement_note(facility)
    assert (note is not None) == has_note
    if has_note:
        assert "dedicated" in note.lower()


def test_agreement_kinds_over_the_real_list(facilities: dict[str, Facility]) -> None:
    raw_types = Counter(row["type"] for row in _raw_facilities())
    kinds = Counter(facility_agreement_kind(facility) for facility in facilities.values())
    assert kinds[AgreementKind.IGSA] == raw_types["IGSA"] + raw_types["DIGSA"]
    assert kinds[AgreementKind.USMS_IGA] == raw_types["USMS IGA"]
    assert kinds[None] == sum(raw_types.values()) - kinds[AgreementKind.IGSA] - kinds[AgreementKind.USMS_IGA]


def test_every_type_in_the_knowledge_file_is_described() -> None:
    document = load_yaml("programs/facility_types.yaml")
    assert document["source"]["url"].startswith("https://")
    for code, entry in document["types"].items():
        described = facility_type(code)
        assert described is not None
        assert described.label and described.description and described.source
        assert entry.get("kind") in (None, *(kind.value for kind in AgreementKind))
    assert facility_type("PRIVATE PRISON") is None


# --- the county index on its own --------------------------------------------------------------------------


def _index(*counties: tuple[str, str, str]) -> CountyIndex:
    return CountyIndex(
        County(fips, name, state, None, line) for line, (fips, name, state) in enumerate(counties, 2)
    )


@pytest.mark.parametrize(
    ("name", "state", "fips"),
    [
        ("FAIRFAX", "VA", "51059"),  # the county wins over the city of the same base name
        ("FAIRFAX CITY", "VA", "51600"),
        ("Fairfax city", "VA", "51600"),
        ("ST. MARY'S", "MD", "24037"),
        ("SAINT MARYS", "MD", "24037"),
        ("ST MARYS COUNTY", "MD", "24037"),
        ("MC KEAN", "PA", "42083"),
        ("DE KALB", "IL", "17037"),
        ("La Salle Parish", "LA", "22059"),
        ("FT. BEND", "TX", "48157"),
        ("FAIRFAX", "MD", None),  # wrong state
        ("COUNTY", "VA", None),
        ("", "VA", None),
        ("FAIRFAX", None, None),
    ],
)
def test_county_index(name: str, state: str | None, fips: str | None) -> None:
    index = _index(
        ("51059", "Fairfax County", "VA"),
        ("51600", "Fairfax city", "VA"),
        ("24037", "St. Mary's County", "MD"),
        ("42083", "McKean County", "PA"),
        ("17037", "DeKalb County", "IL"),
        ("22059", "LaSalle Parish", "LA"),
        ("48157", "Fort Bend County", "TX"),
    )
    match = index.resolve(name, state)
    assert (match.county.fips if match else None) == fips


@pytest.mark.parametrize(
    ("city", "state", "fips"),
    [
        ("ALEXANDRIA", "VA", "51510"),
        ("CARSON CITY", "NV", "32510"),
        ("SAN JUAN", "PR", "72127"),
        ("HOUSTON", "TX", None),  # Houston County, TX is elsewhere
        ("ALEXANDRIA", "LA", None),
    ],
)
def test_city_that_is_a_county(city: str, state: str, fips: str | None) -> None:
    index = _index(
        ("51510", "Alexandria city", "VA"),
        ("32510", "Carson City", "NV"),
        ("72127", "San Juan Municipio", "PR"),
        ("48225", "Houston County", "TX"),
        ("22079", "Rapides Parish", "LA"),
    )
    match = index.resolve_city(city, state)
    assert (match.county.fips if match else None) == fips


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("St. Clair", "SAINTCLAIR"),
        ("SAINT CLAIR", "SAINTCLAIR"),
        ("Doña Ana", "DONAANA"),
        ("Miami-Dade", "MIAMIDADE"),
    ],
)
def test_fold_county(text: str, key: str) -> None:
    assert fold_county(text) == key


def test_county_aor_reads_every_county() -> None:
    counties = read_county_aor(DATA)
    with (DATA / COUNTY_AOR_FILE).open(encoding="utf-8") as handle:
        assert len(counties) == sum(1 for _ in csv.reader(io.StringIO(handle.read()))) - 1
    assert len({county.fips for county in counties}) == len(counties)
    by_fips = {county.fips: county for county in counties}
    assert (by_fips["01001"].name, by_fips["01001"].state, by_fips["01001"].aor) == (
        "Autauga County",
        "AL",
        "NOL",
    )
