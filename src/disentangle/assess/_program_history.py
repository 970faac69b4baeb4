"""The history of Secure Communities, PEP, the 287(g) models and the detainer forms as dated, sourced
events (knowledge/programs/history.yaml and detainers/forms.yaml), and a place's timeline built on it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from disentangle.assess._detainers import detainer_forms
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml

KNOWLEDGE = "programs/history.yaml"
PROGRAMS = {
    "secure-communities": "Secure Communities",
    "287g": "287(g)",
    "detainer-forms": "Detainer forms",
    "detainer-policy": "This place's detainer policy",
}


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A dated event; `date` is as precise as its source (YYYY, YYYY-MM or YYYY-MM-DD)."""

    id: str
    date: str
    program: str
    label: str
    quote: str | None  # verbatim from the first source
    sources: tuple[dict[str, str], ...]  # {title, url}
    place: bool = False  # an event of this place (its activation, its policy), not of the program

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date,
            "program": self.program,
            "program_label": PROGRAMS.get(self.program, self.program),
            "label": self.label,
            "quote": self.quote,
            "sources": list(self.sources),
            "place": self.place,
        }


def _date_text(value: Any, where: str) -> str:
    text = str(value)
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
        raise KnowledgeError(f"{KNOWLEDGE}: {where} date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return text


@cache
def program_history() -> tuple[HistoryEvent, ...]:
    """Every program event, oldest first: history.yaml's events and each detainer form's introduction."""
    doc = load_yaml(KNOWLEDGE)
    sources = doc.get("sources") or {}
    events = []
    for index, entry in enumerate(doc.get("events") or []):
        where = f"events[{index}] ({entry.get('id')})"
        if not entry.get("id") or not entry.get("label") or entry.get("program") not in PROGRAMS:
            raise KnowledgeError(f"{KNOWLEDGE}: {where} needs an id, a label and a known program")
        cited = []
        for key in entry.get("sources") or []:
            if key not in sources or not sources[key].get("title"):
                raise KnowledgeError(f"{KNOWLEDGE}: {where} cites unknown source {key!r}")
            cited.append({"title": sources[key]["title"], "url": sources[key].get("url") or ""})
        if not cited:
            raise KnowledgeError(f"{KNOWLEDGE}: {where} has no source")
        events.append(
            HistoryEvent(
                entry["id"],
                _date_text(entry["date"], where),
                entry["program"],
                entry["label"],
                entry.get("quote"),
                tuple(cited),
            )
        )
    for form in detainer_forms():
        if form.introduced:
            title, _, url = form.source.partition(" <")
            events.append(
                HistoryEvent(
                    f"form-{form.id}",
                    form.introduced,
                    "detainer-forms",
                    f"Form in use from here: {form.label}.",
                    None,
                    ({"title": title, "url": url.rstrip(">")},),
                )
            )
    return tuple(sorted(events, key=lambda e: e.date))


def history_source(key: str) -> dict[str, str]:
    """One source of history.yaml by its key: {title, url}."""
    entry = (load_yaml(KNOWLEDGE).get("sources") or {}).get(key)
    if not entry or not entry.get("title"):
        raise KnowledgeError(f"{KNOWLEDGE}: no source {key!r}")
    return {"title": entry["title"], "url": entry.get("url") or ""}


def place_timeline(extra: Iterable[HistoryEvent]) -> list[HistoryEvent]:
    """The program history with a place's own events (its activation, its policies) in date order."""
    return sorted([*program_history(), *extra], key=lambda e: (e.date, not e.place))
