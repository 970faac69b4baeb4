"""Records laws load and validate; due dates land on the right day of each law's calendar."""

from __future__ import annotations

from datetime import date

import pytest

from disentangle.errors import InputError, KnowledgeError
from disentangle.letters import DayUnit, deadline_for, due_date, is_business_day, records_law, records_laws
from disentangle.letters._laws import parse_law
from disentangle.model import STATES

FIFTY_AND_DC = {s.postal for s in STATES if s.postal not in {"AS", "GU", "MP", "PR", "VI", "UM"}}

# The laws the brief requires complete and cited: every fact known, none `unknown`.
COMPLETE = ("CA", "TX", "FL", "NY", "IL", "WA", "GA", "AZ", "US")


def test_every_state_dc_and_federal_is_present() -> None:
    assert len(FIFTY_AND_DC) == 51
    assert set(records_laws()) == FIFTY_AND_DC | {"US"}


@pytest.mark.parametrize("code", sorted(FIFTY_AND_DC | {"US"}))
def test_entry_validates(code: str) -> None:
    law = records_law(code)
    assert law.label and law.citation
    facts = [law.deadline, law.extension, law.requesters, law.fees, law.appeal, *law.milestones]
    for fact in facts:
        if fact is not None:
            assert fact.source.strip(), f"{code}: a known fact without a source"
    if law.deadline is not None:
        assert law.deadline.unit in (DayUnit.BUSINESS, DayUnit.CALENDAR, DayUnit.NONE)
        assert (law.deadline.days is None) == (law.deadline.unit is DayUnit.NONE)


@pytest.mark.parametrize("code", COMPLETE)
def test_required_laws_are_complete(code: str) -> None:
    assert records_law(code).unknown_facts == ()


@pytest.mark.parametrize(
    ("code", "days", "unit", "cited"),
    [
        ("CA", 10, DayUnit.CALENDAR, "7922.535"),
        ("NY", 5, DayUnit.BUSINESS, "§ 89(3)"),
        ("IL", 5, DayUnit.BUSINESS, "140/3(d)"),
        ("WA", 5, DayUnit.BUSINESS, "42.56.520"),
        ("GA", 3, DayUnit.BUSINESS, "50-18-71"),
        ("US", 20, DayUnit.BUSINESS, "552(a)(6)(A)"),
        ("TX", None, DayUnit.NONE, "552.221"),
        ("FL", None, DayUnit.NONE, "119.07"),
        ("AZ", None, DayUnit.NONE, "39-121.01"),
    ],
)
def test_statutory_figures(code: str, days: int | None, unit: DayUnit, cited: str) -> None:
    deadline = records_law(code).deadline
    assert deadline is not None
    assert (deadline.days, deadline.unit) == (days, unit)
    assert cited in deadline.source


@pytest.mark.parametrize(
    ("code", "residency_limited"),
    [("VA", True), ("TN", True), ("AR", True), ("DE", True), ("AL", True), ("CA", False), ("US", False)],
)
def test_residency_limits(code: str, residency_limited: bool) -> None:
    requesters = records_law(code).requesters
    assert requesters is not None
    assert requesters.residency_limit is residency_limited


# (law, received, extension, due) — each row worked out by hand on a calendar.
DUE_DATES = [
    # CA: 10 calendar days; receipt excluded; the last day moves past weekends and holidays (CCP § 12a).
    ("CA", date(2025, 11, 26), False, date(2025, 12, 8)),  # Wed before Thanksgiving -> Sat 6 Dec -> Mon 8
    ("CA", date(2025, 11, 17), False, date(2025, 12, 1)),  # day 10 is Thanksgiving; Fri is a CA holiday too
    ("CA", date(2026, 3, 2), False, date(2026, 3, 12)),  # day 10 is a Thursday: no move
    ("CA", date(2025, 11, 26), True, date(2025, 12, 22)),  # + 14 days from Mon 8 Dec
    # Federal FOIA over Christmas and New Year: 20 business days skipping Dec 25 and Jan 1.
    ("US", date(2026, 12, 22), False, date(2027, 1, 22)),  # also skips MLK Day, Mon 18 Jan 2027
    ("US", date(2026, 12, 22), True, date(2027, 2, 5)),  # + 10 business days from Fri 22 Jan
    # New York: Juneteenth (Fri 19 June 2026) is skipped; without it the answer would be 24 June.
    ("NY", date(2026, 6, 17), False, date(2026, 6, 25)),
    # A request received on a Saturday: the count starts on Monday.
    ("NY", date(2026, 6, 13), False, date(2026, 6, 22)),  # Mon 15 .. Fri 19 is holiday -> Mon 22
    # Illinois: 5 business days, + 5 more on extension; Thanksgiving week 2026.
    ("IL", date(2026, 11, 20), False, date(2026, 11, 30)),
    ("IL", date(2026, 11, 20), True, date(2026, 12, 7)),
    # Washington: 5 business days; the day after Thanksgiving is a WA holiday.
    ("WA", date(2026, 11, 23), False, date(2026, 12, 2)),  # 24, 25, [26, 27], 30, 1, 2
    # Georgia: 3 business days.
    ("GA", date(2026, 7, 1), False, date(2026, 7, 7)),  # Thu 2, [Fri 3 observed July 4], Mon 6, Tue 7
    # Idaho extension is a total from receipt (10 working days), not added to the first 3.
    ("ID", date(2026, 3, 2), False, date(2026, 3, 5)),
    ("ID", date(2026, 3, 2), True, date(2026, 3, 16)),
    # Pennsylvania: 5 business days, extension 30 calendar days from that date.
    ("PA", date(2026, 1, 2), False, date(2026, 1, 9)),
    ("PA", date(2026, 1, 2), True, date(2026, 2, 8)),
]


