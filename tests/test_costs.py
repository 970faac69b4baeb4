"""The cost model: who pays under each regime, in exact money; the seed's claim and where it stops holding."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from disentangle.costs import (
    CostInputs,
    break_even_overtime_share,
    default_inputs,
    estimate,
    load_defaults,
    load_regimes,
    sensitivity,
    with_overtime_share,
)
from disentangle.costs._regimes import DEFAULTS_FILE, REGIMES_FILE, parse_defaults, parse_regimes
from disentangle.errors import InputError, KnowledgeError

D = Decimal


def officer(benefit_load: str, overtime_share: str, payroll_tax: str = "0.0765", **extra: Any) -> CostInputs:
    base = CostInputs(
        officers=1, base_salary=D("80000"), benefit_load=D(benefit_load), payroll_tax=D(payroll_tax)
    )
    return with_overtime_share(CostInputs.from_mapping(extra, base) if extra else base, D(overtime_share))


# Seed 000: "Because the benefit load for police officers is usually higher than 50% of their base salary, the
# limited payment of only the overtime pay means that the federal government is paying less than 40% of the
# cost of each rent-a-cop while the local agencies are paying more than 60% of the officers costs."
@pytest.mark.parametrize("benefit_load", ["0.51", "0.60", "0.80"])
@pytest.mark.parametrize("overtime_share", ["0.05", "0.25", "0.50", "1.00"])
def test_seed_claim_overtime_only_reimbursement_leaves_most_cost_local(
    benefit_load: str, overtime_share: str
) -> None:
    result = estimate("tff-joint-operations", officer(benefit_load, overtime_share))
    assert result.federal_share is not None and result.local_share is not None
    assert result.federal_share < D("0.40") and result.local_share > D("0.60")
    # Only the overtime line is paid; base pay, benefits and payroll taxes stay local.
    paid = {line.label: line.federal for line in result.lines}
    assert paid["base salary"] == paid["benefits"] == paid["payroll taxes"] == D("0.00")
    assert paid["overtime"] == next(line.total for line in result.lines if line.label == "overtime")


@pytest.mark.parametrize(
    ("benefit_load", "payroll_tax"), [("0.50", "0"), ("0.50", "0.0765"), ("0.70", "0.0145")]
)
def test_break_even_overtime_share_is_where_the_claim_stops_holding(
    benefit_load: str, payroll_tax: str
) -> None:
    b, p, t = D(benefit_load), D(payroll_tax), D("0.40")
    closed_form = t * (1 + b + p) / (1 - t * (1 + p))  # share of base salary paid as overtime
    found = break_even_overtime_share("tff-joint-operations", benefit_load, payroll_tax)
    assert found is not None and abs(found - closed_form) < D("0.00001")
    below = estimate("tff-joint-operations", officer(benefit_load, str(found - D("0.01")), payroll_tax))
    above = estimate("tff-joint-operations", officer(benefit_load, str(found + D("0.01")), payroll_tax))
    assert below.federal_share is not None and below.federal_share < t
    assert above.federal_share is not None and above.federal_share > t
    # With benefits at half of salary or more, overtime pay must reach the whole base salary before the
    # federal side pays 40%: the seed's claim holds for any realistic overtime.
    assert found >= 1


def test_break_even_edges() -> None:
    # Before FY2026, 287(g) reimburses nothing: no amount of overtime reaches 40%.
    assert break_even_overtime_share("287g-before-fy2026", "0.5") is None
    # From FY2026 salary and benefits are paid: the federal share is above 40% with no overtime at all.
    assert break_even_overtime_share("287g-fy2026", "0.5", "0.0765") == 0


def test_287g_before_fy2026_is_all_local() -> None:
    result = estimate("287g-before-fy2026", officer("0.5", "0.1"))
    assert result.federal == 0 and result.local == result.total > 0
    assert result.regime.federal_in_kind and "instructors" in result.regime.federal_in_kind


@pytest.mark.parametrize(
    ("success_rate", "award"),
    [
        ("1.00", "1000"),
        ("0.90", "1000"),
        ("0.895", "750"),
        ("0.80", "750"),
        ("0.75", "500"),
        ("0.699", "0"),
        (None, "0"),
    ],
)
def test_287g_fy2026_awards_follow_the_announced_tiers(success_rate: str | None, award: str) -> None:
    inputs = CostInputs.from_mapping({"success_rate": success_rate}, officer("0.5", "0.1"))
    result = estimate("287g-fy2026", replace_officers(inputs, 3))
    awards = [line for line in result.lines if line.label == "performance awards"]
    expected = D(award) * 3 * 4  # three officers, four quarters
    assert (awards[0].federal if awards else D(0)) == expected


def replace_officers(inputs: CostInputs, officers: int) -> CostInputs:
    return CostInputs.from_mapping({"officers": officers}, inputs)


def test_287g_fy2026_caps_reimbursed_overtime_at_a_quarter_of_salary() -> None:
    result = estimate("287g-fy2026", officer("0.5", "0.40"))
    overtime = next(line for line in result.lines if line.label == "overtime")
    assert overtime.total == D("32000.00")  # 40% of $80,000
    assert overtime.federal == D("20000.00")  # capped at 25% of $80,000
    assert overtime.local == D("12000.00")
    base = next(line for line in result.lines if line.label == "base salary")
    assert base.federal == base.total == D("80000.00")
    taxes = next(line for line in result.lines if line.label == "payroll taxes")
    assert taxes.federal == 0 and taxes.total == D("8568.00")  # 7.65% of $112,000, not in the announcement


def test_detainer_holds_and_bed_space() -> None:
    holds = estimate(
        "287g-before-fy2026", {"detainer_holds": 120, "hold_hours": "48", "jail_daily_cost": "110.50"}
    )
    [line] = holds.lines
    assert line.total == D("26520.00") and line.federal == 0  # 120 x 2 jail-days x $110.50
    beds = estimate(
        "igsa-bed-space", {"bed_days": 3650, "per_diem": "95", "marginal_bed_cost": "60", "months": 6}
    )
    [bed_line] = beds.lines
    assert bed_line.total == D("109500.00") and bed_line.federal == D("173375.00")
    assert beds.local == D("-63875.00")  # a surplus: per diem above the marginal cost
    assert beds.federal_share is not None and beds.federal_share > 1


def test_money_is_exact_decimal_cents() -> None:
    result = estimate(
        "tff-joint-operations", {"officers": 3, "base_salary": "71234.57", "overtime_hours": "173.3"}
    )
    for line in result.lines:
        assert isinstance(line.total, Decimal) and line.total == line.total.quantize(D("0.01"))
        assert line.local + line.federal == line.total
    assert result.total == sum((line.total for line in result.lines), D(0))
    per = result.per_officer()
    assert per is not None and per["total"] == (result.total / 3).quantize(D("0.01"))
    # A float input is read through its decimal repr, not its binary value.
    assert CostInputs.from_mapping({"base_salary": 0.1}).base_salary == D("0.1")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"officers": -1}, "at least 0"),
        ({"officers": "2.5"}, "whole number"),
        ({"salary": 1}, "unknown cost inputs"),
        ({"share_of_time": "1.5"}, "'share_of_time' is a share of each officer's time between 0 and 1"),
        ({"success_rate": "95"}, "between 0 and 1"),
        ({"base_salary": "lots"}, "not a number"),
        # A benefit load is a fraction: 50 would be 5,000 % of salary.
        (
            {"benefit_load": "50"},
            "'benefit_load' is a fraction of base salary between 0 and 1 (0.5 for 50%), not 50",
        ),
        ({"payroll_tax": "7.65"}, "'payroll_tax' is a fraction of pay between 0 and 1"),
        ({"hours_per_year": "0"}, "'hours_per_year' is paid hours in a year: from 1 to 8,784"),
        ({"hours_per_year": "9000"}, "'hours_per_year' is paid hours in a year"),
        ({"overtime_hours": "9000"}, "'overtime_hours' is hours in a year"),
        ({"overtime_hours": "7000"}, "add up to more than the 8,784 hours in a year"),
        ({"hold_hours": "-1"}, "at least 0"),
        (
            {"overtime_multiplier": "0.5"},
            "'overtime_multiplier' is a multiple of the regular hourly rate from 1",
        ),
        ({"bed_days": "-3"}, "at least 0"),
    ],
)
def test_bad_inputs_are_input_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        CostInputs.from_mapping(data)


@pytest.mark.parametrize(
    "data",
    [
        {"benefit_load": "0.8", "payroll_tax": "0.0145"},
        {"hours_per_year": "8784", "overtime_hours": "0"},
        {"hours_per_year": "2080", "overtime_hours": "6704"},
        {"overtime_multiplier": "1", "share_of_time": "0", "success_rate": "1"},
        {"officers": 0, "bed_days": 0, "detainer_holds": 0},
    ],
)
def test_inputs_at_the_edge_of_their_ranges_are_accepted(data: dict[str, Any]) -> None:
    inputs = CostInputs.from_mapping(data)
    assert all(str(getattr(inputs, name)) == str(value) for name, value in data.items())


def test_unknown_regime_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown cost regime"):
        estimate("no-such-regime", {})


def test_sensitivity_table_moves_the_right_way() -> None:
    table = sensitivity("tff-joint-operations", officer("0.5", "0"))
    rows = [[cell for cell in row if cell is not None] for row in table.local_shares]
    for row in rows:  # more overtime (reimbursed) lowers the local share
        assert row == sorted(row, reverse=True)
    for column in zip(*rows, strict=True):  # a heavier benefit load raises it
        assert list(column) == sorted(column)
    assert table.local_shares[2][0] == 1  # no overtime: everything is local
    assert "Local share of cost" in table.to_table()
    assert json.loads(json.dumps(table.to_dict()))["benefit_loads"][0] == "0.30"


def test_renderings_carry_lines_totals_and_sources() -> None:
    result = estimate("tff-joint-operations", officer("0.5", "0.2"))
    data = json.loads(result.to_json())
    assert data["per_agreement"]["total"] == str(result.total)
    assert [line["label"] for line in data["lines"]] == [
        "base salary",
        "benefits",
        "overtime",
        "payroll taxes",
    ]
    assert any("fringe benefits" in (s["quote"] or "") for s in data["sources"])
    table = result.to_table()
    assert "per agreement" in table and "$80,000.00" in table and "federal share" in table


def test_defaults_per_agency_size_are_sourced_or_labelled() -> None:
    values, sizes = load_defaults()
    assert set(sizes) == {"small", "medium", "large"}
    assert all(v.source or v.assumption for v in values.values())
    inputs, assumptions = default_inputs("large", overtime_hours=300)
    assert inputs.officers == 4 and inputs.overtime_hours == 300 and inputs.payroll_tax == D("0.0765")
    assert any("(assumption)" in a for a in assumptions) and any("3111" in a for a in assumptions)
    with pytest.raises(InputError):
        default_inputs("huge")


def test_every_regime_cites_its_figures() -> None:
    regimes = load_regimes()
    assert set(regimes) == {"tff-joint-operations", "287g-before-fy2026", "287g-fy2026", "igsa-bed-space"}
    for regime in regimes.values():
        assert regime.sources and all(s.citation and s.claim for s in regime.sources)
    fy2026 = regimes["287g-fy2026"]
    assert fy2026.overtime_cap_share_of_salary == D("0.25")
    assert [t.amount for t in fy2026.award_tiers] == [D(1000), D(750), D(500)]
    assert str(fy2026.effective_from) == "2025-10-01"


def test_regime_quotes_from_the_corpus_and_seeds_are_verbatim(shared_dir: Path) -> None:
    corpus = " ".join(
        " ".join(p.read_text(encoding="utf-8", errors="replace").split())
        for p in (shared_dir / "corpus" / "moa" / "text").iterdir()
        if p.name.startswith(
            ("ARIZONA__Arizona_Department_of_Corrections", "ALABAMA__Franklin", "ALABAMA__Crenshaw")
        )
    )
    seed = " ".join((shared_dir / "seeds" / "000_7b16bb6a4f91ad7e.txt").read_text(encoding="utf-8").split())
    for regime in load_regimes().values():
        for source in regime.sources:
            if source.quote and ("corpus" in source.citation or "Seed" in source.citation):
                assert " ".join(source.quote.split()) in corpus + " " + seed, source.citation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["regimes"][0]["federal_pays"].update(overtime="1.5"), "between 0 and 1"),
        (lambda d: d["regimes"][0]["federal_pays"].update(fuel="1"), "unknown cost line"),
        (lambda d: d["regimes"][1].update(sources=[]), "cites no source"),
        (lambda d: d["regimes"][1].update(id="tff-joint-operations"), "duplicate regime id"),
        (lambda d: d["regimes"][2]["awards"]["tiers"][0].update(amount="a lot"), "not a number"),
        (lambda d: d["regimes"][0].update(agreement_kinds=["287z"]), "unknown agreement kinds"),
    ],
)
def test_broken_regimes_name_the_file(change: Any, message: str) -> None:
    doc = yaml.safe_load(REGIMES_FILE.read_text(encoding="utf-8"))
    change(doc)
    with pytest.raises(KnowledgeError, match=re.escape(message)) as error:
        parse_regimes(doc, str(REGIMES_FILE))
    assert "costs/regimes.yaml" in str(error.value)


def test_broken_defaults_name_the_file() -> None:
    doc = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    doc["agency_sizes"]["small"].pop("assumption")
    with pytest.raises(KnowledgeError, match=r"costs/defaults.yaml.*neither sourced nor marked"):
        parse_defaults(doc, str(DEFAULTS_FILE))
