"""Records-request deadlines as an iCalendar file (RFC 5545): CRLF lines folded at 75 octets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from disentangle.letters._deadlines import milestone_dates
from disentangle.letters._tracking import WAITING, TrackedRequest

PRODID = "-//Disentangle//Records request deadlines//EN"
_LIMIT = 75  # octets per physical line, excluding CRLF (RFC 5545 § 3.1)


def escape_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 § 3.3.11."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into physical lines of at most 75 octets, never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, _LIMIT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = char, width, _LIMIT - 1
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _uid(request: TrackedRequest, what: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-._" else "-" for c in request.id)
    return f"{safe}-{what}@disentangle"


def _event(
    request: TrackedRequest, what: str, day: datetime, summary: str, detail: str, stamp: str
) -> list[str]:
    start = day.strftime("%Y%m%d")
    end = (day + timedelta(days=1)).strftime("%Y%m%d")
    return [
        "BEGIN:VEVENT",
        f"UID:{_uid(request, what)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{start}",
        f"DTEND;VALUE=DATE:{end}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(detail)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def to_ics(requests: Iterable[TrackedRequest], *, now: datetime | None = None) -> str:
    """A calendar with each waiting request's due date and the law's other dated steps, as all-day events."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for request in requests:
        received = request.received_on
        if received is None or request.status not in WAITING:
            continue
        law = request.law
        due = request.due()
        deadline = request.deadline()
        if due is not None and deadline is not None:
            summary = f"Records response due: {request.agency.name}"
            detail = (
                f"{law.label} ({law.citation}). Sent {received.isoformat()}; due {due.isoformat()} "
                f"under {deadline.source or law.citation}. Status: {request.status.value}."
            )
            lines += _event(request, "due", datetime(due.year, due.month, due.day), summary, detail, stamp)
        for index, (clock, day) in enumerate(milestone_dates(law, received)):
            summary = f"Records step due: {request.agency.name}"
            detail = f"{law.label}: {clock.action} ({clock.source}). Sent {received.isoformat()}."
            when = datetime(day.year, day.month, day.day)
            lines += _event(request, f"step{index + 1}", when, summary, detail, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
