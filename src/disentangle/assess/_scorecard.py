"""A jurisdiction's scorecard: registry facts, inherited law, policy texts and given answers, combined."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.assess._scoring import CriterionAnswer, aspect_answer, combine_sources, criterion_answer
from disentangle.assess._statelaw import StateLaw
from disentangle.assess._toolkit import (
    Answer,
    Criterion,
    Meaning,
    ModelPolicy,
    Toolkit,
    load_toolkit,
)
from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.model import Agreement, Fact, Jurisdiction

REGISTRY_FILE = "scorecard/registry.yaml"


class EvidenceKind(StrEnum):
    """Where a piece of scorecard evidence comes from."""

    POLICY = "policy"  # a provision of a policy text the user gave
    STATE_LAW = "state-law"  # a state law the jurisdiction inherits
    REGISTRY = "registry"  # an agreement in the registry
    SIGNAL = "signal"  # a program fact: shown, never an answer by itself


class Origin(StrEnum):
    """Whether a scorecard answer was worked out from evidence or given by a person."""

    DERIVED = "derived"
    GIVEN = "given"


# The sentences evidence is said in, by code; each is worded in English by `summary` and by the pages.
EVIDENCE_CODES = (
    "state-law",  # {law}, {provision}[: {summary}] (summary translated as data: translations)
    "agreement",  # {label}: {agency} ({kind}, {status}[, signed {signed}])
    "agreement-used",  # {label}: {agency}, used {first}[ – {last}]
    "agreement-records",  # {label}: {agency}, on records dated {first}[ – {last}]
    "detainers-declined",  # {label}: {year}: {declined} declined, {other} other outcomes at {facility}
    "secure-communities",  # {label}: activated {month}
    "dhs-designation",  # {label}: listed as “{printed}”, {section}
)


@dataclass(frozen=True, slots=True)
class ScoreEvidence:
    kind: EvidenceKind
    criterion: str
    summary: str
    aspect: str = ""
    meaning: Meaning | None = None
    quote: str | None = None
    citation: str | None = None
    source: str | None = None
    start: int | None = None
    end: int | None = None
    # Which sentence `summary` is (see EVIDENCE_CODES) and the values it was made from, so that a page
    # can word it in its own language; None for evidence only `summary` says (a policy's provisions).
    code: str | None = None
    values: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "code": self.code,
            "values": dict(self.values),
            "aspect": self.aspect or None,
            "meaning": self.meaning.value if self.meaning else None,
            "summary": self.summary,
            "quote": self.quote,
            "citation": self.citation,
            "source": self.source,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Override:
    """An answer a person gives for a criterion, with why and on what authority."""

    criterion: str
    answer: Answer
    note: str
    source: str

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Override:
        try:
            answer = Answer(str(data.get("answer")))
        except ValueError as exc:
            raise InputError(
                f"override for {data.get('criterion')!r}: answer must be one of {[a.value for a in Answer]}"
            ) from exc
        if not data.get("note") or not data.get("source"):
            raise InputError(f"override for {data.get('criterion')!r} needs a note and a source")
        return cls(str(data.get("criterion")), answer, str(data["note"]), str(data["source"]))


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    criterion: Criterion
    answer: Answer
    origin: Origin
    derived_answer: Answer
    aspects: tuple[tuple[str, Answer], ...]
    evidence: tuple[ScoreEvidence, ...]
    signals: tuple[ScoreEvidence, ...]
    explanation: str
    override: Override | None = None

    @property
    def where_to_look(self) -> tuple[str, ...]:
        return self.criterion.where_to_look

    def to_dict(self) -> dict[str, Any]:
        c = self.criterion
        return {
            "id": c.id,
            "kind": c.kind,
            "number": c.number,
            "label": c.label,
            "section": c.section,
            "criterion": c.criterion,
            "translations": {language: dict(words) for language, words in c.translations.items()},
            "questions": list(c.questions),
            "answer": self.answer.value,
            "origin": self.origin.value,
            "derived_answer": self.derived_answer.value,
            "override": (
                {
                    "answer": self.override.answer.value,
                    "note": self.override.note,
                    "source": self.override.source,
                }
                if self.override
                else None
            ),
            "aspects": {aspect: answer.value for aspect, answer in self.aspects if aspect},
            "explanation": self.explanation,
            "explained": row_reasons(self.evidence),
            "evidence": [item.to_dict() for item in self.evidence],
            "signals": [item.to_dict() for item in self.signals],
            "where_to_look": list(self.where_to_look),
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    """One jurisdiction's answers to the toolkit checklist, each with its evidence and origin."""

    place: str
    place_id: str | None
    state: str | None
    rows: tuple[ScorecardRow, ...]
    inherited_law: tuple[StateLaw, ...]
    toolkit: Toolkit = field(repr=False)

    def row(self, criterion_id: str) -> ScorecardRow:
        for row in self.rows:
            if row.criterion.id == criterion_id:
                return row
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place,
            "place_id": self.place_id,
            "state": self.state,
            "toolkit": {"title": self.toolkit.title, "publisher": self.toolkit.publisher},
            "rows": [row.to_dict() for row in self.rows],
            "inherited_law": [law.to_dict() for law in self.inherited_law],
            "landscape_questions": list(self.toolkit.landscape),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        return _markdown(self)

    def to_html(self) -> str:
        return _html(self)


