"""The toolkit's criteria and the provision patterns that answer them, loaded and checked from knowledge/."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml

TOOLKIT_FILE = "scorecard/toolkit.yaml"
PATTERNS_FILE = "scorecard/patterns.yaml"


class Answer(StrEnum):
    """A checklist answer, in the toolkit's own boxes plus 'unknown' when nothing answers."""

    YES = "Y"  # meets the criterion
    NO = "N"  # does not: something requires or permits what the criterion asks to prohibit
    OTHER = "Other"  # part of the way, with exceptions, or sources disagree
    UNKNOWN = "unknown"  # nothing found: see where to look


class Meaning(StrEnum):
    """What one provision does to one criterion."""

    SATISFIES = "satisfies"  # meets it
    PARTIAL = "partial"  # goes part of the way; alone it answers Other
    EXCEPTION = "exception"  # a carve-out from a provision that satisfies
    CONTRADICTS = "contradicts"  # requires or permits what the criterion prohibits, or repeals a prohibition


@dataclass(frozen=True, slots=True)
class Criterion:
    """One row of the toolkit checklist (kind 'checklist') or a best practice without a row ('practice')."""

    id: str
    kind: str  # checklist | practice
    number: int | None
    label: str
    section: str
    criterion: str  # the toolkit's words
    questions: tuple[str, ...]
    where_to_look: tuple[str, ...]
    best_practices: tuple[str, ...]
    aspects: tuple[tuple[str, str], ...]  # (id, the toolkit's words) for criteria with parts
    derived_from: tuple[str, ...]
    note: str | None = None
    footnote: str | None = None
    # Our translations of `label` and `criterion`, by language ({"es": {"label": ..., "criterion": ...}}).
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def aspect_ids(self) -> tuple[str, ...]:
        return tuple(aspect for aspect, _ in self.aspects) or ("",)


@dataclass(frozen=True, slots=True)
class ModelPolicy:
    id: str
    label: str
    url: str
    covers: tuple[str, ...]
    basis: str


@dataclass(frozen=True, slots=True)
class BestPractice:
    id: str
    group: str  # prohibit | include | alternative
    text: str


