"""Read the FBI's roster of law-enforcement agencies and the ICPSR-linked ICE rows, and tell what kind of
agency a name denotes (sheriff, police, state agency, ...) from knowledge/agency_types.yaml."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.errors import KnowledgeError, SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import STATES, Level, normalize_state
from disentangle.sources._memo import per_file

_MISSING = frozenset({"", "na", "n/a", "#n/a", "#na", "-1", "null", "none", "not specified"})
# The FBI writes states with NCIC codes: the USPS code except Nebraska (NB) and Guam (GM); "FS" marks
# federal agencies, which the roster keeps under that code.
_NCIC_STATES = {"NB": "NE", "GM": "GU", "FS": "FS"}
FEDERAL = "FS"


def ori_state(ori: str) -> str | None:
    """The USPS code of the state an ORI belongs to (its first two letters, NCIC-style)."""
    prefix = ori[:2].upper()
    return _NCIC_STATES.get(prefix) or normalize_state(prefix)


@dataclass(frozen=True, slots=True)
class RosterAgency:
    """One agency of the FBI's law-enforcement-employees roster (its latest reported year)."""

    ori: str
    name: str  # as the FBI publishes it: "Anchorage", "Highway Patrol:", "Butler Township, Butler County"
    state: str  # USPS code ("FS" for federal agencies)
    counties: tuple[str, ...]  # upper-case county names; empty when "NOT SPECIFIED"
    type: str  # City, County, Other, Other State Agency, State Police, Tribal, University or College, ...
    population: int | None
    officers: int | None
    year: int | None
    line: int | None = None  # its line in the roster file, for citing it

    @property
    def county(self) -> str | None:
        return self.counties[0] if len(self.counties) == 1 else None


@dataclass(frozen=True, slots=True)
class IcpsrRow:
    """One row of ICE's 2025 sheets joined to the 2018 Census of State and Local Law Enforcement Agencies."""

    state: str  # USPS code
    agency: str  # ICE's name as that project normalised it: "colbert county sheriff"
    ori: str | None
    county: str | None
    agency_type: str | None  # "(001) Sheriff", "(003) Local Police", ...
    date: str  # the sheet it comes from: "2025-05-16 am"


@per_file(Path)
def read_fbi_roster(path: Path) -> list[RosterAgency]:
    """The FBI roster (data/287g-watch/fbi_lee_latest.csv); a malformed file is a SourceFormatError."""
    columns = ("ori", "pub_agency_name", "state_abbr", "county_name", "agency_type_name")
    roster: list[RosterAgency] = []
    seen: set[str] = set()
    for line, row in _csv_rows(Path(path), columns):
        ori = row["ori"].strip().upper()
        code = row["state_abbr"].strip().upper()
        state = _NCIC_STATES.get(code) or normalize_state(code)
        if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{7}", ori) or state is None:
            raise SourceFormatError(f"line {line}: bad ORI {ori!r} or state {row['state_abbr']!r}", path)
        if ori in seen:
            raise SourceFormatError(f"line {line}: ORI {ori} appears twice", path)
        seen.add(ori)
        county_field = row["county_name"].strip()
        counties = () if _missing(county_field) else tuple(c.strip() for c in county_field.split(","))
        roster.append(
            RosterAgency(
                ori=ori,
                name=row["pub_agency_name"].strip(),
                state=state,
                counties=counties,
                type=row["agency_type_name"].strip(),
                population=_integer(row.get("population")),
                officers=_integer(row.get("officer_ct")),
                year=_integer(row.get("data_year")),
                line=line,
            )
        )
    return roster


def read_icpsr_links(path: Path) -> list[IcpsrRow]:
    """ICE rows with ORIs (data/ice-287g-2025/agreements_icpsr_merged.csv); "NA", "-1", "" are missing."""
    rows: list[IcpsrRow] = []
    for line, row in _csv_rows(Path(path), ("date", "state", "county", "agency", "ori", "agency_type")):
        state = normalize_state(row["state"])
        if state is None or not row["agency"].strip():
            raise SourceFormatError(f"line {line}: unknown state {row['state']!r} or empty agency", path)
        ori = None if _missing(row["ori"]) else row["ori"].strip().upper()
        if ori is not None and not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{7}", ori):
            raise SourceFormatError(f"line {line}: bad ORI {ori!r}", path)
        rows.append(
            IcpsrRow(
                state=state,
                agency=row["agency"].strip(),
                ori=ori,
                county=None if _missing(row["county"]) else row["county"].strip(),
                agency_type=None if _missing(row["agency_type"]) else row["agency_type"].strip(),
                date=row["date"].strip(),
            )
        )
    return rows


def _missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in _MISSING


def _integer(value: str | None) -> int | None:
    try:
        return None if _missing(value) else int(float(str(value)))
    except ValueError:
        return None


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise SourceFormatError("file is missing or unreadable", path) from exc
    with handle:
        try:
            reader = csv.reader(handle)
            header = [column.strip() for column in next(reader, [])]
            missing = [column for column in required if column not in header]
            if missing:
                raise SourceFormatError(f"missing column(s): {', '.join(missing)}", path)
            count = 0
            for line, values in enumerate(reader, start=2):
                if not values:
                    continue
                if len(values) != len(header):
                    raise SourceFormatError(
                        f"line {line}: {len(values)} fields where the header has {len(header)} (truncated?)",
                        path,
                    )
                count += 1
                yield line, dict(zip(header, values, strict=True))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SourceFormatError(f"not a readable CSV file: {exc}", path) from exc
    if count == 0:
        raise SourceFormatError("no data rows", path)


