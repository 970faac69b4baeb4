"""The registry's own bookkeeping types: where an agency is counted, what a source is called in public,
and the invariants the registry is checked against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class CountyRule(StrEnum):
    """How an agency's county was chosen (docs/registry.md: the rules are tried in this order)."""

    CORRECTION = "correction"  # a hand correction keyed on the county ICE printed wrongly, with its source
    JURISDICTION = "jurisdiction"  # the agency's own jurisdiction is a county
    SUBDIVISION = "subdivision"  # its jurisdiction is a township or town: the county that town lies in
    STATEWIDE = "statewide"  # a state agency: the whole state, no one county
    FACILITY_NAME = "facility-name"  # a detention facility whose name names its county ("Bowie County Jail")
    ROSTER = "roster"  # the FBI roster's county or counties for the agency's ORI
    DECLARED = "declared"  # the member counties of a regional body, declared in knowledge with a source
    ICE_COUNTY = "ice-county"  # the county ICE printed (287(g) sheet or detention facility list)
    NONE = "none"  # nothing places it


class CountyScope(StrEnum):
    """How far an agency's work reaches, as its placement says."""

    COUNTY = "county"  # one county
    MULTI_COUNTY = "multi-county"  # several counties (a city across a county line, a regional authority)
    STATEWIDE = "statewide"  # the whole state (a state agency)
    NONE = "none"  # not placed


@dataclass(frozen=True, slots=True)
class Citation:
    """A fact's public source as a reader can look it up: the record, who published it, where, and the
    row of the bundled copy the fact was read from. Never a file path."""

    label: str  # "ICE, 287(g) participating agencies list of 2026-05-18"
    publisher: str
    url: str | None
    row: int | None = None  # the data row of the copy (a sheet's row, a CSV's line)
    dated: date | None = None  # the date of the record (a list's capture, a report's as-of date)
    copy: str | None = None  # the public repository the bundled copy was taken from

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "publisher": self.publisher,
            "url": self.url,
            "row": self.row,
            "dated": self.dated.isoformat() if self.dated else None,
            "copy": self.copy,
        }

    def text(self) -> str:
        """One line: "ICE, 287(g) participating agencies list of 2026-05-18, row 73 (www.ice.gov/...)"."""
        row = f", row {self.row}" if self.row is not None else ""
        where = f" ({self.url})" if self.url else ""
        return f"{self.label}{row}{where}"


class QAStatus(StrEnum):
    """The outcome of one registry invariant."""

    PASS = "pass"  # the invariant holds
    FAIL = "fail"  # it does not: the build fails
    INFO = "info"  # a count or a list a reader should know of (decided disagreements, inert corrections)


@dataclass(frozen=True, slots=True)
class QACheck:
    """One row of the registry's QA: an invariant or a count, with examples of what it found."""

    id: str
    status: QAStatus
    summary: str
    count: int = 0
    examples: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.id,
            "status": self.status.value,
            "count": self.count,
            "summary": self.summary,
            "examples": list(self.examples),
        }
