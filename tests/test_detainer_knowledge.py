"""The detainer knowledge and the stages that use it: outcome groups and forms against the bundled data,
program history with sources, the click-and-arrest model, and the verdicts of practice against policy."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from disentangle import assess
from disentangle.assess import CountRow, CountSource, Coverage, PolicyClaim, Verdict
from disentangle.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "detainers-declined-npr"


def test_every_bundled_lift_reason_and_form_is_named() -> None:
    with (DATA / "detainers_by_lift_reason_and_year.csv").open(encoding="utf-8") as handle:
        reasons = {row["lift_reason"] for row in csv.DictReader(handle)}
    assert all(assess.outcome_of(r) is not None for r in reasons)
    grouped = {r: assess.outcome_of(r) for r in reasons}
    assert grouped["Booked into Detention"] == "booked" and grouped["Detainer Declined by LEA"] == "declined"
    assert (
        grouped["United States Citizen Interviewed"] == "us_citizen"
        and grouped["Early Release"] == "released"
    )
    from disentangle.assess._detainers import is_mapped

    assert all(is_mapped(r) for r in reasons)
    assert not is_mapped("Subject Released to Another Agency")  # a new wording is flagged, not guessed
    assert assess.outcome_of("Subject Released to Another Agency") == "other"
    assert assess.outcome_of("  ") is None
    with (DATA / "detainers_by_type_and_year.csv").open(encoding="utf-8") as handle:
        types = {row["detainer_type"] for row in csv.DictReader(handle)}
    assert {assess.form_of(t) for t in types} == {"I-247", "I-247-pre-2013", "I-247D", "I-247N"}
    assert assess.form_of("I-247A Immigration Detainer") == "I-247A"
    assert assess.form_of("I-203 Order to Detain") is None


def test_program_history_is_dated_and_sourced() -> None:
    events = assess.program_history()
    dates = [e.date for e in events]
    assert dates == sorted(dates)
    ids = {e.id for e in events}
    assert {
        "sc-pilot",
        "sc-2011",
        "sc-full",
        "pep",
        "sc-restored",
        "287g-tfm-ended",
        "287g-tfm-returns",
    } <= ids
    assert {"form-I-247A", "form-I-247D"} <= ids
    for event in events:
        assert event.sources and all(s["title"] for s in event.sources), event.id
        for text in (event.label, event.quote or ""):
            assert "seed" not in text.lower() and "/work/" not in text
    pep = next(e for e in events if e.id == "pep")
    assert pep.date == "2014-11-20" and "dhs.gov" in pep.sources[1]["url"]


def test_click_and_arrest_model() -> None:
    model = assess.click_arrest("X", "2015", 1_000)
    assert model.expected_wrong == pytest.approx(1_000 * (0.5 * 0.30 + 0.5 * 0.42))
    assert model.on_status_check == model.on_overstay_check == 500
    chosen = assess.click_arrest(
        "X", "2015", 1_000, {"status_error_rate": "10%", "database_share": 0.2, "overstay_share": 0}
    )
    assert chosen.expected_wrong == pytest.approx(1_000 * 0.2 * 0.10)
    assert len(chosen.sensitivity) == 15 and chosen.to_dict()["what_this_is"].startswith("An illustration")
    cited = [p for p in assess.click_arrest_knowledge().parameters.values() if p.basis == "cited"]
    assert {p.default for p in cited} == {0.30, 0.42} and all(p.quote for p in cited)
    for bad in ({"database_share": 2}, {"status_error_rate": "lots"}, {"nonsense": 1}):
        with pytest.raises(InputError):
            assess.click_arrest("X", "2015", 1_000, bad)
    with pytest.raises(InputError):
        assess.click_arrest("X", "2015", -1)


def _row(
    year: int, dimension: str, label: str | None, count: int, coverage: Coverage, note: str | None = None
) -> CountRow:
    source = CountSource("d", "f.csv", 2, "label", None)
    return CountRow(
        1,
        "d",
        coverage,
        date(2013, 1, 1),
        date(2015, 12, 1),
        1,
        year,
        1,
        dimension,
        label,
        count,
        note,
        source,
    )


def _claim(meaning: str, start: date | None = date(2011, 9, 7)) -> PolicyClaim:
    return PolicyClaim("local-policy", "P", "c", meaning, "q", None, "https://example.org", start, None)


def test_verdicts_of_practice_against_policy() -> None:
    rows = [
        _row(2013, "total", None, 100, Coverage.ALL),
        _row(2013, "lift_reason", "Booked into Detention", 7, Coverage.ALL),
        _row(2013, "lift_reason", "Detainer Declined by LEA", 90, Coverage.ALL),
        _row(2014, "total", None, 50, Coverage.ALL),
        _row(2014, "lift_reason", "Detainer Declined by LEA", 50, Coverage.ALL),
    ]
    series = assess.build_series("county", "X", rows)
    assert series.year(2015).total == 0  # covered by a dataset of every detainer: a real zero
    declines = assess.compare_practice("X", None, [_claim("satisfies")], series)[0]
    verdicts = {y.year: (y.verdict, y.strength) for y in declines.years}
    assert verdicts[2013] == (Verdict.CONTRADICTS, "direct") and verdicts[2014] == (Verdict.AGREES, "direct")
    limits = assess.compare_practice("X", None, [_claim("partial")], series)[0]
    assert all(y.verdict is not Verdict.CONTRADICTS for y in limits.years)  # a limiting policy allows holds
    late = assess.compare_practice("X", None, [_claim("satisfies", date(2014, 3, 1))], series)[0]
    assert {y.year: y.verdict for y in late.years}[2014] is Verdict.BEFORE and late.verdict is Verdict.AGREES
    unknown = assess.compare_practice("X", None, [_claim("satisfies", None)], series)[0]
    assert unknown.verdict is Verdict.NO_DATA


def test_npr_style_counts_judge_indirectly_and_pooled_counts_are_unclear() -> None:
    rows = [
        _row(2013, "lift_reason", "Detainer Declined by LEA", 8, Coverage.DECLINED_ONLY),
        _row(2013, "lift_reason", None, 138, Coverage.DECLINED_ONLY, "other-than-declined"),
        _row(2014, "lift_reason", "Detainer Declined by LEA", 40, Coverage.DECLINED_ONLY),
        _row(2014, "lift_reason", None, 10, Coverage.DECLINED_ONLY, "pooled"),
    ]
    series = assess.build_series("county", "X", rows)
    assert series.year(2013).total is None and series.year(2013).outcome("booked") is None
    comparison = assess.compare_practice("X", None, [_claim("satisfies")], series)[0]
    verdicts = {y.year: (y.verdict, y.strength) for y in comparison.years}
    assert verdicts[2013] == (Verdict.CONTRADICTS, "indirect")
    assert verdicts[2014] == (Verdict.UNCLEAR, None)