# --- agency types ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyType:
    """A kind of law-enforcement agency and the level of government it belongs to."""

    id: str
    label: str
    description: str
    source: str
    patterns: tuple[str, ...]  # regexes on the agency's name; {state} stands for the state's names
    binds_to: tuple[tuple[Level, ...], ...]  # levels tried in turn; levels within one step compete
    county_column: bool  # may ICE's COUNTY column stand in when the name does not resolve?
    one_per_place: bool  # the roster entry of this type at its jurisdiction is it, whatever its name
    prefers_place: bool  # a bare name that fits a place and a township of that name means the place
    needs_kind_word: bool  # bind by name only when it says "County", "City", "Township", ...
    roster_types: frozenset[str]  # FBI agency_type_name values this type can carry
    icpsr_types: frozenset[str]  # ICPSR agency_type values this type can carry
    ice_types: frozenset[str] = field(default_factory=frozenset)  # ICE TYPE values that imply it
    compare_without: frozenset[str] = field(default_factory=frozenset)  # words left out against the FBI
    stands_in_for: frozenset[str] = field(default_factory=frozenset)  # roster types that may be it

    def matches(self, name: str, state_names: str) -> bool:
        """Does the name fit one of the patterns? `state_names` is a regex alternation for {state}."""
        return bool(self.patterns) and _compiled(self.patterns, state_names).search(name) is not None


@cache
def _compiled(patterns: tuple[str, ...], state_names: str) -> re.Pattern[str]:
    either = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(either.replace("{state}", state_names), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AgencyNaming:
    """The words of agency names that say what an agency is, not where: dropped to find the place."""

    phrases: tuple[re.Pattern[str], ...]
    words: frozenset[str]
    edges: frozenset[str]  # dropped only at either end: "of", "the", "and"


@cache
def agency_types() -> tuple[AgencyType, ...]:
    """The agency types of knowledge/agency_types.yaml, in the order they are tried."""
    doc = load_yaml("agency_types.yaml")
    try:
        types = tuple(_agency_type(entry) for entry in doc["types"])
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise KnowledgeError(f"agency_types.yaml: invalid entry: {exc}") from exc
    ids = [t.id for t in types]
    if len(set(ids)) != len(ids) or "other" not in ids:
        raise KnowledgeError("agency_types.yaml: type ids must be unique and include 'other'")
    return types


def agency_type(type_id: str) -> AgencyType:
    """The agency type with this id; a KnowledgeError if there is none."""
    found = _types_by_id().get(type_id)
    if found is None:
        raise KnowledgeError(f"agency_types.yaml: no type {type_id!r}")
    return found


@cache
def _types_by_id() -> dict[str, AgencyType]:
    return {kind.id: kind for kind in agency_types()}


@cache
def _patterns_for(postal: str) -> tuple[tuple[AgencyType, re.Pattern[str]], ...]:
    alternation = state_names(postal) if postal else "(?!)"
    return tuple((kind, _compiled(kind.patterns, alternation)) for kind in agency_types() if kind.patterns)


def _agency_type(entry: dict[str, Any]) -> AgencyType:
    steps = tuple(tuple(Level(level) for level in step.split("|")) for step in entry.get("binds_to", []))
    patterns = tuple(entry.get("patterns", []))
    _compiled(patterns, "(?:Texas)")  # a bad regex fails here, when the knowledge file loads
    return AgencyType(
        id=entry["id"],
        label=entry["label"],
        description=entry["description"],
        source=entry["source"],
        patterns=patterns,
        binds_to=steps,
        county_column=bool(entry.get("county_column", False)),
        one_per_place=bool(entry.get("one_per_place", False)),
        prefers_place=bool(entry.get("prefers_place", False)),
        needs_kind_word=bool(entry.get("needs_kind_word", False)),
        roster_types=frozenset(entry.get("roster_types", [])),
        icpsr_types=frozenset(entry.get("icpsr_types", [])),
        ice_types=frozenset(entry.get("ice_types", [])),
        compare_without=frozenset(entry.get("compare_without", [])),
        stands_in_for=frozenset(entry.get("stands_in_for", [])),
    )


@cache
def agency_naming() -> AgencyNaming:
    doc = load_yaml("agency_types.yaml")["naming"]
    return AgencyNaming(
        phrases=tuple(re.compile(p) for p in doc["phrases"]),
        words=frozenset(doc["words"]),
        edges=frozenset(doc["edges"]),
    )


@cache
def state_names(postal: str) -> str:
    """A regex alternation of the ways agency names spell a state: "Florida", "CNMI", ..."""
    doc = load_yaml("agency_types.yaml")
    names = [s.name for s in STATES if s.postal == postal]
    names += doc.get("state_names", {}).get(postal, [])
    names += [
        a for s in load_yaml("states.yaml")["states"] if s["postal"] == postal for a in s.get("aliases", [])
    ]
    return "(?:" + "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True)) + ")"


def classify_agency(name: str, state: str, ice_type: str | None = None) -> AgencyType:
    """The first type whose pattern fits the name; else the type ICE's TYPE column implies; else other."""
    cleaned = " ".join(name.replace("’", "'").split())
    for candidate, pattern in _patterns_for(normalize_state(state) or ""):
        if pattern.search(cleaned):
            return candidate
    hint = (ice_type or "").strip().lower()
    for candidate in agency_types():
        if hint and hint in candidate.ice_types:
            return candidate
    return agency_type("other")
