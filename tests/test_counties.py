"""The one rule that places every agency in its county or counties, and the registry's QA."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from disentangle.model import Citation, CountyRule, CountyScope, Level, QAStatus
from disentangle.sources import counties
from disentangle.sources.counties import AgencyPlaceFacts, Correction, DeclaredScope, named_county
from disentangle.sources.jurisdictions import read_division_aliases, read_jurisdictions
from disentangle.sources.linking import Gazetteer
from disentangle.sources.places import CountyNames
from disentangle.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
TX = "ocd-division/country:us/state:tx"
SOURCE = Citation("a public record", "its publisher", "https://example.org/record")
COUNTIES = {
    ("TX", "Galveston County"): f"{TX}/county:galveston",
    ("TX", "Taylor County"): f"{TX}/county:taylor",
    ("TX", "Bowie County"): f"{TX}/county:bowie",
    ("TX", "Harris County"): f"{TX}/county:harris",
    ("TX", "HARRIS"): f"{TX}/county:harris",
    ("TX", "Lavaca County"): f"{TX}/county:lavaca",
    ("TX", "DeWitt County"): f"{TX}/county:dewitt",
}


def lookup(state: str, name: str) -> str | None:
    return COUNTIES.get((state, name))


def place(facts: AgencyPlaceFacts, corrections=(), scopes=()) -> counties.Placement:  # type: ignore[no-untyped-def]
    result = counties.place_agencies([facts], lookup, corrections=list(corrections), scopes=list(scopes))
    return result.by_agency[facts.agency_id]


def tye(printed: str | None = "Galveston County", **changes: object) -> AgencyPlaceFacts:
    base = AgencyPlaceFacts(
        agency_id="tx-tye-police-department",
        name="Tye Police Department",
        state="TX",
        jurisdiction_id=f"{TX}/place:tye",
        jurisdiction_level=Level.PLACE,
        roster_counties=(f"{TX}/county:taylor",),
        roster_source=SOURCE,
        printed_county=printed,
        printed_county_id=lookup("TX", printed) if printed else None,
        printed_source=SOURCE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_roster_overrules_a_wrong_printed_county_and_both_are_kept() -> None:
    placement = place(tye())
    assert placement.rule is CountyRule.ROSTER and placement.counties == (f"{TX}/county:taylor",)
    assert placement.disagrees and placement.printed == "Galveston County"
    assert placement.printed_county_id == f"{TX}/county:galveston" and placement.printed_source == SOURCE


def test_no_disagreement_when_ice_prints_the_chosen_county() -> None:
    placement = place(tye("Taylor County"))
    assert placement.rule is CountyRule.ROSTER and not placement.disagrees


def test_a_correction_applies_only_while_ice_prints_the_wrong_value() -> None:
    fix = Correction(
        "TX: Tye, printed “Galveston County”",
        "TX",
        ("Tye Police Department",),
        "Galveston County",
        "Taylor County",
        SOURCE,
        "a hand fix",
    )
    wrong = place(tye(roster_counties=()), corrections=[fix])
    assert wrong.rule is CountyRule.CORRECTION and wrong.counties == (f"{TX}/county:taylor",)
    assert wrong.correction == fix.id and wrong.printed == "Galveston County"
    result = counties.place_agencies(
        [tye("Taylor County", roster_counties=())], lookup, corrections=[fix], scopes=[]
    )
    assert result.by_agency["tx-tye-police-department"].rule is CountyRule.ICE_COUNTY
    assert [c.id for c in result.inert] == [fix.id]  # ICE fixed its sheet: the correction is inert


def test_a_declared_scope_counts_every_member_county() -> None:
    scope = DeclaredScope("TX", ("Tye Police Department",), ("Lavaca County", "DeWitt County"), SOURCE, "")
    placement = place(tye(), scopes=[scope])
    assert placement.rule is CountyRule.DECLARED and placement.scope is CountyScope.MULTI_COUNTY
    assert set(placement.counties) == {f"{TX}/county:lavaca", f"{TX}/county:dewitt"}


@pytest.mark.parametrize(
    ("changes", "rule", "scope"),
    [
        (
            {"jurisdiction_id": f"{TX}/county:bowie", "jurisdiction_level": Level.COUNTY},
            "jurisdiction",
            "county",
        ),
        (
            {"jurisdiction_level": Level.SUBDIVISION, "subdivision_county": f"{TX}/county:harris"},
            "subdivision",
            "county",
        ),
        ({"jurisdiction_id": TX, "jurisdiction_level": Level.STATE}, "statewide", "statewide"),
        # the roster's own row for a state agency's unit (a campus police) is counted where it is
        ({"jurisdiction_id": TX, "jurisdiction_level": Level.STATE, "roster_unit": True}, "roster", "county"),
        ({"roster_counties": (f"{TX}/county:lavaca", f"{TX}/county:dewitt")}, "roster", "multi-county"),
        ({"roster_counties": ()}, "ice-county", "county"),
        ({"roster_counties": (), "printed_county": None, "printed_county_id": None}, "none", "none"),
        ({"roster_counties": (), "state_has_counties": False}, "statewide", "statewide"),
    ],
)
def test_the_rules_in_order(changes: dict[str, object], rule: str, scope: str) -> None:
    placement = place(tye(**changes))
    assert (placement.rule.value, placement.scope.value) == (rule, scope)


def test_a_facility_is_placed_by_the_county_its_name_names() -> None:
    jail = AgencyPlaceFacts(
        agency_id="facility-bowcotx",
        name="Bowie County Jail",
        state="TX",
        printed_county="HARRIS",
        printed_county_id=f"{TX}/county:harris",
        printed_source=SOURCE,
        facility=True,
    )
    placement = place(jail)
    assert placement.rule is CountyRule.FACILITY_NAME and placement.counties == (f"{TX}/county:bowie",)
    assert placement.printed == "HARRIS"


@pytest.mark.parametrize(
    ("name", "county"),
    [
        ("BOWIE COUNTY JAIL", "BOWIE County"),
        ("St. Clair County Jail", "St. Clair County"),
        ("CALCASIEU PARISH CORRECTIONAL CENTER", "CALCASIEU Parish"),
        ("BLACK HAWK CO. JAIL", "BLACK HAWK County"),
        ("TRI-COUNTY DETENTION CENTER", None),
        ("NORTHWEST REGIONAL COUNTY JAIL", None),
        ("JAIL - ORANGE COUNTY", None),
        ("DELANEY HALL DETENTION FACILITY", None),
        ("COUNTY JAIL", None),
    ],
)
def test_named_county(name: str, county: str | None) -> None:
    assert named_county(name) == county


@pytest.fixture(scope="module")
def county_names(data_dir: Path) -> CountyNames:
    return CountyNames(Gazetteer(read_jurisdictions(data_dir), read_division_aliases(data_dir)))


def test_every_correction_and_scope_in_knowledge_names_real_counties(county_names: CountyNames) -> None:
    result = counties.place_agencies([], county_names)
    assert result.unresolved == []
    corrections, scopes = counties.knowledge()
    assert corrections and scopes
    assert all(c.source.url and c.source.url.startswith("http") for c in corrections)
    assert all(s.source.url and s.source.url.startswith("http") for s in scopes)


# --- the registry built from the bundled data --------------------------------------------------------


def _names(registry: Workspace, place: str) -> set[str]:
    return {a["agency"] for a in registry.show(place)["agreements"]}


def test_issue_cases_are_counted_where_they_are(registry: Workspace) -> None:
    assert "Mesa Police Department" in _names(registry, "Maricopa County, AZ")
    assert "Orlando Police Department" in _names(registry, "Orange County, FL")
    assert "Tye Police Department" in _names(registry, "Taylor County, TX")
    assert "Tye Police Department" not in _names(registry, "Galveston County, TX")
    assert "Monroe Police Department" in _names(registry, "Walton County, GA")
    assert "Monroe Police Department" not in _names(registry, "Monroe County, GA")
    assert "Cherokee Police Department" in _names(registry, "Colbert County, AL")
    assert "Yoakum Police Department" in _names(registry, "Lavaca County, TX")
    assert "Yoakum Police Department" in _names(registry, "DeWitt County, TX")
    assert "Yoakum Police Department" not in _names(registry, "Yoakum County, TX")
    assert "Texarkana Police Department" in _names(registry, "Miller County, AR")
    assert "Bowie County Jail" in _names(registry, "Bowie County, TX")
    assert "Bowie County Jail" not in _names(registry, "Harris County, TX")


def test_the_map_counts_by_the_same_lookup(registry: Workspace) -> None:
    rows = {r["id"]: r for r in registry.county_map()}
    maricopa, galveston = (
        rows["ocd-division/country:us/state:az/county:maricopa"],
        rows[f"{TX}/county:galveston"],
    )
    shown = registry.show("Galveston County, TX")["summary"]["active_287g"]
    assert {m: galveston[m] for m in shown} == shown
    assert maricopa["287g-jem"] == registry.show("Maricopa County, AZ")["summary"]["active_287g"]["287g-jem"]
    assert galveston["as_of"] == "2026-05-18"


def test_an_agency_page_shows_both_counties_with_their_sources(registry: Workspace) -> None:
    placement = registry.history("tx-tye-police-department")["agency"]["placement"]
    assert placement["rule"] == "roster" and [c["name"] for c in placement["counties"]] == ["Taylor County"]
    assert placement["source"]["label"].startswith("FBI") and placement["source"]["row"]
    printed = placement["ice_printed"]
    assert printed["county"] == "Galveston County" and printed["names"]["name"] == "Galveston County"
    assert printed["source"]["label"] == "ICE, 287(g) participating agencies list of 2026-05-18"


def test_campaigns_ask_the_agencies_counted_in_the_county(registry: Workspace) -> None:
    _, _, taylor = registry.campaign_agencies("Taylor County, TX")
    _, _, galveston = registry.campaign_agencies("Galveston County, TX")
    assert "tx-tye-police-department" in {a["id"] for a in taylor}
    assert "tx-tye-police-department" not in {a["id"] for a in galveston}


def test_qa_passes_on_the_bundled_data(registry: Workspace) -> None:
    """CI fails on any fail row of `disentangle qa`."""
    checks = registry.qa()
    failing = [f"{c.id}: {c.summary} {list(c.examples)}" for c in checks if c.status is QAStatus.FAIL]
    assert failing == []
    by_id = {c.id: c for c in checks}
    assert by_id["in-force-placed"].status is QAStatus.PASS and by_id["in-force-placed"].count == 1843
    assert by_id["county-disagreements"].status is QAStatus.INFO and by_id["county-disagreements"].count > 0


def test_the_docs_print_what_qa_measures(registry: Workspace) -> None:
    text = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    block = text.split("<!-- qa:begin -->")[1].split("<!-- qa:end -->")[0]
    for check in registry.qa():
        row = re.search(
            rf"^\| {re.escape(check.status.value)} \| `{re.escape(check.id)}` \| ([\d,]+) \|", block, re.M
        )
        assert row, f"docs/registry.md does not list {check.id}"
        assert int(row.group(1).replace(",", "")) == check.count, check.id
