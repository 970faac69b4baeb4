"""Each field read from a document carries its review state: read by the machine, waiting for a person (with
the reason), or finished by a person. A person's entry is evidence of its own kind — who, when, and the page
region they looked at — kept beside the machine's reading, never in its place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from disentangle.model._documents import Evidence
from disentangle.model._judgement import evidence_from_json, evidence_json


class FieldState(StrEnum):
    """Where one field of a document stands."""

    READ = "read"  # read by the machine, plausible and sure: the answer
    NEEDS_REVIEW = "needs-review"  # the machine is unsure or could not read it: a suggestion at most
    CONFIRMED = "confirmed"  # a person confirmed the machine's reading
    CORRECTED = "corrected"  # a person typed the value


class ReviewReason(StrEnum):
    """Why a field waits for a person."""

    HANDWRITTEN = "handwritten"  # the text layer holds no value where the form asks for one: written by hand
    UNREADABLE = "unreadable"  # a scan whose OCR gave no value (handwriting, a faint or damaged image)
    CONFLICTING = "conflicting"  # the document gives two different readings
    IMPLAUSIBLE = "implausible"  # what was read is no plausible value (OCR debris, a name where a title is)
    UNSURE = "unsure"  # read, but from a reading the machine trusts too little (fuzzy, faint OCR)
    NOT_FOUND = "not-found"  # the block or clause that holds the value was not found at all


REASON_WORDS = {
    ReviewReason.HANDWRITTEN: "not in the text layer: written by hand or in a form field",
    ReviewReason.UNREADABLE: "OCR could not read it: handwriting or a faint scan",
    ReviewReason.CONFLICTING: "the document gives different readings",
    ReviewReason.IMPLAUSIBLE: "what was read does not look like a real value",
    ReviewReason.UNSURE: "read from a reading the machine does not trust enough",
    ReviewReason.NOT_FOUND: "the part of the document that holds it was not found",
}


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of a page, as fractions of its width and height (0 = left/top, 1 = right/bottom)."""

    page: int
    left: float
    top: float
    right: float
    bottom: float

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "left": round(self.left, 4),
            "top": round(self.top, 4),
            "right": round(self.right, 4),
            "bottom": round(self.bottom, 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Region:
        return cls(
            int(data["page"]),
            float(data["left"]),
            float(data["top"]),
            float(data["right"]),
            float(data["bottom"]),
        )


@dataclass(frozen=True, slots=True)
class PersonEntry:
    """A value a person confirmed or typed: evidence of its own kind (who, when, the region looked at)."""

    field: str
    value: str | None  # None: the person says the document shows no value there
    state: FieldState  # CONFIRMED or CORRECTED
    by: str
    at: datetime
    region: Region | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "state": self.state.value,
            "entered_by_person": True,
            "by": self.by,
            "at": self.at.isoformat(timespec="seconds"),
            "region": self.region.to_json() if self.region else None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class FieldReview:
    """One field of a document: the machine's reading (a suggestion when unsure), its state and why, where
    on the page it should be, and a person's entry when there is one."""

    field: str  # a path into the extraction: "agency.name", "signatories[0].date"
    label: str  # in words: "Local agency signer's date"
    machine: str | None  # what the machine read (ISO date, name, title, state code), or None
    state: FieldState
    reason: ReviewReason | None = None
    detail: str = ""  # the machine's words about the reason
    region: Region | None = None
    evidence: Evidence | None = None
    entry: PersonEntry | None = None
    trust: float | None = None  # how much the machine trusts its reading (0..1)

    @property
    def value(self) -> str | None:
        """The value to use: a person's, else the machine's when it is sure; None while it waits."""
        if self.entry is not None:
            return self.entry.value
        return self.machine if self.state is FieldState.READ else None

    @property
    def open(self) -> bool:
        return self.entry is None and self.state is FieldState.NEEDS_REVIEW

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "value": self.value,
            "machine": self.machine,
            "state": (self.entry.state if self.entry else self.state).value,
            "machine_state": self.state.value,
            "reason": self.reason.value if self.reason else None,
            "reason_words": REASON_WORDS[self.reason] if self.reason else None,
            "detail": self.detail,
            "region": self.region.to_json() if self.region else None,
            "evidence": evidence_json(self.evidence) if self.evidence else None,
            "trust": self.trust,
            "entered_by_person": self.entry is not None,
            "entry": self.entry.to_json() if self.entry else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldReview:
        return cls(
            field=str(data["field"]),
            label=str(data.get("label") or data["field"]),
            machine=data.get("machine"),
            state=FieldState(data.get("machine_state") or data["state"]),
            reason=ReviewReason(data["reason"]) if data.get("reason") else None,
            detail=str(data.get("detail") or ""),
            region=Region.from_json(data["region"]) if data.get("region") else None,
            evidence=evidence_from_json(data["evidence"]) if data.get("evidence") else None,
            trust=data.get("trust"),
        )
