"""The jurisdiction tree read from the bundled Open Civic Data files, and the gazetteer's name lookups."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Jurisdiction, Level
from disentangle.sources.jurisdictions import read_division_aliases, read_jurisdictions
from disentangle.sources.linking import Gazetteer

DATA = Path(__file__).resolve().parents[1] / "data"
OCD = DATA / "ocd-division-ids"
US = "ocd-division/country:us"

pytestmark = pytest.mark.skipif(not OCD.is_dir(), reason="data/ocd-division-ids is not in this checkout")


@pytest.fixture(scope="module")
def jurisdictions() -> list[Jurisdiction]:
    return read_jurisdictions(DATA)


@pytest.fixture(scope="module")
def by_id(jurisdictions: list[Jurisdiction]) -> dict[str, Jurisdiction]:
    return {j.id: j for j in jurisdictions}


@pytest.fixture(scope="module")
def gazetteer(jurisdictions: list[Jurisdiction]) -> Gazetteer:
    return Gazetteer(jurisdictions, read_division_aliases(DATA))


def test_every_state_dc_and_territory_once(jurisdictions: list[Jurisdiction]) -> None:
    states = [j for j in jurisdictions if j.level is Level.STATE]
    codes = Counter(j.state for j in states)
    assert len(codes) == len(states) == 56  # 50 states, D.C., AS, GU, MP, PR, VI
    assert {"DC", "PR", "VI", "TX", "WY"} <= set(codes)
    assert all(j.fips and len(j.fips) == 2 and j.parent_id == US for j in states)
    assert [j for j in jurisdictions if j.level is Level.NATION] == [jurisdictions[0]]


def test_county_level_counts(jurisdictions: list[Jurisdiction]) -> None:
    counties = [j for j in jurisdictions if j.level is Level.COUNTY]
    in_states = [j for j in counties if j.state not in {"PR", "AS", "GU", "MP", "VI"}]
    # Census counts 3,143 county equivalents in the 50 states and D.C. (2020); OCD still files
    # Connecticut's eight old counties and one fewer Alaska census area.
    assert 3100 <= len(in_states) <= 3200
    assert sum(1 for j in counties if j.state == "PR") == 78  # municipios
    per_state = Counter(j.state for j in in_states)
    assert len(per_state) == 50  # every state but D.C., which has no county
    assert per_state["TX"] == 254
    assert per_state["LA"] == 64
    assert per_state["VA"] == 95 + 38  # counties and independent cities
    assert all(j.fips and len(j.fips) == 5 for j in counties)


def test_fips_width_and_parent_by_level(
    jurisdictions: list[Jurisdiction], by_id: dict[str, Jurisdiction]
) -> None:
    widths = {Level.COUNTY: 5, Level.PLACE: 7, Level.SUBDIVISION: 10}
    for jurisdiction in jurisdictions:
        if jurisdiction.level not in widths:
            continue
        assert jurisdiction.fips and len(jurisdiction.fips) == widths[jurisdiction.level], jurisdiction
        parent = by_id[jurisdiction.parent_id or ""]
        if jurisdiction.level is Level.SUBDIVISION:
            assert parent.level is Level.COUNTY and parent.fips == jurisdiction.fips[:5], jurisdiction
        else:
            assert parent.level is Level.STATE and parent.fips == jurisdiction.fips[:2], jurisdiction
    assert Counter(j.level for j in jurisdictions)[Level.PLACE] > 19000


@pytest.mark.parametrize(
    ("ocd_id", "level", "fips", "parent"),
    [
        (f"{US}/state:al/county:autauga", Level.COUNTY, "01001", f"{US}/state:al"),
        (f"{US}/state:la/parish:st_bernard", Level.COUNTY, "22087", f"{US}/state:la"),
        (f"{US}/state:ak/borough:aleutians_east", Level.COUNTY, "02013", f"{US}/state:ak"),
        (f"{US}/state:ak/census_area:aleutians_west", Level.COUNTY, "02016", f"{US}/state:ak"),
        (f"{US}/territory:pr/municipio:adjuntas", Level.COUNTY, "72001", f"{US}/territory:pr"),
        # independent cities: filed by OCD as places, here as county equivalents
        (f"{US}/state:va/place:hopewell", Level.COUNTY, "51670", f"{US}/state:va"),
        (f"{US}/state:md/place:baltimore", Level.COUNTY, "24510", f"{US}/state:md"),
        (f"{US}/state:mo/place:st_louis", Level.COUNTY, "29510", f"{US}/state:mo"),
        (f"{US}/state:nv/place:carson_city", Level.COUNTY, "32510", f"{US}/state:nv"),
        (f"{US}/state:ak/place:kodiak", Level.PLACE, "0240950", f"{US}/state:ak"),
        (
            f"{US}/state:pa/county:luzerne/place:butler",
            Level.SUBDIVISION,
            "4207910480",
            f"{US}/state:pa/county:luzerne",
        ),
        # New England towns do not nest under a county in OCD; the FIPS code names it
        (f"{US}/state:ct/place:andover", Level.SUBDIVISION, "0901301080", f"{US}/state:ct/county:tolland"),
        (f"{US}/district:dc", Level.STATE, "11", US),
        (f"{US}/territory:vi", Level.STATE, "78", US),
    ],
)
def test_jurisdiction_rows(
    by_id: dict[str, Jurisdiction], ocd_id: str, level: Level, fips: str, parent: str
) -> None:
    jurisdiction = by_id[ocd_id]
    assert (jurisdiction.level, jurisdiction.fips, jurisdiction.parent_id) == (level, fips, parent)


@pytest.mark.parametrize(
    "ocd_id",
    [
        f"{US}/state:co/place:denver",  # OCD's canonical id is county:denver (aliases.csv)
        f"{US}/state:ak/place:anchorage",
        f"{US}/territory:dt",  # Dakota Territory, 1861-1889
        f"{US}/territory:vi/board_of_education:st_croix",
    ],
)
def test_non_canonical_and_historical_ids_are_left_out(by_id: dict[str, Jurisdiction], ocd_id: str) -> None:
    assert ocd_id not in by_id


def test_independent_cities_agree_with_census_county_geometry() -> None:
    """The county-equivalent FIPS codes in knowledge/ match the county ids of the us-atlas file."""
    atlas = DATA / "us-atlas" / "counties-albers-10m.json"
    if not atlas.exists():
        pytest.skip("data/us-atlas is not in this checkout")
    geometries = json.loads(atlas.read_text())["objects"]["counties"]["geometries"]
    names = {g["id"]: g["properties"]["name"] for g in geometries}
    cities = load_yaml("places/independent_cities.yaml")["cities"]
    assert len(cities) == 41
    for city in cities:
        assert city["fips"] in names, city
        assert city["name"].removesuffix(" city") == names[city["fips"]], city


# --- malformed files --------------------------------------------------------------------------------


def _copy_ocd(tmp_path: Path) -> Path:
    target = tmp_path / "data" / "ocd-division-ids"
    shutil.copytree(OCD, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _truncate_mid_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2].rsplit(",", 1)[0], encoding="utf-8")


def _truncate_at_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 3]), encoding="utf-8")


def _rename_column(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("census_geoid", "geoid", 1), encoding="utf-8")


def _bad_geoid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("place-01001", "place-0100X", 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "damage", "problem"),
    [
        ("us_census_places.csv", Path.unlink, "missing"),
        ("us_census_places.csv", _truncate_mid_line, "truncated"),
        ("us_census_places.csv", _truncate_at_line, "truncated"),
        ("us_census_places.csv", _rename_column, "census_geoid"),
        ("us_census_places.csv", _bad_geoid, "census_geoid"),
        ("states.csv", _truncate_at_line, "truncated"),
        ("aliases.csv", Path.unlink, "missing"),
    ],
)
def test_bad_files_name_the_file(
    tmp_path: Path, file: str, damage: Callable[[Path], object], problem: str
) -> None:
    folder = _copy_ocd(tmp_path)
    damage(folder / file)
    with pytest.raises(SourceFormatError) as caught:
        read_jurisdictions(folder.parent)
    assert file in str(caught.value)
    assert problem in str(caught.value)


def test_intact_copy_reads(tmp_path: Path) -> None:
    """The damage above is what fails, not the copying."""
    folder = _copy_ocd(tmp_path)
    assert len(read_jurisdictions(folder.parent)) > 39000


# --- gazetteer --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "name", "level", "within", "expected"),
    [
        ("VA", "Richmond County", None, None, "state:va/county:richmond"),
        ("VA", "Richmond City", None, None, "state:va/place:richmond"),
        ("VA", "Hopewell", None, None, "state:va/place:hopewell"),
        ("VA", "Hopewell County", Level.COUNTY, None, "state:va/place:hopewell"),  # no such county
        ("LA", "St. Bernard Parish", None, None, "state:la/parish:st_bernard"),
        ("LA", "Saint Landry County", None, None, "state:la/parish:st_landry"),
        ("LA", "Calacasieu Parish", None, None, "state:la/parish:calcasieu"),  # misspelt
        ("FL", "Miami Dade County", None, None, "state:fl/county:miami-dade"),
        ("FL", "St. Luice County", None, None, "state:fl/county:st_lucie"),
        ("AK", "Fairbanks North Star Borough", None, None, "state:ak/borough:fairbanks_north_star"),
        ("AK", "Anchorage", Level.PLACE, None, "state:ak/borough:anchorage"),  # consolidated
        ("CO", "Denver", Level.PLACE, None, "state:co/county:denver"),
        ("PA", "Dickson City", None, None, "state:pa/place:dickson_city"),  # a borough's name
        ("PA", "Pottsville City", None, None, "state:pa/place:pottsville"),
        ("PA", "Mahanoy City Borough", None, None, "state:pa/place:mahanoy_city"),
        (
            "PA",
            "Butler Township",
            None,
            f"{US}/state:pa/county:luzerne",
            "state:pa/county:luzerne/place:butler",
        ),
        ("PA", "Butler Twp.", None, f"{US}/state:pa/county:butler", "state:pa/county:butler/place:butler"),
        ("TX", "Cut N Shoot", Level.PLACE, None, "state:tx/place:cut_and_shoot"),
        ("MD", "Baltimore County", None, None, "state:md/county:baltimore"),
        ("MD", "Baltimore City", None, None, "state:md/place:baltimore"),
        ("MO", "St. Louis County", None, None, "state:mo/county:st_louis"),
        ("TX", "City of Kyle", None, None, "state:tx/place:kyle"),
        ("Texas", "Guadalupe Conty", None, None, "state:tx/county:guadalupe"),
        ("PR", "San Juan Municipio", None, None, "territory:pr/municipio:san_juan"),
        # ambiguous or absent: better none than a wrong one
        ("VA", "Richmond", None, None, None),  # Richmond County or the city of Richmond
        ("VA", "Roanoke", Level.COUNTY, None, None),
        ("PA", "Butler Township", None, None, None),  # one in each of four counties
        ("PA", "Butler", None, None, None),  # Butler County or the city of Butler
        ("LA", "Chalmette Parish", None, None, None),  # a town, not a parish
        ("LA", "German Coast County", None, None, None),  # St. Charles Parish's colonial name
        ("NC", "Albemarle County", Level.COUNTY, None, None),  # a region, not a county
        ("AR", "Ola", Level.PLACE, None, "state:ar/place:ola"),
        ("LA", "Ola", Level.PLACE, None, None),  # too short to guess: Olla, Louisiana is another town
        ("FL", "Sunny Isles", Level.PLACE, None, None),  # Sunny Isles Beach is not spelt so
        ("Narnia", "Springfield", None, None, None),
        ("TX", "Springfield", None, None, None),  # not Texas itself
        ("VA", "Commonwealth of Virginia", None, None, "state:va"),
        ("TX", "State of Texas", None, None, "state:tx"),
    ],
)
def test_find(
    gazetteer: Gazetteer, state: str, name: str, level: Level | None, within: str | None, expected: str | None
) -> None:
    found = gazetteer.find(state, name, level, within)
    assert (found.id.removeprefix(US + "/") if found else None) == expected


def test_candidates_say_why_a_name_is_ambiguous(gazetteer: Gazetteer) -> None:
    butlers = gazetteer.candidates("PA", "Butler Township", Level.SUBDIVISION)
    assert {j.parent_id for j in butlers} == {
        f"{US}/state:pa/county:{county}" for county in ("adams", "butler", "luzerne", "schuylkill")
    }
    assert gazetteer.candidates(
        "PA", "Butler Township", Level.SUBDIVISION, f"{US}/state:pa/county:adams"
    ) == [gazetteer.by_id(f"{US}/state:pa/county:adams/place:butler")]


def test_lookups_by_id_fips_and_state(gazetteer: Gazetteer) -> None:
    assert gazetteer.by_id(f"{US}/state:co/place:denver") == gazetteer.by_id(f"{US}/state:co/county:denver")
    autauga = gazetteer.by_fips("01001")
    assert autauga is not None and autauga.name == "Autauga County"
    assert gazetteer.by_fips("1001") == autauga  # a FIPS code read as a number lost its zero
    hopewell = gazetteer.by_fips("51670")
    assert hopewell is not None and hopewell.id == f"{US}/state:va/place:hopewell"
    assert gazetteer.by_fips("99999") is None
    texas = gazetteer.state("Texas")
    assert texas is not None and texas.fips == "48"
    assert len(gazetteer.counties_in("VA")) == 133
    assert gazetteer.counties_in("Narnia") == []