# ------------------------------------------------------------------------------------------ registry rules
@dataclass(frozen=True, slots=True)
class _AgreementRule:
    kinds: frozenset[str]
    statuses: frozenset[str]
    criterion: str
    aspect: str
    meaning: Meaning
    label: str
    basis: str


@dataclass(frozen=True, slots=True)
class _FactRule:
    kinds: frozenset[str]
    signal_for: tuple[str, ...]
    label: str
    statuses: frozenset[str] = frozenset()  # set for an agreement shown as a signal (agreement_signals)
    when: str = "{first} – {last}"  # how such an agreement's dates are said
    code: str | None = None  # the sentence (EVIDENCE_CODES) such an agreement's signal is said in


def parse_registry_rules(
    doc: Any, toolkit: Toolkit, origin: str
) -> tuple[tuple[_AgreementRule, ...], tuple[_FactRule, ...]]:
    """Check and build the registry evidence rules of registry.yaml."""
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{origin}: expected 'agreements' and 'facts'")
    criteria = {criterion.id: criterion for criterion in toolkit.criteria}
    agreements = []
    for index, entry in enumerate(doc.get("agreements") or []):
        where = f"agreements[{index}]"
        criterion = entry.get("criterion")
        if criterion not in criteria:
            raise KnowledgeError(f"{origin}: {where} names unknown criterion {criterion!r}")
        aspect = str(entry.get("aspect") or "")
        if aspect not in criteria[criterion].aspect_ids:
            raise KnowledgeError(f"{origin}: {where} names aspect {aspect!r} that {criterion} does not have")
        try:
            meaning = Meaning(entry.get("meaning"))
        except ValueError as exc:
            raise KnowledgeError(f"{origin}: {where} has unknown meaning {entry.get('meaning')!r}") from exc
        if not entry.get("kinds") or not entry.get("statuses") or not entry.get("label"):
            raise KnowledgeError(f"{origin}: {where} needs kinds, statuses and a label")
        agreements.append(
            _AgreementRule(
                frozenset(entry["kinds"]),
                frozenset(entry["statuses"]),
                criterion,
                aspect,
                meaning,
                entry["label"],
                str(entry.get("basis", "")),
            )
        )
    facts = []
    for section in ("agreement_signals", "facts"):
        for index, entry in enumerate(doc.get(section) or []):
            unknown = [c for c in entry.get("signal_for") or [] if c not in criteria]
            needs_status = section == "agreement_signals" and not entry.get("statuses")
            code = entry.get("code")
            if code is not None and code not in EVIDENCE_CODES:
                raise KnowledgeError(f"{origin}: {section}[{index}] has unknown code {code!r}")
            if unknown or not entry.get("kinds") or not entry.get("label") or needs_status:
                raise KnowledgeError(
                    f"{origin}: {section}[{index}] needs kinds, a label and known criteria (got {unknown})"
                    + (" and statuses" if needs_status else "")
                )
            facts.append(
                _FactRule(
                    frozenset(entry["kinds"]),
                    tuple(entry["signal_for"]),
                    entry["label"],
                    frozenset(entry.get("statuses") or ()),
                    str(entry.get("when") or "{first} – {last}"),
                    code,
                )
            )
    return tuple(agreements), tuple(facts)


