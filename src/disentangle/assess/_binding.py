"""Who can bind each agency: the government whose agreement it is, its body and its signing officers.

The rules of knowledge/authority/binding.yaml are scoped to the nation, a state or a named place; one lookup
(`BindingRules.rule_for`) walks the tree of jurisdictions, so a place inherits its state's rule and a state
the nation's unless a more specific rule replaces it. The same rules judge signatures (assess/_authority.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations
from disentangle.model import AGREEMENT_KINDS, Level, normalize_state

BINDING_FILE = "authority/binding.yaml"
APPLY_KEYS = frozenset({"state", "agency_type", "level", "charter", "kinds", "place"})


class Government(StrEnum):
    """Whose agreement an agency's agreement is, in law."""

    PLACE = "place"  # the city, town or village: its police are a department of it
    COUNTY = "county"  # the county, through its governing body
    STATE = "state"  # the state, through the agency's head
    SCHOOL_DISTRICT = "school-district"  # the school district, through its board
    UNIVERSITY = "university"  # the college or university, through its trustees or regents
    TRIBE = "tribe"  # a tribal nation, through its government
    ELECTED_OFFICE = "elected-office"  # an independently elected officer binds the office alone
    UNKNOWN = "unknown"  # not on file


class Certainty(StrEnum):
    """How far a binding rule can be relied on."""

    KNOWN = "known"  # the sources say so for this state or place: another officer's signature is a defect
    GENERAL = "general"  # how such agencies are usually bound: check the charter or state law first
    UNKNOWN = "unknown"  # nothing on file


@dataclass(frozen=True, slots=True)
class Source:
    """A public source of a rule: its citation, its address where it was read, its own words if quoted."""

    citation: str
    url: str | None = None
    quote: str | None = None  # verbatim words of the source, nothing else

    def to_dict(self) -> dict[str, Any]:
        return {"citation": self.citation, "url": self.url, "quote": self.quote}


class Place(Protocol):
    """The jurisdiction an agency belongs to, as the binding rules read it (JurisdictionInfo is one)."""

    @property
    def name(self) -> str: ...  # the place itself ("Pasadena"), not the Census name ("Pasadena city")

    @property
    def state(self) -> str: ...  # USPS code

    @property
    def level(self) -> str: ...  # model.Level value

    @property
    def charter(self) -> bool | None: ...

    @property
    def id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class BindingRule:
    """One rule of binding.yaml: where it applies, whose agreement it is, who signs, on what authority."""

    id: str
    label: str
    applies: dict[str, Any]
    government: Government
    body: str | None
    offices: tuple[str, ...]  # office role ids of offices.yaml
    status: Certainty
    requires_resolution: bool
    note: str | None
    sources: tuple[Source, ...]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"label", "note"}}

    @property
    def scope(self) -> int:
        """How narrow the rule's jurisdiction is: 2 a named place, 1 a state, 0 the nation."""
        if "place" in self.applies:
            return 2
        return 1 if "state" in self.applies else 0

    @property
    def specificity(self) -> tuple[int, int]:
        return (self.scope, len(self.applies))

    def matches(self, agency_type: str | None, place: Place, kind: str | None = None) -> bool:
        for key, wanted in self.applies.items():
            if key == "state" and normalize_state(place.state) != wanted:
                return False
            if key == "place" and not (
                normalize_state(place.state) == wanted.get("state")
                and place.name.strip().lower() == str(wanted.get("name", "")).strip().lower()
            ):
                return False
            if key == "agency_type":
                types = wanted if isinstance(wanted, list) else [wanted]
                if (agency_type or "").lower() not in {str(t).lower() for t in types}:
                    return False
            if key == "level" and place.level != wanted:
                return False
            if key == "charter" and place.charter is not wanted:
                return False
            if key == "kinds" and kind not in wanted:
                return False
        return True


def most_specific(
    rules: Sequence[BindingRule], agency_type: str | None, place: Place, kind: str | None
) -> BindingRule:
    """The rule a jurisdiction inherits: a place's beats its state's, a state's the nation's, and within one
    scope the rule naming more keys wins. The one generic lookup of the authority rules."""
    matching = [rule for rule in rules if rule.matches(agency_type, place, kind)]
    if not matching:
        raise KnowledgeError(
            f"{BINDING_FILE}: no rule applies, not even the nation's default (applies: {{}})"
        )
    return max(matching, key=lambda rule: rule.specificity)


