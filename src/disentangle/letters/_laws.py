"""Public-records laws read from knowledge/laws/records.yaml and checked: every fact cited or `unknown`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations

LAWS_FILE = "laws/records.yaml"
UNKNOWN = "unknown"
FEDERAL = "US"


class DayUnit(StrEnum):
    """How a statute counts its days."""

    BUSINESS = "business"  # skips weekends and the holidays of the law's calendar
    CALENDAR = "calendar"  # every day counts
    NONE = "none"  # the law sets no number of days ("promptly", "reasonable time")


@dataclass(frozen=True, slots=True)
class Clock:
    """One period a law sets: days in a unit, what must happen by its end, and where it is written."""

    days: int | None
    unit: DayUnit
    action: str
    source: str
    standard: str | None = None  # the words of a law with no number of days ("promptly")
    clock: str | None = None  # what the clock does on receipt, in words
    rolls_forward: bool = False  # a calendar-day end on a weekend or holiday moves to the next business day
    # Our translations of the words pages show ("es": {"action": ..., "standard": ...}); letters stay English.
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Extension:
    """How long and when an agency may extend the first deadline."""

    days: int | None
    unit: DayUnit
    start: str  # "deadline": days added to the first deadline; "receipt": a longer total from receipt
    when: str
    source: str


@dataclass(frozen=True, slots=True)
class CitedNote:
    """A fact given in words (who may ask, fees, the appeal route) with its source."""

    text: str
    source: str
    residency_limit: bool | None = None  # only for requesters: None when not known
    # Our translations of `text` ("es": {"text": ...}), for pages; letters stay English.
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class RecordsLaw:
    """One jurisdiction's public-records law. A fact that is not known is None, never guessed."""

    code: str  # USPS code, or "US" for the federal FOIA
    jurisdiction: str
    label: str
    citation: str
    holidays: str  # "state" or "federal": the calendar business days skip
    deadline: Clock | None
    extension: Extension | None
    milestones: tuple[Clock, ...]
    requesters: CitedNote | None
    fees: CitedNote | None
    appeal: CitedNote | None
    url: str | None = None
    holidays_source: str | None = None
    holidays_ignore: tuple[str, ...] = ()  # holiday names the law still counts as business days

    @property
    def is_federal(self) -> bool:
        return self.code == FEDERAL

    @property
    def unknown_facts(self) -> tuple[str, ...]:
        """The names of the facts this entry marks `unknown`."""
        names = ("deadline", "extension", "requesters", "fees", "appeal")
        return tuple(name for name in names if getattr(self, name) is None)


_FACTS = ("deadline", "extension", "requesters", "fees", "appeal")
_REQUIRED = ("jurisdiction", "label", "citation", "holidays", *_FACTS)


def _problem(code: str, problem: str) -> KnowledgeError:
    return KnowledgeError(f"{KNOWLEDGE_DIR / LAWS_FILE}: {code}: {problem}")


def _unit(code: str, fact: str, raw: Any) -> DayUnit:
    try:
        return DayUnit(raw)
    except ValueError:
        units = ", ".join(u.value for u in DayUnit)
        raise _problem(code, f"{fact}.unit is {raw!r}; expected one of {units}") from None


def _sourced(code: str, fact: str, raw: Any) -> dict[str, Any] | None:
    """A fact's mapping, None when it is `unknown`; a fact without a source is an error."""
    if raw == UNKNOWN:
        return None
    if not isinstance(raw, dict):
        raise _problem(code, f"{fact} must be a mapping or {UNKNOWN!r}, got {raw!r}")
    if not str(raw.get("source") or "").strip():
        raise _problem(code, f"{fact} has no source")
    return raw


def _days(code: str, fact: str, raw: dict[str, Any], unit: DayUnit) -> int | None:
    days = raw.get("days")
    if unit is DayUnit.NONE:
        if days is not None:
            raise _problem(code, f"{fact} has days but unit none")
        return None
    if not isinstance(days, int) or days <= 0:
        raise _problem(code, f"{fact}.days must be a positive whole number for unit {unit.value}")
    return days


# The words each fact may carry in `es: {...}` beside the English: those that pages show.
CLOCK_TRANSLATED = ("action", "standard")


def _origin() -> str:
    return str(KNOWLEDGE_DIR / LAWS_FILE)


