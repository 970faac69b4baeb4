"""Workspace.link_extraction: a document that shows no state is found across states, and the registry's state
and agency are reported beside the document's own, never written into it."""

from __future__ import annotations

from datetime import date

from disentangle.extract import Extraction
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
