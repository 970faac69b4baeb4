"""Read ICE's detention-facility list, resolve each facility's county to FIPS, and name its agreement kind.

county_aor.csv, beside the list, names every county and its ICE area of responsibility; it is the table a
hand-written county ("ST. CLAIR", "MC KEAN", "NORFOLK") is matched against.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz, process

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import AgreementKind, Source, normalize_state
from disentangle.sources._memo import per_file
from disentangle.sources.programs import cell, dataset_file, read_table, source, whole_number

DATASET = "ice-facilities"
FACILITIES_FILE = "ice-facilities/facilities_joined.psv.gz"
FACILITY_COLUMNS = (
    "detloc",
    "name",
    "address",
    "city",
    "county",
    "state",
    "zip",
    "circuit",
    "aor",
    "docket",
    "type",
    "type_detailed",
    "authorizing_authority",
    "capacity",
    "guaranteed_minimum",
    "date_of_last_use",
    "date_of_first_use",
    "over_72",
    "dmcp_auth",
)

COUNTY_AOR_FILE = "ice-facilities/county_aor.csv"
COUNTY_AOR_COLUMNS = ("geoid", "geoid_state", "geoid_county", "name", "aor")

# How a county name was matched (docs/programs.md lists the rules); kept on each record so a reader can
# judge the link.
MatchRule = Literal["name", "independent-city", "renamed", "wildcard", "fuzzy", "city-is-county"]


@dataclass(frozen=True, slots=True)
class County:
    """A county or county-equivalent as county_aor.csv lists it."""

    fips: str  # 5 digits
    name: str  # Census name without the state: "St. Clair County", "Norfolk city", "Do\ufffda Ana County"
    state: str  # USPS code
    aor: str | None  # ICE area of responsibility (field office code: NOL, SPM, ...)
    line: int  # line in county_aor.csv


@dataclass(frozen=True, slots=True)
class CountyMatch:
    county: County
    rule: MatchRule
    score: float | None = None  # rapidfuzz ratio for fuzzy matches


@cache
def _rules() -> dict[str, Any]:
    return dict(load_yaml("programs/county_names.yaml"))


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    ascii_text = re.sub(r"['’`]", "", ascii_text)  # ST. MARY'S -> ST MARYS
    abbreviations = _rules()["abbreviations"]
    return [abbreviations.get(word, word) for word in re.sub(r"[^A-Z0-9]+", " ", ascii_text).split()]


@lru_cache(maxsize=65536)  # the detainer linker folds the same few thousand names again and again
def fold_county(text: str) -> str:
    """The comparison key of a county name: accents, case, punctuation, spaces and abbreviations folded."""
    return "".join(_words(text))


def _strip_suffix(name: str) -> tuple[str, bool]:
    """The base of a Census county name and whether it is an independent city ("Norfolk city")."""
    city_suffix = " " + _rules()["independent_city_suffix"]
    if name.endswith(city_suffix):  # Census writes independent cities with a lower-case "city"
        return name[: -len(city_suffix)], True
    folded = name.upper()
    for suffix in _rules()["suffixes"]:
        word = " " + suffix["word"].upper()
        if folded.endswith(word):
            return name[: -len(word)], False
    return name, False


@per_file(lambda data_dir: Path(data_dir) / COUNTY_AOR_FILE)
def read_county_aor(data_dir: Path) -> list[County]:
    """Every county of county_aor.csv (FIPS, Census name, state, ICE AOR)."""
    path = dataset_file(data_dir, COUNTY_AOR_FILE)
    counties: list[County] = []
    for row in read_table(path, COUNTY_AOR_COLUMNS):
        geoid, _state_fips, _county_fips, full_name, aor = row.cells
        if not re.fullmatch(r"\d{5}", geoid.strip()):
            raise SourceFormatError(f"line {row.line}: geoid {geoid!r} is not a 5-digit county FIPS", path)
        name, _, state_name = full_name.rpartition(", ")
        state = normalize_state(state_name)
        if not name or state is None:
            raise SourceFormatError(f"line {row.line}: name {full_name!r} is not 'County, State'", path)
        counties.append(County(geoid.strip(), name.strip(), state, cell(aor), row.line))
    return counties


class CountyIndex:
    """Counties by state and folded name; `resolve` tries exact spellings first, fuzzy ones last."""

    def __init__(self, counties: Iterable[County]) -> None:
        self._by_fips: dict[str, County] = {}
        self._full: dict[tuple[str, str], County] = {}
        self._base: dict[tuple[str, str], County] = {}
        self._city_base: dict[tuple[str, str], County] = {}
        self._patterns: list[tuple[str, re.Pattern[str], County]] = []
        self._by_state: dict[str, dict[str, County]] = {}
        for county in counties:
            self._by_fips[county.fips] = county
            base, is_city = _strip_suffix(county.name)
            self._full.setdefault((county.state, fold_county(county.name)), county)
            target = self._city_base if is_city else self._base
            target.setdefault((county.state, fold_county(base)), county)
            self._by_state.setdefault(county.state, {}).setdefault(fold_county(base), county)
            if "\ufffd" in base:  # county_aor.csv lost accented letters: "Do\ufffda Ana"
                pieces = [re.escape(fold_county(piece)) for piece in base.split("\ufffd")]
                self._patterns.append((county.state, re.compile(".".join(pieces)), county))
        self._renamed = {
            (entry["state"], fold_county(entry["name"])): entry["fips"] for entry in _rules()["renamed"]
        }

    def __len__(self) -> int:
        return len(self._by_fips)

    def by_fips(self, fips: str) -> County | None:
        return self._by_fips.get(fips)

    @staticmethod
    def is_placeholder(name: str | None) -> bool:
        """Whether a county cell names no county: empty, "NA" or a placeholder such as "COUNTY"."""
        return not name or not name.strip() or name.strip().upper() in _rules()["placeholders"]

    def resolve(self, name: str | None, state: str | None) -> CountyMatch | None:
        """The county `name` means in `state`, or None; placeholders such as "COUNTY" never match."""
        if name is None or not state or self.is_placeholder(name):
            return None
        key = fold_county(name)
        if not key:
            return None
        base_key = fold_county(_strip_suffix(name.strip())[0])
        for candidate in (key, base_key):
            if (state, candidate) in self._full:
                return CountyMatch(self._full[(state, candidate)], "name")
            if (state, candidate) in self._base:
                return CountyMatch(self._base[(state, candidate)], "name")
        for candidate in (key, base_key):
            if (state, candidate) in self._city_base:
                return CountyMatch(self._city_base[(state, candidate)], "independent-city")
        renamed = self._renamed.get((state, key)) or self._renamed.get((state, base_key))
        if renamed and renamed in self._by_fips:
            return CountyMatch(self._by_fips[renamed], "renamed")
        for pattern_state, pattern, county in self._patterns:
            if pattern_state == state and pattern.fullmatch(base_key):
                return CountyMatch(county, "wildcard")
        return self._fuzzy(base_key, state)

    def resolve_city(self, city: str | None, state: str | None) -> CountyMatch | None:
        """The county-equivalent a city *is* (an independent city, Carson City, a PR municipio), or None.

        Only for a city whose county-equivalent carries its name as a city: "HOUSTON, TX" must not become
        Houston County, TX, which lies elsewhere.
        """
        if not city or not state:
            return None
        key = fold_county(city)
        if (state, key) in self._city_base:
            return CountyMatch(self._city_base[(state, key)], "city-is-county")
        county = self._full.get((state, key))
        if county is not None and fold_county(county.name).endswith("CITY"):  # Carson City
            return CountyMatch(county, "city-is-county")
        if state == "PR" and (state, key) in self._base:
            return CountyMatch(self._base[(state, key)], "city-is-county")
        if state == "DC":
            only = self._by_state.get("DC", {})
            if len(only) == 1:
                return CountyMatch(next(iter(only.values())), "city-is-county")
        return None

    def _fuzzy(self, key: str, state: str) -> CountyMatch | None:
        choices = self._by_state.get(state)
        if not choices or len(key) < _rules()["fuzzy_min_length"]:
            return None
        found = process.extract(key, choices.keys(), scorer=fuzz.ratio, limit=2)
        if not found or found[0][1] < _rules()["fuzzy_cutoff"]:
            return None
        if len(found) > 1 and found[0][1] - found[1][1] < _rules()["fuzzy_margin"]:
            return None
        return CountyMatch(choices[found[0][0]], "fuzzy", round(found[0][1], 1))


@dataclass(frozen=True, slots=True)
class Facility:
    """One facility of ICE's list, as printed, with the county FIPS it resolved to (None when it did not)."""

    detloc: str  # ICE's detention-location code, unique in the list
    name: str
    address: str | None
    city: str | None
    county: str | None  # as printed, whitespace folded; None for "NA"
    state: str | None  # USPS code; None for "NA"
    zip: str | None
    type: str  # IGSA, USMS IGA, DIGSA, CDF, USMS CDF, SPC, BOP, MIRP, Other (programs/facility_types.yaml)
    type_detailed: str | None  # JUVENILE, FAMILY, HOLD, HOSPITAL, DIGSA, ...
    authorizing_authority: str | None  # DMCP, JFRMU, BOP, OTHER
    capacity: int | None
    guaranteed_minimum: int | None  # beds ICE pays for whether used or not
    first_use: date | None
    last_use: date | None
    over_72: bool | None  # approved to hold people more than 72 hours
    aor: str | None  # ICE area of responsibility printed in the list
    county_fips: str | None  # 5 digits, from county_aor.csv
    county_rule: MatchRule | None  # how county_fips was found; None when unresolved
    source: Source


