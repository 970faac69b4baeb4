"""Signature authority, validity flags and conflicts between an agreement and local or state law."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from disentangle.assess import (
    AgreementFacts,
    FlagCode,
    JurisdictionInfo,
    Obligation,
    PolicyText,
    Resolution,
    Severity,
    Signatory,
    TemplateDeviation,
    check_validity,
    find_conflicts,
    inherited_law,
    load_binding_rules,
)
from disentangle.assess._binding import BINDING_FILE, parse_binding_rules
from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR
from disentangle.model import Evidence, Finding, Level

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
AUTHORIZED = (
    "By signing this MOA, each party represents it is fully authorized to enter into this MOA, "
    "accepts the terms, responsibilities, obligations, and limitations of this MOA, "
    "and agrees to be bound thereto to the fullest "
    "extent allowed by law."
)
# Test data: the seeds do not say who signed the Pasadena MOU for ICE.
ICE = Signatory("federal", "A. Official", "Special Agent in Charge", date(2016, 11, 20))
PASADENA = JurisdictionInfo("Pasadena", "CA", Level.PLACE.value, charter=True)
# Seed 001: "The document was signed by Pasadena Chief of Police Phillip Sanchez on November 15, 2016."
SANCHEZ = Signatory("agency", "Phillip Sanchez", "Chief of Police", date(2016, 11, 15))


def facts(*signatories: Signatory, **changes: Any) -> AgreementFacts:
    values: dict[str, Any] = {
        "kind": "tff-mou",
        "agency_name": "Pasadena Police Department",
        "agency_type": "police",
        "state": "CA",
        "signatories": signatories,
    }
    values.update(changes)
    return AgreementFacts(**values)


def codes(flags: list[Any]) -> set[FlagCode]:
    return {flag.code for flag in flags}


def test_pasadena_mou_signed_only_by_the_police_chief_is_flagged_void() -> None:
    flags = check_validity(facts(SANCHEZ, ICE), PASADENA)
    [flag] = [f for f in flags if f.code is FlagCode.NO_AUTHORITY]
    assert flag.severity is Severity.ERROR
    assert flag.rule == "pasadena-city-manager"
    # A signatory a person entered has no page words: nothing is quoted, the message names him in the
    # tool's own words (never "Phillip Sanchez, Chief of Police on 2016-11-15" as if the agreement said it).
    assert flag.evidence == () and "Chief of Police" in flag.message
    assert flag.rule_quote and "No City contract is valid unless executed by an officer" in flag.rule_quote
    assert "void" in flag.message


@pytest.mark.parametrize(
    ("place", "agency_type", "signer_title", "state", "kind", "flagged"),
    [
        (PASADENA, "police", "City Manager", "CA", "tff-mou", None),
        (
            JurisdictionInfo("Example", "CA", "place", charter=True),
            "police",
            "Chief of Police",
            "CA",
            "tff-mou",
            FlagCode.NO_AUTHORITY,
        ),
        (
            JurisdictionInfo("Example", "CA", "place", charter=False),
            "police",
            "Police Chief",
            "CA",
            "tff-mou",
            FlagCode.NO_AUTHORITY,
        ),
        (JurisdictionInfo("Example", "CA", "place", charter=False), "police", "Mayor", "CA", "tff-mou", None),
        (JurisdictionInfo("Polk County", "FL", "county"), "sheriff", "Sheriff", "FL", "287g-jem", None),
        (
            JurisdictionInfo("Polk County", "FL", "county"),
            "sheriff",
            "Chief Deputy Sheriff",
            "FL",
            "287g-jem",
            FlagCode.NO_AUTHORITY,
        ),
        (JurisdictionInfo("Harris County", "TX", "county"), "sheriff", "Sheriff", "TX", "287g-tfm", None),
        # Alabama inherits the nation's general rule: the sheriff usually binds the office, so the sheriff's
        # signature needs no flag and another officer's needs review, never "void".
        (JurisdictionInfo("Crenshaw County", "AL", "county"), "sheriff", "Sheriff", "AL", "287g-wso", None),
        (
            JurisdictionInfo("Crenshaw County", "AL", "county"),
            "sheriff",
            "Chief Deputy",
            "AL",
            "287g-wso",
            FlagCode.AUTHORITY_UNKNOWN,
        ),
        (
            JurisdictionInfo("Galveston County", "TX", "county"),
            "constable",
            "Constable",
            "TX",
            "287g-tfm",
            None,
        ),
        (
            JurisdictionInfo("Galveston County", "TX", "county"),
            "constable",
            "Chief Deputy Constable",
            "TX",
            "287g-tfm",
            FlagCode.NO_AUTHORITY,
        ),
        (
            JurisdictionInfo("League City", "TX", "place"),
            "police",
            "Chief of Police",
            "TX",
            "287g-tfm",
            FlagCode.AUTHORITY_UNKNOWN,
        ),
        (JurisdictionInfo("League City", "TX", "place"), "police", "City Manager", "TX", "287g-tfm", None),
        (
            JurisdictionInfo("Texas", "TX", "state"),
            "state_agency",
            "Director",
            "TX",
            "287g-tfm",
            FlagCode.AUTHORITY_UNKNOWN,
        ),
        (
            JurisdictionInfo("Texas", "TX", "state"),
            "state_agency",
            "Executive Director",
            "TX",
            "287g-tfm",
            None,
        ),
        (
            JurisdictionInfo("Nowhere", "AL", "state"),
            "task_force",
            "Commander",
            "AL",
            "287g-tfm",
            FlagCode.AUTHORITY_UNKNOWN,
        ),
        # The signer's title as pdftotext reads it on the Crenshaw County WSO MOA (April 2025) in the corpus.
        (
            JurisdictionInfo("Polk County", "FL", "county"),
            "sheriff",
            "sk,n/f",
            "FL",
            "287g-wso",
            FlagCode.AUTHORITY_UNKNOWN,
        ),
    ],
)
def test_who_may_bind_follows_the_rules(
    place: JurisdictionInfo,
    agency_type: str,
    signer_title: str,
    state: str,
    kind: str,
    flagged: FlagCode | None,
) -> None:
    signer = Signatory("agency", "A. Signer", signer_title, date(2025, 3, 1))
    flags = check_validity(facts(signer, ICE, agency_type=agency_type, state=state, kind=kind), place)
    authority = codes(flags) & {FlagCode.NO_AUTHORITY, FlagCode.AUTHORITY_UNKNOWN}
    assert authority == ({flagged} if flagged else set())


def test_a_per_jurisdiction_override_changes_who_may_bind() -> None:
    delegated = JurisdictionInfo(
        "Example",
        "CA",
        "place",
        charter=True,
        authority_overrides=(
            {
                "id": "example-ordinance-12",
                "label": "Council delegated joint-operations MOUs to the police chief",
                "applies": {"kinds": ["tff-mou"]},
                "status": "known",
                "may_bind": ["police-chief"],
                "source": {"citation": "Example City Ordinance 12 (test data)"},
            },
        ),
    )
    signer = Signatory("agency", "A. Chief", "Chief of Police", date(2024, 1, 5))
    assert FlagCode.NO_AUTHORITY not in codes(check_validity(facts(signer, ICE), delegated))


def test_missing_signatures_and_dates_on_either_side() -> None:
    unsigned_ice = Signatory("federal", None, "Field Office Director", None, signed=False)
    undated = Signatory("agency", "A. Manager", "City Manager", None)
    flags = check_validity(facts(undated, unsigned_ice), PASADENA)
    by_code = {f.code: f for f in flags}
    assert by_code[FlagCode.MISSING_SIGNATURE].severity is Severity.ERROR
    assert "ICE" in by_code[FlagCode.MISSING_SIGNATURE].message
    assert by_code[FlagCode.MISSING_DATE].evidence == ()
    assert "No date could be read" in by_code[FlagCode.MISSING_DATE].message
    assert "carries no date" not in by_code[FlagCode.MISSING_DATE].message
    assert FlagCode.MISSING_SIGNATURE in codes(check_validity(facts(ICE), PASADENA))


def test_fully_authorized_clause_needs_a_resolution_on_file() -> None:
    manager = Signatory("agency", "A. Manager", "City Manager", date(2025, 1, 2))
    agreement = facts(manager, ICE, authorization_clause=AUTHORIZED)
    [flag] = [f for f in check_validity(agreement, PASADENA) if f.code is FlagCode.UNSUPPORTED_AUTHORIZATION]
    assert flag.evidence == () and flag.severity is Severity.WARNING  # no page given: nothing quoted
    council = Resolution(
        "Pasadena City Council", date(2024, 12, 9), "Resolution 1", agency="Pasadena Police Department"
    )
    assert FlagCode.UNSUPPORTED_AUTHORIZATION not in codes(
        check_validity(agreement, PASADENA, resolutions_on_file=[council])
    )
    other = Resolution(
        "Pasadena City Council", date(2024, 12, 9), "Resolution 2", agency="Pasadena Fire Department"
    )
    assert FlagCode.UNSUPPORTED_AUTHORIZATION in codes(
        check_validity(agreement, PASADENA, resolutions_on_file=[other])
    )


def test_expired_superseded_and_template_deviations() -> None:
    manager = Signatory("agency", "A. Manager", "City Manager", date(2019, 1, 2))
    old = facts(manager, ICE, status="superseded", superseded_by="287g-jem-2025", expires=date(2020, 6, 30))
    flags = check_validity(old, PASADENA, as_of=date(2026, 1, 1))
    assert {FlagCode.SUPERSEDED, FlagCode.EXPIRED} <= codes(flags)
    assert FlagCode.EXPIRED not in codes(
        check_validity(facts(manager, ICE, expires=date(2030, 1, 1)), PASADENA, as_of=date(2026, 1, 1))
    )
    deviation = TemplateDeviation(
        "VIII. Termination",
        "Termination by the LEA shall be provided, in writing",
        "Termination requires 180 days' notice",
    )
    [flag] = [
        f
        for f in check_validity(facts(manager, ICE, template_deviations=(deviation,)), PASADENA)
        if f.code is FlagCode.TEMPLATE_DEVIATION
    ]
    assert flag.evidence == ()
    assert "Termination by the LEA shall be provided, in writing" in flag.message
    assert "Termination requires 180 days' notice" in flag.message


def test_agreement_facts_from_plain_mappings() -> None:
    data = {
        "kind": "287g-wso",
        "agency_name": "Crenshaw County Sheriff's Office",
        "agency_type": "sheriff",
        "state": "AL",
        "signatories": [
            {"side": "LEA", "title": "Sheriff", "date": "2025-04-16"},
            {"side": "ICE", "title": "Acting Director", "date": None},
        ],
        "authorization_clause": AUTHORIZED,
    }
    flags = check_validity(data, JurisdictionInfo("Crenshaw County", "AL", "county"))
    # Alabama's sheriff signing for the sheriff's office is who usually binds it: no authority flag.
    assert {FlagCode.MISSING_DATE, FlagCode.UNSUPPORTED_AUTHORIZATION} == codes(flags)
    witness = AgreementFacts.from_mapping(
        {**data, "signatories": [*data["signatories"], {"side": "other", "title": "Notary"}]}
    )
    assert codes(check_validity(witness, JurisdictionInfo("Crenshaw County", "AL", "county"))) == codes(flags)
    with pytest.raises(InputError, match="side must be"):
        AgreementFacts.from_mapping({**data, "signatories": [{"side": "mayor's office"}]})
    with pytest.raises(InputError, match="lack"):
        AgreementFacts.from_mapping({"kind": "tff-mou"})


def test_quotes_of_the_pasadena_reporting_are_the_pages_words(shared_dir: Path) -> None:
    # The project's copies of the Pasadena Now report and the LA Progressive article are the public pages'
    # text: every rule quoting those pages quotes them word for word.
    pages = " ".join(
        " ".join((shared_dir / "seeds" / name).read_text(encoding="utf-8").split())
        for name in ("000_7b16bb6a4f91ad7e.txt", "001_73ba81b89bd15a78.txt")
    )
    quoted = [
        source
        for rule in load_binding_rules().rules
        for source in rule.sources
        if source.url
        and ("pasadenanow.com/main/city-manager-says" in source.url or "mediaboss.net" in source.url)
    ]
    assert len(quoted) == 2
    for source in quoted:
        assert source.quote and " ".join(source.quote.split()) in pages, source.citation


def _binding_doc() -> dict[str, Any]:
    return yaml.safe_load((KNOWLEDGE_DIR / BINDING_FILE).read_text(encoding="utf-8"))


ROLE_IDS = tuple(load_binding_rules().office_labels)


@pytest.mark.parametrize(
    ("rule_change", "message"),
    [
        ({"offices": ["treasurer"]}, "unknown office roles"),
        ({"offices": []}, "names no office"),
        ({"applies": {"county_size": "large"}}, "unknown keys"),
        ({"status": "probably"}, "status one of"),
        ({"government": "parish"}, "government must be"),
        ({"sources": []}, "cites no source"),
        ({"sources": [{"url": "https://example.org"}]}, "has no citation"),
        ({"sources": [{"citation": "Seed 001"}]}, "not a public source"),
        ({"applies": {"kinds": ["287h"]}}, "unknown agreement kinds"),
        ({"applies": {"state": "Texas"}}, "not a USPS code"),
        ({"applies": {"place": {"name": "Pasadena"}}}, "place needs a name and a USPS state code"),
    ],
)
def test_broken_binding_rules_name_the_file(rule_change: dict[str, Any], message: str) -> None:
    doc = _binding_doc()
    known = next(rule for rule in doc["rules"] if rule["status"] == "known")
    known.update(rule_change)
    with pytest.raises(KnowledgeError, match=re.escape(message)) as error:
        parse_binding_rules(doc, "knowledge/authority/binding.yaml", ROLE_IDS)
    assert "authority/binding.yaml" in str(error.value)


def test_binding_rules_need_a_national_default() -> None:
    doc = _binding_doc()
    doc["rules"] = [rule for rule in doc["rules"] if rule.get("applies")]
    with pytest.raises(KnowledgeError, match="nation"):
        parse_binding_rules(doc, "knowledge/authority/binding.yaml", ROLE_IDS)


# ------------------------------------------------------------------------------------------ conflicts
# Seed 000 quotes § V.A of ICE's Treasury Forfeiture Fund MOU.
DEDICATED = Obligation(
    "To the maximum extent possible, [the local PD] shall assign dedicated officers "
    "to investigations and joint operations.",
    agreement_kind="tff-mou",
    clause="V.A Assignment of Officer(s)",
)
# 2025 WSO template, Appendix A (Crenshaw County Sheriff's Office, April 2025, in the 287(g) corpus).
HOLD = Obligation(
    "Upon transfer of the alien's custody to ICE, the alien will continue to be held in the LEA's "
    "jail/correctional facilities for no more than 48 hours",
    agreement_kind="287g-wso",
    clause="Appendix A",
)


def test_tff_mou_against_a_city_policy_of_no_resources_for_immigration_enforcement() -> None:
    ordinance = PolicyText(
        "NYC Admin. Code § 10-178",
        (FIXTURES / "NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt").read_text(
            encoding="utf-8"
        ),
        citation="NYC Local Law 228 of 2017",
    )
    conflicts = find_conflicts([DEDICATED], [ordinance])
    assert {c.rule for c in conflicts} == {
        "dedicated-officers-vs-no-local-resources",
        "joint-operations-mou-vs-no-local-resources",
    }
    first = conflicts[0]
    assert first.obligation.text.startswith("To the maximum extent possible")
    assert first.against_quote.startswith("c. No city resources")
    assert first.against_quote.endswith("shall be utilized for immigration enforcement.")
    assert ordinance.text[first.against_start : first.against_end].startswith("c. No city resources")
    assert first.strength == "potential"


def test_pasadena_pd_policy_counts_against_the_mou() -> None:
    # Seed 001: the chief said the department "maintains a policy of not assisting with purely
    # immigration-related federal enforcement efforts".
    policy = PolicyText(
        "Pasadena PD policy (as described by the chief)",
        "the Police Department maintains a policy of not assisting with purely "
        "immigration-related federal enforcement efforts.",
    )
    conflicts = find_conflicts([DEDICATED], [policy])
    assert conflicts and all(c.against_name == policy.name for c in conflicts)


def test_california_law_against_a_287g_agreement() -> None:
    california = inherited_law("CA", Level.COUNTY)
    conflicts = find_conflicts([HOLD], inherited_law=california)
    by_rule = {c.rule: c for c in conflicts}
    assert set(by_rule) == {"287g-functions-vs-prohibition", "48-hour-hold-vs-detainer-limits"}
    assert (
        by_rule["48-hour-hold-vs-detainer-limits"].against_quote
        == "Detaining an individual on the basis of a hold request."
    )
    assert "§ 7284.6(a)(1)(B)" in (by_rule["48-hour-hold-vs-detainer-limits"].against_citation or "")
    assert all(c.against_kind == "state-law" for c in conflicts)


@pytest.mark.parametrize(
    ("obligation", "state"),
    [
        (HOLD, "TX"),  # Texas law requires cooperation: nothing in it conflicts
        (Obligation("ICE will provide instructors and training materials.", agreement_kind="287g-jem"), "WA"),
    ],
)
def test_no_conflict_where_the_law_does_not_forbid_the_obligation(obligation: Obligation, state: str) -> None:
    conflicts = find_conflicts([obligation], inherited_law=inherited_law(state, Level.COUNTY))
    if obligation.agreement_kind == "287g-jem":
        # Only the agreement kind itself clashes with Washington's 287(g) ban; the sentence does not.
        assert {c.rule for c in conflicts} == {"287g-functions-vs-prohibition"}
    else:
        assert conflicts == []


def test_obligations_come_as_findings_or_mappings_too() -> None:
    finding = Finding(
        "obligation",
        "assign officers",
        Evidence("0" * 64, 2, 10, 120, DEDICATED.text, "mou-v-a", 0.9),
    )
    ordinance = PolicyText(
        "policy",
        "No city resources, including, but not limited to, time spent by employees, officers, contractors, "
        "or subcontractors while on duty, or the use of city property, "
        "shall be utilized for immigration enforcement.",
    )
    assert find_conflicts([finding], [ordinance])
    assert find_conflicts([{"text": DEDICATED.text}], [ordinance])
    with pytest.raises(InputError):
        find_conflicts([{"clause": "V.A"}], [ordinance])


def test_a_real_287g_moa_cost_clause_conflicts_with_a_no_resources_law(shared_dir: Path) -> None:
    moa = (
        shared_dir
        / "corpus"
        / "moa"
        / "text"
        / "ARIZONA__Arizona_Department_of_Corrections__287gJEM_ArizDOC_AZ_06-16-2020.txt"
    ).read_text(encoding="utf-8")
    sentence = re.search(r"The LEA is responsible for personnel expenses.*?mission\.", moa, re.S)
    assert sentence
    ordinance = PolicyText(
        "§ 10-178",
        (FIXTURES / "NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt").read_text(
            encoding="utf-8"
        ),
    )
    conflicts = find_conflicts([Obligation(sentence.group(0), agreement_kind="287g-jem")], [ordinance])
    assert "personnel-costs-vs-no-local-resources" in {c.rule for c in conflicts}
