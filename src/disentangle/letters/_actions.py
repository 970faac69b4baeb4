"""Action letters: end an agreement under its own clause, say it was never valid, draft a resolution."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.letters._letters import (
    Addressee,
    Letter,
    LetterKind,
    Quote,
    Sender,
    long_date,
    render_template,
)
from disentangle.letters._requests import recipient_lines
from disentangle.model import Evidence, ValidityFlag

CLAUSES_FILE = "letters/clauses.yaml"
RESOLUTION_FILE = "letters/resolution.yaml"


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """What a letter needs to know of one agreement, as the extractor or a person found it."""

    kind: str  # an AgreementKind value: 287g-jem, 287g-wso, 287g-tfm, tff-mou, igsa, ...
    agency: Addressee  # the local party
    signed: date | None = None
    title: str | None = None  # the agreement's own title, if known
    termination_clause: Quote | None = None  # the agreement's own termination words
    revocation_clause: Quote | None = None  # words saying what termination revokes, if any
    notice_to: tuple[str, ...] = ()  # where the agreement says notice goes (address lines)
    source: str | None = None  # where the agreement was published or obtained


@dataclass(frozen=True, slots=True)
class GoverningBody:
    """The council or board that would adopt a resolution."""

    name: str  # "City Council of the City of Pasadena"
    jurisdiction: str  # "the City of Pasadena"
    officer: str  # who gives notice: "City Manager", "County Executive"
    findings: tuple[str, ...] = field(default_factory=tuple)  # extra recitals, each a cited fact


@dataclass(frozen=True, slots=True)
class Family:
    """An agreement family's standard termination terms from knowledge/letters/clauses.yaml."""

    key: str
    kinds: tuple[str, ...]
    label: str
    short: str
    section: str
    clause: str
    source: str
    cite: str  # a short name of where the standard wording is read, for the letter
    notice_to: tuple[str, ...]
    copy_to: tuple[str, ...] = ()
    revocation: str | None = None
    revocation_section: str | None = None


def _words(text: Any) -> str:
    return " ".join(str(text).split())


@cache
def agreement_families() -> dict[str, Family]:
    """The families in clauses.yaml, keyed by every agreement kind they cover."""
    doc = load_yaml(CLAUSES_FILE)
    path = KNOWLEDGE_DIR / CLAUSES_FILE
    if not isinstance(doc, dict) or not isinstance(doc.get("families"), dict):
        raise KnowledgeError(f"{path}: expected a mapping 'families'")
    by_kind: dict[str, Family] = {}
    for key, raw in doc["families"].items():
        missing = [
            k
            for k in ("kinds", "label", "short", "section", "clause", "source", "cite", "notice_to")
            if not raw.get(k)
        ]
        if missing:
            raise KnowledgeError(f"{path}: family {key!r} is missing {', '.join(missing)}")
        family = Family(
            key=key,
            kinds=tuple(raw["kinds"]),
            label=_words(raw["label"]),
            short=_words(raw["short"]),
            section=_words(raw["section"]),
            clause=_words(raw["clause"]),
            source=_words(raw["source"]),
            cite=_words(raw["cite"]),
            notice_to=tuple(raw["notice_to"]),
            copy_to=tuple(raw.get("copy_to") or ()),
            revocation=_words(raw["revocation"]) if raw.get("revocation") else None,
            revocation_section=raw.get("revocation_section"),
        )
        for kind in family.kinds:
            by_kind[kind] = family
    return by_kind


def _family(agreement: AgreementFacts) -> Family | None:
    return agreement_families().get(agreement.kind)


def _where(quote: Quote) -> str:
    parts = [quote.section or "", f"page {quote.page}" if quote.page else "", quote.document]
    return ", ".join(part for part in parts if part)


def _evidence_where(evidence: Evidence) -> str:
    return f"page {evidence.page} of the agreement"


def _agreement_words(agreement: AgreementFacts, family: Family | None) -> dict[str, str]:
    label = agreement.title or (family.label if family else "agreement")
    return {
        "label": _words(label),
        # In quotation marks only when it is the agreement's own title, as read from it.
        "titled": "yes" if agreement.title else "",
        "short": family.short if family else "agreement",
        "signed": long_date(agreement.signed) if agreement.signed else "",
    }


def _clause(agreement: AgreementFacts, family: Family | None) -> tuple[str, str, bool, str]:
    """The termination words to quote: the agreement's own, else the family's standard, flagged as such."""
    if agreement.termination_clause is not None:
        quote = agreement.termination_clause
        return _words(quote.text), _where(quote), False, ""
    if family is None:
        raise InputError(
            f"no termination clause was given for the {agreement.kind} agreement of {agreement.agency.name}, "
            "and Disentangle knows no standard wording for that kind: quote the agreement's own clause"
        )
    return family.clause, f'the section "{family.section}"', True, family.cite


def _signature(sender: Sender) -> list[str]:
    return ["______________________________", sender.name, sender.title, sender.body]