@dataclass(frozen=True, slots=True)
class FacilityType:
    """What a facility type code means and which local agreement, if any, it implies."""

    code: str
    label: str
    description: str
    kind: AgreementKind | None
    note: str | None
    source: str


# Keyed on both files: a facility's county is resolved against county_aor.csv (the index a caller passes
# is built from that same file).
@per_file(
    lambda data_dir: Path(data_dir) / FACILITIES_FILE, lambda data_dir: Path(data_dir) / COUNTY_AOR_FILE
)
def read_facilities(data_dir: Path, counties: CountyIndex | None = None) -> list[Facility]:
    """Every facility of the list in file order, each with its county resolved against county_aor.csv."""
    index = counties if counties is not None else CountyIndex(read_county_aor(data_dir))
    path = dataset_file(data_dir, FACILITIES_FILE)
    known_types = _facility_types()
    known_detailed = _rules_types()["detailed"]
    facilities: list[Facility] = []
    seen: set[str] = set()
    for row in read_table(path, FACILITY_COLUMNS, delimiter="|"):
        values = dict(zip(FACILITY_COLUMNS, row.cells, strict=True))
        detloc = cell(values["detloc"])
        name = cell(values["name"])
        if detloc is None or name is None:
            raise SourceFormatError(f"line {row.line}: a facility needs a detloc and a name", path)
        if detloc in seen:
            raise SourceFormatError(f"line {row.line}: detloc {detloc} appears twice", path)
        seen.add(detloc)
        kind = cell(values["type"])
        if kind not in known_types:
            raise SourceFormatError(
                f"line {row.line}: unknown facility type {values['type']!r}; "
                "describe it in knowledge/programs/facility_types.yaml",
                path,
            )
        detailed = cell(values["type_detailed"])
        if detailed is not None and detailed not in known_detailed:
            raise SourceFormatError(
                f"line {row.line}: unknown type_detailed {detailed!r}; "
                "describe it in knowledge/programs/facility_types.yaml",
                path,
            )
        state_cell = cell(values["state"])
        state = normalize_state(state_cell) if state_cell else None
        if state_cell and state is None:
            raise SourceFormatError(f"line {row.line}: unknown state {state_cell!r}", path)
        county = cell(values["county"])
        city = cell(values["city"])
        match = index.resolve(county, state) or (
            index.resolve_city(city, state) if index.is_placeholder(county) else None
        )
        facilities.append(
            Facility(
                detloc=detloc,
                name=name,
                address=_address(values["address"]),
                city=city,
                county=county,
                state=state,
                zip=cell(values["zip"]),
                type=kind,
                type_detailed=detailed,
                authorizing_authority=cell(values["authorizing_authority"]),
                capacity=whole_number(values["capacity"], path, row.line, "capacity"),
                guaranteed_minimum=whole_number(
                    values["guaranteed_minimum"], path, row.line, "guaranteed_minimum"
                ),
                first_use=_us_date(values["date_of_first_use"], path, row.line),
                last_use=_us_date(values["date_of_last_use"], path, row.line),
                over_72=_flag(values["over_72"], path, row.line),
                aor=cell(values["aor"]),
                county_fips=match.county.fips if match else None,
                county_rule=match.rule if match else None,
                source=source(DATASET, FACILITIES_FILE, row.line),
            )
        )
    return facilities