@cache
def _registry_rules() -> tuple[tuple[_AgreementRule, ...], tuple[_FactRule, ...]]:
    return parse_registry_rules(load_yaml(REGISTRY_FILE), load_toolkit(), str(KNOWLEDGE_DIR / REGISTRY_FILE))


def _source_label(source: Any) -> str | None:
    if source is None:
        return None
    # The registry hands sources over as public citations: the record's label, its address and the row.
    label, address = getattr(source, "dataset", None), getattr(source, "url", None)
    row = getattr(source, "row", None)
    text = f"{label}, row {row}" if label and row is not None else str(label or "")
    return f"{text} ({address})" if address and text else text or None


def _day(value: Any) -> str:
    return value.isoformat() if value else "?"


def describe_fact(kind: str, value: Any) -> str:
    """A program fact's value in words (never a Python dict): the scorecard and the pages show this."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    if kind == "secure_communities_activated":
        return f"activated {value.get('month') or ''}".strip()
    if kind == "dhs_sanctuary_designation":
        printed = value.get("name_printed")
        section = value.get("section")
        return ", ".join(str(p) for p in (f"listed as “{printed}”" if printed else None, section) if p)
    if kind == "detainers_declined":
        other = value.get("other_outcomes")
        if other is None:
            rest = "no other outcome recorded"
        else:
            pooled = " (pooled with same-named facilities)" if value.get("other_pooled") else ""
            rest = f"{other} other outcomes{pooled}"
        return f"{value.get('year')}: {value.get('declined')} declined, {rest} at {value.get('facility')}"
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items() if v not in (None, "", False))


def fact_words(kind: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    """The sentence (EVIDENCE_CODES) and values `describe_fact` says a fact's value in, when it has one."""
    if not isinstance(value, dict):
        return None, {}
    if kind == "secure_communities_activated" and value.get("month"):
        return "secure-communities", {"month": value["month"]}
    if kind == "dhs_sanctuary_designation" and value.get("name_printed") and value.get("section"):
        return "dhs-designation", {"printed": value["name_printed"], "section": value["section"]}
    if kind == "detainers_declined":
        return "detainers-declined", {
            "year": value.get("year"),
            "declined": value.get("declined"),
            "other": value.get("other_outcomes"),
            "pooled": bool(value.get("other_pooled")),
            "facility": value.get("facility"),
        }
    return None, {}


