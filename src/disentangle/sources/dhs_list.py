"""Read the states, counties and cities DHS designated "sanctuary jurisdictions" from the text of its page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Level, Source, state_by_name
from disentangle.sources.programs import dataset_file, read_text, source

DATASET = "dhs-sanctuary-list"
FILE = "dhs-sanctuary-list/DHS_Sanctuary_Jurisdictions_Defying_Federal_Immigration_Law.txt"
# The web archive's capture header: "29 May 2025 - 13 Jun 2025" (first and last capture).
_CAPTURES = re.compile(r"^(\d{1,2} [A-Z][a-z]{2} \d{4}) - \d{1,2} [A-Z][a-z]{2} \d{4}$")


@dataclass(frozen=True, slots=True)
class Designation:
    """One jurisdiction on DHS's list, keyed by state + name + level for the gazetteer to resolve."""

    state: str  # USPS code of the state section it is printed under
    name: str  # as printed: "City of Boise", "Alameda County", "Baltimore City"
    level: Level  # STATE, COUNTY or PLACE
    lookup_name: str  # the name without "City of"/"Town of" and similar, for a gazetteer look-up
    section: str  # the heading printed above it: "State", "County", "Counties", "Cities"
    basis: str | None  # for states (and D.C.): the reason the page prints, e.g. "Self-Identification ..."
    designated: date | None  # the first capture date of the archived page; None if the text lacks it
    note: str | None  # why level or name differ from what is printed, when they do
    source: Source  # row = line number in the text file


@cache
def _rules() -> dict[str, Any]:
    return dict(load_yaml("programs/dhs_list.yaml"))


def read_dhs_designations(data_dir: Path) -> list[Designation]:
    """Every designation on the page, in page order; navigation and page controls are skipped."""
    path = dataset_file(data_dir, FILE)
    return parse_dhs_designations(read_text(path), path)


def parse_dhs_designations(text: str, path: Path | None = None) -> list[Designation]:
    """Parse the page text; `path` is named in errors. Raises SourceFormatError if the list is not there."""
    rules = _rules()
    lines = [" ".join(line.replace("\f", " ").split()) for line in text.splitlines()]
    start = _index(lines, rules["list_start"], 0)
    if start is None:
        raise SourceFormatError(f"no {rules['list_start']!r} heading: not the DHS list page", path)
    end = _index(lines, rules["list_end"], start + 1)
    if end is None:
        raise SourceFormatError(f"the list never reaches {rules['list_end']!r}: the text is truncated", path)
    designated = _designated(lines[:start])
    sections: dict[str, str] = rules["sections"]
    controls = set(rules["controls"])
    entries = [(number, line) for number, line in enumerate(lines[start + 1 : end], start=start + 2)]
    entries = [(number, line) for number, line in entries if line and line not in controls]

    designations: list[Designation] = []
    state: str | None = None
    section: str | None = None
    seen_states: set[str] = set()
    for position, (number, line) in enumerate(entries):
        following = entries[position + 1][1] if position + 1 < len(entries) else None
        heading = _state_heading(line)
        if heading is not None and following in sections:
            if heading in seen_states:
                raise SourceFormatError(f"line {number}: state {line!r} appears twice", path)
            seen_states.add(heading)
            state, section = heading, None
            continue
        if line in sections:
            section = line
            continue
        if state is None or section is None:
            raise SourceFormatError(f"line {number}: {line!r} is not under a state and a section", path)
        row_source = source(DATASET, FILE, number)
        if line.startswith(tuple(rules["basis_prefixes"])):
            if sections[section] != "state" and state != "DC":
                raise SourceFormatError(f"line {number}: a designation basis under {section!r}", path)
            designations.append(_state_designation(state, section, line, designated, row_source))
            continue
        if sections[section] == "state":
            raise SourceFormatError(f"line {number}: {line!r} under 'State' is not a designation basis", path)
        designations.append(_local_designation(state, section, line, designated, row_source))
    if not designations:
        raise SourceFormatError("the list holds no jurisdictions", path)
    return designations


def _index(lines: list[str], wanted: str, start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index] == wanted:
            return index
    return None


def _designated(header: list[str]) -> date | None:
    for line in header:
        found = _CAPTURES.match(line)
        if found:
            return datetime.strptime(found.group(1), "%d %b %Y").date()
    return None


def _state_heading(line: str) -> str | None:
    state = state_by_name(line)
    return state.postal if state is not None and state.name.lower() == line.lower() else None


def _state_designation(
    state: str, section: str, basis: str, designated: date | None, row: Source
) -> Designation:
    found = state_by_name(state)
    name = found.name if found else state
    note = None
    if section != "State":  # D.C. is printed under "Cities" with a local basis
        note = f"Printed under {section!r}; D.C. is a state-level jurisdiction in the model."
    return Designation(state, name, Level.STATE, name, section, basis, designated, note, row)


def _local_designation(
    state: str, section: str, name: str, designated: date | None, row: Source
) -> Designation:
    rules = _rules()
    level = Level.COUNTY if rules["sections"][section] == "county" else Level.PLACE
    note = None
    if level is Level.PLACE and name.endswith(tuple(rules["county_name_suffixes"])):
        level = Level.COUNTY
        note = f"Printed under {section!r}, but the name is a county's."
    for correction in rules["corrections"]:
        if correction["state"] == state and correction["name"] == name:
            level = Level(correction["level"])
            note = " ".join(correction["description"].split())
    lookup = rules["lookup_replacements"].get(name, name)
    for prefix in rules["lookup_prefixes"]:
        if lookup.startswith(prefix):
            lookup = lookup[len(prefix) :]
    return Designation(state, name, level, lookup, section, None, designated, note, row)
