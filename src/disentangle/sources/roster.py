"""The FBI's roster of law-enforcement agencies as registry agencies: the names people use for each, and
the documented rule by which each row is merged with an agency on ICE's lists, added, or left out.

The rule (docs/linking.md counts what it does):
1. a roster row whose ORI an agency on ICE's lists was linked to is that agency: the ICE agency keeps
   its id and name and takes the row's county, size and names (merged);
2. a federal row (state "FS") is left out: its records fall under the federal FOIA, not a state's
   records law, and it is no local agency;
3. every other row becomes an agency of its own (added), placed in its jurisdiction and county where the
   linker could place it, and kept (unplaced, with the reason) where it could not.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.model import STATES
from disentangle.sources.agencies import FEDERAL, agency_type
from disentangle.sources.linking import PlacedRosterAgency

# Words that say what an agency is: a roster name holding one keeps its own words ("Cook County Forest
# Preserve Police"), a bare one ("Pasadena") takes its type's names.
_AGENCY_WORDS = re.compile(
    r"\b(police|sheriff'?s?|constables?|marshal'?s?|patrol|troopers?|public\s+safety|law\s+enforcement|"
    r"department|dept|office|bureau|division|commission|authority|agency|attorney|prosecutor|"
    r"task\s+force|security|enforcement|investigations?|rangers?|corrections?|jail)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RosterRecord:
    """One roster row as the registry keeps it."""

    ori: str
    name: str  # the name shown: the agency's own where known, else its type's first name
    fbi_name: str  # as the FBI publishes it, trailing ':' and ',' dropped
    state: str
    type_id: str
    jurisdiction_id: str | None
    county_id: str | None
    county: str | None  # the county's name ("Los Angeles County")
    rule: str  # how it was placed, or why it was not
    officers: int | None
    population: int | None
    aliases: tuple[str, ...]
    merged_into: tuple[str, ...] = ()  # ICE-listed agency ids that are this row

    @property
    def id(self) -> str:
        """A stable registry id: state, name and ORI ("ca-pasadena-police-department-ca0195300")."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        return f"{self.state.lower()}-{slug[:120]}-{self.ori.lower()}"


@dataclass(slots=True)
class RosterReport:
    """What the rule did with every row: merged, added (placed or not) and left out, with reasons."""

    records: list[RosterRecord] = field(default_factory=list)
    merged: int = 0
    added_placed: int = 0
    added_unplaced: int = 0
    left_out: Counter[str] = field(default_factory=Counter)
    unplaced_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        return self.merged + self.added_placed + self.added_unplaced + sum(self.left_out.values())


@dataclass(frozen=True, slots=True)
class KnownName:
    ori: str
    name: str
    aliases: tuple[str, ...]
    source: str


