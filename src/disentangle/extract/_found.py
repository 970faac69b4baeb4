"""An agreement read from a document, judged for the registry: sure enough to enter it, or for a person to
confirm first — never a guess. Works on the JSON contract of `disentangle extract --json`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from disentangle.model import (
    AgreementKind,
    Evidence,
    FoundAgreement,
    FoundClause,
    FoundReview,
    FoundSignatory,
)

# How sure the reader must be of an agreement's kind for it to enter the registry unreviewed.
KIND_SURE = 0.8
# A document reads poorly below this share of plausible words (OCR of a faint scan): a person looks.
READABILITY_SURE = 0.6
# The link to an agreement on ICE's lists a document must reach to count as that agreement's copy.
LISTED_SURE = 0.8

# The parts of an agreement a letter quotes, by the extraction's field names: (part, label, field prefix).
_CLAUSE_FIELDS = (
    ("parties", "the parties", "agency.name"),
    ("ori", "the agency's NCIC code", "agency.ori"),
    ("obligation", "the obligation on the local agency", "obligations."),
    ("reimbursement", "the reimbursement clause", "reimbursement."),
    ("term", "the agreement's term", "term"),
    ("termination", "the termination clause", "termination."),
    ("effective", "when it takes effect", "effective_rule"),
)


@dataclass(frozen=True, slots=True)
class AgencyMatch:
    """A registry agency a document was tied to, with how and whether the tie is sure."""

    id: str
    name: str
    state: str
    ori: str | None
    rule: str  # how it was found: "the NCIC code CA0195300 printed in the agreement", ...
    sure: bool


def found_agreement(
    extraction: dict[str, Any],
    *,
    agency: AgencyMatch | None,
    agency_problem: str | None = None,
    request_id: str | None = None,
    listed: dict[str, Any] | None = None,
) -> FoundAgreement | None:
    """The found agreement a document's reading gives, or None when the document is no agreement.

    `agency` is the registry agency the caller tied the document to (by its NCIC code, its name, or the
    records request it answers); `agency_problem` says why none or why a loose one; `listed` is the
    registry's best ICE-listed agreement for the document (link_extraction's answer)."""
    kind = str(extraction.get("kind") or "unknown")
    if kind not in {k.value for k in AgreementKind}:
        return None
    sha256 = str(extraction["sha256"])
    reasons: list[str] = []
    confidence = float(extraction.get("kind_confidence") or 0.0)
    if kind == AgreementKind.OTHER.value:
        reasons.append("the reader found an agreement of a kind it does not know")
    elif confidence < KIND_SURE:
        reasons.append(f"the reader is unsure this is a {kind} agreement ({confidence:.0%} sure)")
    if agency is None:
        reasons.append(agency_problem or "the agency could not be tied to an agency of the registry")
    elif not agency.sure:
        reasons.append(agency_problem or f"the agency was tied loosely: {agency.rule}")
    signed = _day(extraction.get("signed_date")) or _day(extraction.get("effective_date"))
    if signed is None:
        reasons.append("no signature date could be read")
    readability = float(extraction.get("readability") or 0.0)
    if readability < READABILITY_SURE:
        reasons.append(f"the pages read poorly ({readability:.0%} plausible words)")
    facts = list(extraction.get("facts") or [])
    listed_id = None
    if listed and float(listed.get("confidence") or 0.0) >= LISTED_SURE:
        listed_id = str(listed["agreement_id"])
    document_agency = (extraction.get("agency") or {}).get("name")
    found = FoundAgreement(
        sha256=sha256,
        agreement_id=listed_id or found_id(agency, extraction, kind, signed),
        listed=listed_id is not None,
        kind=kind,
        agency_id=agency.id if agency else None,
        agency_name=str(document_agency or (agency.name if agency else "an agency not read")),
        ori=(extraction.get("agency") or {}).get("ori") or (agency.ori if agency else None),
        state=(agency.state if agency else None) or (extraction.get("agency") or {}).get("state"),
        signed=signed,
        review=FoundReview.NEEDS_REVIEW if reasons else FoundReview.READ,
        reasons=reasons,
        request_id=request_id,
        title=_title(facts),
        effective=_day(extraction.get("effective_date")),
        term=extraction.get("term"),
        signatories=_signatories(extraction),
        clauses=_clauses(
            facts, sha256, [str(b.get("side") or "other") for b in extraction.get("signatories") or []]
        ),
        agency_rule=agency.rule if agency else (agency_problem or ""),
        termination=dict(extraction.get("termination") or {}),
    )
    return found


def found_id(agency: AgencyMatch | None, extraction: dict[str, Any], kind: str, signed: date | None) -> str:
    """A found agreement's registry id: its agency, kind and signing date, so that two copies of one
    agreement (a scan and a text) are one agreement; the document's hash stands in for what is unknown."""
    who = agency.id if agency else f"unlinked-{str(extraction['sha256'])[:12]}"
    when = signed.strftime("%Y%m%d") if signed else str(extraction["sha256"])[:12]
    return f"found-{who}-{kind}-{when}"


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _evidence(fact: dict[str, Any], sha256: str) -> Evidence:
    return Evidence(
        sha256=sha256,
        page=int(fact["page"]),
        start=int(fact.get("start") or 0),
        end=int(fact.get("end") or 0),
        quote=str(fact["quote"]),
        rule=str(fact.get("rule") or ""),
        confidence=float(fact.get("confidence") or 0.0),
    )


def _title_facts(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The title as the document prints it: its heading block, else the title line that told its kind."""
    headings = [f for f in facts if f.get("field") == "title"]
    lines = [f for f in facts if f.get("field") == "kind" and str(f.get("rule", "")).endswith("title")]
    return headings or lines


def _title(facts: list[dict[str, Any]]) -> str | None:
    titles = _title_facts(facts)
    return str(titles[0]["quote"]) if titles else None


def _clauses(facts: list[dict[str, Any]], sha256: str, sides: list[str]) -> list[FoundClause]:
    """The parts a letter may quote, each once per part: one sentence may be both the term and the
    termination clause ("It remains in force unless explicitly terminated, in writing, by either party.")."""
    out: list[FoundClause] = []
    seen: set[tuple[str, int, int, int]] = set()

    def add(part: str, label: str, fact: dict[str, Any]) -> None:
        key = (part, int(fact["page"]), int(fact.get("start") or 0), int(fact.get("end") or 0))
        if key not in seen:
            seen.add(key)
            out.append(FoundClause(part, label, _evidence(fact, sha256)))

    for fact in _title_facts(facts)[:1]:
        add("title", "the title", fact)
    for part, label, prefix in _CLAUSE_FIELDS:
        for fact in facts:
            name = str(fact.get("field") or "")
            if name == prefix or (prefix.endswith(".") and name.startswith(prefix)):
                add(part, label, fact)
    for fact in facts:  # each signature block's words, name first
        match = re.fullmatch(r"signatories\[(\d+)\]\.(name|title|date)", str(fact.get("field") or ""))
        if match is None:
            continue
        index = int(match.group(1))
        side = sides[index] if index < len(sides) else "other"
        add(f"signature.{side}", f"signature block, {match.group(2)}", fact)
    return out


def _signatories(extraction: dict[str, Any]) -> list[FoundSignatory]:
    out = []
    for block in extraction.get("signatories") or []:
        if block.get("part") not in (None, "agreement"):
            continue
        dated = _day(block.get("date"))
        note = None if dated else "no date could be read"
        out.append(
            FoundSignatory(
                side=str(block.get("side") or "other"),
                name=block.get("name"),
                title=block.get("title"),
                date=dated,
                date_note=note,
            )
        )
    return out