def draft_termination(
    agreement: AgreementFacts,
    *,
    sender: Sender,
    today: date,
    effective: date | None = None,
    addressee: Addressee | None = None,
) -> Letter:
    """A letter ending `agreement` in the way its own termination clause provides, addressed as it says."""
    family = _family(agreement)
    clause, where, standard, clause_source = _clause(agreement, family)
    to_lines = list(
        (addressee and recipient_lines(addressee))
        or agreement.notice_to
        or (family.notice_to if family else ())
    )
    if not to_lines:
        raise InputError(f"the termination letter for {agreement.agency.name} needs an addressee (notice_to)")
    revocation: dict[str, str] | str = ""
    if agreement.revocation_clause is not None:
        revocation = {
            "text": _words(agreement.revocation_clause.text),
            "where": _where(agreement.revocation_clause),
        }
    elif family is not None and family.revocation and agreement.termination_clause is None:
        revocation = {"text": family.revocation, "where": f"Section {family.revocation_section}"}
    words = _agreement_words(agreement, family)
    context = {
        "date": long_date(today),
        "recipient_lines": to_lines,
        "salutation": "Sir or Madam",
        "agency_name": agreement.agency.name,
        "agreement": words,
        "clause": clause,
        "clause_where": where,
        "clause_is_standard": standard,
        "clause_source": clause_source,
        "revocation": revocation,
        "effective": long_date(effective) if effective else "upon receipt of this notice",
        "signature_lines": _signature(sender),
        "copy_lines": [", ".join(family.copy_to)] if family and family.copy_to else [],
    }
    return Letter(
        kind=LetterKind.TERMINATION,
        title=f"Termination of the {words['short']} of {agreement.agency.name}",
        agency=agreement.agency.name,
        state=agreement.agency.state,
        date=today,
        markdown=render_template("termination", context),
        citation=where,
        notes=(
            ("The quoted clause is the family's standard wording: check it against the signed copy.",)
            if standard
            else ()
        ),
        sources=tuple(s for s in (agreement.source, clause_source) if s),
    )


def draft_invalidity(
    agreement: AgreementFacts,
    flags: Sequence[ValidityFlag],
    *,
    sender: Sender,
    today: date,
    addressee: Addressee | None = None,
) -> Letter:
    """A notice that `agreement` was not validly made: each flag's rule, authority and quoted evidence."""
    if not flags:
        raise InputError(
            f"a notice of invalidity for {agreement.agency.name} needs at least one validity flag"
        )
    family = _family(agreement)
    to_lines = list(
        (addressee and recipient_lines(addressee))
        or agreement.notice_to
        or (family.notice_to if family else ())
    )
    if not to_lines:
        raise InputError(f"the notice for {agreement.agency.name} needs an addressee (notice_to)")
    clause, where = "", ""
    if agreement.termination_clause is not None or family is not None:
        clause, where, _, _ = _clause(agreement, family)
    words = _agreement_words(agreement, family)
    context = {
        "date": long_date(today),
        "recipient_lines": to_lines,
        "salutation": "Sir or Madam",
        "agency_name": agreement.agency.name,
        "agreement": words,
        "flags": [
            {
                "label": _words(flag.label),
                "explanation": _words(flag.message),
                "authority": _words(flag.citation or ""),
                # Only the agreement's own words, each with its page: what the tool says is in `explanation`.
                "evidence": [{"text": _words(e.quote), "where": _evidence_where(e)} for e in flag.evidence],
            }
            for flag in flags
        ],
        "clause": clause,
        "clause_where": where,
        "signature_lines": _signature(sender),
        "copy_lines": [", ".join(family.copy_to)] if family and family.copy_to else [],
    }
    return Letter(
        kind=LetterKind.INVALIDITY,
        title=f"Notice of invalidity: {words['short']} of {agreement.agency.name}",
        agency=agreement.agency.name,
        state=agreement.agency.state,
        date=today,
        markdown=render_template("invalidity", context),
        citation="; ".join(flag.citation for flag in flags if flag.citation) or None,
        sources=tuple(dict.fromkeys(f"document sha256 {e.sha256}" for flag in flags for e in flag.evidence)),
    )


@cache
def _resolution_doc() -> dict[str, Any]:
    doc = load_yaml(RESOLUTION_FILE)
    path = KNOWLEDGE_DIR / RESOLUTION_FILE
    for key in ("source", "toolkit", "prohibitions", "oversight", "codify", "models"):
        if not isinstance(doc, dict) or not doc.get(key):
            raise KnowledgeError(f"{path}: {key!r} is missing")
    return doc


def draft_resolution(
    body: GoverningBody,
    agreements: Sequence[AgreementFacts],
    *,
    today: date,
    prohibitions: Sequence[str] | None = None,
    notice_days: int = 30,
    report_days: int = 90,
) -> Letter:
    """A draft resolution ending `agreements`, adopting the toolkit's prohibitions, citing model laws."""
    if not agreements:
        raise InputError(f"a resolution for {body.name} needs at least one agreement to end")
    doc = _resolution_doc()
    recitals = []
    for agreement in agreements:
        family = _family(agreement)
        clause, _, standard, _ = _clause(agreement, family)
        words = _agreement_words(agreement, family)
        recitals.append(
            {
                "agency": agreement.agency.name,
                "label": words["label"],
                "signed": words["signed"],
                "source": agreement.source or "",
                "clause": clause,
                "standard": standard,
            }
        )
    chosen = (
        list(prohibitions) if prohibitions is not None else [_words(p["text"]) for p in doc["prohibitions"]]
    )
    context = {
        "body": body.name,
        "jurisdiction": body.jurisdiction,
        "officer": body.officer,
        "agreements": recitals,
        "findings": [_words(f) for f in body.findings],
        "prohibitions": chosen,
        "oversight": _words(doc["oversight"]),
        "codify": _words(doc["codify"]),
        "models": [{"name": m["name"], "text": _words(m["text"]), "url": m["url"]} for m in doc["models"]],
        "notice_days": notice_days,
        "report_days": report_days,
        "toolkit": _words(doc["toolkit"]),
    }
    return Letter(
        kind=LetterKind.RESOLUTION,
        title=f"Draft resolution of the {body.name}",
        agency=", ".join(a.agency.name for a in agreements),
        state=agreements[0].agency.state,
        date=today,
        markdown=render_template("resolution", context),
        citation=_words(doc["source"]),
        sources=(_words(doc["source"]), *(m["url"] for m in doc["models"])),
    )
