"""Signature authority and validity: flags on an agreement's signatures, dates, status and template."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.assess._binding import BindingRule, Certainty, load_binding_rules
from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations
from disentangle.model import (
    AGREEMENT_KINDS,
    Document,
    Evidence,
    Level,
    Signatory,
    ValidityFlag,
    normalize_state,
    signatory_side,
)

OFFICES_FILE = "authority/offices.yaml"


class Severity(StrEnum):
    """How much a flag puts the agreement's validity in doubt."""

    ERROR = "error"  # on its face not validly made, or no longer in force
    WARNING = "warning"  # needs checking against a record we do not have
    INFO = "info"  # we cannot tell: no rule, no record


class FlagCode(StrEnum):
    NO_AUTHORITY = "no-authority"  # signed for the agency only by officers the rule says cannot bind it
    AUTHORITY_UNKNOWN = "authority-unknown"  # no rule on file for this kind of signer
    MISSING_SIGNATURE = "missing-signature"  # a side has no signature
    MISSING_DATE = "missing-date"  # a signature has no date
    UNSUPPORTED_AUTHORIZATION = "unsupported-authorization"  # 'fully authorized' with no resolution on file
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    TEMPLATE_DEVIATION = "template-deviation"


def signatory_from_mapping(data: dict[str, Any]) -> Signatory:
    """A Signatory a person or a file gave as a mapping (side: agency|federal|other, or lea|ice)."""
    side = signatory_side(str(data.get("side", "")))
    if side is None:
        raise InputError(f"signatory side must be 'agency', 'federal' or 'other', not {data.get('side')!r}")
    when = data.get("date")
    if isinstance(when, str) and when:
        try:
            when = date.fromisoformat(when)
        except ValueError as exc:
            raise InputError(f"signatory date {when!r} is not an ISO date") from exc
    return Signatory(
        side=side,
        name=data.get("name") or None,
        title=data.get("title") or None,
        date=when or None,
        signed=bool(data.get("signed", True)),
    )


def _signatory(item: Any) -> Signatory:
    """A Signatory as given (the extractor's, with its evidence), or one from a mapping."""
    if isinstance(item, Signatory):
        return item
    if not isinstance(item, dict):
        raise InputError(f"a signatory must be a mapping, not {type(item).__name__}")
    return signatory_from_mapping(item)


@dataclass(frozen=True, slots=True)
class TemplateDeviation:
    clause: str
    expected: str
    found: str


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """What the extractor found in one agreement, as plain values."""

    kind: str
    agency_name: str
    agency_type: str
    state: str
    signatories: tuple[Signatory, ...]
    authorization_clause: str | None = (
        None  # "By signing this MOA, each party represents it is fully authorized…"
    )
    authorization_evidence: Evidence | None = None  # the same clause with its page, when read from a document
    status: str | None = None  # active | expired | superseded | removed | pending | listed
    expires: date | None = None
    superseded_by: str | None = None
    template_deviations: tuple[TemplateDeviation, ...] = ()
    document: str | None = None

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AgreementFacts:
        missing = [key for key in ("kind", "agency_name", "agency_type", "state") if not data.get(key)]
        if missing:
            raise InputError(f"agreement facts lack {missing}")
        expires = data.get("expires")
        if isinstance(expires, str) and expires:
            expires = date.fromisoformat(expires)
        return cls(
            kind=str(data["kind"]),
            agency_name=str(data["agency_name"]),
            agency_type=str(data["agency_type"]),
            state=str(data["state"]),
            signatories=tuple(_signatory(s) for s in data.get("signatories", ())),
            authorization_clause=data.get("authorization_clause"),
            status=data.get("status"),
            expires=expires or None,
            superseded_by=data.get("superseded_by"),
            template_deviations=tuple(
                d
                if isinstance(d, TemplateDeviation)
                else TemplateDeviation(d["clause"], d["expected"], d["found"])
                for d in data.get("template_deviations", ())
            ),
            document=data.get("document"),
        )