@dataclass(frozen=True, slots=True)
class Toolkit:
    """The whole checklist with its source, in the toolkit's order."""

    title: str
    publisher: str
    document: str
    criteria: tuple[Criterion, ...]
    best_practices: tuple[BestPractice, ...]
    alternative_examples: str
    model_policies: tuple[ModelPolicy, ...]
    landscape: tuple[str, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def best_practice(self, practice_id: str) -> BestPractice:
        for practice in self.best_practices:
            if practice.id == practice_id:
                return practice
        raise KeyError(practice_id)

    @property
    def citation(self) -> str:
        return f"{self.title}, {self.publisher}"


@dataclass(frozen=True, slots=True)
class Effect:
    criterion: str
    meaning: Meaning
    aspect: str  # "" for a criterion without parts
    note: str | None


@dataclass(frozen=True, slots=True)
class Pattern:
    """A phrase pattern written from a real text, and what its matches mean for the criteria."""

    id: str
    regex: re.Pattern[str]
    effects: tuple[Effect, ...]
    written_from: str
    before: re.Pattern[str] | None = None
    not_before: re.Pattern[str] | None = None
    window: int = 300

    def context_allows(self, words: str, start: int) -> bool:
        preceding = words[max(0, start - self.window) : start]
        if self.before is not None and not self.before.search(preceding):
            return False
        return not (self.not_before is not None and self.not_before.search(preceding))


def _require(entry: Any, key: str, origin: str, where: str) -> Any:
    if not isinstance(entry, dict) or key not in entry or entry[key] in (None, ""):
        raise KnowledgeError(f"{origin}: {where} has no '{key}'")
    return entry[key]


def _strings(value: Any, origin: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise KnowledgeError(f"{origin}: {where} must be a list of strings")
    return tuple(value)


def _compile(text: Any, origin: str, where: str) -> re.Pattern[str]:
    if not isinstance(text, str) or not text:
        raise KnowledgeError(f"{origin}: {where} must be a non-empty regular expression")
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise KnowledgeError(f"{origin}: {where} is not a valid regular expression: {exc}") from exc


TRANSLATED_LANGUAGES = ("es",)
TRANSLATED_FIELDS = ("label", "criterion")


def _translations(entry: dict[str, Any], origin: str, where: str) -> dict[str, dict[str, str]]:
    """A criterion's translations: `es: {label: ..., criterion: ...}`, each field a non-empty string."""
    found: dict[str, dict[str, str]] = {}
    for language in TRANSLATED_LANGUAGES:
        given = entry.get(language)
        if given is None:
            continue
        if not isinstance(given, dict) or set(given) - set(TRANSLATED_FIELDS):
            raise KnowledgeError(
                f"{origin}: {where}.{language} must map {', '.join(TRANSLATED_FIELDS)} to text"
            )
        if not all(isinstance(v, str) and v.strip() for v in given.values()):
            raise KnowledgeError(f"{origin}: {where}.{language} has an empty translation")
        found[language] = dict(given)
    return found


def parse_toolkit(doc: Any, origin: str = TOOLKIT_FILE) -> Toolkit:
    """Build the Toolkit from a parsed toolkit.yaml; any missing or inconsistent entry is a KnowledgeError."""
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{origin}: expected a mapping at the top")
    source = _require(doc, "source", origin, "the file")
    criteria: list[Criterion] = []
    for kind, key in (("checklist", "criteria"), ("practice", "practices")):
        for index, entry in enumerate(_require(doc, key, origin, "the file")):
            where = f"{key}[{index}]"
            criterion_id = _require(entry, "id", origin, where)
            aspects = entry.get("aspects") or {}
            if not isinstance(aspects, dict):
                raise KnowledgeError(f"{origin}: {where} aspects must be a mapping")
            criteria.append(
                Criterion(
                    id=criterion_id,
                    kind=kind,
                    number=entry.get("number"),
                    label=_require(entry, "label", origin, where),
                    section=_require(entry, "section", origin, where),
                    criterion=_require(entry, "criterion", origin, where),
                    questions=_strings(entry.get("questions"), origin, f"{where}.questions"),
                    where_to_look=_strings(entry.get("where_to_look"), origin, f"{where}.where_to_look"),
                    best_practices=_strings(entry.get("best_practices"), origin, f"{where}.best_practices"),
                    aspects=tuple((str(a), str(words)) for a, words in aspects.items()),
                    derived_from=_strings(entry.get("derived_from"), origin, f"{where}.derived_from"),
                    note=entry.get("note"),
                    footnote=entry.get("footnote"),
                    translations=_translations(entry, origin, where),
                )
            )
            if kind == "checklist" and not criteria[-1].questions:
                raise KnowledgeError(f"{origin}: {where} ({criterion_id}) has no questions")
    ids = [criterion.id for criterion in criteria]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise KnowledgeError(f"{origin}: duplicate criterion ids {duplicates}")

    # A row whose "Where to Look" is blank borrows another row's, as the file says explicitly.
    by_id = {criterion.id: criterion for criterion in criteria}
    for index, entry in enumerate(doc["criteria"]):
        borrowed = entry.get("where_to_look_from")
        if borrowed:
            if borrowed not in by_id:
                raise KnowledgeError(
                    f"{origin}: criteria[{index}] borrows where_to_look from unknown {borrowed!r}"
                )
            criterion = by_id[entry["id"]]
            updated = replace(criterion, where_to_look=by_id[borrowed].where_to_look)
            criteria[criteria.index(criterion)] = updated
            by_id[criterion.id] = updated
    for criterion in criteria:
        for other in criterion.derived_from:
            if other not in by_id:
                raise KnowledgeError(f"{origin}: {criterion.id} is derived from unknown criterion {other!r}")

    practices_doc = _require(doc, "best_practices", origin, "the file")
    best: list[BestPractice] = []
    for group in ("prohibit", "include"):
        for index, entry in enumerate(_require(practices_doc, group, origin, "best_practices")):
            where = f"best_practices.{group}[{index}]"
            best.append(
                BestPractice(
                    _require(entry, "id", origin, where), group, _require(entry, "text", origin, where)
                )
            )
    alternative = _require(practices_doc, "alternative", origin, "best_practices")
    best.append(
        BestPractice(
            _require(alternative, "id", origin, "best_practices.alternative"),
            "alternative",
            _require(alternative, "text", origin, "best_practices.alternative"),
        )
    )
    practice_ids = {practice.id for practice in best}
    for criterion in criteria:
        unknown = [p for p in criterion.best_practices if p not in practice_ids]
        if unknown:
            raise KnowledgeError(f"{origin}: {criterion.id} names unknown best practices {unknown}")

    models = []
    for index, entry in enumerate(_require(doc, "model_policies", origin, "the file")):
        where = f"model_policies[{index}]"
        covers = _strings(entry.get("covers"), origin, f"{where}.covers")
        unknown = [c for c in covers if c not in by_id]
        if unknown:
            raise KnowledgeError(f"{origin}: {where} covers unknown criteria {unknown}")
        models.append(
            ModelPolicy(
                id=_require(entry, "id", origin, where),
                label=_require(entry, "label", origin, where),
                url=_require(entry, "url", origin, where),
                covers=covers,
                basis=_require(entry, "basis", origin, where),
            )
        )
    landscape = _require(doc, "landscape", origin, "the file")
    return Toolkit(
        title=_require(source, "title", origin, "source"),
        publisher=_require(source, "publisher", origin, "source"),
        document=_require(source, "document", origin, "source"),
        criteria=tuple(criteria),
        best_practices=tuple(best),
        alternative_examples=str(alternative.get("examples", "")),
        model_policies=tuple(models),
        landscape=_strings(
            _require(landscape, "questions", origin, "landscape"), origin, "landscape.questions"
        ),
    )


def parse_patterns(doc: Any, toolkit: Toolkit, origin: str = PATTERNS_FILE) -> tuple[Pattern, ...]:
    """Build the patterns from a parsed patterns.yaml, checking every criterion, aspect and meaning named."""
    entries = _require(doc, "patterns", origin, "the file")
    if not isinstance(entries, list):
        raise KnowledgeError(f"{origin}: 'patterns' must be a list")
    criteria = {criterion.id: criterion for criterion in toolkit.criteria}
    patterns: list[Pattern] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        pattern_id = _require(entry, "id", origin, f"patterns[{index}]")
        where = f"pattern {pattern_id!r}"
        if pattern_id in seen:
            raise KnowledgeError(f"{origin}: duplicate pattern id {pattern_id!r}")
        seen.add(pattern_id)
        effects = []
        for effect in _require(entry, "effects", origin, where):
            criterion_id = _require(effect, "criterion", origin, f"{where} effect")
            if criterion_id not in criteria:
                raise KnowledgeError(f"{origin}: {where} names unknown criterion {criterion_id!r}")
            try:
                meaning = Meaning(_require(effect, "meaning", origin, f"{where} effect"))
            except ValueError as exc:
                raise KnowledgeError(
                    f"{origin}: {where} has unknown meaning {effect.get('meaning')!r}"
                ) from exc
            aspect = str(effect.get("aspect") or "")
            if aspect not in criteria[criterion_id].aspect_ids:
                raise KnowledgeError(
                    f"{origin}: {where} names aspect {aspect!r} that {criterion_id} does not have "
                    f"(it has {list(criteria[criterion_id].aspect_ids)})"
                )
            effects.append(Effect(criterion_id, meaning, aspect, effect.get("note")))
        window = entry.get("window", 300)
        if not isinstance(window, int) or window <= 0:
            raise KnowledgeError(f"{origin}: {where} window must be a positive integer")
        patterns.append(
            Pattern(
                id=pattern_id,
                regex=_compile(entry.get("regex"), origin, f"{where} regex"),
                effects=tuple(effects),
                written_from=_require(entry, "written_from", origin, where),
                before=_compile(entry["before"], origin, f"{where} before") if entry.get("before") else None,
                not_before=(
                    _compile(entry["not_before"], origin, f"{where} not_before")
                    if entry.get("not_before")
                    else None
                ),
                window=window,
            )
        )
    return tuple(patterns)


@cache
def load_toolkit() -> Toolkit:
    """The bundled toolkit checklist."""
    return parse_toolkit(load_yaml(TOOLKIT_FILE), str(KNOWLEDGE_DIR / TOOLKIT_FILE))


@cache
def load_patterns() -> tuple[Pattern, ...]:
    """The bundled provision patterns, checked against the toolkit."""
    return parse_patterns(load_yaml(PATTERNS_FILE), load_toolkit(), str(KNOWLEDGE_DIR / PATTERNS_FILE))
