"""The scorecard and the cost model through the Workspace, on real places, texts and agreements."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from disentangle.errors import InputError
from disentangle.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "policy"


def rows(scorecard: object) -> dict[str, dict[str, object]]:
    data = json.loads(scorecard.to_json())  # type: ignore[attr-defined]
    return {row["id"]: row for row in data["rows"]}


def test_texas_county_with_task_force_agreements_fails_the_287g_criterion(registry: Workspace) -> None:
    scored = rows(registry.assess("Galveston County, TX"))
    contracts = scored["contracts"]
    assert contracts["answer"] == "N" and contracts["origin"] == "derived"
    cited = {e["citation"] for e in contracts["evidence"] if e["kind"] == "registry"}  # type: ignore[index, union-attr]
    assert "tx-galveston-county-sheriff-s-office-jem-20200608" in cited


def test_california_county_inherits_the_values_act(registry: Workspace) -> None:
    scored = rows(registry.assess("Alameda County, CA"))
    assert scored["detainers"]["answer"] == "Y"
    kinds = {e["kind"] for e in scored["detainers"]["evidence"]}  # type: ignore[union-attr]
    assert "state-law" in kinds


def test_dc_scores_its_own_code(registry: Workspace) -> None:
    dc_code = FIXTURES / "DC_Code_24-211.07.xml"
    with_text = rows(registry.assess("District of Columbia", policy_files=[dc_code]))
    assert with_text["detainers"]["answer"] == "Y"
    assert any(e["kind"] == "policy" for e in with_text["detainers"]["evidence"])  # type: ignore[union-attr]


def test_an_override_is_shown_as_given(registry: Workspace) -> None:
    scored = rows(
        registry.assess(
            "Galveston County, TX",
            overrides=[
                {
                    "criterion": "detainers",
                    "answer": "N",
                    "note": "jail honours holds",
                    "source": "sheriff memo",
                }
            ],
        )
    )
    assert scored["detainers"]["origin"] == "given" and scored["detainers"]["answer"] == "N"


def test_bad_policy_files_and_agencies_are_clear_errors(registry: Workspace, tmp_path: Path) -> None:
    binary = tmp_path / "policy.pdf"
    binary.write_bytes(b"%PDF-1.7\x00\x01\x02")
    with pytest.raises(InputError, match=r"policy\.pdf: not a text file"):
        registry.assess("Galveston County, TX", policy_files=[binary])
    with pytest.raises(InputError, match="is an agency"):
        registry.assess("tx-galveston-county-sheriff-s-office")


def test_costs_follow_the_regime_of_the_agreement(registry: Workspace) -> None:
    estimate = registry.cost_of_agreement("tx-galveston-county-sheriff-s-office-jem-20200608")
    assert estimate.regime.id == "287g-fy2026" and estimate.assumptions[0].startswith("regime 287g-fy2026")
    superseded = registry.agreements(status="superseded")[0]
    old = registry.cost_of_agreement(superseded["id"])
    assert old.regime.id == "287g-before-fy2026" and old.federal == Decimal(0)
    tff = registry.cost(
        "tff-joint-operations",
        {"officers": 2, "base_salary": "75000", "benefit_load": "0.55", "overtime_hours": "300"},
    )
    assert tff.federal / tff.total < Decimal("0.40")


def test_each_agency_is_priced_at_its_own_size(registry: Workspace) -> None:
    # The FBI roster gives Tye PD 2 sworn officers and League City PD 119 (2025): a small and a medium
    # agency, so one officer and two officers assumed on the agreement, each assumption stated.
    tye = registry.cost_of_agreement("tx-tye-police-department-tfm-20260217")
    league = registry.cost_of_agreement("tx-league-city-police-department-tfm-20250922")
    assert (tye.inputs.officers, league.inputs.officers) == (1, 2)
    assert tye.total < league.total
    assert (
        "Tye Police Department: 2 sworn officers (FBI law-enforcement employees roster, 2025)"
        in (tye.assumptions[-1])
    )
    assert "a small agency" in tye.assumptions[-1] and "(assumption" in tye.assumptions[-1]
    assert "119 sworn officers" in league.to_table() and "assumes" in league.to_table()
    # An agency the roster does not list is priced at a medium agency's figures, and says so.
    constable = registry.cost_of_agreement("tx-galveston-county-constable-precinct-2-tfm-20250922")
    assert (
        "Precinct 2: no sworn-officer count on file, so a medium agency's figures"
        in constable.assumptions[-1]
    )
    assert constable.inputs.officers == 2
    # A size given overrides the roster; a figure given replaces its assumption.
    assert (
        registry.cost_of_agreement("tx-tye-police-department-tfm-20260217", size="large").inputs.officers == 4
    )
    mine = registry.cost_of_agreement(
        "tx-tye-police-department-tfm-20260217", officers=3, base_salary="50000"
    )
    assert mine.inputs.officers == 3 and not any("sworn officers" in a for a in mine.assumptions)


SYNTHETIC_TFF = Path(__file__).parent / "fixtures" / "extract" / "tff_mou_synthetic.txt"


def pasadena_mou(tmp_path: Path, title: str) -> Path:
    """The seeds' Pasadena case, built from the synthetic TFF MOU fixture: who signed is the variable."""
    lines = SYNTHETIC_TFF.read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#"))
    text = text.replace("Example City Police Department", "Pasadena Police Department")
    text = text.replace("Title: Chief of Police", f"Title: {title}".ljust(len("Title: Chief of Police")))
    path = tmp_path / f"pasadena_{title.replace(' ', '_')}.txt"
    path.write_text(text + "\n\nPasadena, California\n")
    return path


