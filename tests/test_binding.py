"""Who can bind each agency: the binding rules as data, inherited down the tree of jurisdictions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from disentangle import letters
from disentangle.assess import (
    BindingAuthority,
    Certainty,
    Government,
    JurisdictionInfo,
    load_binding_rules,
)
from disentangle.workspace import Workspace

RULES = load_binding_rules()
GALVESTON = JurisdictionInfo(
    "Galveston County", "TX", "county", id="ocd-division/country:us/state:tx/county:galveston"
)
LEAGUE_CITY = JurisdictionInfo(
    "League City", "TX", "place", id="ocd-division/country:us/state:tx/place:league_city"
)
PASADENA = JurisdictionInfo("Pasadena", "CA", "place", id="ocd-division/country:us/state:ca/place:pasadena")
LOS_ANGELES = JurisdictionInfo(
    "Los Angeles County", "CA", "county", id="ocd-division/country:us/state:ca/county:los_angeles"
)
CRENSHAW = JurisdictionInfo(
    "Crenshaw County", "AL", "county", id="ocd-division/country:us/state:al/county:crenshaw"
)
TEXAS = JurisdictionInfo("Texas", "TX", "state", id="ocd-division/country:us/state:tx")


def authority(agency_type: str, place: JurisdictionInfo, kind: str | None = None) -> BindingAuthority:
    return RULES.authority("An agency", agency_type, place, kind=kind)


@pytest.mark.parametrize(
    ("agency_type", "place", "kind", "rule", "government", "inherited_from", "bound_by_place"),
    [
        # Texas: the sheriff and each constable are elected and bind their own offices; the county cannot.
        ("sheriff", GALVESTON, "287g-tfm", "tx-sheriff-elected", Government.ELECTED_OFFICE, "TX", False),
        ("constable", GALVESTON, "287g-tfm", "tx-constable-elected", Government.ELECTED_OFFICE, "TX", False),
        ("county_corrections", GALVESTON, None, "tx-county-agency", Government.COUNTY, "TX", True),
        # A Texas city's police inherit the nation's rule: the city binds them.
        ("police", LEAGUE_CITY, "287g-wso", "us-municipal-police", Government.PLACE, "United States", True),
        # A named place beats its state: Pasadena's city manager.
        ("police", PASADENA, "tff-mou", "pasadena-city-manager", Government.PLACE, "Pasadena, CA", True),
        ("sheriff", LOS_ANGELES, None, "ca-sheriff-elected", Government.ELECTED_OFFICE, "CA", False),
        ("county_corrections", LOS_ANGELES, None, "ca-county-agency", Government.COUNTY, "CA", True),
        # Florida: a 287(g) agreement of a sheriff is required by statute; other kinds follow the office rule.
        (
            "sheriff",
            JurisdictionInfo("Polk County", "FL", "county"),
            "287g-jem",
            "fl-sheriff-287g",
            Government.ELECTED_OFFICE,
            "FL",
            False,
        ),
        (
            "sheriff",
            JurisdictionInfo("Polk County", "FL", "county"),
            "tff-mou",
            "fl-sheriff-elected",
            Government.ELECTED_OFFICE,
            "FL",
            False,
        ),
        # Alabama has no rule of its own: the nation's.
        ("sheriff", CRENSHAW, "287g-wso", "us-sheriff", Government.ELECTED_OFFICE, "United States", False),
        ("state_police", TEXAS, None, "us-state-agency", Government.STATE, "United States", False),
        (
            "school",
            JurisdictionInfo("Harris County", "TX", "county"),
            None,
            "us-school-district-police",
            Government.SCHOOL_DISTRICT,
            "United States",
            False,
        ),
        (
            "state_university",
            TEXAS,
            None,
            "us-university-police",
            Government.UNIVERSITY,
            "United States",
            False,
        ),
        (
            "tribal",
            JurisdictionInfo("Arizona", "AZ", "state"),
            None,
            "us-tribal-police",
            Government.TRIBE,
            "United States",
            False,
        ),
        # Nothing on file: said, not guessed.
        ("task_force", TEXAS, None, "us-unknown", Government.UNKNOWN, "United States", False),
        ("other", CRENSHAW, None, "us-unknown", Government.UNKNOWN, "United States", False),
    ],
)
def test_who_can_bind_each_agency(
    agency_type: str,
    place: JurisdictionInfo,
    kind: str | None,
    rule: str,
    government: Government,
    inherited_from: str,
    bound_by_place: bool,
) -> None:
    found = authority(agency_type, place, kind)
    assert (found.rule, found.government, found.inherited_from) == (rule, government, inherited_from)
    assert found.bound_by(place.id) is bound_by_place
    assert found.elected_head is (government is Government.ELECTED_OFFICE)


@pytest.mark.parametrize(
    ("agency_type", "place", "other_place_id"),
    [
        # Negative rows: no governing body binds what is not its own.
        ("police", LEAGUE_CITY, GALVESTON.id),  # a county cannot end a city's agreements
        ("police", LEAGUE_CITY, "ocd-division/country:us/state:tx/place:santa_fe"),  # nor one city another's
        ("county_corrections", GALVESTON, LEAGUE_CITY.id),  # nor a city the county's
        ("sheriff", GALVESTON, GALVESTON.id),  # nor the county its elected sheriff's
        ("constable", GALVESTON, GALVESTON.id),
        ("state_police", TEXAS, GALVESTON.id),
        ("other", GALVESTON, GALVESTON.id),  # nor anyone an agency whose binder is unknown
    ],
)
def test_no_body_binds_what_is_not_its_own(
    agency_type: str, place: JurisdictionInfo, other_place_id: str
) -> None:
    assert not authority(agency_type, place).bound_by(other_place_id)


def test_every_rule_cites_public_sources() -> None:
    for rule in RULES.rules:
        assert rule.status is Certainty.UNKNOWN or rule.sources, rule.id
        for source in rule.sources:
            assert source.citation and "seed" not in source.citation.lower(), rule.id
            assert source.url is None or source.url.startswith(("http://", "https://")), rule.id
            assert not source.url or "/work/" not in source.url
        if rule.status is Certainty.KNOWN:
            assert rule.offices and any(source.url for source in rule.sources), rule.id


def test_who_reads_as_a_letter_says_it() -> None:
    assert authority("sheriff", GALVESTON).who == "its sheriff (independently elected)"
    city = RULES.authority("League City Police Department", "police", LEAGUE_CITY)
    assert city.who == "the city council of League City (the mayor or city manager signs)"
    assert authority("task_force", TEXAS).who.endswith("(not on file)")
    pasadena = RULES.authority("Pasadena Police Department", "police", PASADENA)
    [manager] = [s for s in pasadena.sources if s.quote and "municipal corporation" in s.quote]
    assert manager.url and "pasadenanow.com" in manager.url and "16 February 2017" in manager.citation


# ------------------------------------------------------------------------------------------ the facade
@pytest.fixture(scope="module")
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("binding")


def test_workspace_binding_authority_of_a_place_and_an_agency(own: Workspace) -> None:
    found = own.binding_authority("Galveston County, TX")
    assert found.jurisdiction_id == "ocd-division/country:us/state:tx/county:galveston"
    by_name = {a.agency: a for a in found.agencies}
    sheriff = next(a for name, a in by_name.items() if name.startswith("Galveston County Sheriff"))
    assert sheriff.government is Government.ELECTED_OFFICE and sheriff.status is Certainty.KNOWN
    assert by_name["League City Police Department"].government_name == "League City"
    assert not found.bound_here(), "Galveston County's court binds none of these agencies"
    assert len(found.to_ask()) == len(found.agencies)
    one = own.binding_authority("tx-league-city-police-department")
    assert one.jurisdiction_id is None and [a.agency for a in one.agencies] == [
        "League City Police Department"
    ]
    assert (
        one.to_dict()["agencies"][0]["who"]
        == "the city council of League City (the mayor or city manager signs)"
    )


def test_galveston_county_resolution_asks_instead_of_directing(own: Workspace) -> None:
    body = letters.GoverningBody(
        "Commissioners Court of Galveston County", "Galveston County", "County Judge"
    )
    draft = own.resolution("Galveston County, TX", body, today=date(2026, 12, 6))
    text = draft.markdown
    assert "is directed to give written notice" not in text, (
        "the court cannot end agreements it does not bind"
    )
    assert "asks others to end" in text and "directs the County Judge to send a copy" in text
    assert "only its sheriff (independently elected) can end its agreements (Tex. Const. art. V, § 23" in text
    assert (
        "only its constable (independently elected) can end its agreement (Tex. Const. art. V, § 18(a))"
        in text
    )
    assert (
        "only the city council of League City (the mayor or city manager signs) can end its agreements"
        in text
    )
    # The state law that penalizes provisions is cited, with its penalties.
    assert "Drafting note — state law" in text and "Gov't Code § 752.053(a)(1)" in text
    assert "Gov't Code § 752.056" in text and "removed from office" in text
    assert any("Texas SB 4 (2017) penalizes provision(s) 1, 3, 4, 6, 9" in note for note in draft.notes)


def test_a_city_resolution_directs_its_own_officer(own: Workspace) -> None:
    body = letters.GoverningBody("City Council of League City", "the City of League City", "City Manager")
    text = own.resolution("League City, TX", body, today=date(2026, 12, 6)).markdown
    assert "The City Manager is directed to give written notice" in text
    assert "asks others to end" not in text


def test_a_termination_letter_says_who_must_sign_it(own: Workspace) -> None:
    sender = letters.Sender("A. Official", "Sheriff", "Galveston County Sheriff's Office")
    letter = own.termination_letter(
        "tx-galveston-county-sheriff-s-office-tfm-20250723", sender, today=date(2026, 12, 6)
    )
    assert any(
        "its sheriff (independently elected) (Tex. Const. art. V, § 23" in note for note in letter.notes
    )
    city = own.termination_letter(
        "tx-league-city-police-department-tfm-20250922", sender, today=date(2026, 12, 6)
    )
    assert any("the usual rule for such agencies" in note for note in city.notes)
    assert not any("general" in line for line in city.markdown.splitlines()), "notes are for the sender only"


def test_a_state_without_penalizing_law_gets_no_warning(own: Workspace) -> None:
    california = letters.draft_resolution(
        letters.GoverningBody("Board", "Example County", "County Executive"),
        [letters.AgreementFacts("287g-jem", letters.Addressee("Example Sheriff's Office", "CA"))],
        today=date(2026, 12, 6),
    )
    assert "Drafting note" not in california.markdown and not california.notes


def test_the_binding_rules_file_is_bundled() -> None:
    from disentangle.knowledge import KNOWLEDGE_DIR

    assert (KNOWLEDGE_DIR / "authority" / "binding.yaml").exists()
    assert not (KNOWLEDGE_DIR / "authority" / "rules.yaml").exists(), "one file says who can bind an agency"
