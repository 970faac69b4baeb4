"""Scorecards combine registry facts, inherited law, policy texts and given answers, saying which is which."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from disentangle.assess import (
    Answer,
    EvidenceKind,
    Origin,
    Override,
    PolicyText,
    build_scorecard,
    compare,
    gaps,
    inherited_law,
    score_policy_texts,
)
from disentangle.errors import InputError
from disentangle.model import Agreement, AgreementKind, AgreementStatus, Fact, Jurisdiction, Level, Source

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
ICE_287G = "https://www.ice.gov/identify-and-arrest/287g"
# The registry hands the scorecard its sources as public citations: the record's label and its address.
SHEET = Source("ICE, 287(g) participating agencies list of 2026-05-01", ICE_287G, row=12, url=ICE_287G)


def agreement(
    kind: AgreementKind, status: AgreementStatus, name: str = "Example County Sheriff's Office"
) -> Agreement:
    return Agreement(
        id=f"{kind.value}-1",
        kind=kind,
        agency_id="agency-1",
        state="TX",
        agency_name=name,
        signed=date(2025, 3, 1),
        status=status,
        source=SHEET,
    )


def text(name: str) -> PolicyText:
    return PolicyText(name, (FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("kind", "status", "criterion", "aspect", "expected"),
    [
        (AgreementKind.JEM, AgreementStatus.ACTIVE, "contracts", "287g", Answer.NO),
        (AgreementKind.TFM, AgreementStatus.PENDING, "contracts", "287g", Answer.OTHER),
        (AgreementKind.JEM, AgreementStatus.REMOVED, "contracts", "287g", Answer.UNKNOWN),
        (AgreementKind.JEM, AgreementStatus.IN_FORCE, "contracts", "287g", Answer.NO),
        (AgreementKind.JEM, AgreementStatus.HISTORICAL, "contracts", "287g", Answer.UNKNOWN),
        # ICE's 2017 detention list says only that ICE used a facility: never an agreement in force
        (AgreementKind.IGSA, AgreementStatus.LISTED, "contracts", "igsa", Answer.UNKNOWN),
        (AgreementKind.IGSA, AgreementStatus.IN_FORCE, "contracts", "igsa", Answer.NO),
        (AgreementKind.TFF_MOU, AgreementStatus.IN_FORCE, "local-resources", "", Answer.NO),
    ],
)
def test_registry_agreements_answer_the_criterion_with_the_agreement_as_evidence(
    kind: AgreementKind, status: AgreementStatus, criterion: str, aspect: str, expected: Answer
) -> None:
    card = build_scorecard("Example County, TX", registry_facts=[agreement(kind, status)])
    row = card.row(criterion)
    assert dict(row.aspects)[aspect] is expected
    registry = [e for e in row.evidence if e.kind is EvidenceKind.REGISTRY]
    if expected is Answer.UNKNOWN:
        assert not registry
    else:
        assert registry and registry[0].citation == f"{kind.value}-1"
        assert (
            registry[0].source
            == f"ICE, 287(g) participating agencies list of 2026-05-01, row 12 ({ICE_287G})"
        )


def test_a_facility_ice_used_is_a_dated_signal_not_an_answer() -> None:
    used = Agreement(
        id="facility-bowcotx-igsa",
        kind=AgreementKind.IGSA,
        agency_id="facility-bowcotx",
        state="TX",
        agency_name="Bowie County Jail",
        signed=None,
        status=AgreementStatus.LISTED,
        first_seen=date(1999, 3, 4),
        last_seen=date(2017, 11, 4),
        source=SHEET,
    )
    row = build_scorecard("Bowie County, TX", registry_facts=[used]).row("contracts")
    assert dict(row.aspects)["igsa"] is Answer.UNKNOWN
    assert not [e for e in row.evidence if e.kind is EvidenceKind.REGISTRY]
    (signal,) = row.signals
    assert signal.summary.endswith("Bowie County Jail, used 1999-03-04 – 2017-11-04")
    assert "does not say an agreement is in force" in signal.summary


def test_program_facts_are_signals_not_answers() -> None:
    facts = [
        Fact(
            "ocd-division/country:us/state:tx/county:example",
            "detainers-declined",
            41,
            date(2014, 12, 31),
            SHEET,
        ),
        Fact("ocd-division/country:us/state:tx/county:example", "secure-communities", "2009-10", None, SHEET),
    ]
    card = build_scorecard("Example County, TX", registry_facts=facts)
    detainers = card.row("detainers")
    assert detainers.answer is Answer.UNKNOWN
    assert [s.summary for s in detainers.signals] == [
        "ICE records show detainers declined by the local agency: 41 (2014-12-31)"
    ]
    assert card.row("information-sharing").signals[0].kind is EvidenceKind.SIGNAL


def test_california_county_inherits_the_values_act_and_a_287g_agreement_shows_the_clash() -> None:
    place = Jurisdiction(
        "ocd-division/country:us/state:ca/county:example", "Example County", Level.COUNTY, "CA"
    )
    laws = inherited_law("CA", Level.COUNTY)
    assert {law.id for law in laws} == {"ca-values-act", "ca-truth-act"}
    card = build_scorecard(place, [agreement(AgreementKind.JEM, AgreementStatus.ACTIVE)], laws)
    assert card.row("detainers").answer is Answer.YES  # Gov. Code § 7284.6(a)(1)(B)
    contracts = card.row("contracts")
    # State law bars 287(g) functions, yet an agreement is active: the two disagree, and both are shown.
    assert dict(contracts.aspects) == {"igsa": Answer.OTHER, "287g": Answer.OTHER}
    kinds = {(e.kind, e.meaning.value if e.meaning else None) for e in contracts.evidence}
    assert (EvidenceKind.STATE_LAW, "satisfies") in kinds and (EvidenceKind.REGISTRY, "contradicts") in kinds
    assert "Sources disagree" in contracts.explanation
    # A satisfying part next to a contradicted other part is not a disagreement.
    dc_and_287g = build_scorecard(
        "D.C.",
        [agreement(AgreementKind.JEM, AgreementStatus.ACTIVE)],
        policy_answers=score_policy_texts([text("DC_Code_24-211.07.xml")]),
    )
    row = dc_and_287g.row("contracts")
    assert dict(row.aspects) == {"igsa": Answer.YES, "287g": Answer.NO} and row.answer is Answer.OTHER
    assert "disagree" not in row.explanation
    # The TRUTH Act's consent form answers the know-your-rights part; nothing answers identification.
    assert dict(card.row("jail-procedures").aspects) == {"kyr": Answer.YES, "identification": Answer.UNKNOWN}


def test_texas_law_contradicts_a_local_ordinance_and_the_gap_cites_it() -> None:
    laws = inherited_law("TX", Level.PLACE)
    local = score_policy_texts(
        [text("NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt")]
    )
    card = build_scorecard("Example City, TX", inherited_law=laws, policy_answers=local)
    assert card.row("local-resources").answer is Answer.OTHER
    gap = next(g for g in gaps(card) if g.criterion == "local-resources")
    assert any("752.053(a)(1)" in c for c in gap.constraints)
    assert {m.id for m in gap.model_policies} == {"cook-county", "santa-clara", "new-york-city"}


def test_overrides_are_given_answers_beside_the_derived_one() -> None:
    override = Override(
        "detainers", Answer.YES, "Sheriff's written policy of 3 March 2025", "records request 25-114"
    )
    card = build_scorecard("Example County, TX", overrides=[override])
    row = card.row("detainers")
    assert (row.answer, row.origin, row.derived_answer) == (Answer.YES, Origin.GIVEN, Answer.UNKNOWN)
    assert card.row("jail-access").origin is Origin.DERIVED
    data = json.loads(card.to_json())
    detainers = next(r for r in data["rows"] if r["id"] == "detainers")
    assert detainers["origin"] == "given" and detainers["override"]["source"] == "records request 25-114"
    with pytest.raises(InputError, match="unknown criterion"):
        build_scorecard("X", overrides=[Override("no-such-row", Answer.NO, "n", "s")])
    with pytest.raises(InputError, match="needs a note and a source"):
        build_scorecard("X", overrides=[{"criterion": "detainers", "answer": "Y"}])
    with pytest.raises(InputError, match="answer must be one of"):
        build_scorecard(
            "X", overrides=[{"criterion": "detainers", "answer": "maybe", "note": "n", "source": "s"}]
        )


def test_gaps_list_best_practices_and_agreements_to_end() -> None:
    card = build_scorecard("Example County, TX", [agreement(AgreementKind.JEM, AgreementStatus.ACTIVE)])
    found = {g.criterion: g for g in gaps(card)}
    contracts = found["contracts"]
    assert any("known as 287g agreements" in item for item in contracts.adopt)
    assert contracts.end == (
        "an active 287(g) agreement: Example County Sheriff's Office (287g-jem, active, signed 2025-03-01)",
    )
    assert found["detainers"].where_to_look  # unknown rows say where to look
    met = build_scorecard("D.C.", policy_answers=score_policy_texts([text("DC_Code_24-211.07.xml")]))
    assert "detainers" not in {g.criterion for g in gaps(met)}


def test_renderings_escape_and_carry_the_evidence() -> None:
    hostile = PolicyText(
        "<script>alert(1)</script> ordinance",
        "The department shall not: Detaining an individual on the basis of a hold request.",
    )
    card = build_scorecard("Town <b>&</b> Co", policy_answers=score_policy_texts([hostile]))
    page = card.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page and "Town &lt;b&gt;&amp;&lt;/b&gt; Co" in page
    markdown = card.to_markdown()
    assert "| 1. No holds on ICE detainers | Y | derived |" in markdown
    assert "> Detaining an individual on the basis of a hold request." in markdown
    data = json.loads(card.to_json())
    assert (
        data["rows"][0]["evidence"][0]["quote"] == "Detaining an individual on the basis of a hold request."
    )
    assert len(data["landscape_questions"]) == 5


def test_compare_puts_places_side_by_side() -> None:
    dc = build_scorecard("D.C.", policy_answers=score_policy_texts([text("DC_Code_24-211.07.xml")]))
    md = build_scorecard(
        "Maryland county",
        policy_answers=score_policy_texts([text("MD_HB0675_2026_Require_287g_Agreements_bill.txt")]),
        overrides=[Override("jail-access", Answer.NO, "ICE office in the jail", "site visit 2026-02-01")],
    )
    table = compare([dc, md])
    data = table.to_dict()
    detainers = next(r for r in data["rows"] if r["criterion"] == "detainers")
    assert detainers["answers"] == {
        "D.C.": {"answer": "Y", "origin": "derived"},
        "Maryland county": {"answer": "N", "origin": "derived"},
    }
    assert (
        "| 2. No ICE access to people in jail without a judicial warrant | Y | N (given) |"
        in table.to_markdown()
    )
    assert table.to_html().count("<tr>") == len(dc.rows) + 1
    with pytest.raises(InputError):
        compare([])
