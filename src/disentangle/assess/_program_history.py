"""The history of Secure Communities, PEP, the 287(g) models and the detainer forms as dated, sourced
events (knowledge/programs/history.yaml and detainers/forms.yaml), and a place's timeline built on it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from disentangle.assess._detainers import detainer_forms
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.knowledge._translations import LANGUAGES, translated, translations

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
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: {"es": {"label": ...}}
    name: str | None = None  # a name the label is built around (a form's title), kept as printed

    def label_in(self, language: str = "en") -> str:
        """The event's sentence in `language`, falling back to the English."""
        return translated(self.label, self.translations, "label", language)

    def all_translations(self) -> dict[str, dict[str, str]]:
        """The event's translated fields by language: its label and its program's name."""
        out = {}
        for language in LANGUAGES:
            fields = dict(self.translations.get(language, {}))
            program = program_labels().get(language, {}).get(self.program)
            if program:
                fields["program_label"] = program
            if fields:
                out[language] = fields
        return out

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
            "name": self.name,
            "translations": self.all_translations(),
        }


@cache
def program_labels() -> dict[str, dict[str, str]]:
    """The programs' names by language and program, where history.yaml translates them."""
    out: dict[str, dict[str, str]] = {}
    for program, entry in (load_yaml(KNOWLEDGE).get("programs") or {}).items():
        if program not in PROGRAMS or not isinstance(entry, dict) or entry.get("label") != PROGRAMS[program]:
            raise KnowledgeError(
                f"{KNOWLEDGE}: programs.{program} must be one of {sorted(PROGRAMS)}, "
                f"labelled as the code names it"
            )
        for language, text in translations(entry, ("label",), KNOWLEDGE, f"programs.{program}").items():
            out.setdefault(language, {})[str(program)] = text["label"]
    return out


SENTENCES = ("form-introduced", "sc-activated-here", "policy-in-force")


@cache
def _texts(section: str) -> dict[str, dict[str, str]]:
    """A section of texts of history.yaml (`sentences`, `stances`): {key: {"en": ..., "es": ...}}."""
    out: dict[str, dict[str, str]] = {}
    for key, entry in (load_yaml(KNOWLEDGE).get(section) or {}).items():
        where = f"{section}.{key}"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
            raise KnowledgeError(f"{KNOWLEDGE}: {where} needs a text")
        found = translations(entry, ("text",), KNOWLEDGE, where)
        out[str(key)] = {"en": entry["text"], **{language: text["text"] for language, text in found.items()}}
        for language, text in out[str(key)].items():
            try:
                text.format(name="", stance="")
            except (KeyError, IndexError, ValueError) as exc:
                raise KnowledgeError(
                    f"{KNOWLEDGE}: {where} ({language}) has a bad placeholder: {exc}"
                ) from exc
    return out


def _sentences() -> dict[str, dict[str, str]]:
    found = _texts("sentences")
    missing = [key for key in SENTENCES if key not in found]
    if missing:
        raise KnowledgeError(f"{KNOWLEDGE}: sentences {missing} are missing")
    return found


def sentence(key: str, language: str = "en", *, name: str, stance: str = "") -> str:
    """A timeline sentence built from a value (history.yaml `sentences`), in `language` where it is
    translated, else in English. `name` is inserted as given; `stance` in the same language's words."""
    templates = _sentences().get(key)
    if templates is None:
        raise KnowledgeError(f"{KNOWLEDGE}: no sentence {key!r}")
    chosen = language if language in templates else "en"
    words = _texts("stances").get(stance, {})
    return templates[chosen].format(name=name, stance=words.get(chosen) or words.get("en") or stance)


def built_event(
    id: str,
    date: str,
    program: str,
    key: str,
    quote: str | None,
    sources: tuple[dict[str, str], ...],
    *,
    name: str,
    stance: str = "",
    place: bool = False,
    keep_name: bool = False,
) -> HistoryEvent:
    """An event whose sentence is built from a value, with its sentence in every translated language.
    `keep_name` marks `name` as a title kept in English (a form's), for the page to mark."""
    return HistoryEvent(
        id,
        date,
        program,
        sentence(key, name=name, stance=stance),
        quote,
        sources,
        place=place,
        translations={
            language: {"label": sentence(key, language, name=name, stance=stance)}
            for language in LANGUAGES
            if language in _sentences()[key]
        },
        name=name if keep_name else None,
    )


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
                translations=translations(entry, ("label",), KNOWLEDGE, where),
            )
        )
    for form in detainer_forms():
        if form.introduced:
            title, _, url = form.source.partition(" <")
            events.append(
                built_event(
                    f"form-{form.id}",
                    form.introduced,
                    "detainer-forms",
                    "form-introduced",
                    None,
                    ({"title": title, "url": url.rstrip(">")},),
                    name=form.label,
                    keep_name=True,
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
