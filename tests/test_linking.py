"""Agency types, the FBI roster and ICPSR readers, and the linker on real names from ICE's sheets."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Level
from disentangle.sources.agencies import (
    agency_types,
    classify_agency,
    ori_state,
    read_fbi_roster,
    read_icpsr_links,
)
from disentangle.sources.jurisdictions import read_division_aliases, read_jurisdictions
from disentangle.sources.linking import AgencyLinker, Gazetteer, place_names

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ROSTER = DATA / "287g-watch" / "fbi_lee_latest.csv"
ICPSR = DATA / "ice-287g-2025" / "agreements_icpsr_merged.csv"
SHEETS = DATA / "ice-287g-monthly" / "participating_monthly"
US = "ocd-division/country:us/"

needs_data = pytest.mark.skipif(
    not (ROSTER.exists() and ICPSR.exists() and (DATA / "ocd-division-ids").is_dir()),
    reason="the bundled data/ folder is not in this checkout",
)

# What the link report measured (docs/linking.md); the linker must not fall below it.
JURISDICTION_RATE_FLOOR = 0.985
ORI_RATE_FLOOR = 0.875


# --- agency types -----------------------------------------------------------------------------------


def test_every_agency_type_is_documented_and_valid() -> None:
    types = agency_types()
    assert types[-1].id == "other"
    for kind in types:
        assert kind.label and kind.description and kind.source, kind.id
        assert kind.patterns or kind.id == "other", kind.id
        assert not kind.matches("Zzyzx", "(?:Texas)"), kind.id  # no pattern fits any name at all
    fbi_types = load_yaml("agency_types.yaml")["fbi_types"]
    assert set(fbi_types.values()) <= {kind.id for kind in types}


@pytest.mark.parametrize(
    ("name", "state", "ice_type", "expected"),
    [
        ("Etowah County Sheriff's Office", "AL", "County", "sheriff"),
        ("Culpeper County Sheriff’s Office", "VA", None, "sheriff"),
        ("Marshall County Sheriff's Office", "KY", "County", "sheriff"),  # not a marshal
        ("Kodiak Police Department", "AK", None, "police"),
        ("Virginia Beach Police Department", "VA", None, "police"),  # not a Virginia state agency
        ("Florida City Police Department", "FL", None, "police"),
        ("Gordonsville Department of Public Safety", "VA", "County", "police"),
        ("Center Line Division of Public Safety and Security", "MI", "State", "police"),
        ("State College Police Department", "PA", None, "police"),  # the borough of State College
        ("Saint Charles County Police Department", "MO", "Municipality", "county_police"),
        ("Las Vegas Metropolitan Police Department", "NV", "County", "metropolitan_police"),
        ("Oklahoma Dept. of Public Safety", "OK", "State Agency", "state_agency"),
        ("Florida Fish & Wildlife Conservation Commission", "FL", "State Agency", "state_agency"),
        ("CNMI Department of Public Safety", "MP", "State", "state_agency"),
        ("Louisiana Office of the State Fire Marshal", "LA", "State Agency", "state_agency"),
        ("Office of Agricultural Law Enforcement", "FL", "State Agency", "state_agency"),  # by ICE's TYPE
        ("Arkansas State Police Department", "AR", "State Agency", "state_police"),
        ("Wyoming Highway State Patrol", "WY", "State", "state_police"),
        ("Department of Corrections", "AK", None, "state_corrections"),
        ("CNMI Department of Corrections", "MP", "State", "state_corrections"),
        ("Orange County Corrections Department", "FL", "County", "county_corrections"),
        (
            "Escambia County Board of County Commissioners/ Department of Corrections",
            "FL",
            "County",
            "county_government",
        ),
        ("Bexar County Constable Precinct 3", "TX", "Municipality", "constable"),
        ("Gaines Township PA State Constable", "PA", "Municipality", "constable"),
        ("Smiley City Marshal's Office", "TX", "Municipality", "marshal"),
        ("Ward 5 Marshal's Office", "LA", "Municipality", "ward_marshal"),
        ("Lancaster County District Attorney's Office", "PA", "County", "prosecutor"),
        ("Mississippi Attorney General's Office", "MS", "State Agency", "attorney_general"),
        ("Office of the State Attorney, 20th Judicial Circuit", "FL", "State Agency", "state_attorney"),
        ("University of Florida Police Department", "FL", "State Agency", "state_university"),
        ("District Board of Trustees of Pensacola State College", "FL", "State", "state_university"),
        ("Santa Fe College Police Department", "FL", "Municipality", "university"),
        ("Lee County Port Authority Police", "FL", "County", "airport"),
        ("Miami-Dade County Public Schools Police Department", "FL", None, "school"),
        ("Houston ISD Police Department", "TX", None, "school"),
        ("Southwest Virginia Regional Jail Authority", "VA", "State Agency", "regional"),
        ("Metro Police Authority of Genesee County", "MI", "County", "regional"),
        ("16th Judicial Distric Drug Task Force", "AR", "State", "regional"),
        ("Somebody's Office", "TX", None, "other"),
    ],
)
def test_classify_agency(name: str, state: str, ice_type: str | None, expected: str) -> None:
    assert classify_agency(name, state, ice_type).id == expected


@pytest.mark.parametrize(
    ("name", "state", "expected"),
    [
        ("Mahoning TWP Police Department - Montour", "PA", ["mahoning township", "montour"]),
        (
            "Pennsylvania State Constables Office Cambria County",
            "PA",
            ["pennsylvania cambria county", "cambria county"],
        ),
        (
            "Southampton Twp. Cumberland City, Constables Office",
            "PA",
            ["southampton township cumberland city", "southampton township"],
        ),
        ("Office of Constable Monroeville 6th Ward", "PA", ["monroeville"]),
        ("City of Zephyrhills Police Department", "FL", ["city of zephyrhills"]),
        ("Indian Creek Village Department of Public Safety", "FL", ["indian creek village"]),
        ("Miami-Dade Corrections and Rehabilitation", "FL", ["miami dade"]),
        ("Office of The District Attorney - Eighth District", "OK", []),
    ],
)
def test_place_names_in_agency_names(name: str, state: str, expected: list[str]) -> None:
    assert place_names(name, state) == expected


def test_ori_state_reads_ncic_codes() -> None:
    assert [ori_state(o) for o in ("TX0000000", "NB0010000", "GM0000000", "FSDEA0000", "ZZ0000000")] == [
        "TX",
        "NE",
        "GU",
        "FS",
        None,
    ]


# --- readers ----------------------------------------------------------------------------------------


@needs_data
def test_fbi_roster_reads_every_row() -> None:
    roster = read_fbi_roster(ROSTER)
    assert len(roster) == 18330
    by_ori = {agency.ori: agency for agency in roster}
    nebraska = [a for a in roster if a.ori.startswith("NB")]
    assert nebraska and {a.state for a in nebraska} == {"NE"}  # NCIC writes Nebraska "NB"
    mount_airy = by_ori["MD0070300"]
    assert mount_airy.counties == ("CARROLL", "FREDERICK") and mount_airy.county is None
    assert by_ori["FL0379000"].officers == 1813 and by_ori["FL0379000"].type == "State Police"
    assert by_ori["DC001015Y"].state == "FS"  # federal agencies keep the FBI's code


@needs_data
def test_icpsr_rows_with_missing_values() -> None:
    rows = read_icpsr_links(ICPSR)
    assert len(rows) == 11257
    etowah = [r for r in rows if r.agency == "etowah county sheriff"]
    assert etowah and {(r.state, r.ori, r.agency_type) for r in etowah} == {
        ("AL", "AL0310000", "(001) Sheriff")
    }
    # "NA", "-1" and "" all mean the ORI is unknown
    assert not any(r.ori in {"NA", "-1", ""} for r in rows)
    assert any(
        r.ori is None and r.agency == "florida fish and wildlife conservation commission" for r in rows
    )


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    return path


ROSTER_HEADER = (
    "ori,data_year,pub_agency_name,state_abbr,county_name,agency_type_name,population,officer_ct\n"
)
ICPSR_HEADER = (
    "date,state,county,zip,agency,agency_id,ori,type,population_policed,operating_budget,agency_type\n"
)


@pytest.mark.parametrize(
    ("reader", "text", "problem"),
    [
        (read_fbi_roster, "", "missing column"),
        (read_fbi_roster, "ori,name,state\nAL0010000,Autauga,AL\n", "missing column"),
        (read_fbi_roster, ROSTER_HEADER, "no data rows"),
        (read_fbi_roster, ROSTER_HEADER + "AL0010000,2025,Autauga,AL,AUTAUGA,County,1", "truncated"),
        (read_fbi_roster, ROSTER_HEADER + "AL00100,2025,Autauga,AL,AUTAUGA,County,1,2\n", "bad ORI"),
        (read_fbi_roster, ROSTER_HEADER + "AL0010000,2025,Autauga,ZZ,AUTAUGA,County,1,2\n", "bad ORI"),
        (
            read_fbi_roster,
            ROSTER_HEADER + "AL0010000,2025,A,AL,A,County,1,2\nAL0010000,2025,B,AL,B,County,1,2\n",
            "twice",
        ),
        (
            read_icpsr_links,
            ICPSR_HEADER + "2025-05-16 am,NARNIA,X,1,a sheriff,1,NA,JEM,1,1,NA\n",
            "unknown state",
        ),
        (read_icpsr_links, ICPSR_HEADER + "2025-05-16 am,TEXAS,X,1,a sheriff,1,TX01,JEM,1,1,NA\n", "bad ORI"),
        (read_icpsr_links, "date,state,agency\n2025,TEXAS,a\n", "missing column"),
    ],
)
def test_bad_roster_files_name_the_file(
    tmp_path: Path, reader: Callable[[Path], object], text: str, problem: str
) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(SourceFormatError) as caught:
        reader(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="missing"):
        read_fbi_roster(tmp_path / "nope.csv")


# --- the linker on real names -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def linker() -> AgencyLinker:
    gazetteer = Gazetteer(read_jurisdictions(DATA), read_division_aliases(DATA))
    return AgencyLinker(gazetteer, read_fbi_roster(ROSTER), read_icpsr_links(ICPSR))


# (state, name as ICE writes it, ICE's COUNTY, ICE's TYPE) -> (jurisdiction, ORI). The ORIs are the
# FBI roster's own entries for these agencies (checked by hand against data/287g-watch/).
LINKS = [
    ("ALABAMA", "Etowah County Sheriff's Office", None, None, "state:al/county:etowah", "AL0310000"),
    ("ALASKA", "Kodiak Police Department", "#N/A", "Municipality", "state:ak/place:kodiak", "AK0010500"),
    ("ALASKA", "Department of Corrections", None, None, "state:ak", None),
    (
        "LOUISIANA",
        "St. Bernard Parish Sheriff's Office",
        "Chalmette Parish",
        "County",
        "state:la/parish:st_bernard",
        "LA0440000",
    ),
    (
        "LOUISIANA",
        "Calcasieu Parish Sheriff's Office",
        "Calacasieu Parish",
        "County ",
        "state:la/parish:calcasieu",
        "LA0100000",
    ),
    (
        "LOUISIANA",
        "Arnaudville Police Department",
        "Saint Landry County",
        "Municipality",
        "state:la/place:arnaudville",
        "LA0490300",
    ),
    ("LOUISIANA", "Ward 5 Marshal's Office", "Allen Parish", "Municipality", "state:la/parish:allen", None),
    (
        "VIRGINIA",
        "Richmond County Sheriff's Office",
        "Richmond County",
        "County",
        "state:va/county:richmond",
        "VA0790000",
    ),
    (
        "VIRGINIA",
        "Hopewell Sheriff's Office",
        "Hopewell County",
        "Municipality",
        "state:va/place:hopewell",
        None,
    ),
    (
        "VIRGINIA",
        "Hopewell County Sheriff's Office",
        "Hopewell County",
        "County",
        "state:va/place:hopewell",
        None,
    ),
    (
        "PENNSYLVANIA",
        "Butler Township Police Department",
        "Luzerne County",
        "Municipality",
        "state:pa/county:luzerne/place:butler",
        "PA0405600",
    ),
    (
        "PENNSYLVANIA",
        "Butler Township Police Department",
        "Butler County",
        "Municipality",
        "state:pa/county:butler/place:butler",
        "PA0100200",
    ),
    (
        "PENNSYLVANIA",
        "Mahoning TWP Police Department - Montour",
        "Montour County",
        "Municipality",
        "state:pa/county:montour/place:mahoning",
        "PA0470200",
    ),
    (
        "PENNSYLVANIA",
        "Dickson City Police Department",
        "Lackawanna County",
        "Municipality",
        "state:pa/place:dickson_city",
        "PA0350800",
    ),
    # the name wins over a COUNTY column that names the wrong county
    (
        "PENNSYLVANIA",
        "Bradford County Sheriff's Office",
        "Bedford County ",
        "County",
        "state:pa/county:bradford",
        "PA0080000",
    ),
    (
        "PENNSYLVANIA",
        "Pennsylvania State Constables Office Cambria County",
        "Cambria County",
        "County",
        "state:pa/county:cambria",
        None,
    ),
    (
        "PENNSYLVANIA",
        "Office of Constable Monroeville 6th Ward",
        "Alleghany County ",
        "County",
        "state:pa/place:monroeville",
        None,
    ),
    (
        "TEXAS",
        "Smiley City Marshal's Office",
        "Gonzales County ",
        "Municipality",
        "state:tx/place:smiley",
        "TX0891000",
    ),
    (
        "TEXAS",
        'Cut "N" Shoot Police Department',
        "Montgomery County",
        "Municipality",
        "state:tx/place:cut_and_shoot",
        None,
    ),
    (
        "TEXAS",
        "Texas Department of Public Safety - Texas Highway Patrol",
        "#NA",
        "State Agency",
        "state:tx",
        "TX0000000",
    ),
    (
        "FLORIDA",
        "Florida Department of Highway Safety and Motor Vehicles, Division of Highway Patrol",
        "#N/A",
        "State Agency",
        "state:fl",
        "FL0379000",
    ),
    (
        "FLORIDA",
        "Florida Fish and Wildlife Conservation Commission",
        "#N/A",
        "State Agency",
        "state:fl",
        "FL0370800",
    ),
    (
        "FLORIDA",
        "Jacksonville Sheriff's Office",
        "Duval County",
        "County",
        "state:fl/county:duval",
        "FL0160000",
    ),
    (
        "FLORIDA",
        "Miami-Dade Sheriff's Office",
        "Miami-Dade County",
        "County",
        "state:fl/county:miami-dade",
        "FL0130000",
    ),
    (
        "FLORIDA",
        "Lee County Port Authority Police",
        "Lee County",
        "County",
        "state:fl/county:lee",
        "FL0360400",
    ),
    ("FLORIDA", "University of Florida Police Department", "#N/A", "State Agency", "state:fl", "FL0010600"),
    (
        "NEVADA",
        "Las Vegas Metropolitan Police Department",
        "Clark County",
        "County",
        "state:nv/county:clark",
        "NV0020100",
    ),
    (
        "NEW YORK",
        "Nassau County Police Department",
        "Nassau County ",
        "County",
        "state:ny/county:nassau",
        "NY0290000",
    ),
    (
        "MICHIGAN",
        "Berrian County Sheriff's Office",
        "Berrian County",
        "County",
        "state:mi/county:berrien",
        "MI1111100",
    ),
    (
        "MICHIGAN",
        "Center Line Division of Public Safety and Security",
        "Macomb County",
        "State",
        "state:mi/place:center_line",
        "MI5030300",
    ),
    # Caney is a city and a township of Montgomery County: a police department is the city's
    ("KANSAS", "Caney Police Department", "Montgomery", "Municipality ", "state:ks/place:caney", "KS0630400"),
    ("NEW HAMPSHIRE", "Pittsburgh Police Department", None, None, "state:nh/place:pittsburg", "NH0045200"),
    (
        "INDIANA",
        "Waterloo Marshal's Office",
        "DeKalb County",
        "Municipality",
        "state:in/place:waterloo",
        "IN0170400",
    ),
    ("NORTHERN MARIANA ISLANDS", "CNMI Department of Corrections", "#NA", "State", "territory:mp", None),
    ("GUAM", "Office Of The Attorney General", "Kattan District ", "State", "territory:gu", None),
]

# Rows that must not link (or not to what a careless match would give).
NOT_LINKS = [
    # a district jail of several counties; "Albemarle County" is ICE's guess, and not in North Carolina
    ("NORTH CAROLINA", "Albemarle District Jail", "Albemarle County", "County", None, None),
    # a regional jail must not become Rappahannock County
    ("VIRGINIA", "Rappahannock, Shenandoah, Warren Regional Jail Authority", "#NA", "County ", None, None),
    # ICE lists a Minnesota sheriff under Massachusetts and a Texas one under Oklahoma
    ("MASSACHUSETTS", "Crow Wing County Sheriff's Office", "Crow Wing County", "County", None, None),
    ("OKLAHOMA", "Wichita County Sheriff's Office", "Wichita County", "County", None, None),
    # four Derry Townships in Pennsylvania and no county given
    ("PENNSYLVANIA", "Derry Township Constable's Office", "#N/A", "Municipality", None, None),
    # an eight-county prosecutorial district is not Kay County
    ("OKLAHOMA", "Office of The District Attorney - Eighth District", "Kay County", "County", None, None),
    # named for two counties
    (
        "FLORIDA",
        "Sarasota Manatee Airport Authority Police Department",
        "#N/A",
        "Municipality",
        None,
        "FL0580600",
    ),
    # a college that is not named for its state may not be the state's
    ("FLORIDA", "Santa Fe College Police Department", "Alachua County", "Municipality", None, "FL0012700"),
    # the county's corrections department, not its sheriff (ICPSR gives the sheriff's ORI FL0480000)
    (
        "FLORIDA",
        "Orange County Corrections Department",
        "Orange County",
        "County",
        "state:fl/county:orange",
        None,
    ),
    # a Texas constable's precinct is not in the FBI roster's names ("Bexar County Constable:")
    (
        "TEXAS",
        "Bexar County Constable Precinct 3",
        "Bexar County",
        "Municipality",
        "state:tx/county:bexar",
        None,
    ),
    # "Lebanon" in the roster is the city of Lebanon's police, not the county's sheriff
    (
        "PENNSYLVANIA",
        "Lebanon County Sheriff's Office",
        "Lebanon County",
        "County",
        "state:pa/county:lebanon",
        None,
    ),
    # the roster's "Department of Corrections, Office of the Inspector General:" is one office of it
    ("FLORIDA", "Florida Department of Corrections", "#N/A", "State Agency", "state:fl", None),
    # the roster's "State Attorney's Office" is the first circuit's, and does not say so
    (
        "FLORIDA",
        "Office of the State Attorney, 20th Judicial Circuit",
        "Lee County",
        "State Agency",
        "state:fl",
        None,
    ),
    # Honey Brook is a borough and a township of Chester County; "Precinct 1" does not say which
    (
        "PENNSYLVANIA",
        "Pennsylvania State Constable Office Honey Brook Precinct 1",
        "Chester County",
        "Municipality",
        None,
        None,
    ),
    # East Pennsboro Township, misspelt: its constable is not Cumberland County's
    (
        "PENNSYLVANIA",
        "East Pennsylvania Township Constable Office",
        "Cumberland County ",
        "Municipality",
        None,
        None,
    ),
    # not one of ICE's names: an independent school district is not the county it shares a name with
    ("TEXAS", "Houston ISD Police Department", None, None, None, None),
    # Hopewell's roster entry is its police department
    (
        "VIRGINIA",
        "Hopewell Sheriff's Office",
        "Hopewell County",
        "Municipality",
        "state:va/place:hopewell",
        None,
    ),
]


@needs_data
@pytest.mark.parametrize(("state", "name", "county", "ice_type", "jurisdiction", "ori"), LINKS + NOT_LINKS)
def test_link(
    linker: AgencyLinker,
    state: str,
    name: str,
    county: str | None,
    ice_type: str | None,
    jurisdiction: str | None,
    ori: str | None,
) -> None:
    link = linker.link(name, state, county, ice_type)
    assert (link.jurisdiction_id, link.ori) == ((US + jurisdiction) if jurisdiction else None, ori), link
    assert link.rule and 0 <= link.score <= 100
    if link.ori is None:
        assert link.ori_rule  # says why


@needs_data
def test_link_says_how(linker: AgencyLinker) -> None:
    fuzzy = linker.link("Berrian County Sheriff's Office", "MI")
    assert fuzzy.rule.startswith("sheriff→county by name, fuzzy") and fuzzy.score < 90
    column = linker.link("Jacksonville Sheriff's Office", "FL", "Duval County")
    assert column.rule == "sheriff→county by ICE's county column" and column.ori_rule.startswith("fbi roster")
    units = linker.link("Florida Fish and Wildlife Conservation Commission", "FL")
    assert "capital's county" in units.ori_rule
    several = linker.link("Derry Township Constable's Office", "PA")
    assert "4 places are called 'derry township'" in several.rule
    unknown = linker.link("Somewhere Police Department", "Narnia")
    assert unknown.jurisdiction_id is None and "unknown state" in unknown.rule


@needs_data
def test_linker_without_roster_still_finds_jurisdictions() -> None:
    gazetteer = Gazetteer(read_jurisdictions(DATA))
    bare = AgencyLinker(gazetteer)
    link = bare.link("Etowah County Sheriff's Office", "AL")
    assert link.jurisdiction_id == US + "state:al/county:etowah" and link.ori is None


# --- the link report over every sheet ---------------------------------------------------------------


def _link_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("link_report", ROOT / "bench" / "link_report.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["link_report"] = module
    spec.loader.exec_module(module)
    return module


@needs_data
@pytest.mark.skipif(not SHEETS.is_dir(), reason="data/ice-287g-monthly is not in this checkout")
def test_link_rates_over_every_sheet(linker: AgencyLinker) -> None:
    report = _link_report()
    agencies = report.read_sheet_agencies(SHEETS)
    assert len(agencies) > 1600
    outcomes = report.link_all(linker, agencies)
    jurisdiction_rate = sum(o.jurisdiction_linked for o in outcomes) / len(outcomes)
    ori_rate = sum(o.ori_linked for o in outcomes) / len(outcomes)
    assert jurisdiction_rate >= max(JURISDICTION_RATE_FLOOR, 0.95)
    assert ori_rate >= ORI_RATE_FLOOR
    # and the documented numbers are the measured ones
    doc = (ROOT / "docs" / "linking.md").read_text(encoding="utf-8")
    rates = dict(re.findall(r"\| (a jurisdiction|an FBI ORI) \| \d+ \| ([\d.]+)% \|", doc))
    assert float(rates["a jurisdiction"]) == pytest.approx(100 * jurisdiction_rate, abs=0.05)
    assert float(rates["an FBI ORI"]) == pytest.approx(100 * ori_rate, abs=0.05)


@needs_data
def test_levels_are_what_the_types_bind_to(linker: AgencyLinker) -> None:
    """A sheriff lands on a county, a town's police on a place or township, a state agency on a state."""
    expected = {
        "sheriff": {Level.COUNTY},
        "police": {Level.PLACE, Level.SUBDIVISION, Level.COUNTY},
        "state_agency": {Level.STATE},
    }
    for name, state, kind in [
        ("Etowah County Sheriff's Office", "AL", "sheriff"),
        ("Howell Township Police Department", "NJ", "police"),
        ("Kodiak Police Department", "AK", "police"),
        ("Kansas Bureau of Investigation", "KS", "state_agency"),
    ]:
        link = linker.link(name, state)
        found = linker.gazetteer.by_id(link.jurisdiction_id or "")
        assert link.agency_type == kind and found is not None and found.level in expected[kind], link