@cache
def _rules_types() -> dict[str, Any]:
    return dict(load_yaml("programs/facility_types.yaml"))


@cache
def _facility_types() -> dict[str, FacilityType]:
    types: dict[str, FacilityType] = {}
    for code, entry in _rules_types()["types"].items():
        types[code] = FacilityType(
            code=code,
            label=entry["label"],
            description=" ".join(entry["description"].split()),
            kind=AgreementKind(entry["kind"]) if entry.get("kind") else None,
            note=" ".join(entry["note"].split()) if entry.get("note") else None,
            source=entry["source"],
        )
    return types


def facility_type(code: str) -> FacilityType | None:
    """The meaning of one facility type code (IGSA, USMS IGA, DIGSA, ...), or None if it is unknown."""
    return _facility_types().get(code)


def facility_agreement_kind(facility: Facility) -> AgreementKind | None:
    """The local agreement a facility's type implies: IGSA, DIGSA -> igsa; USMS IGA -> usms-iga; else None."""
    known = _facility_types().get(facility.type)
    return known.kind if known else None


def facility_agreement_note(facility: Facility) -> str | None:
    """What a reader must know about the agreement kind (a dedicated IGSA is no ordinary jail contract)."""
    notes = []
    known = _facility_types().get(facility.type)
    if known and known.note:
        notes.append(known.note)
    detailed = _rules_types()["detailed"].get(facility.type_detailed or "", {})
    if detailed.get("note") and facility.type != facility.type_detailed:
        notes.append(" ".join(detailed["note"].split()))
    return " ".join(notes) or None


def _address(value: str) -> str | None:
    text = cell(value)
    return None if text is None or text.upper() == "UNAVAILABLE" else text


def _us_date(value: str, path: Path, line: int) -> date | None:
    text = cell(value)
    if text is None:
        return None
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not found:
        raise SourceFormatError(f"line {line}: date {text!r} is not M/D/YYYY", path)
    month, day, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise SourceFormatError(f"line {line}: no such date {text!r}", path) from exc


def _flag(value: str, path: Path, line: int) -> bool | None:
    text = cell(value)
    if text is None:
        return None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    raise SourceFormatError(f"line {line}: {text!r} is not TRUE, FALSE or NA", path)
