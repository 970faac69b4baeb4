"""Which county (or counties) every agency is counted in, by one written rule, and where the county ICE
printed disagrees with it.

The rules, tried in order; the first that places the agency decides (docs/registry.md counts them):
1. a hand correction from knowledge/places/county_placements.yaml, keyed on the county ICE printed
   wrongly (or left blank): it applies only while ICE still prints that value, so it goes inert once
   ICE corrects its sheet;
2. the member counties declared for a regional body or a district office in the same file, with their
   source (a regional jail authority, a judicial district's task force, a state attorney's circuit);
3. the agency's jurisdiction, when it is a county (a sheriff, a county jail, an independent city);
4. the county a township or town lies in, when its jurisdiction is one;
5. statewide, for a state agency, and for anything in a district or territory without counties; but a
   row of the FBI roster that is a state agency's unit (a campus police department, a state hospital, a
   highway patrol troop) is counted where the roster places it, by rule 7;
6. for a detention facility, the county its name names ("Bowie County Jail");
7. the FBI roster's county, or counties, for the ORI the agency is linked to;
8. the county ICE printed (287(g) sheet or facility list);
9. else none.

The issue that asked for this rule listed a declared scope last; it comes second here because it is, like
a correction, a fact about that one agency with its own source, while the rules after it are general: a
state attorney's circuit is not the whole state, and a regional jail is not only the county ICE printed.
Whenever ICE printed a county that is not among those chosen, the placement keeps it beside the choice
with both sources: a disagreement a reader can check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.model import Citation, CountyRule, CountyScope, Level

KNOWLEDGE_FILE = "places/county_placements.yaml"

# A county's OCD id from a state and a county name as a source writes it ("Galveston County",
# "BOWIE", "Acadia Parish"), or None.
CountyLookup = Callable[[str, str], str | None]


@dataclass(frozen=True, slots=True)
class AgencyPlaceFacts:
    """What is known about where one agency works, gathered from every source before the rule runs."""

    agency_id: str
    name: str
    state: str
    jurisdiction_id: str | None = None
    jurisdiction_level: Level | None = None
    subdivision_county: str | None = None  # the county a subdivision jurisdiction lies in
    roster_counties: tuple[str, ...] = ()  # county ids of the FBI roster row of its ORI
    roster_source: Citation | None = None
    names: tuple[str, ...] = ()  # every spelling the agency went by (ICE's sheets, the roster)
    printed_county: str | None = None  # ICE's COUNTY cell (or the facility list's), as printed
    printed_county_id: str | None = None  # what that cell names, when it names a county of the state
    printed_source: Citation | None = None
    facility: bool = False  # a facility of ICE's detention list
    state_has_counties: bool = True  # False for D.C. and the territories without county-level divisions
    roster_unit: bool = False  # a row of the FBI roster of its own (not an agency on ICE's lists)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one agency is counted, and what ICE printed when that disagrees."""

    agency_id: str
    scope: CountyScope
    rule: CountyRule
    counties: tuple[str, ...]  # county ids it is counted in (empty when statewide or none)
    source: Citation | None  # the source of the choice
    note: str = ""
    printed: str | None = None  # ICE's county as printed, when it disagrees with the choice
    printed_county_id: str | None = None
    printed_source: Citation | None = None
    correction: str | None = None  # the id of the hand correction that decided, if one did

    @property
    def disagrees(self) -> bool:
        return self.printed is not None


@dataclass(frozen=True, slots=True)
class Correction:
    """A hand fix of a county ICE printed wrongly, keyed on the wrong value."""

    id: str
    state: str
    names: tuple[str, ...]  # the agency as ICE prints it (any spelling it went by)
    printed: str  # the wrong value, as printed ("" when ICE printed none)
    county: str  # the right county's name
    source: Citation
    note: str


@dataclass(frozen=True, slots=True)
class DeclaredScope:
    """The member counties of a regional body (a regional jail, a judicial district's task force)."""

    state: str
    names: tuple[str, ...]  # the body as ICE or the roster name it (any spelling)
    counties: tuple[str, ...]
    source: Citation
    note: str