def _registry_evidence(
    facts: Sequence[Agreement | Fact],
) -> tuple[list[ScoreEvidence], list[ScoreEvidence]]:
    agreement_rules, fact_rules = _registry_rules()
    answers: list[ScoreEvidence] = []
    signals: list[ScoreEvidence] = []
    for item in facts:
        if isinstance(item, Agreement):
            for rule in agreement_rules:
                if str(item.kind) in rule.kinds and str(item.status) in rule.statuses:
                    signed = f", signed {item.signed.isoformat()}" if item.signed else ""
                    answers.append(
                        ScoreEvidence(
                            kind=EvidenceKind.REGISTRY,
                            criterion=rule.criterion,
                            aspect=rule.aspect,
                            meaning=rule.meaning,
                            summary=f"{rule.label}: {item.agency_name} ({item.kind}, {item.status}{signed})",
                            citation=item.id,
                            source=_source_label(item.source) or item.document_url,
                            quote=None,
                            code="agreement",
                            values={
                                "label": rule.label,
                                "agency": item.agency_name,
                                "kind": str(item.kind),
                                "status": str(item.status),
                                "signed": item.signed.isoformat() if item.signed else None,
                            },
                        )
                    )
            for fact_rule in fact_rules:
                if str(item.kind) in fact_rule.kinds and str(item.status) in fact_rule.statuses:
                    first, last = _day(item.first_seen), _day(item.last_seen)
                    used = fact_rule.when.format(first=first, last=last)
                    if first == last:  # one dated record: one date
                        used = used.split(" – ")[0]
                    signals.extend(
                        ScoreEvidence(
                            kind=EvidenceKind.SIGNAL,
                            criterion=criterion,
                            summary=f"{fact_rule.label}: {item.agency_name}, {used}",
                            citation=item.id,
                            source=_source_label(item.source),
                            code=fact_rule.code,
                            values={
                                "label": fact_rule.label,
                                "agency": item.agency_name,
                                "first": first,
                                "last": None if first == last else last,
                            },
                        )
                        for criterion in fact_rule.signal_for
                    )
        elif isinstance(item, Fact):
            for fact_rule in fact_rules:
                if item.kind in fact_rule.kinds and not fact_rule.statuses:
                    dated = f" ({item.date.isoformat()})" if item.date else ""
                    code, values = fact_words(item.kind, item.value)
                    values = {
                        "label": fact_rule.label,
                        **values,
                        "date": item.date.isoformat() if item.date else None,
                    }
                    for criterion in fact_rule.signal_for:
                        signals.append(
                            ScoreEvidence(
                                kind=EvidenceKind.SIGNAL,
                                criterion=criterion,
                                summary=f"{fact_rule.label}: {describe_fact(item.kind, item.value)}{dated}",
                                source=_source_label(item.source),
                                code=code,
                                values=dict(values) if code else {},
                            )
                        )
        else:
            raise InputError(f"registry facts must be Agreement or Fact objects, not {type(item).__name__}")
    return answers, signals


# ------------------------------------------------------------------------------------------ building
def _policy_evidence(answer: CriterionAnswer) -> list[ScoreEvidence]:
    return [
        ScoreEvidence(
            kind=EvidenceKind.POLICY,
            criterion=answer.criterion,
            aspect=p.aspect,
            meaning=p.meaning,
            summary=f"{p.text_name}: {p.note}" if p.note else p.text_name,
            quote=p.quote,
            citation=p.citation,
            source=f"{p.text_name} [{p.start}:{p.end}] (pattern {p.pattern})",
            start=p.start,
            end=p.end,
        )
        for p in answer.provisions
    ]


def _law_evidence(law: StateLaw) -> list[ScoreEvidence]:
    return [
        ScoreEvidence(
            kind=EvidenceKind.STATE_LAW,
            criterion=effect.criterion,
            aspect=effect.aspect,
            meaning=effect.meaning,
            summary=f"{law.label}, {effect.provision}" + (f": {effect.summary}" if effect.summary else ""),
            quote=effect.quote,
            citation=f"{law.citation}, {effect.provision}",
            source=effect.source or law.url,
            code="state-law",
            values={
                "law": law.label,
                "provision": effect.provision,
                "summary": effect.summary,
                "translations": {language: dict(words) for language, words in effect.translations.items()},
            },
        )
        for effect in law.effects
    ]


def _place_fields(place: Jurisdiction | str) -> tuple[str, str | None, str | None]:
    if isinstance(place, Jurisdiction):
        return place.name, place.id, place.state
    if isinstance(place, str) and place.strip():
        return place, None, None
    raise InputError("a scorecard needs a place: a Jurisdiction or a name")