@dataclass(frozen=True, slots=True)
class BindingAuthority:
    """Who can bind one agency: the binding rules' answer, with the jurisdiction it was inherited from."""

    agency: str
    agency_type: str | None
    state: str
    government: Government
    government_name: str | None  # "League City", "Galveston County", the sheriff's own office
    government_id: str | None  # the OCD id of the government, where it is a jurisdiction of the registry
    body: str | None
    offices: tuple[str, ...]  # office labels, as offices.yaml names them
    office_roles: tuple[str, ...]
    status: Certainty
    rule: str
    rule_label: str
    inherited_from: str  # "United States", "TX", "Pasadena, CA": the scope of the rule applied
    note: str | None
    sources: tuple[Source, ...]
    agency_id: str | None = None

    @property
    def elected_head(self) -> bool:
        """An independently elected officer binds the agency alone: no county or city body can end its
        agreements."""
        return self.government is Government.ELECTED_OFFICE

    def bound_by(self, jurisdiction_id: str | None) -> bool:
        """Whether the governing body of `jurisdiction_id` can end this agency's agreements itself."""
        return (
            jurisdiction_id is not None
            and self.government in (Government.PLACE, Government.COUNTY)
            and self.government_id == jurisdiction_id
        )

    @property
    def who(self) -> str:
        """Who binds it, in a letter's words: "the city council of League City (mayor or city manager)"."""
        offices = " or ".join(label.lower() for label in self.offices)
        if self.government is Government.ELECTED_OFFICE:
            return f"its {offices or 'head'} (independently elected)"
        if self.government is Government.UNKNOWN:
            return "whoever its government's law names (not on file)"
        where = f" of {self.government_name}" if self.government_name else ""
        body = f"the {self.body}{where}" if self.body else f"the {self.government.value}{where}"
        return f"{body} (the {offices} signs)" if offices else body

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "agency_id": self.agency_id,
            "agency_type": self.agency_type,
            "state": self.state,
            "government": self.government.value,
            "government_name": self.government_name,
            "government_id": self.government_id,
            "body": self.body,
            "offices": list(self.offices),
            "elected_head": self.elected_head,
            "status": self.status.value,
            "who": self.who,
            "rule": self.rule,
            "rule_label": self.rule_label,
            "inherited_from": self.inherited_from,
            "note": self.note,
            "sources": [source.to_dict() for source in self.sources],
        }


@dataclass(frozen=True, slots=True)
class BindingAuthorities:
    """Who can bind each agency of an agency or a place asked about (one agency, or every agency with an
    agreement in the place), and which of them the place's own governing body binds."""

    subject: str  # the agency or place as named
    jurisdiction_id: str | None  # the place's OCD id when a place was asked about
    agencies: tuple[BindingAuthority, ...]

    def bound_here(self) -> tuple[BindingAuthority, ...]:
        """The agencies whose agreements the place's own governing body can end."""
        return tuple(a for a in self.agencies if a.bound_by(self.jurisdiction_id))

    def to_ask(self) -> tuple[BindingAuthority, ...]:
        """The agencies only someone else can bind: the place can only ask them."""
        return tuple(a for a in self.agencies if not a.bound_by(self.jurisdiction_id))

    def to_dict(self) -> dict[str, Any]:
        here = {a.agency_id or a.agency for a in self.bound_here()}
        return {
            "subject": self.subject,
            "jurisdiction_id": self.jurisdiction_id,
            "agencies": [
                {**a.to_dict(), "bound_here": (a.agency_id or a.agency) in here} for a in self.agencies
            ],
        }


@dataclass(frozen=True, slots=True)
class BindingRules:
    """The bundled binding rules and the office roles they name."""

    rules: tuple[BindingRule, ...]
    office_labels: dict[str, str]

    def rule_for(self, agency_type: str | None, place: Place, kind: str | None = None) -> BindingRule:
        return most_specific(self.rules, agency_type, place, kind)

    def authority(
        self,
        agency: str,
        agency_type: str | None,
        place: Place,
        *,
        kind: str | None = None,
        agency_id: str | None = None,
    ) -> BindingAuthority:
        """Who can bind `agency` (of `agency_type`, belonging to `place`), by the rule the place inherits."""
        rule = self.rule_for(agency_type, place, kind)
        government = rule.government
        name: str | None = None
        government_id: str | None = None
        if government is Government.ELECTED_OFFICE:
            name = agency
        elif government.value == place.level or (
            government is Government.PLACE and place.level == "subdivision"
        ):
            name, government_id = place.name, place.id
        inherited = (
            f"{rule.applies['place']['name']}, {rule.applies['place']['state']}"
            if rule.scope == 2
            else (rule.applies["state"] if rule.scope == 1 else "United States")
        )
        return BindingAuthority(
            agency=agency,
            agency_id=agency_id,
            agency_type=agency_type,
            state=place.state,
            government=government,
            government_name=name,
            government_id=government_id,
            body=rule.body,
            offices=tuple(self.office_labels.get(role, role) for role in rule.offices),
            office_roles=rule.offices,
            status=rule.status,
            rule=rule.id,
            rule_label=rule.label,
            inherited_from=inherited,
            note=rule.note,
            sources=rule.sources,
        )