@pytest.mark.parametrize(("title", "flagged"), [("Chief of Police", True), ("City Manager", False)])
def test_pasadena_mou_signed_only_by_the_police_chief_is_flagged(
    registry: Workspace, tmp_path: Path, title: str, flagged: bool
) -> None:
    result = registry.check_agreement(pasadena_mou(tmp_path, title), place="Pasadena, CA")
    assert result["kind"] == "tff-mou"
    codes = {flag["code"]: flag for flag in result["flags"]}
    assert ("no-authority" in codes) is flagged
    if flagged:
        assert codes["no-authority"]["rule"] == "pasadena-city-manager"
        # The agreement's own words, each with the page it stands on.
        quotes = codes["no-authority"]["evidence"]
        assert "Chief of Police" in [e["quote"] for e in quotes] and all(e["page"] >= 1 for e in quotes)


FRANKLIN = Path(__file__).parent / "fixtures" / "extract" / "franklin_tfm_2025.txt"
SUSPENSION = (
    "In instances where serious misconduct or violations of the terms of the MOA come to the attention\n"
    "of ICE, the ICE Director may, upon recommendation of the Executive Associate Director for\n"
    "Enforcement and Removal Operations, elect to immediately suspend the MOA pending\n"
    "investigation of the misconduct and/or violations.\n"
)


@pytest.mark.parametrize("cut", [False, True])
def test_a_clause_left_out_of_the_standard_text_is_flagged(
    registry: Workspace, tmp_path: Path, cut: bool
) -> None:
    text = FRANKLIN.read_text()
    assert SUSPENSION in text
    path = tmp_path / "franklin.txt"
    path.write_text(text.replace(SUSPENSION, "") if cut else text)
    result = registry.check_agreement(path)
    deviations = [flag for flag in result["flags"] if flag["code"] == "template-deviation"]
    assert bool(deviations) is cut
    if cut:
        assert "suspend the MOA" in " ".join(str(e) for flag in deviations for e in flag["evidence"]) + str(
            deviations
        )


def test_the_fully_authorized_clause_without_a_resolution_is_flagged(
    registry: Workspace, tmp_path: Path
) -> None:
    with_clause = registry.check_agreement(FRANKLIN)
    assert "unsupported-authorization" in {flag["code"] for flag in with_clause["flags"]}
    without = registry.check_agreement(pasadena_mou(tmp_path, "City Manager"), place="Pasadena, CA")
    assert "unsupported-authorization" not in {flag["code"] for flag in without["flags"]}
