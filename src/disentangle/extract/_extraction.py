"""What extraction returns: the agreement's classification and terms, each fact with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from disentangle.model import Document, Evidence, FieldReview, Finding, Signatory


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """Which standard text the agreement was written on."""

    family: str  # kind + era, e.g. "287g-tfm-2025"
    era: str  # "2019-2020", "2025", "2025-01"
    revision: str | None  # ISO date of the footer's "Revised" date, when printed
    marker: str | None  # the footer as printed, e.g. "Revised 03/07/2025"
    known_revision: bool | None  # the printed revision is one knowledge/agreements/templates.yaml lists
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "era": self.era,
            "revision": self.revision,
            "marker": self.marker,
            "known_revision": self.known_revision,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True, slots=True)
class NoticeTerm:
    """The notice one side must give to end the agreement: None days where no period is set."""

    side: str  # LEA | ICE
    days: int | None
    in_writing: bool

    @property
    def words(self) -> str:
        """In English words, as the CLI and the JSON give it."""
        if self.days is not None:
            return f"{self.side}: {self.days} days{' written' if self.in_writing else ''} notice"
        return f"{self.side}: in writing, no notice period"

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "days": self.days, "in_writing": self.in_writing}


@dataclass(slots=True)
class Termination:
    """Who may end the agreement and how; None where the agreement does not say."""

    by_lea: bool | None = None
    by_ice: bool | None = None
    lea_notice_days: int | None = None
    ice_notice_days: int | None = None
    lea_in_writing: bool | None = None
    ice_in_writing: bool | None = None
    lea_notice_to: str | None = None
    ice_publishes_days: int | None = None

    @property
    def notice_terms(self) -> tuple[NoticeTerm, ...]:
        """The notice each side must give, as values (a page words them in its own language)."""
        return tuple(
            NoticeTerm(side, days, bool(writing))
            for side, days, writing in (
                ("LEA", self.lea_notice_days, self.lea_in_writing),
                ("ICE", self.ice_notice_days, self.ice_in_writing),
            )
            if days is not None or writing
        )

    @property
    def notice(self) -> str | None:
        """The notice each side must give, in words."""
        return "; ".join(term.words for term in self.notice_terms) or None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Termination:
        """A termination as to_json() wrote it (its derived `notice` dropped)."""
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})

    def to_json(self) -> dict[str, Any]:
        return {
            "by_lea": self.by_lea,
            "by_ice": self.by_ice,
            "notice": self.notice,
            "lea_notice_days": self.lea_notice_days,
            "ice_notice_days": self.ice_notice_days,
            "lea_in_writing": self.lea_in_writing,
            "ice_in_writing": self.ice_in_writing,
            "lea_notice_to": self.lea_notice_to,
            "ice_publishes_days": self.ice_publishes_days,
        }


@dataclass(slots=True)
class Extraction:
    """Everything extract_agreement found in one document. A field the document does not show is None."""

    sha256: str
    filename: str
    kind: str  # an AgreementKind value, or "unknown"
    kind_confidence: float
    template: TemplateInfo | None = None
    agency_name: str | None = None
    agency_abbreviation: str | None = None
    state: str | None = None  # USPS code
    state_candidates: list[str] = field(
        default_factory=list
    )  # when the state is left empty: those equally allowed
    ori: str | None = None
    ice_office: str | None = None
    signatories: list[Signatory] = field(default_factory=list)
    signed_date: date | None = None
    effective_date: date | None = None
    effective_rule: str | None = None  # upon_signature, ...
    term: str | None = None  # until_terminated, ...
    review_years: int | None = None
    functions: list[str] = field(default_factory=list)
    obligations: list[dict[str, Any]] = field(
        default_factory=list
    )  # code, rule, label, text (the clause), page
    reimbursement: list[dict[str, Any]] = field(default_factory=list)
    termination: Termination = field(default_factory=Termination)
    suspension: dict[str, bool] = field(default_factory=dict)
    addenda: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readability: float = 1.0
    document: Document | None = field(default=None, repr=False, compare=False)  # what it was read from

    def add(self, field_name: str, value: Any, evidence: Evidence) -> None:
        self.findings.append(Finding(field_name, value, evidence))

    def evidence_for(self, field_name: str) -> list[Finding]:
        return [f for f in self.findings if f.field == field_name]

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready object: the output contract of `disentangle extract --json`."""
        return {
            "sha256": self.sha256,
            "filename": self.filename,
            "kind": self.kind,
            "kind_confidence": round(self.kind_confidence, 3),
            "template": self.template.to_json() if self.template else None,
            "agency": {
                "name": self.agency_name,
                "state": self.state,
                "state_candidates": list(self.state_candidates),
                "abbreviation": self.agency_abbreviation,
                "ori": self.ori,
            },
            "ice_office": self.ice_office,
            "signatories": [s.to_json() for s in self.signatories],
            "signed_date": _iso(self.signed_date),
            "effective_date": _iso(self.effective_date),
            "effective_rule": self.effective_rule,
            "term": self.term,
            "review_years": self.review_years,
            "functions": list(self.functions),
            "obligations": list(self.obligations),
            "reimbursement": list(self.reimbursement),
            "termination": self.termination.to_json(),
            "suspension": dict(self.suspension),
            "addenda": list(self.addenda),
            "facts": [_fact_json(f) for f in self.findings],
            "warnings": list(self.warnings),
            "readability": round(self.readability, 3),
            "review": [r.to_json() for r in self.review()],
        }

    def review(self) -> list[FieldReview]:
        """Every field the agreement should show, read or waiting for a person (extract/_review.py)."""
        from disentangle.extract._review import review_extraction

        return review_extraction(self)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _fact_json(finding: Finding) -> dict[str, Any]:
    value = finding.value
    if isinstance(value, date):
        value = value.isoformat()
    e = finding.evidence
    return {
        "field": finding.field,
        "value": value,
        "page": e.page,
        "start": e.start,
        "end": e.end,
        "quote": e.quote,
        "rule": e.rule,
        "confidence": round(e.confidence, 3),
    }
