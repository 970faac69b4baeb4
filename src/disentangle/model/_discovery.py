"""Agreements found in records, what a locality does about them, and the campaigns that bring them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from disentangle.model._documents import Evidence
from disentangle.model._judgement import evidence_from_json, evidence_json
from disentangle.model._types import ACTION_STATUS, AgreementStatus, EventKind, FoundReview


@dataclass(frozen=True, slots=True)
class FoundClause:
    """A part of a found agreement a letter may quote: its title, a signature block, a clause."""

    part: str  # title, parties, signature.lea, signature.ice, obligation, reimbursement, termination, term
    label: str  # what it is, in the tool's words
    evidence: Evidence  # the verbatim words, with document, page and span

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "label": self.label, "evidence": evidence_json(self.evidence)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FoundClause:
        return cls(str(data["part"]), str(data["label"]), evidence_from_json(data["evidence"]))


@dataclass(frozen=True, slots=True)
class FoundSignatory:
    side: str  # lea | ice
    name: str | None
    title: str | None
    date: date | None
    date_note: str | None = None  # why no date is given: "no date could be read" is not "no date"


@dataclass(slots=True)
class FoundAgreement:
    """An agreement read from a document, and whether it may enter the registry (its review state)."""

    sha256: str
    agreement_id: str  # the registry agreement it is: a found one, or the ICE-listed one it is a copy of
    listed: bool  # agreement_id is an agreement on ICE's lists (the document is its copy)
    kind: str  # an AgreementKind value
    agency_id: str | None
    agency_name: str  # as the document names it (else as the registry does)
    ori: str | None
    state: str | None
    signed: date | None
    review: FoundReview
    reasons: list[str] = field(default_factory=list)  # why a person must look, one sentence each
    request_id: str | None = None
    title: str | None = None
    effective: date | None = None
    term: str | None = None
    signatories: list[FoundSignatory] = field(default_factory=list)
    clauses: list[FoundClause] = field(default_factory=list)
    agency_rule: str = ""  # how the document was tied to its agency
    termination: dict[str, Any] = field(default_factory=dict)  # who may end it, in writing, notice days

    @property
    def in_registry(self) -> bool:
        """Does the registry show it (a sure reading, or confirmed by a person)?"""
        return self.review in (FoundReview.READ, FoundReview.CONFIRMED)

    def clause(self, part: str) -> FoundClause | None:
        return next((c for c in self.clauses if c.part == part), None)


@dataclass(frozen=True, slots=True)
class AgreementAction:
    """Something a locality did about an agreement, or what became of it, with the evidence it rests on."""

    agreement_id: str
    kind: EventKind
    on: date
    note: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)  # document sha256, request, letter kind
    letter: str | None = None  # the letter drafted or sent, as written


@dataclass(frozen=True, slots=True)
class CampaignTopic:
    """What a discovery campaign asks every agency for (knowledge/letters/campaigns.yaml)."""

    id: str
    label: str
    description: str
    topics: tuple[str, ...]  # records-request topics of knowledge/letters/asks.yaml
    kinds: tuple[str, ...]  # the agreement kinds a document it brings out counts as found
    source: str
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: label, description

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "topics": list(self.topics),
            "kinds": list(self.kinds),
            "source": self.source,
            "translations": self.translations,
        }


def status_after(actions: list[AgreementAction]) -> AgreementStatus:
    """The status a found agreement's dated actions leave it in: in force until one ends it."""
    status = AgreementStatus.IN_FORCE
    for action in sorted(actions, key=lambda a: a.on):
        changed = ACTION_STATUS.get(action.kind)
        if changed is not None:
            status = changed
    return status
