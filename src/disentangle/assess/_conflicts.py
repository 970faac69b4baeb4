"""An agreement's obligations set against the jurisdiction's policy texts and inherited state law."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from disentangle.assess._policytext import Markup, PolicyText, word_view
from disentangle.assess._scoring import find_provisions
from disentangle.assess._statelaw import StateLaw
from disentangle.assess._toolkit import Meaning, Toolkit, load_toolkit
from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations
from disentangle.model import AGREEMENT_KINDS, Finding

CONFLICTS_FILE = "scorecard/conflicts.yaml"
_CONFLICTING = (Meaning.SATISFIES, Meaning.PARTIAL)
# A phrase an explanation quotes from the agreement: straight or curly double quotes.
QUOTED = re.compile(r'"[^"]+"|“[^”]+”')


@dataclass(frozen=True, slots=True)
class Obligation:
    """One obligation an agreement puts on the local agency, in the agreement's words."""

    text: str
    agreement_kind: str | None = None
    agreement: str | None = None  # id or name of the agreement
    clause: str | None = None  # e.g. "V.A Assignment of Officer(s)"
    page: int | None = None

    @classmethod
    def coerce(cls, item: Obligation | Finding | dict[str, Any]) -> Obligation:
        if isinstance(item, Obligation):
            return item
        if isinstance(item, Finding):
            return cls(
                text=item.evidence.quote or str(item.value), clause=item.field, page=item.evidence.page
            )
        if isinstance(item, dict) and item.get("text"):
            return cls(
                text=str(item["text"]),
                agreement_kind=item.get("agreement_kind") or item.get("kind"),
                agreement=item.get("agreement"),
                clause=item.get("clause"),
                page=item.get("page"),
            )
        raise InputError(f"an obligation needs its text; got {item!r}")


@dataclass(frozen=True, slots=True)
class Conflict:
    """An obligation and the provision it clashes with, both quoted side by side."""

    rule: str
    strength: str  # direct | potential
    explanation: str
    obligation: Obligation
    criterion: str
    aspect: str
    against_kind: str  # policy | state-law
    against_name: str  # the policy text's name, or the law's label
    against_citation: str | None
    against_quote: str
    against_start: int | None = None
    against_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "strength": self.strength,
            "explanation": self.explanation,
            "obligation": {
                "text": self.obligation.text,
                "agreement": self.obligation.agreement,
                "agreement_kind": self.obligation.agreement_kind,
                "clause": self.obligation.clause,
                "page": self.obligation.page,
            },
            "criterion": self.criterion,
            "aspect": self.aspect or None,
            "against": {
                "kind": self.against_kind,
                "name": self.against_name,
                "citation": self.against_citation,
                "quote": self.against_quote,
                "start": self.against_start,
                "end": self.against_end,
            },
        }


@dataclass(frozen=True, slots=True)
class ConflictRule:
    id: str
    obligation: re.Pattern[str] | None
    agreement_kinds: tuple[str, ...]
    conflicts_with: tuple[tuple[str, str], ...]  # (criterion, aspect or "")
    strength: str
    explanation: str
    source: str
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"explanation": ...}}

    def fires_on(self, obligation: Obligation) -> bool:
        if self.obligation is not None:
            words = word_view(obligation.text, Markup.PLAIN).words
            return bool(self.obligation.search(words)) and (
                not self.agreement_kinds or obligation.agreement_kind in self.agreement_kinds
            )
        return obligation.agreement_kind in self.agreement_kinds


