"""The facade's declared result shapes (model/_results.py) are what it returns: every required key is there,
no undeclared key appears, on the bundled registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disentangle.model import (
    AgencyHistory,
    AgreementRecord,
    AgreementView,
    ChangeRecord,
    EventRecord,
    SearchHit,
    SourceRef,
)
from disentangle.workspace import Workspace


def declared(shape: Any, value: Mapping[str, Any]) -> None:
    keys = set(value)
    assert shape.__required_keys__ <= keys, (shape.__name__, shape.__required_keys__ - keys)
    assert keys <= shape.__required_keys__ | shape.__optional_keys__, (shape.__name__, keys)


def test_registry_results_have_their_declared_keys(registry: Workspace) -> None:
    agreements = registry.agreements(state="TX")
    assert agreements
    for record in agreements:
        declared(AgreementRecord, record)
    hits = registry.search("Pasadena")
    assert {h["match"] for h in hits} == {"jurisdiction", "agency"}
    for hit in hits:
        declared(SearchHit, hit)
    history = registry.history(agreements[0]["agency_id"])
    declared(AgencyHistory, history)
    for event in history["events"]:
        declared(EventRecord, event)
        if event["source"] is not None:
            declared(SourceRef, event["source"])
    view = registry.agreement(agreements[0]["id"])
    declared(AgreementView, view)
    declared(AgreementRecord, view["agreement"])
    changes = registry.latest_changes(20)
    assert changes
    for change in changes:
        declared(ChangeRecord, change)
