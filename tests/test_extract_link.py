"""Workspace.link_extraction: a document that shows no state is found across states, and the registry's state
and agency are reported beside the document's own, never written into it."""

from __future__ import annotations

from datetime import date

from disentangle.extract import Extraction
from disentangle.sources.ice_history import name_contained
from disentangle.workspace import Workspace


def _extraction(name: str | None, state: str | None, kind: str, signed: date | None) -> Extraction:
    return Extraction(
        sha256="0" * 64,
        filename="x.pdf",
        kind=kind,
        kind_confidence=0.9,
        agency_name=name,
        state=state,
        signed_date=signed,
    )


def test_an_agreement_without_a_state_is_found_across_states(registry: Workspace) -> None:
    # Miami-Dade's 2025 Task Force agreement prints no state anywhere (docs/extraction.md).
    extraction = _extraction("Miami-Dade Sheriff's Office", None, "287g-tfm", date(2025, 2, 26))
    match = registry.link_extraction(extraction)
    assert match is not None
    assert match["state"] == "FL" and match["model"] == "287g-tfm"
    assert "miami" in match["agency"].lower()
    assert any("searched every state" in reason for reason in match["reasons"])
    assert extraction.state is None  # the document's own null stays null
    # The same document with its state known matches the same agreement, and more surely.
    known = registry.link_extraction(
        _extraction("Miami-Dade Sheriff's Office", "FL", "287g-tfm", date(2025, 2, 26))
    )
    assert known is not None and known["agreement_id"] == match["agreement_id"]
    assert known["confidence"] > match["confidence"]


def test_no_agency_name_or_an_unknown_agency_links_to_nothing(registry: Workspace) -> None:
    assert registry.link_extraction(_extraction(None, "FL", "287g-tfm", None)) is None
    assert (
        registry.link_extraction(_extraction("Gotham Harbour Patrol Bureau", None, "287g-tfm", None)) is None
    )


def test_across_states_a_name_several_states_share_is_no_match(registry: Workspace) -> None:
    # Jackson County has 287(g) agreements in several states: without the state, no agreement is chosen ...
    assert (
        registry.link_extraction(_extraction("Jackson County Sheriff's Office", None, "287g-wso", None))
        is None
    )
    # ... unless the document's own evidence narrows the states (here to Minnesota and Iowa).
    narrowed = _extraction("Jackson County Sheriff's Office", None, "287g-jem", None)
    narrowed.state_candidates = ["IA", "MN"]
    match = registry.link_extraction(narrowed)
    assert match is not None and match["state"] == "MN" and narrowed.state is None


def test_a_name_that_holds_the_registrys_name_is_the_same_agency(registry: Workspace) -> None:
    # The Virginia State Police's 2025 agreement calls itself so; ICE's sheet says "Virginia Department of
    # State Police": the names score under the fuzzy floor, but one holds every word of the other.
    state_police = _extraction("Virginia State Police", "VA", "287g-tfm", date(2025, 2, 28))
    match = registry.link_extraction(state_police)
    assert match is not None and match["agency"] == "Virginia Department of State Police"
    assert "one agency name holds every word of the other" in match["reasons"]
    highway = "Oklahoma Highway Patrol, a division of the Oklahoma Department of Public Safety"
    match = registry.link_extraction(_extraction(highway, "OK", "287g-tfm", date(2025, 2, 18)))
    assert match is not None and match["agency"] == "Oklahoma Department of Public Safety"


def test_a_bare_kind_of_agency_is_held_by_many_names_and_links_to_none(registry: Workspace) -> None:
    # Florida has several "… Department of Public Safety" agreements: a document naming only the kind is none.
    bare = _extraction("Department of Public Safety", "FL", "287g-tfm", date(2025, 3, 5))
    assert registry.link_extraction(bare) is None
    # Nor does a name link to another agency because they share a kind and a state word.
    other = _extraction("Florida Highway Patrol", "FL", "287g-tfm", date(2025, 3, 19))
    match = registry.link_extraction(other)
    assert match is None or match["agency"] != "Florida State Guard"


def test_name_contained() -> None:
    assert name_contained("Division of the Florida State Guard", "Florida State Guard")
    assert name_contained("Sunny Isles Police Department", "Sunny Isles Beach Police Department")
    assert not name_contained("Department of Public Safety", "Jupiter Island Department of Public Safety")
    assert not name_contained("Sunny Isles Police Department", "Holmes Beach Police Department")
    assert not name_contained("Florida Highway Patrol", "Florida State Guard")