def build_scorecard(
    place: Jurisdiction | str,
    registry_facts: Sequence[Agreement | Fact] = (),
    inherited_law: Sequence[StateLaw] = (),
    policy_answers: Sequence[CriterionAnswer] = (),
    overrides: Sequence[Override | dict[str, Any]] = (),
    *,
    toolkit: Toolkit | None = None,
) -> Scorecard:
    """Combine every kind of evidence into one answer per criterion, keeping each piece of evidence.

    Per criterion part, the sources (the policy texts together, each inherited law, the registry) are
    combined with `combine_sources`; an override replaces the answer but the derived one is kept beside it.
    """
    toolkit = toolkit or load_toolkit()
    name, place_id, state = _place_fields(place)
    by_id = {criterion.id: criterion for criterion in toolkit.criteria}
    given: dict[str, Override] = {}
    for item in overrides:
        given_item = item if isinstance(item, Override) else Override.from_mapping(item)
        if given_item.criterion not in by_id:
            raise InputError(
                f"override names unknown criterion {given_item.criterion!r}; known: {sorted(by_id)}"
            )
        given[given_item.criterion] = given_item
    policy = {answer.criterion: answer for answer in policy_answers}
    unknown = sorted(set(policy) - set(by_id))
    if unknown:
        raise InputError(f"policy answers name unknown criteria {unknown}")
    registry, signals = _registry_evidence(registry_facts)

    rows = []
    for criterion in toolkit.criteria:
        evidence: list[ScoreEvidence] = []
        sources: dict[str, list[Answer]] = {aspect: [] for aspect in criterion.aspect_ids}
        if criterion.id in policy:
            answer = policy[criterion.id]
            evidence.extend(_policy_evidence(answer))
            policy_aspects = dict(answer.aspects)
            for aspect in criterion.aspect_ids:
                sources[aspect].append(policy_aspects.get(aspect, Answer.UNKNOWN))
        for law in inherited_law:
            law_items = [item for item in _law_evidence(law) if item.criterion == criterion.id]
            evidence.extend(law_items)
            for aspect in criterion.aspect_ids:
                sources[aspect].append(
                    aspect_answer(i.meaning for i in law_items if i.aspect == aspect and i.meaning)
                )
        registry_items = [item for item in registry if item.criterion == criterion.id]
        evidence.extend(registry_items)
        for aspect in criterion.aspect_ids:
            sources[aspect].append(
                aspect_answer(i.meaning for i in registry_items if i.aspect == aspect and i.meaning)
            )
        aspects = tuple((aspect, combine_sources(sources[aspect])) for aspect in criterion.aspect_ids)
        derived = criterion_answer(answer for _, answer in aspects)
        override = given.get(criterion.id)
        rows.append(
            ScorecardRow(
                criterion=criterion,
                answer=override.answer if override else derived,
                origin=Origin.GIVEN if override else Origin.DERIVED,
                derived_answer=derived,
                aspects=aspects,
                evidence=tuple(evidence),
                signals=tuple(s for s in signals if s.criterion == criterion.id),
                explanation=_row_explanation(derived, evidence, override),
                override=override,
            )
        )
    return Scorecard(name, place_id, state, tuple(rows), tuple(inherited_law), toolkit)


def row_reasons(evidence: Sequence[ScoreEvidence]) -> dict[str, Any]:
    """What an answer was worked out from, as values a page words in its own language: how many pieces
    of evidence, of which kinds, and whether sources disagree (one satisfies what another contradicts)."""
    clashing = {item.aspect for item in evidence if item.meaning is Meaning.SATISFIES} & {
        item.aspect for item in evidence if item.meaning is Meaning.CONTRADICTS
    }
    return {
        "pieces": len(evidence),
        "kinds": sorted({item.kind.value for item in evidence}),
        "disagree": bool(clashing),
    }


