"""Who signed an agreement and what is wrong with it: one Signatory and one ValidityFlag for every stage.

Extraction reads a Signatory (with the page words it read each part from), assess judges it and raises
ValidityFlags quoting that same Evidence, and letters print the quotes with their pages: nothing is rebuilt
from names and dates on the way, so a quotation is always words of the page it cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from disentangle.model._documents import Evidence

SIDES = ("lea", "ice", "other")  # the local agency, ICE, a witness or notary (counted for neither party)
_SIDE_WORDS = {
    "lea": "lea",
    "local": "lea",
    "agency": "lea",
    "state": "lea",
    "county": "lea",
    "city": "lea",
    "ice": "ice",
    "federal": "ice",
    "dhs": "ice",
    "hsi": "ice",
    "other": "other",
}


def signatory_side(word: str) -> str | None:
    """The side a word names ("agency", "federal", "ICE" ...), as lea | ice | other; None for anything
    else."""
    return _SIDE_WORDS.get(str(word).strip().lower())


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "sha256": evidence.sha256,
        "page": evidence.page,
        "start": evidence.start,
        "end": evidence.end,
        "quote": evidence.quote,
        "rule": evidence.rule,
        "confidence": round(evidence.confidence, 3),
    }


def evidence_from_json(data: dict[str, Any]) -> Evidence:
    return Evidence(
        str(data["sha256"]),
        int(data["page"]),
        int(data["start"]),
        int(data["end"]),
        str(data["quote"]),
        str(data["rule"]),
        float(data["confidence"]),
    )


@dataclass(slots=True)
class Signatory:
    """One signature block: the side it signs for, and what the page shows of name, title and date.

    `evidence` holds the page words each part was read from (name, title, date, agency); a signatory a person
    entered has none. `date` None means no date could be read — handwriting and damaged stamps are not
    text."""

    side: str  # lea | ice | other
    name: str | None
    title: str | None
    date: date | None
    date_form: str | None = None  # typed | numeric | digital | stamped
    part: str = "agreement"  # agreement | addendum
    page: int | None = None
    agency: str | None = None  # the "Agency:" line, when the form has one
    signed: bool = True  # False when the block is there but blank
    evidence: dict[str, Evidence] = field(default_factory=dict)

    @property
    def quotes(self) -> tuple[Evidence, ...]:
        """The block's words as read, in reading order (name, title, date, agency)."""
        return tuple(
            self.evidence[key] for key in ("name", "title", "date", "agency") if key in self.evidence
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "name": self.name,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "date_form": self.date_form,
            "part": self.part,
            "page": self.page,
            "agency": self.agency,
        }


@dataclass(frozen=True, slots=True)
class ValidityFlag:
    """One reason to doubt an agreement was validly made or is in force: the rule, the tool's explanation in
    its own words, and the agreement's own words (Evidence, each with its page) that show it."""

    code: str  # a FlagCode value: no-authority, missing-signature, missing-date, ...
    severity: str  # error | warning | info
    message: str  # the tool's words: never quoted in a letter
    evidence: tuple[Evidence, ...] = ()  # verbatim words of the agreement
    rule: str = ""  # id of the knowledge/ rule or check that raised it
    citation: str | None = None  # the law the rule rests on
    rule_quote: str | None = None  # the law's own words, verbatim from `citation`
    # The message's parts, for a page to word it in its own language (`message` stays the English words).
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.code.replace("-", " ").capitalize()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "severity": str(self.severity),
            "message": self.message,
            "evidence": [evidence_json(e) for e in self.evidence],
            "rule": self.rule,
            "citation": self.citation,
            "rule_quote": self.rule_quote,
            **({"values": dict(self.values)} if self.values else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidityFlag:
        return cls(
            code=str(data["code"]),
            severity=str(data["severity"]),
            message=str(data["message"]),
            evidence=tuple(evidence_from_json(e) for e in data.get("evidence") or () if isinstance(e, dict)),
            rule=str(data.get("rule") or ""),
            citation=data.get("citation"),
            rule_quote=data.get("rule_quote"),
            values=dict(data.get("values") or {}),
        )