@dataclass(frozen=True, slots=True)
class JurisdictionInfo:
    """The government the agency belongs to: what decides whose signature binds it."""

    name: str
    state: str
    level: str  # model.Level value
    charter: bool | None = None
    id: str | None = None
    # Rules in the parse_rules shape, for this place only.
    authority_overrides: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """A governing body's authorizing act on file (resolution, ordinance, minute order)."""

    body: str
    date: date | None
    title: str
    agency: str | None = None  # the agency it authorizes, when it names one
    kind: str | None = None  # the agreement kind it authorizes, when it names one


@dataclass(frozen=True, slots=True)
class AuthorityRule:
    id: str
    label: str
    applies: dict[str, Any]
    status: str  # known | unknown
    may_bind: tuple[str, ...]
    requires_resolution: bool
    citation: str
    quote: str | None = None
    url: str | None = None
    note: str | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"label", "note"}}

    def matches(self, facts: AgreementFacts, place: JurisdictionInfo) -> bool:
        for key, wanted in self.applies.items():
            if key == "state" and wanted != "*" and normalize_state(facts.state) != wanted:
                return False
            if key == "agency_type" and facts.agency_type.lower() not in {
                str(t).lower() for t in (wanted if isinstance(wanted, list) else [wanted])
            }:
                return False
            if key == "level" and place.level != wanted:
                return False
            if key == "charter" and place.charter is not wanted:
                return False
            if key == "kinds" and facts.kind not in wanted:
                return False
            if key == "place" and not (
                normalize_state(place.state) == wanted.get("state")
                and place.name.strip().lower() == str(wanted.get("name", "")).lower()
            ):
                return False
        return True

    @property
    def specificity(self) -> int:
        # Jurisdictions are a tree: a named place beats its state, a state beats the nation; within one
        # scope the rule naming more keys wins (assess/_binding.py most_specific, the same order).
        if "place" in self.applies:
            return 100
        return (10 if "state" in self.applies else 0) + len(self.applies)


@dataclass(frozen=True, slots=True)
class OfficeRole:
    id: str
    side: str
    label: str
    regex: re.Pattern[str]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"label": ...}}


@dataclass(frozen=True, slots=True)
class AuthorityRules:
    rules: tuple[AuthorityRule, ...]
    roles: tuple[OfficeRole, ...] = field(default=())

    def role_of(self, title: str | None, side: str | None = None) -> str | None:
        """The office role a title reads as (first match wins), among the roles of `side` when given."""
        if not title:
            return None
        for role in self.roles:
            if (side is None or role.side == side) and role.regex.search(title):
                return role.id
        return None

    def rule_for(self, facts: AgreementFacts, place: JurisdictionInfo) -> AuthorityRule:
        local = parse_rules(
            {"rules": list(place.authority_overrides)}, "per-jurisdiction overrides", self.roles
        )
        candidates = [rule for rule in local if rule.matches(facts, place)]
        if candidates:
            return max(candidates, key=lambda r: r.specificity)
        matching = [rule for rule in self.rules if rule.matches(facts, place)]
        if not matching:
            raise KnowledgeError("authority/binding.yaml: no rule applies, not even a default (applies: {})")
        return max(matching, key=lambda r: r.specificity)


_APPLY_KEYS = {"state", "agency_type", "level", "charter", "kinds", "place"}


