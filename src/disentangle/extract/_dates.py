"""Dates as signature pages write them: typed, numeric, stamped ("OCT 15 2019"), digital signatures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_WORD = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)

# Earliest and latest plausible signature years: the corpus runs 2019-2025; TFF MOUs go back to the 2000s.
YEAR_MIN, YEAR_MAX = 2000, 2030

_TYPED = re.compile(
    _MONTH_WORD + r"\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s*[,.]?\s*(?P<year>(?:19|20)\d{2})\b", re.I
)
_DIGITAL = re.compile(
    r"(?<!\d)(?P<year>20\d{2})\s*(?:[./-]\s*(?P<month>[01]?\d)|(?P<month2>[01]\d))\s*[./-]\s*(?P<day>[0-3]\d|[1-9](?!\d))"
)
_NUMERIC = re.compile(
    r"(?<![\d/.])(?P<month>[01]?\d)\s?[/.-]\s?(?P<day>[0-3]?\d)\s?[/.-]\s?(?P<year>(?:19|20)?\d{2})(?![\d/])"
)
# A stamp prints letters and digits with gaps and form underscores between them: "_O_C_T_1_5_2_01_9_".
_STAMP_COMPACT = re.compile(
    r"(?P<month>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?(?P<day>[0-3]?\d),?(?P<year>(?:19|20)\d{2})"
)


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: date
    start: int  # offsets in the searched text
    end: int
    form: str  # typed | numeric | digital | stamped


def _make(year: str, month: str | int, day: str) -> date | None:
    try:
        y = int(year)
        if y < 100:
            y += 2000
        m = _MONTHS[month[:3].lower()] if isinstance(month, str) and not month.isdigit() else int(month)
        value = date(y, m, int(day))
    except (ValueError, KeyError):
        return None
    return value if YEAR_MIN <= value.year <= YEAR_MAX else None


def find_dates(text: str) -> list[FoundDate]:
    """Every date in `text`, earliest offset first; overlapping readings keep the more specific one."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, start: int, end: int, form: str) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        found.append(FoundDate(value, start, end, form))
        taken.append((start, end))

    for m in _DIGITAL.finditer(text):
        add(_make(m["year"], m["month"] or m["month2"], m["day"]), m.start(), m.end(), "digital")
    for m in _TYPED.finditer(text):
        add(_make(m["year"], m["month"], m["day"]), m.start(), m.end(), "typed")
    for m in _NUMERIC.finditer(text):
        add(_make(m["year"], m["month"], m["day"]), m.start(), m.end(), "numeric")
    # Stamps: search a copy without spaces and underscores, mapping offsets back.
    keep = [i for i, c in enumerate(text) if not (c.isspace() or c == "_")]
    compact = "".join(text[i] for i in keep)
    for m in _STAMP_COMPACT.finditer(compact):
        add(_make(m["year"], m["month"], m["day"]), keep[m.start()], keep[m.end() - 1] + 1, "stamped")
    return sorted(found, key=lambda f: f.start)
