"""The scorecard across every county (Workspace.scorecard_map) and the map layer drawn from it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from disentangle.web import create_app
from disentangle.workspace import Workspace


@pytest.fixture(scope="module")
def cards(registry: Workspace) -> dict[str, dict[str, Any]]:
    return registry.scorecard_map()


def test_every_county_row_gets_the_eight_checklist_criteria(
    registry: Workspace, cards: dict[str, dict[str, Any]]
) -> None:
    counties = {str(r["fips"]) for r in registry.county_map() if r.get("fips")}
    assert set(cards) == counties
    for card in cards.values():
        assert card["criteria"] == 8
        assert card["met"] + card["failed"] + card["partial"] + card["unknown"] == 8


def test_the_map_counts_agree_with_the_place_scorecard(
    registry: Workspace, cards: dict[str, dict[str, Any]]
) -> None:
    for fips in ("48167", "06001", "17031"):
        card = registry.assess(fips)
        checklist = [r for r in card.rows if r.criterion.kind == "checklist"]
        labels = {a: [r.criterion.label for r in checklist if r.answer.value == a] for a in "NY"}
        assert cards[fips]["failed_criteria"] == labels["N"]
        assert cards[fips]["met_criteria"] == labels["Y"]


def test_a_county_with_287g_agreements_fails_the_no_287g_criterion(
    registry: Workspace, cards: dict[str, dict[str, Any]]
) -> None:
    # Galveston County TX: its agencies hold active 287(g) Task Force agreements (ICE's 2026-05 list).
    active = [a for a in registry.show("48167")["agreements"] if a["status"] == "active"]
    assert any(a["model"].startswith("287g") for a in active)
    assert any("287(g)" in label for label in cards["48167"]["failed_criteria"])


def test_california_counties_inherit_the_values_act_no_detainer_holds(
    registry: Workspace, cards: dict[str, dict[str, Any]]
) -> None:
    # Cal. Gov. Code § 7284.6 (SB 54) bars holds on ICE detainers statewide: every California county meets
    # the toolkit's first criterion whatever else is on record there.
    california = {fips: card for fips, card in cards.items() if fips.startswith("06")}
    assert len(california) == 58
    assert all("No holds on ICE detainers" in card["met_criteria"] for card in california.values())


def test_the_scorecard_layer_draws_every_county_in_one_band(registry: Workspace) -> None:
    client = TestClient(create_app(registry), base_url="http://127.0.0.1")
    page = client.get("/?layer=scorecard")
    assert page.status_code == 200
    assert "Policy scorecard" in page.text
    assert page.text.count("<path class=") >= 3100
    data = client.get("/api/map", params={"scorecard": "true", "state": "CA"}).json()
    assert "scorecard" in [layer["key"] for layer in data["layers"]]
    alameda = next(c for c in data["counties"] if c["fips"] == "06001")
    assert alameda["scorecard"]["met"] >= 1
    assert alameda["bands"]["scorecard"] != "No criterion answered on record"
    plain = client.get("/api/map", params={"state": "CA"}).json()
    assert "scorecard" not in [layer["key"] for layer in plain["layers"]]