def parse_rules(doc: Any, origin: str, roles: Sequence[OfficeRole]) -> tuple[AuthorityRule, ...]:
    """Build and check authority rules; unknown keys, roles or levels are a KnowledgeError."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise KnowledgeError(f"{origin}: expected a 'rules' list")
    role_ids = {role.id for role in roles}
    rules = []
    for index, entry in enumerate(doc["rules"]):
        where = f"rules[{index}]"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("label"):
            raise KnowledgeError(f"{origin}: {where} needs an id and a label")
        applies = entry.get("applies") or {}
        unknown_keys = set(applies) - _APPLY_KEYS
        if unknown_keys:
            raise KnowledgeError(f"{origin}: {entry['id']} applies on unknown keys {sorted(unknown_keys)}")
        if "level" in applies and applies["level"] not in {level.value for level in Level}:
            raise KnowledgeError(f"{origin}: {entry['id']} names unknown level {applies['level']!r}")
        if "kinds" in applies and not set(applies["kinds"]) <= set(AGREEMENT_KINDS):
            raise KnowledgeError(f"{origin}: {entry['id']} names unknown agreement kinds {applies['kinds']}")
        status = entry.get("status")
        if status not in ("known", "unknown"):
            raise KnowledgeError(f"{origin}: {entry['id']} status must be 'known' or 'unknown'")
        may_bind = tuple(entry.get("may_bind") or ())
        if status == "known" and not may_bind:
            raise KnowledgeError(f"{origin}: {entry['id']} is known but names no office in may_bind")
        unknown_roles = [role for role in may_bind if role not in role_ids]
        if unknown_roles:
            raise KnowledgeError(f"{origin}: {entry['id']} names unknown office roles {unknown_roles}")
        source = entry.get("source") or {}
        if not source.get("citation"):
            raise KnowledgeError(f"{origin}: {entry['id']} has no source citation")
        rules.append(
            AuthorityRule(
                id=entry["id"],
                label=entry["label"],
                applies=dict(applies),
                status=status,
                may_bind=may_bind,
                requires_resolution=bool(entry.get("requires_resolution", False)),
                citation=source["citation"],
                quote=source.get("quote"),
                url=source.get("url"),
                note=entry.get("note"),
            )
        )
    return tuple(rules)


def parse_roles(doc: Any, origin: str) -> tuple[OfficeRole, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("roles"), list):
        raise KnowledgeError(f"{origin}: expected a 'roles' list")
    roles = []
    for index, entry in enumerate(doc["roles"]):
        if not entry.get("id") or entry.get("side") not in ("agency", "federal") or not entry.get("regex"):
            raise KnowledgeError(f"{origin}: roles[{index}] needs id, side (agency|federal) and regex")
        try:
            regex = re.compile(entry["regex"], re.IGNORECASE)
        except re.error as exc:
            raise KnowledgeError(f"{origin}: role {entry['id']} regex is invalid: {exc}") from exc
        found = translations(entry, ("label",), origin, f"role {entry['id']}")
        roles.append(OfficeRole(entry["id"], entry["side"], entry.get("label", entry["id"]), regex, found))
    return tuple(roles)


def authority_rule(rule: BindingRule) -> AuthorityRule:
    """A binding rule as a signature rule. Only a rule the sources make certain for this state or place
    (status known) can find a signature void; a general rule says who usually binds such an agency, so a
    signature by another officer is a thing to check, not a defect."""
    sources = rule.sources
    known = rule.status is Certainty.KNOWN
    return AuthorityRule(
        id=rule.id,
        label=rule.label,
        applies=dict(rule.applies),
        status="known" if known else "unknown",
        may_bind=rule.offices,
        requires_resolution=rule.requires_resolution,
        citation="; ".join(source.citation for source in sources) or "none",
        quote=next((source.quote for source in sources if source.quote), None),
        url=next((source.url for source in sources if source.url), None),
        note=rule.note,
        translations=rule.translations,
    )


@cache
def load_authority_rules() -> AuthorityRules:
    """The bundled signature-authority rules (the binding rules of binding.yaml) and office roles."""
    roles = parse_roles(load_yaml(OFFICES_FILE), str(KNOWLEDGE_DIR / OFFICES_FILE))
    return AuthorityRules(tuple(authority_rule(rule) for rule in load_binding_rules().rules), roles)


def _signer_quotes(signers: Sequence[Signatory]) -> tuple[Evidence, ...]:
    """The page words each signature block was read from: what a flag may quote. A signatory a person entered
    has none, and then the flag's message alone names them, in the tool's words."""
    return tuple(e for signer in signers for e in signer.quotes)


def _who(signer: Signatory) -> str:
    return ", ".join(x for x in (signer.name, signer.title) if x) or "an unnamed signer"


def _role_labels(rules: AuthorityRules, rule: AuthorityRule) -> str:
    return ", ".join(r.label for r in rules.roles if r.id in rule.may_bind)


def _titles(signers: Sequence[Signatory]) -> str:
    return ", ".join(s.title or s.name or "?" for s in signers)


def _resolution_covers(resolution: Resolution, facts: AgreementFacts) -> bool:
    if resolution.kind and resolution.kind != facts.kind:
        return False
    return not (resolution.agency and resolution.agency.strip().lower() != facts.agency_name.strip().lower())


def check_validity(
    agreement_facts: AgreementFacts | dict[str, Any],
    jurisdiction_info: JurisdictionInfo,
    rules: AuthorityRules | None = None,
    resolutions_on_file: Sequence[Resolution] = (),
    *,
    as_of: date | None = None,
) -> list[ValidityFlag]:
    """Every validity flag for one agreement, each quoting the agreement and the rule it is judged by."""
    facts = (
        agreement_facts
        if isinstance(agreement_facts, AgreementFacts)
        else AgreementFacts.from_mapping(agreement_facts)
    )
    rules = rules or load_authority_rules()
    flags: list[ValidityFlag] = []
    agency_side = [s for s in facts.signatories if signatory_side(s.side) == "lea"]
    federal_side = [s for s in facts.signatories if signatory_side(s.side) == "ice"]

    for side, signers, party in (
        ("agency", agency_side, facts.agency_name),
        ("federal", federal_side, "ICE"),
    ):
        signed = [s for s in signers if s.signed]
        if not signed:
            flags.append(
                ValidityFlag(
                    FlagCode.MISSING_SIGNATURE,
                    Severity.ERROR,
                    f"No signature for {party} ({side} side): "
                    "an agreement takes effect on the signature of both parties.",
                    _signer_quotes(signers),
                    "check-signatures",
                )
            )
        for signer in signed:
            if signer.date is None:
                flags.append(
                    ValidityFlag(
                        FlagCode.MISSING_DATE,
                        Severity.WARNING,
                        # Handwriting and a damaged digital stamp are not text: the reader cannot tell a
                        # blank date from one it could not read.
                        f"No date could be read for the {side} signature of {_who(signer)}: the date may be "
                        "handwritten or stamped; check the signed copy.",
                        _signer_quotes([signer]),
                        "check-signatures",
                    )
                )

    rule = rules.rule_for(facts, jurisdiction_info)
    signed_agency = [s for s in agency_side if s.signed]
    usual = {rules.role_of(s.title, "agency") for s in signed_agency} & set(rule.may_bind)
    if rule.status == "unknown" and not usual:
        # A general rule names who usually binds such an agency: a signature by one of them needs no flag.
        flags.append(
            ValidityFlag(
                FlagCode.AUTHORITY_UNKNOWN,
                Severity.INFO,
                f"Unknown whether {_titles(signed_agency) or 'the signer'} may bind {facts.agency_name} "
                f"({facts.agency_type}, {facts.state}): {rule.note or rule.label}",
                _signer_quotes(signed_agency),
                rule.id,
                rule.citation,
            )
        )
    elif rule.status == "known" and signed_agency:
        roles = {rules.role_of(s.title, "agency") for s in signed_agency}
        unread = [s for s in signed_agency if rules.role_of(s.title, "agency") is None]
        if not roles & set(rule.may_bind) and unread:
            # An illegible or unusual title (OCR "sk,n/f") is not evidence that the wrong officer signed.
            flags.append(
                ValidityFlag(
                    FlagCode.AUTHORITY_UNKNOWN,
                    Severity.INFO,
                    f"Cannot read {_titles(unread) or 'the title'} as an office; "
                    f"under the rule {rule.label}, "
                    f"only {_role_labels(rules, rule)} may bind {jurisdiction_info.name}: check who signed.",
                    _signer_quotes(unread),
                    rule.id,
                    rule.citation,
                    rule.quote,
                )
            )
        elif not roles & set(rule.may_bind):
            titles = ", ".join(s.title or "no title" for s in signed_agency)
            allowed = _role_labels(rules, rule)
            flags.append(
                ValidityFlag(
                    FlagCode.NO_AUTHORITY,
                    Severity.ERROR,
                    f"Signed for {facts.agency_name} only by {titles}; "
                    f"under the rule {rule.label}, only {allowed} may bind {jurisdiction_info.name}. "
                    "A contract not signed by an authorized officer is void."
                    + (f" {rule.note}" if rule.note else ""),
                    _signer_quotes(signed_agency),
                    rule.id,
                    rule.citation,
                    rule.quote,
                    values={
                        "agency": facts.agency_name,
                        "titles": [s.title for s in signed_agency],  # the document's words; None: no title
                        "rule_label": rule.label,
                        "rule_note": rule.note,
                        "may_bind": [r.id for r in rules.roles if r.id in rule.may_bind],
                        "place": jurisdiction_info.name,
                    },
                )
            )

    if facts.authorization_clause:
        covering = [r for r in resolutions_on_file if _resolution_covers(r, facts)]
        if not covering:
            flags.append(
                ValidityFlag(
                    FlagCode.UNSUPPORTED_AUTHORIZATION,
                    Severity.ERROR if rule.requires_resolution else Severity.WARNING,
                    f"The signatory represents that {facts.agency_name} is fully authorized to enter the "
                    f"agreement, but no authorizing resolution of {jurisdiction_info.name} is on file.",
                    (
                        *((facts.authorization_evidence,) if facts.authorization_evidence else ()),
                        *_signer_quotes(signed_agency),
                    ),
                    rule.id if rule.requires_resolution else "check-authorization-clause",
                    rule.citation if rule.requires_resolution else None,
                    rule.quote if rule.requires_resolution else None,
                )
            )

    today = as_of or date.today()
    status = (facts.status or "").lower()
    if status == "superseded" or facts.superseded_by:
        flags.append(
            ValidityFlag(
                FlagCode.SUPERSEDED,
                Severity.ERROR,
                f"Superseded{f' by {facts.superseded_by}' if facts.superseded_by else ''}: "
                "a newer agreement replaces it.",
                (),
                "check-status",
            )
        )
    if status in ("expired", "removed") or (facts.expires is not None and facts.expires < today):
        ended = f"expired on {facts.expires.isoformat()}" if facts.expires else f"status '{status}'"
        flags.append(
            ValidityFlag(
                FlagCode.EXPIRED,
                Severity.ERROR,
                f"No longer in force: {ended}.",
                (),
                "check-status",
            )
        )
    for deviation in facts.template_deviations:
        flags.append(
            ValidityFlag(
                FlagCode.TEMPLATE_DEVIATION,
                Severity.WARNING,
                f"Clause '{deviation.clause}' differs from ICE's template. The template reads: "
                f"{deviation.expected} The agreement reads: {deviation.found}",
                (),
                "check-template",
            )
        )
    return flags


def find_authorization_evidence(document: Document) -> Evidence | None:
    """The 'fully authorized' sentence of a document, with its page and span; None when it has none."""
    pattern = load_yaml("authority/authorization.yaml")["pattern"]
    for page in document.pages:
        match = re.search(pattern, page.text)
        if match:
            quote = " ".join(match.group(0).split())
            return Evidence(
                document.sha256, page.number, match.start(), match.end(), quote, "authorization", 0.9
            )
    return None


def find_authorization_clause(text: str) -> str | None:
    """The agreement's 'each party represents it is fully authorized' sentence, whitespace folded, or None."""
    doc = load_yaml("authority/authorization.yaml")
    match = re.search(doc["pattern"], text)
    return " ".join(match.group(0).split()) if match else None