def _applies(entry: dict[str, Any], origin: str) -> dict[str, Any]:
    applies = entry.get("applies") or {}
    if not isinstance(applies, dict):
        raise KnowledgeError(f"{origin}: {entry['id']} applies must be a mapping")
    unknown = set(applies) - APPLY_KEYS
    if unknown:
        raise KnowledgeError(f"{origin}: {entry['id']} applies on unknown keys {sorted(unknown)}")
    if "state" in applies and normalize_state(str(applies["state"])) != applies["state"]:
        raise KnowledgeError(f"{origin}: {entry['id']} names state {applies['state']!r}, not a USPS code")
    if "place" in applies:
        place = applies["place"]
        if (
            not isinstance(place, dict)
            or not place.get("name")
            or not normalize_state(str(place.get("state")))
        ):
            raise KnowledgeError(f"{origin}: {entry['id']} place needs a name and a USPS state code")
    if "level" in applies and applies["level"] not in {level.value for level in Level}:
        raise KnowledgeError(f"{origin}: {entry['id']} names unknown level {applies['level']!r}")
    if "kinds" in applies and not set(applies["kinds"]) <= set(AGREEMENT_KINDS):
        raise KnowledgeError(f"{origin}: {entry['id']} names unknown agreement kinds {applies['kinds']}")
    return dict(applies)


def _sources(entry: dict[str, Any], origin: str) -> tuple[Source, ...]:
    sources = []
    for index, raw in enumerate(entry.get("sources") or []):
        if not isinstance(raw, dict) or not raw.get("citation"):
            raise KnowledgeError(f"{origin}: {entry['id']} sources[{index}] has no citation")
        if "seed" in str(raw).lower():
            raise KnowledgeError(
                f"{origin}: {entry['id']} sources[{index}] cites a working file, not a public source"
            )
        sources.append(Source(str(raw["citation"]), raw.get("url"), raw.get("quote")))
    return tuple(sources)


def parse_binding_rules(doc: Any, origin: str, role_ids: Sequence[str]) -> tuple[BindingRule, ...]:
    """Build and check the binding rules; an unknown key, office, government or status is a KnowledgeError."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise KnowledgeError(f"{origin}: expected a 'rules' list")
    rules: list[BindingRule] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc["rules"]):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("label"):
            raise KnowledgeError(f"{origin}: rules[{index}] needs an id and a label")
        if entry["id"] in seen:
            raise KnowledgeError(f"{origin}: duplicate rule id {entry['id']!r}")
        seen.add(entry["id"])
        try:
            government = Government(str(entry.get("government")))
            status = Certainty(str(entry.get("status")))
        except ValueError as exc:
            raise KnowledgeError(
                f"{origin}: {entry['id']} government must be one of {[g.value for g in Government]} and "
                f"status one of {[s.value for s in Certainty]}"
            ) from exc
        offices = tuple(entry.get("offices") or ())
        unknown_roles = [role for role in offices if role not in role_ids]
        if unknown_roles:
            raise KnowledgeError(f"{origin}: {entry['id']} names unknown office roles {unknown_roles}")
        if status is Certainty.KNOWN and not offices:
            raise KnowledgeError(f"{origin}: {entry['id']} is known but names no office")
        sources = _sources(entry, origin)
        if status is not Certainty.UNKNOWN and not sources:
            raise KnowledgeError(f"{origin}: {entry['id']} is {status.value} but cites no source")
        rules.append(
            BindingRule(
                id=entry["id"],
                label=entry["label"],
                applies=_applies(entry, origin),
                government=government,
                body=entry.get("body"),
                offices=offices,
                status=status,
                requires_resolution=bool(entry.get("requires_resolution", False)),
                note=entry.get("note"),
                sources=sources,
                translations=translations(entry, ("label", "note"), origin, str(entry["id"])),
            )
        )
    if not any(not rule.applies for rule in rules):
        raise KnowledgeError(f"{origin}: no rule for the whole nation (applies: {{}}) to fall back on")
    return tuple(rules)


@cache
def load_binding_rules() -> BindingRules:
    """The bundled binding rules, checked against the office roles of offices.yaml."""
    offices = load_yaml("authority/offices.yaml")
    roles = {str(role["id"]): str(role.get("label", role["id"])) for role in (offices or {}).get("roles", [])}
    rules = parse_binding_rules(load_yaml(BINDING_FILE), str(KNOWLEDGE_DIR / BINDING_FILE), tuple(roles))
    return BindingRules(rules, roles)
