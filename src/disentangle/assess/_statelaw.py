"""State law a jurisdiction inherits, and what each law answers on the checklist (knowledge/statelaw/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.assess._toolkit import Meaning, Toolkit, load_toolkit
from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.model import Level, normalize_state

STATELAW_DIR = KNOWLEDGE_DIR / "statelaw"
_LOCAL_LEVELS = (
    Level.STATE.value,
    Level.COUNTY.value,
    Level.PLACE.value,
    Level.SUBDIVISION.value,
    Level.OTHER.value,
)


@dataclass(frozen=True, slots=True)
class LawEffect:
    """What one provision of a state law does to one checklist criterion."""

    criterion: str
    aspect: str
    meaning: Meaning
    provision: str
    quote: str | None  # the law's own words, when we have its text
    summary: str | None  # our one-line description, when we do not quote
    source: str | None  # where the quote or summary was read, when not the law's own address
    # Our translations of `summary`, by language ({"es": {"summary": ...}}); a quote is never translated.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Penalty:
    """What breaking a state law costs a local government or its officers, with the provision that says so."""

    provision: str
    summary: str  # our words
    source: str | None = None
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class StateLaw:
    """A state law (or statewide directive) every local government in the state inherits."""

    id: str
    state: str
    label: str
    citation: str
    direction: str  # limits | requires (cooperation with immigration enforcement)
    status: str
    url: str
    effects: tuple[LawEffect, ...]
    applies_to: tuple[str, ...] = _LOCAL_LEVELS
    text: str | None = None  # file name of the bundled copy under tests/fixtures/policy/, when there is one
    note: str | None = None
    penalties: tuple[Penalty, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "label": self.label,
            "citation": self.citation,
            "direction": self.direction,
            "status": self.status,
            "url": self.url,
            "note": self.note,
            "penalties": [
                {
                    "provision": p.provision,
                    "summary": p.summary,
                    "source": p.source,
                    "translations": {language: dict(words) for language, words in p.translations.items()},
                }
                for p in self.penalties
            ],
        }


# The languages our summaries are translated into, as data beside each summary: `es: {summary: ...}`.
TRANSLATED_LANGUAGES = ("es",)


def _summary_translations(entry: dict[str, Any], origin: str, at: str) -> dict[str, dict[str, str]]:
    """The translations of an entry's `summary`: each language required when there is a summary."""
    found: dict[str, dict[str, str]] = {}
    for language in TRANSLATED_LANGUAGES:
        given = entry.get(language)
        if not entry.get("summary"):
            if given is not None:
                raise KnowledgeError(f"{origin}: {at} has a {language} translation but no summary")
            continue
        if given is None:
            raise KnowledgeError(
                f"{origin}: {at} has a summary but no {language} translation ({language}: {{summary: ...}})"
            )
        if not isinstance(given, dict) or set(given) != {"summary"}:
            raise KnowledgeError(f"{origin}: {at}.{language} must map summary (and only summary) to text")
        if not isinstance(given["summary"], str) or not given["summary"].strip():
            raise KnowledgeError(f"{origin}: {at}.{language} has an empty summary")
        found[language] = {"summary": given["summary"]}
    return found