def parse_conflict_rules(doc: Any, toolkit: Toolkit, origin: str) -> tuple[ConflictRule, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise KnowledgeError(f"{origin}: expected a 'rules' list")
    criteria = {criterion.id: criterion for criterion in toolkit.criteria}
    rules = []
    for index, entry in enumerate(doc["rules"]):
        rule_id = entry.get("id") or f"rules[{index}]"
        if not entry.get("obligation") and not entry.get("agreement_kinds"):
            raise KnowledgeError(f"{origin}: {rule_id} needs an obligation pattern or agreement_kinds")
        kinds = tuple(entry.get("agreement_kinds") or ())
        if not set(kinds) <= set(AGREEMENT_KINDS):
            raise KnowledgeError(f"{origin}: {rule_id} names unknown agreement kinds {list(kinds)}")
        targets = []
        for target in entry.get("conflicts_with") or []:
            criterion, _, aspect = str(target).partition(":")
            if criterion not in criteria or aspect not in criteria[criterion].aspect_ids:
                raise KnowledgeError(
                    f"{origin}: {rule_id} conflicts_with unknown criterion or aspect {target!r}"
                )
            targets.append((criterion, aspect))
        if not targets:
            raise KnowledgeError(f"{origin}: {rule_id} names nothing in conflicts_with")
        if entry.get("strength") not in ("direct", "potential"):
            raise KnowledgeError(f"{origin}: {rule_id} strength must be 'direct' or 'potential'")
        try:
            pattern = re.compile(entry["obligation"], re.IGNORECASE) if entry.get("obligation") else None
        except re.error as exc:
            raise KnowledgeError(f"{origin}: {rule_id} obligation pattern is invalid: {exc}") from exc
        if not entry.get("explanation") or not entry.get("source"):
            raise KnowledgeError(f"{origin}: {rule_id} needs an explanation and a source")
        explanation = " ".join(str(entry["explanation"]).split())
        found = translations(entry, ("explanation",), origin, str(rule_id))
        for language, given in found.items():
            for quote in QUOTED.findall(explanation):
                if quote not in given.get("explanation", quote):
                    raise KnowledgeError(
                        f"{origin}: {rule_id}.{language}.explanation must keep the quote {quote} verbatim"
                    )
        rules.append(
            ConflictRule(
                rule_id,
                pattern,
                kinds,
                tuple(targets),
                entry["strength"],
                explanation,
                entry["source"],
                found,
            )
        )
    return tuple(rules)


@cache
def load_conflict_rules() -> tuple[ConflictRule, ...]:
    return parse_conflict_rules(
        load_yaml(CONFLICTS_FILE), load_toolkit(), str(KNOWLEDGE_DIR / CONFLICTS_FILE)
    )


def find_conflicts(
    obligations: Sequence[Obligation | Finding | dict[str, Any]],
    policy_texts: Sequence[PolicyText] = (),
    inherited_law: Sequence[StateLaw] = (),
    *,
    rules: Sequence[ConflictRule] | None = None,
) -> list[Conflict]:
    """Every clash between an obligation and a provision of the policy texts or inherited state law."""
    rules = load_conflict_rules() if rules is None else rules
    # Everything an obligation can clash with, in one shape:
    # ((criterion, aspect), meaning, kind, name, citation, quote, start, end)
    against: list[tuple[tuple[str, str], Any, str, str, str | None, str, int | None, int | None]] = [
        ((p.criterion, p.aspect), p.meaning, "policy", p.text_name, p.citation, p.quote, p.start, p.end)
        for text in policy_texts
        for p in find_provisions(text)
    ]
    against.extend(
        (
            (effect.criterion, effect.aspect),
            effect.meaning,
            "state-law",
            law.label,
            f"{law.citation}, {effect.provision}",
            effect.quote or effect.summary or "",
            None,
            None,
        )
        for law in inherited_law
        for effect in law.effects
    )
    conflicts: list[Conflict] = []
    for item in obligations:
        obligation = Obligation.coerce(item)
        for rule in rules:
            if not rule.fires_on(obligation):
                continue
            for criterion, aspect in rule.conflicts_with:
                for key, meaning, kind, name, citation, quote, start, end in against:
                    if key == (criterion, aspect) and meaning in _CONFLICTING:
                        conflicts.append(
                            Conflict(
                                rule.id,
                                rule.strength,
                                rule.explanation,
                                obligation,
                                criterion,
                                aspect,
                                kind,
                                name,
                                citation,
                                quote,
                                start,
                                end,
                            )
                        )
    return conflicts