def _row_explanation(derived: Answer, evidence: Sequence[ScoreEvidence], override: Override | None) -> str:
    reasons = row_reasons(evidence)
    if derived is Answer.UNKNOWN:
        text = "No evidence answers this yet."
    else:
        text = (
            f"Derived {derived.value} from {reasons['pieces']} piece(s) of evidence "
            f"({', '.join(reasons['kinds'])})."
        )
        if reasons["disagree"]:
            text += " Sources disagree: one satisfies what another contradicts."
    if override:
        text += f" Given answer {override.answer.value}: {override.note} (source: {override.source})."
    return text


# ------------------------------------------------------------------------------------------ gaps
# How each group of the toolkit's best practices is acted on: its "prohibit" items name what a policy should
# forbid ("An ideal sanctuary city policy will prohibit:"), its "include" items what it should contain, and
# its alternative an ordinance; a derived criterion (row 7) is met by writing the others without exceptions.
_DOING = {
    "prohibit": "adopt a policy prohibiting",
    "include": "adopt a policy that includes",
    "alternative": "adopt an ordinance prohibiting",
    "criterion": "write the policy so that",
}
# The toolkit's list punctuation, and the words that introduce its next list, are not part of an item.
_LIST_TAIL = re.compile(r"(?:;\s*and include the following:|;\s*and|;|\.)\s*$")


@dataclass(frozen=True, slots=True)
class GapAction:
    """One thing to do about a gap: what to do with a toolkit item, and the item in the toolkit's words."""

    doing: str  # "adopt a policy prohibiting"
    item: str  # the toolkit's words, without its list punctuation
    group: str  # prohibit | include | alternative | criterion

    @property
    def text(self) -> str:
        return f"{self.doing}: {self.item}"


def _action(group: str, words: str) -> GapAction:
    item = _LIST_TAIL.sub("", " ".join(words.split())).strip()
    if group == "alternative":  # "One strategy ... is to pass an ordinance prohibiting ..." -> the ordinance
        found = re.search(r"\bordinance prohibiting ([^.]*)", item)
        item = found.group(1) if found else item
    if group == "criterion":
        item = item[0].lower() + item[1:]
    return GapAction(_DOING[group], item, group)


@dataclass(frozen=True, slots=True)
class Gap:
    """What a jurisdiction would need to adopt (or end) to meet one criterion it does not meet."""

    criterion: str
    label: str
    answer: Answer
    actions: tuple[GapAction, ...]  # the toolkit's best practices, each with what to do with it
    model_policies: tuple[ModelPolicy, ...]
    end: tuple[str, ...]  # agreements on record that stand in the way
    constraints: tuple[str, ...]  # inherited state law that requires what the criterion prohibits
    where_to_look: tuple[str, ...]

    @property
    def adopt(self) -> tuple[str, ...]:
        return tuple(action.text for action in self.actions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "label": self.label,
            "answer": self.answer.value,
            "adopt": list(self.adopt),
            "actions": [{"do": a.doing, "item": a.item, "group": a.group} for a in self.actions],
            "model_policies": [
                {"label": m.label, "url": m.url, "basis": m.basis} for m in self.model_policies
            ],
            "end": list(self.end),
            "constraints": list(self.constraints),
            "where_to_look": list(self.where_to_look),
        }

    def to_markdown(self) -> str:
        lines = [f"## {self.label} — now {self.answer.value}"]
        lines += [f"- {action.text}" for action in self.actions]
        lines += [f"- end: {item}" for item in self.end]
        lines += [f"- state law in the way: {item}" for item in self.constraints]
        lines += [f"- model: {policy.label} <{policy.url}>" for policy in self.model_policies]
        lines += [f"- where to look: {item}" for item in self.where_to_look]
        return "\n".join(lines) + "\n"


def gaps_markdown(found: Sequence[Gap]) -> str:
    """The gaps of a scorecard as Markdown, one section per criterion not met."""
    return "\n".join(gap.to_markdown() for gap in found) or "no gaps: every criterion is met\n"