def parse_state_laws(
    doc: Any, origin: str, toolkit: Toolkit, expected_state: str | None = None
) -> tuple[StateLaw, ...]:
    """Build the laws of one state file; unknown criteria, aspects or meanings are a KnowledgeError."""
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{origin}: expected a mapping with 'state' and 'laws'")
    state = normalize_state(str(doc.get("state", "")))
    if state is None:
        raise KnowledgeError(f"{origin}: 'state' {doc.get('state')!r} is not a U.S. state code")
    if expected_state is not None and state != expected_state:
        raise KnowledgeError(f"{origin}: file is named for {expected_state} but says state {state}")
    criteria = {criterion.id: criterion for criterion in toolkit.criteria}
    laws = []
    for index, entry in enumerate(doc.get("laws") or []):
        where = f"laws[{index}]"
        missing = [
            key for key in ("id", "label", "citation", "direction", "status", "url") if not entry.get(key)
        ]
        if missing:
            raise KnowledgeError(f"{origin}: {where} lacks {missing}")
        if entry["direction"] not in ("limits", "requires"):
            raise KnowledgeError(f"{origin}: {where} direction must be 'limits' or 'requires'")
        effects = []
        for number, effect in enumerate(entry.get("effects") or []):
            at = f"{entry['id']} effects[{number}]"
            criterion = effect.get("criterion")
            if criterion not in criteria:
                raise KnowledgeError(f"{origin}: {at} names unknown criterion {criterion!r}")
            aspect = str(effect.get("aspect") or "")
            if aspect not in criteria[criterion].aspect_ids:
                raise KnowledgeError(f"{origin}: {at} names aspect {aspect!r} that {criterion} does not have")
            try:
                meaning = Meaning(effect.get("meaning"))
            except ValueError as exc:
                raise KnowledgeError(f"{origin}: {at} has unknown meaning {effect.get('meaning')!r}") from exc
            if not effect.get("provision"):
                raise KnowledgeError(f"{origin}: {at} names no provision")
            if not (effect.get("quote") or effect.get("summary")):
                raise KnowledgeError(f"{origin}: {at} needs a quote or a summary")
            effects.append(
                LawEffect(
                    criterion=criterion,
                    aspect=aspect,
                    meaning=meaning,
                    provision=effect["provision"],
                    quote=effect.get("quote"),
                    summary=effect.get("summary"),
                    source=effect.get("source"),
                    translations=_summary_translations(effect, origin, at),
                )
            )
        penalties = []
        for number, penalty in enumerate(entry.get("penalties") or []):
            if not isinstance(penalty, dict) or not penalty.get("provision") or not penalty.get("summary"):
                raise KnowledgeError(
                    f"{origin}: {entry['id']} penalties[{number}] needs a provision and a summary"
                )
            penalties.append(
                Penalty(
                    penalty["provision"],
                    penalty["summary"],
                    penalty.get("source"),
                    _summary_translations(penalty, origin, f"{entry['id']} penalties[{number}]"),
                )
            )
        applies = tuple(entry.get("applies_to") or _LOCAL_LEVELS)
        unknown_levels = [level for level in applies if level not in {lv.value for lv in Level}]
        if unknown_levels:
            raise KnowledgeError(f"{origin}: {where} applies_to unknown levels {unknown_levels}")
        laws.append(
            StateLaw(
                id=entry["id"],
                state=state,
                label=entry["label"],
                citation=entry["citation"],
                direction=entry["direction"],
                status=entry["status"],
                url=entry["url"],
                effects=tuple(effects),
                applies_to=applies,
                text=entry.get("text"),
                note=entry.get("note"),
                penalties=tuple(penalties),
            )
        )
    return tuple(laws)


def state_law_files(directory: Path = STATELAW_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


@cache
def load_state_laws() -> dict[str, tuple[StateLaw, ...]]:
    """Every bundled state's laws, by USPS code."""
    toolkit = load_toolkit()
    laws: dict[str, tuple[StateLaw, ...]] = {}
    for path in state_law_files():
        laws[path.stem] = parse_state_laws(
            load_yaml(f"statelaw/{path.name}"), str(path), toolkit, expected_state=path.stem
        )
    return laws


def inherited_law(state: str | None, level: Level | str = Level.COUNTY) -> tuple[StateLaw, ...]:
    """The state laws a jurisdiction at `level` in `state` inherits; empty when none is on file."""
    code = normalize_state(state or "")
    if code is None:
        return ()
    level_value = Level(level).value
    return tuple(law for law in load_state_laws().get(code, ()) if level_value in law.applies_to)