@pytest.mark.parametrize(("code", "received", "extension", "expected"), DUE_DATES)
def test_due_date(code: str, received: date, extension: bool, expected: date) -> None:
    assert due_date(records_law(code), received, extension=extension) == expected


def test_juneteenth_is_a_holiday_only_where_observed() -> None:
    juneteenth = date(2026, 6, 19)
    assert not is_business_day(records_law("NY"), juneteenth)
    assert not is_business_day(records_law("US"), juneteenth)
    assert is_business_day(records_law("US"), date(2026, 6, 18))
    # Texas's own state holidays (Tex. Gov't Code § 662.003(b)) are not federal ones.
    assert not is_business_day(records_law("TX"), date(2026, 3, 2))  # Texas Independence Day
    assert is_business_day(records_law("US"), date(2026, 3, 2))
    # Texas's optional holidays (§ 662.003(c)) are business days under § 552.0031.
    assert is_business_day(records_law("TX"), date(2026, 3, 31))  # Cesar Chavez Day
    assert is_business_day(records_law("TX"), date(2026, 4, 3))  # Good Friday
    assert not is_business_day(records_law("TX"), date(2026, 1, 19))  # MLK Day and Confederate Heroes Day
    assert not is_business_day(records_law("TX"), date(2026, 12, 24))  # Christmas Eve, § 662.003(b)


@pytest.mark.parametrize(
    ("code", "words"),
    [("TX", "promptly"), ("FL", "reasonable time"), ("AZ", "promptly"), ("WI", "as soon as practicable")],
)
def test_no_fixed_deadline_returns_none_with_reason(code: str, words: str) -> None:
    law = records_law(code)
    assert due_date(law, date(2026, 6, 1)) is None
    assert words in deadline_for(law, date(2026, 6, 1)).reason


def test_unknown_deadline_says_so() -> None:
    law = records_law("WY")
    deadline = deadline_for(law, date(2026, 6, 1))
    assert deadline.date is None and "not known" in deadline.reason


def test_extension_without_fixed_days_is_none_with_reason() -> None:
    deadline = deadline_for(records_law("NY"), date(2026, 6, 1), extension=True)
    assert deadline.date is None and "no fixed extension" in deadline.reason
    assert due_date(records_law("NY"), date(2026, 6, 1)) is not None


def test_texas_milestones_are_ten_business_days() -> None:
    from disentangle.letters import milestone_dates

    dates = milestone_dates(records_law("TX"), date(2026, 5, 20))
    # 21, 22, [25 Memorial Day], 26, 27, 28, 29, 1, 2, 3, 4 June.
    assert [d for _, d in dates] == [date(2026, 6, 4), date(2026, 6, 4)]
    assert any("552.301" in clock.source for clock, _ in dates)


def test_unknown_state_code_is_input_error() -> None:
    with pytest.raises(InputError, match="ZZ"):
        records_law("ZZ")


GOOD = {
    "jurisdiction": "Testland",
    "label": "Testland Records Act",
    "citation": "T.C. § 1",
    "holidays": "state",
    "deadline": {"days": 5, "unit": "business", "action": "respond", "source": "T.C. § 2"},
    "extension": "unknown",
    "requesters": {"who": "any person", "residency_limit": False, "source": "T.C. § 3"},
    "fees": "unknown",
    "appeal": "unknown",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deadline": {"days": 5, "unit": "weeks", "action": "respond", "source": "x"}}, "unit is 'weeks'"),
        ({"deadline": {"days": 5, "unit": "business", "action": "respond"}}, "deadline has no source"),
        ({"deadline": {"unit": "none", "action": "respond", "source": "x"}}, "standard"),
        ({"deadline": {"days": 0, "unit": "calendar", "action": "respond", "source": "x"}}, "positive"),
        ({"fees": {"note": "cost"}}, "fees has no source"),
        ({"appeal": 12}, "appeal must be a mapping"),
        ({"holidays": "lunar"}, "holidays is 'lunar'"),
        ({"requesters": {"who": "x", "residency_limit": "maybe", "source": "y"}}, "residency_limit"),
        ({"holidays_ignore": {"names": "Good Friday", "source": "y"}}, "holidays_ignore needs a list"),
        ({"holidays_ignore": {"names": ["Good Friday"]}}, "holidays_ignore has no source"),
    ],
)
def test_broken_entries_are_knowledge_errors(change: dict[str, object], message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        parse_law("TL", {**GOOD, **change})


def test_missing_keys_are_named() -> None:
    broken = {k: v for k, v in GOOD.items() if k != "appeal"}
    with pytest.raises(KnowledgeError, match="missing keys: appeal"):
        parse_law("TL", broken)
    assert parse_law("TL", GOOD).unknown_facts == ("extension", "fees", "appeal")