def gaps(scorecard: Scorecard) -> list[Gap]:
    """One Gap per criterion not answered Y, citing the toolkit's best practices and model policies."""
    toolkit = scorecard.toolkit
    found = []
    for row in scorecard.rows:
        if row.answer is Answer.YES:
            continue
        criterion = row.criterion
        actions = [
            _action(practice.group, practice.text)
            for practice in (toolkit.best_practice(p) for p in criterion.best_practices)
        ]
        if criterion.derived_from:
            actions.append(_action("criterion", criterion.criterion))
        models = tuple(m for m in toolkit.model_policies if criterion.id in m.covers)
        end = tuple(
            item.summary
            for item in row.evidence
            if item.kind is EvidenceKind.REGISTRY and item.meaning in (Meaning.CONTRADICTS, Meaning.PARTIAL)
        )
        constraints = tuple(
            f"{item.summary} ({item.citation})"
            for item in row.evidence
            if item.kind is EvidenceKind.STATE_LAW and item.meaning is Meaning.CONTRADICTS
        )
        found.append(
            Gap(
                criterion=criterion.id,
                label=criterion.label,
                answer=row.answer,
                actions=tuple(actions),
                model_policies=models,
                end=end,
                constraints=constraints,
                where_to_look=row.where_to_look if row.answer is Answer.UNKNOWN else (),
            )
        )
    return found