def _clock(code: str, fact: str, raw: dict[str, Any]) -> Clock:
    unit = _unit(code, fact, raw.get("unit"))
    if unit is DayUnit.NONE and not raw.get("standard") and fact == "deadline":
        raise _problem(code, "deadline with unit none must give the law's standard (e.g. 'promptly')")
    if not raw.get("action"):
        raise _problem(code, f"{fact} must say what the agency must do (action)")
    return Clock(
        days=_days(code, fact, raw, unit),
        unit=unit,
        action=str(raw["action"]).strip(),
        source=str(raw["source"]),
        standard=raw.get("standard"),
        clock=str(raw["clock"]).strip() if raw.get("clock") else None,
        rolls_forward=bool(raw.get("rolls_forward", False)),
        translations=translations(raw, CLOCK_TRANSLATED, _origin(), f"{code}.{fact}"),
    )


def _extension(code: str, raw: dict[str, Any]) -> Extension:
    unit = _unit(code, "extension", raw.get("unit"))
    start = raw.get("from", "deadline")
    if unit is not DayUnit.NONE and start not in ("deadline", "receipt"):
        raise _problem(code, f"extension.from is {start!r}; expected deadline or receipt")
    return Extension(
        days=_days(code, "extension", raw, unit),
        unit=unit,
        start=start,
        when=str(raw.get("when") or raw.get("note") or "").strip(),
        source=str(raw["source"]),
    )


def _note(code: str, fact: str, raw: dict[str, Any], key: str) -> CitedNote:
    text = raw.get(key)
    if not text:
        raise _problem(code, f"{fact} must have {key!r}")
    residency = raw.get("residency_limit")
    if fact == "requesters" and residency not in (True, False, UNKNOWN):
        raise _problem(code, "requesters.residency_limit must be true, false or unknown")
    found = translations(raw, (key,), _origin(), f"{code}.{fact}")
    return CitedNote(
        text=" ".join(str(text).split()),
        source=str(raw["source"]),
        residency_limit=residency if isinstance(residency, bool) else None,
        translations={language: {"text": given[key]} for language, given in found.items()},
    )


def parse_law(code: str, raw: Any) -> RecordsLaw:
    """One entry of records.yaml as a RecordsLaw; a missing key or uncited fact is a KnowledgeError."""
    if not isinstance(raw, dict):
        raise _problem(code, "entry must be a mapping")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise _problem(code, f"missing keys: {', '.join(missing)}")
    if raw["holidays"] not in ("state", "federal"):
        raise _problem(code, f"holidays is {raw['holidays']!r}; expected state or federal")
    deadline = _sourced(code, "deadline", raw["deadline"])
    extension = _sourced(code, "extension", raw["extension"])
    requesters = _sourced(code, "requesters", raw["requesters"])
    fees = _sourced(code, "fees", raw["fees"])
    appeal = _sourced(code, "appeal", raw["appeal"])
    milestones = []
    for index, item in enumerate(raw.get("milestones") or []):
        sourced = _sourced(code, f"milestones[{index}]", item)
        if sourced is None:
            raise _problem(code, f"milestones[{index}] cannot be unknown: leave it out")
        milestones.append(_clock(code, f"milestones[{index}]", sourced))
    ignore = raw.get("holidays_ignore")
    if ignore is not None:
        ignore = _sourced(code, "holidays_ignore", ignore)
        if ignore is None or not isinstance(ignore.get("names"), list):
            raise _problem(code, "holidays_ignore needs a list 'names' and a source")
    return RecordsLaw(
        code=code,
        jurisdiction=str(raw["jurisdiction"]),
        label=str(raw["label"]),
        citation=str(raw["citation"]),
        holidays=str(raw["holidays"]),
        deadline=_clock(code, "deadline", deadline) if deadline else None,
        extension=_extension(code, extension) if extension else None,
        milestones=tuple(milestones),
        requesters=_note(code, "requesters", requesters, "who") if requesters else None,
        fees=_note(code, "fees", fees, "note") if fees else None,
        appeal=_note(code, "appeal", appeal, "route") if appeal else None,
        url=raw.get("url"),
        holidays_source=raw.get("holidays_source"),
        holidays_ignore=tuple(str(name) for name in ignore["names"]) if ignore else (),
    )


@cache
def records_laws() -> dict[str, RecordsLaw]:
    """Every records law in knowledge/laws/records.yaml, by USPS code ("US" = federal FOIA)."""
    doc = load_yaml(LAWS_FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("laws"), dict):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / LAWS_FILE}: expected a mapping 'laws'")
    return {str(code): parse_law(str(code), raw) for code, raw in doc["laws"].items()}


def records_law(code: str) -> RecordsLaw:
    """The records law of a state (USPS code, any case) or "US" for the federal FOIA."""
    key = (code or "").strip().upper()
    laws = records_laws()
    if key not in laws:
        raise InputError(f"no public-records law is known for {code!r}; use a USPS code or 'US'")
    return laws[key]
