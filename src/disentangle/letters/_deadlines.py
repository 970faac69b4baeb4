"""Deadline arithmetic on each law's own calendar: business days skip weekends and that law's holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from disentangle.letters._laws import Clock, DayUnit, RecordsLaw


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed due date, or None with the reason; always with the rule and its citation."""

    date: date | None
    reason: str  # how the date was reached, or why there is none
    action: str  # what the agency must do by then
    source: str  # the citation of the rule applied


@cache
def _holiday_calendar(code: str, federal: bool) -> holidays.HolidayBase:
    # The federal FOIA skips only the legal public holidays (5 U.S.C. § 6103); a state law skips the
    # federal holidays and the state's own, as the `holidays` package lists them for that subdivision.
    if federal:
        return holidays.country_holidays("US")
    return holidays.country_holidays("US", subdiv=code)


def holiday_name(law: RecordsLaw, day: date) -> str | None:
    """The name of the holiday on `day` in the law's calendar, or None.

    Names the law still counts as business days (`holidays_ignore`) are dropped; the package joins
    two holidays on one day with "; ".
    """
    name = _holiday_calendar(law.code, law.holidays == "federal").get(day)
    if name is None or not law.holidays_ignore:
        return name
    kept = [part for part in name.split("; ") if part not in law.holidays_ignore]
    return "; ".join(kept) or None


def is_business_day(law: RecordsLaw, day: date) -> bool:
    """A weekday that is not a holiday on the law's calendar."""
    return day.weekday() < 5 and holiday_name(law, day) is None


def next_business_day(law: RecordsLaw, day: date) -> date:
    """`day` itself when it is a business day, else the first business day after it."""
    while not is_business_day(law, day):
        day += timedelta(days=1)
    return day


def add_days(law: RecordsLaw, start: date, days: int, unit: DayUnit, *, rolls_forward: bool = False) -> date:
    """The day `days` units after `start`: the start day itself is never counted (it is day zero)."""
    if unit is DayUnit.CALENDAR:
        end = start + timedelta(days=days)
        return next_business_day(law, end) if rolls_forward else end
    if unit is DayUnit.BUSINESS:
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if is_business_day(law, day):
                counted += 1
        return day
    raise ValueError(f"cannot count days in unit {unit.value!r}")


def _unit_words(days: int, unit: DayUnit) -> str:
    kind = "business day" if unit is DayUnit.BUSINESS else "calendar day"
    return f"{days} {kind}{'s' if days != 1 else ''}"


def clock_date(law: RecordsLaw, clock: Clock, received: date) -> date | None:
    """The end of one of the law's clocks for a request received on `received`; None for unit none."""
    if clock.unit is DayUnit.NONE or clock.days is None:
        return None
    return add_days(law, received, clock.days, clock.unit, rolls_forward=clock.rolls_forward)


def deadline_for(law: RecordsLaw, received: date, *, extension: bool = False) -> Deadline:
    """The law's response deadline for a request received on `received`, or None with the reason."""
    first = law.deadline
    if first is None:
        return Deadline(None, f"the {law.label} deadline is not known to Disentangle", "", law.citation)
    start = clock_date(law, first, received)
    if start is None:
        reason = f"the {law.label} sets no fixed number of days: {first.standard}"
        return Deadline(None, reason, first.action, first.source)
    reason = f"{_unit_words(first.days or 0, first.unit)} after receipt on {received.isoformat()}"
    if first.rolls_forward and start != received + timedelta(days=first.days or 0):
        reason += ", moved past a weekend or holiday to the next business day"
    if not extension:
        return Deadline(start, reason, first.action, first.source)
    more = law.extension
    if more is None:
        return Deadline(None, f"the {law.label} extension rule is not known to Disentangle", "", "")
    if more.unit is DayUnit.NONE or more.days is None:
        return Deadline(
            None, f"the {law.label} sets no fixed extension: {more.when}", first.action, more.source
        )
    base = start if more.start == "deadline" else received
    extended = add_days(law, base, more.days, more.unit, rolls_forward=first.rolls_forward)
    if more.start == "deadline":
        reason += f"; extended {_unit_words(more.days, more.unit)} from {start.isoformat()}"
    else:
        reason = f"{_unit_words(more.days, more.unit)} after receipt on {received.isoformat()} (extended)"
    return Deadline(extended, reason, first.action, f"{first.source}; {more.source}")


def due_date(law: RecordsLaw, received: date, *, extension: bool = False) -> date | None:
    """The day a response is due under `law` (with its extension if asked), or None with no fixed deadline.

    Why there is none is in `deadline_for(law, received).reason`.
    """
    return deadline_for(law, received, extension=extension).date


def milestone_dates(law: RecordsLaw, received: date) -> list[tuple[Clock, date]]:
    """The law's other clocks (certify a delay, ask for an Attorney General ruling) as dates."""
    dated = [(clock, clock_date(law, clock, received)) for clock in law.milestones]
    return [(clock, day) for clock, day in dated if day is not None]