@dataclass(slots=True)
class Placements:
    """Every agency's placement, and which hand corrections applied (the rest are inert)."""

    by_agency: dict[str, Placement] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)  # correction ids
    corrections: tuple[Correction, ...] = ()
    unresolved: list[str] = field(default_factory=list)  # knowledge entries naming no county of the state

    @property
    def inert(self) -> list[Correction]:
        return [c for c in self.corrections if c.id not in self.applied]


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _names(entry: Any, where: str) -> tuple[str, ...]:
    names = entry.get("agency")
    names = [names] if isinstance(names, str) else names
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: {where} needs the agency's name (or a list of its names)")
    return tuple(names)


def _citation(entry: Any, where: str) -> Citation:
    if not isinstance(entry, dict) or not entry.get("label") or not entry.get("url"):
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: {where} needs a source with a label and a url")
    return Citation(str(entry["label"]), str(entry.get("publisher") or ""), str(entry["url"]))


@cache
def knowledge() -> tuple[tuple[Correction, ...], tuple[DeclaredScope, ...]]:
    """The hand corrections and declared scopes of knowledge/places/county_placements.yaml, checked."""
    doc = load_yaml(KNOWLEDGE_FILE)
    corrections: list[Correction] = []
    scopes: list[DeclaredScope] = []
    try:
        for index, entry in enumerate(doc.get("corrections") or []):
            where = f"corrections[{index}]"
            names = _names(entry, where)
            printed = "" if entry["printed"] is None else str(entry["printed"])
            corrections.append(
                Correction(
                    id=f"{entry['state']}: {names[0]}, printed " + (f"“{printed}”" if printed else "blank"),
                    state=str(entry["state"]),
                    names=names,
                    printed=printed,
                    county=str(entry["county"]),
                    source=_citation(entry.get("source"), where),
                    note=" ".join(str(entry.get("note") or "").split()),
                )
            )
        for index, entry in enumerate(doc.get("scopes") or []):
            where = f"scopes[{index}]"
            counties = tuple(str(c) for c in entry["counties"])
            if len(counties) < 1:
                raise KnowledgeError(f"{KNOWLEDGE_FILE}: {where} lists no county")
            scopes.append(
                DeclaredScope(
                    state=str(entry["state"]),
                    names=_names(entry, where),
                    counties=counties,
                    source=_citation(entry.get("source"), where),
                    note=" ".join(str(entry.get("note") or "").split()),
                )
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: invalid entry: {exc}") from exc
    if len({c.id for c in corrections}) != len(corrections):
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: a correction appears twice")
    return tuple(corrections), tuple(scopes)


# "BOWIE COUNTY JAIL", "St. Clair County Jail", "CALCASIEU PARISH CORRECTIONAL CENTER": the words before
# the first "County" or "Parish". A name that only mentions a county later ("JAIL - ORANGE COUNTY") or
# serves several ("TRI-COUNTY") names no county of its own.
_NAMED_COUNTY = re.compile(r"^\s*(?P<name>[A-Za-z][A-Za-z .'’-]*?)\s+(?P<kind>county|parish|co\.)\s", re.I)


def named_county(name: str) -> str | None:
    """The county a facility's name names ("Bowie County" of "BOWIE COUNTY JAIL"), else None."""
    found = _NAMED_COUNTY.match(name + " ")
    if not found or re.search(r"\s[-–]\s", found.group("name")):  # "JAIL - ORANGE COUNTY"
        return None
    if found.group("name").lower().endswith(("tri", "tri-", "multi", "regional", "district")):
        return None
    kind = "Parish" if found.group("kind").lower() == "parish" else "County"
    return f"{found.group('name').strip()} {kind}"


def place_agencies(
    agencies: Iterable[AgencyPlaceFacts],
    county_id: CountyLookup,
    *,
    corrections: Sequence[Correction] | None = None,
    scopes: Sequence[DeclaredScope] | None = None,
) -> Placements:
    """Apply the rule to every agency. `county_id` turns a (state, county name) into an OCD id."""
    if corrections is None or scopes is None:
        known_corrections, known_scopes = knowledge()
        corrections = known_corrections if corrections is None else corrections
        scopes = known_scopes if scopes is None else scopes
    result = Placements(corrections=tuple(corrections))
    fixes: dict[tuple[str, str, str], Correction] = {}
    for correction in corrections:
        for name in correction.names:
            fixes[(correction.state, _fold(name), _fold(correction.printed))] = correction
        if county_id(correction.state, correction.county) is None:
            result.unresolved.append(f"correction {correction.id}: no county {correction.county!r}")
    declared: dict[tuple[str, str], tuple[DeclaredScope, tuple[str, ...]]] = {}
    for scope in scopes:
        ids = tuple(dict.fromkeys(i for i in (county_id(scope.state, c) for c in scope.counties) if i))
        if len(ids) != len(scope.counties):
            result.unresolved.append(f"scope of {scope.names[0]!r}: a county it lists is not in the state")
        for name in scope.names:
            declared[(scope.state, _fold(name))] = (scope, ids)
    named_states = {state for state, *_ in fixes} | {state for state, _ in declared}
    for facts in agencies:
        placement, applied = _place(facts, county_id, fixes, declared, named_states)
        result.by_agency[facts.agency_id] = placement
        if applied:
            result.applied.add(applied)
    return result


def _place(
    facts: AgencyPlaceFacts,
    county_id: CountyLookup,
    fixes: Mapping[tuple[str, str, str], Correction],
    declared: Mapping[tuple[str, str], tuple[DeclaredScope, tuple[str, ...]]],
    named_states: set[str],
) -> tuple[Placement, str | None]:
    # Knowledge names few agencies, in few states: the names are folded only where it may name one.
    names = [_fold(n) for n in (facts.name, *facts.names)] if facts.state in named_states else []
    printed = _fold(facts.printed_county or "")
    for name in names:
        fix = fixes.get((facts.state, name, printed))
        fixed = county_id(fix.state, fix.county) if fix else None
        if fix and fixed:
            shown = f"“{facts.printed_county}”" if facts.printed_county else "no county"
            note = f"ICE prints {shown}; {fix.note}"
            placement = _with_printed(facts, CountyRule.CORRECTION, (fixed,), fix.source, note, fix.id)
            return placement, fix.id
    for name in names:
        found = declared.get((facts.state, name))
        if found and found[1]:
            scope, ids = found
            return _with_printed(facts, CountyRule.DECLARED, ids, scope.source, scope.note), None
    level = facts.jurisdiction_level
    if level is Level.COUNTY and facts.jurisdiction_id:
        return _with_printed(facts, CountyRule.JURISDICTION, (facts.jurisdiction_id,), None, ""), None
    if level is Level.SUBDIVISION and facts.subdivision_county:
        return _with_printed(facts, CountyRule.SUBDIVISION, (facts.subdivision_county,), None, ""), None
    if level is Level.STATE and not (facts.roster_unit and facts.roster_counties):
        return _with_printed(facts, CountyRule.STATEWIDE, (), None, ""), None
    if not facts.state_has_counties:
        note = f"{facts.state} has no counties"
        return _with_printed(facts, CountyRule.STATEWIDE, (), None, note), None
    if facts.facility:
        named = named_county(facts.name)
        named_id = county_id(facts.state, named) if named else None
        if named_id:
            note = f"its name: {named}"
            return _with_printed(facts, CountyRule.FACILITY_NAME, (named_id,), None, note), None
    if facts.roster_counties:
        return _with_printed(facts, CountyRule.ROSTER, facts.roster_counties, facts.roster_source, ""), None
    if facts.printed_county_id:
        placement = Placement(
            facts.agency_id,
            CountyScope.COUNTY,
            CountyRule.ICE_COUNTY,
            (facts.printed_county_id,),
            facts.printed_source,
        )
        return placement, None
    return _with_printed(facts, CountyRule.NONE, (), None, ""), None


def _with_printed(
    facts: AgencyPlaceFacts,
    rule: CountyRule,
    counties: tuple[str, ...],
    source: Citation | None,
    note: str,
    correction: str | None = None,
) -> Placement:
    if rule is CountyRule.STATEWIDE:
        scope = CountyScope.STATEWIDE
    elif not counties:
        scope = CountyScope.NONE
    else:
        scope = CountyScope.COUNTY if len(counties) == 1 else CountyScope.MULTI_COUNTY
    printed = facts.printed_county
    disagrees = bool(printed) and (facts.printed_county_id is None or facts.printed_county_id not in counties)
    # A state agency's county cell names where ICE filed it, not a claim about its reach; it stays
    # beside the choice only when it names no county of the state at all.
    if rule is CountyRule.STATEWIDE and facts.printed_county_id is not None:
        disagrees = False
    return Placement(
        agency_id=facts.agency_id,
        scope=scope,
        rule=rule,
        counties=counties,
        source=source,
        note=note,
        printed=printed if disagrees else None,
        printed_county_id=facts.printed_county_id if disagrees else None,
        printed_source=facts.printed_source if disagrees else None,
        correction=correction,
    )
