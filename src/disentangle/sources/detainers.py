"""Read NPR's counts of ICE detainers declined per facility and year, link each facility to a county.

These are counts about facilities (how often a jail declined ICE's detainer requests), never about people.

declined_vs_everythingelse.csv repeats three column names because it is the output of a SQL left join
(upstream summarize.sh): `byyear` (year, det_facility, city, state, count: detainers at that facility and
calendar year whose lift reason is "Detainer Declined by LEA") joined to `everything_but_declined`
(det_facility, year, count: detainers at a facility *of that name*, any city or state, in that year whose
lift reason is anything else). The right side is empty where the facility had no other recorded outcome.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Source, normalize_state
from disentangle.sources.facilities import (
    CountyIndex,
    CountyMatch,
    Facility,
    fold_county,
    read_county_aor,
    read_facilities,
)
from disentangle.sources.programs import cell, dataset_file, read_table, source, whole_number

DATASET = "detainers-declined-npr"
FOLDER = "detainers-declined-npr"
DECLINED_FILE = f"{FOLDER}/declined_vs_everythingelse.csv"
DECLINED_COLUMNS = ("year", "det_facility", "city", "state", "count", "det_facility", "year", "count")
DECLINED_REASON = "Detainer Declined by LEA"  # ICE's lift reason for a detainer the local agency refused

# The national tables: file, columns, which measure each row gives.
Measure = Literal["issued", "lift-reason", "detainer-type"]
_TOTALS: tuple[tuple[str, tuple[str, ...], Measure], ...] = (
    (f"{FOLDER}/detainers_by_year.csv", ("year", "count"), "issued"),
    (f"{FOLDER}/detainers_by_year_and_month.csv", ("year_month", "count"), "issued"),
    (f"{FOLDER}/detainers_by_lift_reason_and_year.csv", ("year", "lift_reason", "count"), "lift-reason"),
    (f"{FOLDER}/detainers_by_type_and_year.csv", ("year", "detainer_type", "count"), "detainer-type"),
)

LinkRule = Literal["county-in-name", "county-in-name-fuzzy", "facility", "city-is-county"]


@dataclass(frozen=True, slots=True)
class DetainerLink:
    """How a facility name of the detainer table was tied to a county (and to ICE's facility list)."""

    county_fips: str | None
    detloc: str | None  # the facility of ICE's list it matched, when one did
    rule: LinkRule
    score: float | None  # rapidfuzz token_sort_ratio of the facility match


@dataclass(frozen=True, slots=True)
class DetainerCount:
    """Detainers one facility declined in one calendar year, with the other recorded outcomes beside it."""

    year: int  # calendar year of the detainer (the upstream SQL groups by to_char(date, 'YYYY'))
    facility: str  # det_facility as ICE's records print it
    city: str | None
    state: str | None  # USPS code; None for "OTHER-OTHER FACILITY", which has no place
    declined: int  # detainers whose lift reason is "Detainer Declined by LEA"
    other_outcomes: (
        int | None
    )  # detainers with any other lift reason at a facility of this name; None if none
    other_pooled: bool  # the name occurs in several places this year, and other_outcomes adds them together
    county_fips: str | None
    detloc: str | None
    link_rule: LinkRule | None
    link_score: float | None
    source: Source

    @property
    def outcomes_total(self) -> int | None:
        """Declined plus other recorded outcomes; None when the other side is missing or pooled."""
        if self.other_outcomes is None or self.other_pooled:
            return None
        return self.declined + self.other_outcomes


@dataclass(frozen=True, slots=True)
class DetainerTotal:
    """A national count: detainers issued in a year or month, or by lift reason or form type in a year."""

    year: int  # calendar year
    month: int | None  # 1-12 for the monthly table, else None
    measure: Measure
    label: str | None  # the lift reason or detainer form; None for "issued"
    count: int
    source: Source


@cache
def _rules() -> dict[str, Any]:
    return dict(load_yaml("programs/facility_names.yaml"))


def _expand(name: str) -> list[str]:
    abbreviations = _rules()["abbreviations"]
    words = re.sub(r"[^A-Z0-9]+", " ", name.upper().replace("'", "")).split()
    return [abbreviations.get(word, word) for word in words]


class FacilityLinker:
    """Links a facility of ICE's detainer records to a county FIPS and, if it can, to ICE's facility list.

    Rules, strongest first: the name itself names a county ("YUBA COUNTY JAIL"); the name matches a
    facility of ICE's list in the same state (fuzzy, cities must agree below a high score); the city is a
    county-equivalent (an independent city such as Virginia Beach).
    """

    def __init__(self, facilities: Sequence[Facility], counties: CountyIndex) -> None:
        self._counties = counties
        self._by_state: dict[str, list[tuple[str, Facility]]] = {}
        for facility in facilities:
            if facility.state:
                expanded = " ".join(_expand(facility.name))
                self._by_state.setdefault(facility.state, []).append((expanded, facility))

    def link(self, name: str, city: str | None, state: str | None) -> DetainerLink | None:
        if not state:
            return None
        named = self._county_in_name(name, state)
        facility, score = self._facility(name, city, state, named)
        detloc = facility.detloc if facility else None
        if named is not None:
            rule: LinkRule = "county-in-name-fuzzy" if named.rule == "fuzzy" else "county-in-name"
            return DetainerLink(named.county.fips, detloc, rule, score)
        if facility is not None and facility.county_fips:
            return DetainerLink(facility.county_fips, detloc, "facility", score)
        by_city = self._city_county(city, state)
        if by_city is not None:
            return DetainerLink(by_city, detloc, "city-is-county", score)
        if facility is not None:
            return DetainerLink(None, detloc, "facility", score)
        return None

    def _county_in_name(self, name: str, state: str) -> CountyMatch | None:
        """The county a facility's name names: "YUBA COUNTY JAIL", "INDIO JAIL - RIVERSIDE COUNTY", or a
        name that is nothing but a county ("PRINCE WILLIAM")."""
        whole = self._counties.resolve(name, state)
        if whole is not None and whole.rule in ("name", "independent-city"):
            return whole
        county_words = set(_rules()["county_words"])
        for part in re.split(r"[,/()]| - ", name):
            words = _expand(part)
            for position, word in enumerate(words):
                if word in county_words and position > 0:
                    match = self._counties.resolve(" ".join(words[:position]), state)
                    if match is not None:
                        return match
                    break
        return None

    def _city_county(self, city: str | None, state: str) -> str | None:
        if not city:
            return None
        key = fold_county(city)
        for entry in _rules()["city_counties"]["entries"]:
            if entry["state"] == state and fold_county(entry["city"]) == key:
                return str(entry["fips"])
        match = self._counties.resolve_city(city, state)
        return match.county.fips if match else None

    def _facility(
        self, name: str, city: str | None, state: str, named: CountyMatch | None
    ) -> tuple[Facility | None, float | None]:
        expanded = " ".join(_expand(name))
        city_key = fold_county(city) if city else None
        best: tuple[float, Facility] | None = None
        for candidate_name, facility in self._by_state.get(state, []):
            score = fuzz.token_sort_ratio(expanded, candidate_name)
            same_city = bool(city_key and facility.city and fold_county(facility.city) == city_key)
            needed = _rules()["same_city_score"] if same_city else _rules()["any_city_score"]
            if score < needed or (best is not None and score <= best[0]):
                continue
            if named is not None and facility.county_fips and facility.county_fips != named.county.fips:
                own = self._county_in_name(facility.name, state)
                if own is not None and own.county.fips != named.county.fips:
                    continue  # "LAKE COUNTY JAIL" is not "LEE COUNTY JAIL"
            best = (score, facility)
        if best is None:
            return None, None
        return best[1], round(best[0], 1)


def read_detainers_declined(
    data_dir: Path, facilities: Sequence[Facility] | None = None, counties: CountyIndex | None = None
) -> list[DetainerCount]:
    """Every row of declined_vs_everythingelse.csv, in file order, each linked to a county where possible.

    `facilities` and `counties` default to those read from the same data_dir.
    """
    path = dataset_file(data_dir, DECLINED_FILE)
    rows = list(read_table(path, DECLINED_COLUMNS))
    index = counties if counties is not None else CountyIndex(read_county_aor(data_dir))
    listed = facilities if facilities is not None else read_facilities(data_dir, index)
    linker = FacilityLinker(listed, index)
    places_per_name = Counter((row.cells[0].strip(), row.cells[1].strip()) for row in rows)
    records: list[DetainerCount] = []
    links: dict[tuple[str, str | None, str | None], DetainerLink | None] = {}
    for row in rows:
        (
            year_cell,
            facility_cell,
            city_cell,
            state_cell,
            declined_cell,
            right_name,
            right_year,
            right_count,
        ) = row.cells
        year = _year(year_cell, path, row.line)
        facility = cell(facility_cell)
        if facility is None:
            raise SourceFormatError(f"line {row.line}: det_facility is empty", path)
        declined = whole_number(declined_cell, path, row.line, "count")
        if declined is None or declined < 1:
            raise SourceFormatError(
                f"line {row.line}: declined count {declined_cell!r} is not positive", path
            )
        other = whole_number(right_count, path, row.line, "count (everything else)")
        if other is not None and (
            right_name.strip() != facility_cell.strip() or _year(right_year, path, row.line) != year
        ):
            raise SourceFormatError(
                f"line {row.line}: the joined columns name {right_name!r} {right_year!r}, "
                f"not this row's {facility_cell!r} {year_cell!r}",
                path,
            )
        state_text = cell(state_cell)
        state = normalize_state(state_text) if state_text else None
        if state_text and state is None:
            raise SourceFormatError(f"line {row.line}: unknown state {state_text!r}", path)
        city = cell(city_cell)
        key = (facility, city, state)
        if key not in links:
            links[key] = linker.link(facility, city, state)
        link = links[key]
        records.append(
            DetainerCount(
                year=year,
                facility=facility,
                city=city,
                state=state,
                declined=declined,
                other_outcomes=other,
                other_pooled=places_per_name[(year_cell.strip(), facility_cell.strip())] > 1,
                county_fips=link.county_fips if link else None,
                detloc=link.detloc if link else None,
                link_rule=link.rule if link else None,
                link_score=link.score if link else None,
                source=source(DATASET, DECLINED_FILE, row.line),
            )
        )
    return records


def read_detainer_totals(data_dir: Path) -> list[DetainerTotal]:
    """The national tables: detainers issued per year and month, and per year by lift reason and by form."""
    totals: list[DetainerTotal] = []
    for relative, columns, measure in _TOTALS:
        path = dataset_file(data_dir, relative)
        for row in read_table(path, columns):
            count = whole_number(row.cells[-1], path, row.line, "count")
            if count is None or count < 0:
                raise SourceFormatError(f"line {row.line}: count {row.cells[-1]!r} is not a count", path)
            month = None
            if columns[0] == "year_month":
                found = re.fullmatch(r"(\d{4})-(\d{2})", row.cells[0].strip())
                if not found or not 1 <= int(found.group(2)) <= 12:
                    raise SourceFormatError(f"line {row.line}: {row.cells[0]!r} is not YYYY-MM", path)
                year, month = int(found.group(1)), int(found.group(2))
            else:
                year = _year(row.cells[0], path, row.line)
            label = cell(row.cells[1]) if len(columns) == 3 else None
            totals.append(
                DetainerTotal(year, month, measure, label, count, source(DATASET, relative, row.line))
            )
    return totals


def _year(value: str, path: Path, line: int) -> int:
    year = whole_number(value, path, line, "year")
    if year is None or not 1990 <= year <= 2100:
        raise SourceFormatError(f"line {line}: year {value!r} is not a year", path)
    return year
