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
class AskedToEnd:
    """An agreement the adopting body cannot end itself, and who can: the resolution asks them to."""

    agreement: AgreementFacts
    who: str  # "the sheriff (independently elected)", "the city council of League City (mayor signs)"
    basis: str = ""  # the citation that says so: "Tex. Const. art. V, § 23"


@dataclass(frozen=True, slots=True)
class StateLawLimit:
    """A state law that penalizes what a checklist criterion asks a locality to prohibit."""

    criterion: str  # the toolkit criterion the law forbids a locality to adopt
    aspect: str  # its part, or ""
    law: str  # "Texas SB 4 (2017)"
    provision: str  # "Gov't Code § 752.053(a)(1)"
    words: str  # the provision's own words when `quoted`, else our summary of it
    quoted: bool
    penalty: str = ""  # what a violation costs, with its citation
    source: str | None = None  # where the words were read


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
    for index, prohibition in enumerate(doc["prohibitions"]):
        if not prohibition.get("text") or not prohibition.get("criterion"):
            raise KnowledgeError(f"{path}: prohibitions[{index}] needs a text and the criterion it adopts")
    return doc


def _recital(agreement: AgreementFacts) -> dict[str, Any]:
    family = _family(agreement)
    clause, _, standard, _ = _clause(agreement, family)
    words = _agreement_words(agreement, family)
    return {
        "agency": agreement.agency.name,
        "label": words["label"],
        "signed": words["signed"],
        "source": agreement.source or "",
        "clause": clause,
        "standard": standard,
    }


def _asked(asked: Sequence[AskedToEnd]) -> list[dict[str, Any]]:
    """Agreements grouped by who can end them, in the order first met."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in asked:
        # ICE's sheets spell one agency with straight and curly apostrophes: one group for both.
        name = item.agreement.agency.name
        key = (name.replace("’", "'").casefold(), _words(item.who), _words(item.basis))
        group = groups.setdefault(key, {"agency": name, "who": key[1], "basis": key[2], "agreements": []})
        group["agreements"].append(_recital(item.agreement))
    return list(groups.values())


def _limits(chosen: Sequence[tuple[str, str, str]], limits: Sequence[StateLawLimit]) -> list[dict[str, Any]]:
    """The provisions of the prohibitions a state law penalizes, law by law: each provision of the law once,
    with the numbers of the draft's provisions it reaches, and the law's penalties once."""
    laws: dict[str, dict[str, Any]] = {}
    for number, (_, criterion, aspect) in enumerate(chosen, start=1):
        for limit in limits:
            if limit.criterion != criterion or (limit.aspect and aspect and limit.aspect != aspect):
                continue
            law = laws.setdefault(
                limit.law, {"law": limit.law, "penalty": _words(limit.penalty), "provisions": {}}
            )
            item = law["provisions"].setdefault(
                (limit.provision, limit.words),
                {
                    "provision": limit.provision,
                    "words": _words(limit.words),
                    "quoted": limit.quoted,
                    "source": limit.source or "",
                    "numbers": [],
                },
            )
            if number not in item["numbers"]:
                item["numbers"].append(number)
    return [
        {
            **law,
            "provisions": list(law["provisions"].values()),
            "numbers": sorted({n for i in law["provisions"].values() for n in i["numbers"]}),
        }
        for law in laws.values()
    ]


def _warning_lines(warnings: Sequence[dict[str, Any]]) -> list[str]:
    """The drafting note's lines: each penalized provision with the law's words, then the law's penalties."""
    lines = []
    for warning in warnings:
        for item in warning["provisions"]:
            plural = "s" if len(item["numbers"]) > 1 else ""
            words = f', in its own words: "{item["words"]}"' if item["quoted"] else f": {item['words']}"
            source = f" <{item['source']}>" if item["source"] else ""
            numbers = ", ".join(str(n) for n in item["numbers"])
            law = f"{warning['law']}, {item['provision']}"
            lines.append(f"Provision{plural} {numbers}: {law}{words}.{source}")
        if warning["penalty"]:
            lines.append(f"Penalties under {warning['law']}: {warning['penalty']}.")
    return lines


def draft_resolution(
    body: GoverningBody,
    agreements: Sequence[AgreementFacts],
    *,
    today: date,
    asked: Sequence[AskedToEnd] = (),
    limits: Sequence[StateLawLimit] = (),
    prohibitions: Sequence[str] | None = None,
    notice_days: int = 30,
    report_days: int = 90,
) -> Letter:
    """A draft resolution: it directs its officer to end `agreements` (those the body can bind), asks whoever
    can end the `asked` ones to do so, adopts the toolkit's prohibitions, and warns where a state law in
    `limits` penalizes one of them."""
    if not agreements and not asked:
        raise InputError(f"a resolution for {body.name} needs at least one agreement to end")
    doc = _resolution_doc()
    if prohibitions is not None:
        chosen = [(text, "", "") for text in prohibitions]
    else:
        chosen = [
            (_words(p["text"]), str(p["criterion"]), str(p.get("aspect") or "")) for p in doc["prohibitions"]
        ]
    warnings = _limits(chosen, limits)
    # Sections are numbered in order; one the draft does not need has no number.
    present = [("terminate", bool(agreements)), ("ask", bool(asked))]
    present += [(name, True) for name in ("prohibit", "oversight", "models", "effective")]
    numbers = iter(range(1, len(present) + 1))
    section = {name: (next(numbers) if shown else None) for name, shown in present}
    context = {
        "body": body.name,
        "jurisdiction": body.jurisdiction,
        "officer": body.officer,
        "agreements": [_recital(agreement) for agreement in agreements],
        "asked": _asked(asked),
        "findings": [_words(f) for f in body.findings],
        "prohibitions": [text for text, _, _ in chosen],
        "warnings": _warning_lines(warnings),
        "section": section,
        "oversight": _words(doc["oversight"]),
        "codify": _words(doc["codify"]),
        "models": [{"name": m["name"], "text": _words(m["text"]), "url": m["url"]} for m in doc["models"]],
        "notice_days": notice_days,
        "report_days": report_days,
        "toolkit": _words(doc["toolkit"]),
    }
    notes = tuple(
        f"state law: {w['law']} penalizes provision(s) {', '.join(str(n) for n in w['numbers'])} of "
        "Section " + str(section["prohibit"]) + "; the draft's drafting note cites it"
        for w in warnings
    )
    parties = [a.agency.name for a in agreements] + [item.agreement.agency.name for item in asked]
    return Letter(
        kind=LetterKind.RESOLUTION,
        title=f"Draft resolution of the {body.name}",
        agency=", ".join(dict.fromkeys(parties)),
        state=(agreements[0] if agreements else asked[0].agreement).agency.state,
        date=today,
        markdown=render_template("resolution", context),
        citation=_words(doc["source"]),
        notes=notes,
        sources=(
            _words(doc["source"]),
            *(m["url"] for m in doc["models"]),
            *dict.fromkeys(i["source"] for w in warnings for i in w["provisions"] if i["source"]),
        ),
    )