# ------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True, slots=True)
class Comparison:
    """Several scorecards side by side: one row per criterion, one column per place."""

    places: tuple[str, ...]
    rows: tuple[tuple[Criterion, tuple[tuple[Answer, Origin], ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "places": list(self.places),
            "rows": [
                {
                    "criterion": criterion.id,
                    "label": criterion.label,
                    "answers": {
                        place: {"answer": answer.value, "origin": origin.value}
                        for place, (answer, origin) in zip(self.places, cells, strict=True)
                    },
                }
                for criterion, cells in self.rows
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        header = "| Criterion | " + " | ".join(_md_cell(p) for p in self.places) + " |"
        lines = [header, "|" + "---|" * (len(self.places) + 1)]
        for criterion, cells in self.rows:
            answers = [f"{a.value}{' (given)' if o is Origin.GIVEN else ''}" for a, o in cells]
            lines.append(f"| {_md_cell(_row_title(criterion))} | " + " | ".join(answers) + " |")
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(p)}</th>" for p in self.places)
        body = []
        for criterion, cells in self.rows:
            tds = "".join(
                f'<td class="answer-{e(a.value.lower())}">{e(a.value)}{_given(o)}</td>' for a, o in cells
            )
            body.append(f'<tr><th scope="row">{e(_row_title(criterion))}</th>{tds}</tr>')
        return (
            '<table class="scorecard-comparison"><thead><tr><th>Criterion</th>'
            + head
            + "</tr></thead><tbody>"
            + "".join(body)
            + "</tbody></table>\n"
        )


def compare(scorecards: Sequence[Scorecard]) -> Comparison:
    """Put scorecards side by side; they must come from the same toolkit."""
    if not scorecards:
        raise InputError("nothing to compare: give at least one scorecard")
    first = scorecards[0].toolkit
    if any(card.toolkit.criteria != first.criteria for card in scorecards):
        raise InputError("scorecards to compare must use the same checklist")
    rows = tuple(
        (
            criterion,
            tuple((card.row(criterion.id).answer, card.row(criterion.id).origin) for card in scorecards),
        )
        for criterion in first.criteria
    )
    return Comparison(tuple(card.place for card in scorecards), rows)


# ------------------------------------------------------------------------------------------ rendering
def _given(origin: Origin) -> str:
    return " (given)" if origin is Origin.GIVEN else ""


def _row_title(criterion: Criterion) -> str:
    number = f"{criterion.number}. " if criterion.number else ""
    return f"{number}{criterion.label}"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(card: Scorecard) -> str:
    lines = [f"# Scorecard: {card.place}", ""]
    lines.append(f"Checklist: *{card.toolkit.title}*, {card.toolkit.publisher}.")
    lines.append("")
    lines.append("| Criterion | Answer | How |")
    lines.append("|---|---|---|")
    for row in card.rows:
        lines.append(f"| {_md_cell(_row_title(row.criterion))} | {row.answer.value} | {row.origin.value} |")
    lines.append("")
    for row in card.rows:
        c = row.criterion
        lines.append(f"## {_row_title(c)} — {row.answer.value} ({row.origin.value})")
        lines.append("")
        lines.append(f"> {c.criterion}")
        lines.append("")
        for question in c.questions:
            lines.append(f"- {question}")
        if c.questions:
            lines.append("")
        lines.append(row.explanation)
        lines.append("")
        for item in row.evidence:
            meaning = f" *{item.meaning.value}*" if item.meaning else ""
            lines.append(f"- [{item.kind.value}]{meaning} {item.summary}")
            if item.quote:
                lines.append(f"  > {item.quote}")
            if item.citation or item.source:
                lines.append(f"  ({'; '.join(x for x in (item.citation, item.source) if x)})")
        for item in row.signals:
            lines.append(f"- [signal] {item.summary} ({item.source or 'registry'})")
        if row.derived_answer is Answer.UNKNOWN and row.where_to_look:
            lines.append("")
            lines.append("Where to look: " + " ".join(row.where_to_look))
        lines.append("")
    if card.inherited_law:
        lines.append("## State law inherited")
        lines.append("")
        for law in card.inherited_law:
            lines.append(
                f"- {law.label} — {law.citation} ({law.url})" + (f". {law.note}" if law.note else "")
            )
        lines.append("")
    return "\n".join(lines)


def _html(card: Scorecard) -> str:
    e = html.escape
    parts = [f'<article class="scorecard"><h1>Scorecard: {e(card.place)}</h1>']
    parts.append(f"<p>Checklist: <cite>{e(card.toolkit.title)}</cite>, {e(card.toolkit.publisher)}.</p>")
    parts.append("<table><thead><tr><th>Criterion</th><th>Answer</th><th>How</th></tr></thead><tbody>")
    for row in card.rows:
        parts.append(
            f"<tr><td>{e(_row_title(row.criterion))}</td>"
            f'<td class="answer-{e(row.answer.value.lower())}">{e(row.answer.value)}</td>'
            f"<td>{e(row.origin.value)}</td></tr>"
        )
    parts.append("</tbody></table>")
    for row in card.rows:
        c = row.criterion
        parts.append(f'<section id="{e(c.id)}"><h2>{e(_row_title(c))} — {e(row.answer.value)}</h2>')
        parts.append(f"<blockquote>{e(c.criterion)}</blockquote>")
        if c.questions:
            parts.append("<ul>" + "".join(f"<li>{e(q)}</li>" for q in c.questions) + "</ul>")
        parts.append(f"<p>{e(row.explanation)}</p><ul>")
        for item in row.evidence:
            quote = f"<blockquote>{e(item.quote)}</blockquote>" if item.quote else ""
            cite = "; ".join(x for x in (item.citation, item.source) if x)
            meaning = f" <em>{e(item.meaning.value)}</em>" if item.meaning else ""
            parts.append(
                f"<li>[{e(item.kind.value)}]{meaning} {e(item.summary)}{quote}<small>{e(cite)}</small></li>"
            )
        for item in row.signals:
            parts.append(f"<li>[signal] {e(item.summary)} <small>{e(item.source or 'registry')}</small></li>")
        parts.append("</ul>")
        if row.derived_answer is Answer.UNKNOWN and row.where_to_look:
            parts.append("<p>Where to look: " + " ".join(e(w) for w in row.where_to_look) + "</p>")
        parts.append("</section>")
    if card.inherited_law:
        parts.append("<h2>State law inherited</h2><ul>")
        for law in card.inherited_law:
            parts.append(f"<li>{e(law.label)} — {e(law.citation)} <small>{e(law.url)}</small></li>")
        parts.append("</ul>")
    parts.append("</article>\n")
    return "".join(parts)