@cache
def known_names() -> dict[str, KnownName]:
    """knowledge/agency_aliases.yaml by ORI."""
    doc = load_yaml("agency_aliases.yaml")
    try:
        entries = [
            KnownName(e["ori"].upper(), e["name"], tuple(e.get("aliases", [])), e["source"])
            for e in doc["agencies"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(f"agency_aliases.yaml: invalid entry: {exc}") from exc
    if len({e.ori for e in entries}) != len(entries):
        raise KnowledgeError("agency_aliases.yaml: an ORI appears twice")
    return {e.ori: e for e in entries}


@cache
def _roster_names(type_id: str) -> tuple[str, ...]:
    doc = load_yaml("agency_types.yaml")
    for entry in doc["types"]:
        if entry["id"] == type_id:
            return tuple(entry.get("roster_names", []))
    agency_type(type_id)  # raises for an unknown type
    return ()


def _state_name(postal: str) -> str:
    return next((s.name for s in STATES if s.postal == postal), postal)


def common_names(fbi_name: str, type_id: str, state: str, county_name: str | None) -> list[str]:
    """The names people use for a roster row, the one to show first: its type's names where the FBI's
    name is bare, else the FBI's own name (with the state's name in front of a state agency's)."""
    state_name = _state_name(state)
    names: list[str] = []
    for template in _roster_names(type_id):
        if "{county}" in template and not county_name:
            continue
        if _already_says(template, fbi_name, state_name):
            continue
        name = template.format(name=fbi_name, county=county_name or "", state=state_name)
        name = " ".join(name.split())
        if name not in names:
            names.append(name)
    if fbi_name not in names:
        names.append(fbi_name)
    return names


# A state agency's name takes its state's in front only when it opens with a generic word ("Highway
# Patrol", "Department of Natural Resources"), not when it names an institution ("Metropolitan State
# Hospital").
_GENERIC_OPENING = re.compile(
    r"^(the\s+)?(department|division|bureau|office|commission|highway|state|board|agency|authority|fish|"
    r"wildlife|forestry|parks?|capitol|game|alcohol|marine|law|conservation|natural|police|patrol)\b",
    re.IGNORECASE,
)


def _already_says(template: str, fbi_name: str, state_name: str) -> bool:
    """Does the FBI's name already say what the template would add?"""
    if "{state}" in template:
        return state_name.lower() in fbi_name.lower() or not _GENERIC_OPENING.search(fbi_name)
    if "{county}" in template:
        return re.search(r"\bsheriff|\bpolice", fbi_name, re.IGNORECASE) is not None
    return _AGENCY_WORDS.search(fbi_name) is not None


def roster_records(
    placed: Sequence[PlacedRosterAgency],
    ice_agencies_by_ori: Mapping[str, Sequence[str]],
    county_names: Mapping[str, str],
) -> RosterReport:
    """Apply the rule to every placed roster row. `ice_agencies_by_ori`: ORI -> ICE-listed agency ids
    linked to it; `county_names`: county OCD id -> its name ("Los Angeles County")."""
    report = RosterReport()
    drafts: list[tuple[PlacedRosterAgency, list[str], bool]] = []
    for entry in placed:
        agency = entry.agency
        if agency.state == FEDERAL:
            report.left_out["federal agency (FOIA, not a state records law)"] += 1
            continue
        fbi_name = agency.name.strip().rstrip(":,").strip()
        county_name = county_names.get(entry.county_id or "")
        names = common_names(fbi_name, entry.type_id, agency.state, county_name)
        known = known_names().get(agency.ori)
        if known is not None:
            names = [known.name, *known.aliases, *(n for n in names if n != known.name)]
        unit = agency.name.strip().endswith(":")  # the FBI cut a unit's name at its colon
        drafts.append((entry, names, unit))
    # A name several rows of a state share is told apart by county, then by ORI.
    shown = Counter((e.agency.state, names[0].lower()) for e, names, _ in drafts)
    for entry, names, unit in drafts:
        agency = entry.agency
        county_name = county_names.get(entry.county_id or "")
        display = names[0]
        if unit or shown[(agency.state, display.lower())] > 1:
            display = f"{display} ({county_name})" if county_name else f"{display} (ORI {agency.ori})"
        merged = tuple(ice_agencies_by_ori.get(agency.ori, ()))
        record = RosterRecord(
            ori=agency.ori,
            name=display,
            fbi_name=agency.name.strip().rstrip(":,").strip(),
            state=agency.state,
            type_id=entry.type_id,
            jurisdiction_id=entry.jurisdiction_id,
            county_id=entry.county_id,
            county=county_name,
            rule=entry.rule,
            officers=agency.officers,
            population=agency.population,
            aliases=tuple(dict.fromkeys(n for n in names if n != display)),
            merged_into=merged,
        )
        report.records.append(record)
        if merged:
            report.merged += 1
        elif entry.jurisdiction_id:
            report.added_placed += 1
        else:
            report.added_unplaced += 1
            report.unplaced_reasons[_reason_class(entry.rule)] += 1
    _disambiguate_ids(report.records)
    return report


def _reason_class(rule: str) -> str:
    """The rule's words without the names in quotes, so that reasons can be counted."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+ places", "…", rule)


def _disambiguate_ids(records: list[RosterRecord]) -> None:
    seen: dict[str, int] = defaultdict(int)
    for record in records:
        seen[record.id] += 1
    clashes = [r.id for r in records if seen[r.id] > 1]
    if clashes:  # ids carry the ORI, which the roster never repeats: a clash is a broken invariant
        raise KnowledgeError(f"roster agency ids clash: {sorted(set(clashes))[:5]}")


def ice_agencies_by_ori(links: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """(ICE agency id, its linked ORI) pairs -> ORI -> the ICE agency ids."""
    by_ori: dict[str, list[str]] = defaultdict(list)
    for agency_id, ori in links:
        if ori:
            by_ori[ori].append(agency_id)
    return dict(by_ori)
