"""Read the Open Civic Data division ids into the tree of U.S. jurisdictions: nation, states, counties,
places and county subdivisions, each with its Census FIPS code and its parent."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Jurisdiction, Level, state_by_name

OCD_FOLDER = "ocd-division-ids"
NATION_ID = "ocd-division/country:us"

# The OCD type of the last id segment, for divisions at the county level. OCD also files NYC's
# boroughs as "borough" under New York, but only through aliases.csv.
_COUNTY_TYPES = frozenset({"county", "parish", "borough", "census_area", "municipio"})

# census_geoid is "place-" + the Census GEOID: 5 digits for a county, 7 for an incorporated place,
# 10 for a county subdivision. The prefix is the same for all three, so the length decides; a bare
# GEOID or another prefix ("county-", "cousub-") is read the same way.
_GEOID = re.compile(r"^(?:[a-z_]+-)?(\d+)$")
_LEVEL_BY_DIGITS = {5: Level.COUNTY, 7: Level.PLACE, 10: Level.SUBDIVISION}


def read_jurisdictions(data_dir: Path) -> list[Jurisdiction]:
    """Every jurisdiction under data_dir/ocd-division-ids, parents before children.

    The nation; the states, D.C. and the five inhabited territories (fips = 2-digit state code); the
    county level (counties, parishes, Alaska boroughs and census areas, Puerto Rico's municipios, and
    the independent cities of knowledge/places/independent_cities.yaml, which OCD files as places);
    incorporated places (7-digit fips, parent = state: OCD does not say which county holds a place);
    county subdivisions (10-digit fips, parent = the county the id nests under, else the county the
    FIPS code names, else the state). A missing, truncated or malformed file is a SourceFormatError.
    """
    folder = Path(data_dir) / OCD_FOLDER
    nation = Jurisdiction(id=NATION_ID, name="United States", level=Level.NATION, state=None)
    states = _read_states(folder)
    independent = _independent_cities()
    by_id: dict[str, Jurisdiction] = {j.id: j for j in [nation, *states]}
    local: list[Jurisdiction] = []
    path = folder / "us_census_places.csv"
    for line, row in _rows(path, ("id", "name", "census_geoid")):
        jurisdiction = _local_division(row, line, path, by_id, independent)
        if jurisdiction.id in by_id:
            raise SourceFormatError(f"line {line}: division {jurisdiction.id} appears twice", path)
        by_id[jurisdiction.id] = jurisdiction
        local.append(jurisdiction)
    # OCD keeps one id for a consolidated city-county (county:denver, not place:denver); the file
    # still lists a few non-canonical ids, which aliases.csv points at the canonical one.
    aliases = read_division_aliases(data_dir)
    local = [j for j in local if aliases.get(j.id) not in by_id]
    counties = [j for j in local if j.level is Level.COUNTY]
    _check_every_state_has_counties(states, counties, path)
    missing = sorted(set(independent) - set(by_id))
    if missing:
        raise SourceFormatError(f"independent cities missing (truncated?): {', '.join(missing)}", path)
    county_by_fips = {j.fips: j.id for j in counties if j.fips}
    for jurisdiction in local:
        if jurisdiction.level is Level.SUBDIVISION:
            jurisdiction.parent_id = _subdivision_parent(jurisdiction, by_id, county_by_fips)
    others = [j for j in local if j.level is not Level.COUNTY]
    return [nation, *states, *counties, *others]


def read_division_aliases(data_dir: Path) -> dict[str, str]:
    """OCD's aliases.csv as {non-canonical id: canonical id} (e.g. place:denver -> county:denver)."""
    path = Path(data_dir) / OCD_FOLDER / "aliases.csv"
    aliases: dict[str, str] = {}
    for line, row in _rows(path, ("id", "sameAs")):
        if not row["id"].startswith(NATION_ID) or not row["sameAs"].startswith(NATION_ID):
            raise SourceFormatError(f"line {line}: not an OCD division id", path)
        aliases[row["id"]] = row["sameAs"]
    return aliases


def _read_states(folder: Path) -> list[Jurisdiction]:
    path = folder / "states.csv"
    states: list[Jurisdiction] = []
    # states.csv has no header row: "ocd id,name".
    for line, fields in enumerate(_csv_rows(path), start=1):
        if len(fields) != 2:
            raise SourceFormatError(f"line {line}: expected 'id,name', found {len(fields)} fields", path)
        ocd_id, name = fields
        if ocd_id == NATION_ID:
            continue
        states.append(_state(ocd_id, name, line, path))
    if len(states) < 51:
        raise SourceFormatError(f"only {len(states)} states and D.C.; the file looks truncated", path)
    territories = sorted(folder.glob("us_territories*.csv"))
    if not territories:
        raise SourceFormatError("no us_territories*.csv file", folder)
    for territory_file in territories:
        for line, row in _rows(territory_file, ("id", "name")):
            segments = row["id"].removeprefix(NATION_ID + "/").split("/")
            # us_territories_local_gov.csv lists boards inside the Virgin Islands, not territories;
            # historical territories (Dakota, Orleans) carry a validThrough date.
            if len(segments) != 1 or (row.get("validThrough") or "").strip():
                continue
            states.append(_state(row["id"], row["name"], line, territory_file))
    return states


def _state(ocd_id: str, name: str, line: int, path: Path) -> Jurisdiction:
    match = re.fullmatch(re.escape(NATION_ID) + r"/(?:state|district|territory):([a-z]{2})", ocd_id)
    state = state_by_name(match.group(1)) if match else None
    if state is None:
        raise SourceFormatError(f"line {line}: {ocd_id!r} is not a state, district or territory id", path)
    return Jurisdiction(
        id=ocd_id, name=name, level=Level.STATE, state=state.postal, fips=state.fips, parent_id=NATION_ID
    )


def _local_division(
    row: dict[str, str],
    line: int,
    path: Path,
    by_id: dict[str, Jurisdiction],
    independent: dict[str, str],
) -> Jurisdiction:
    ocd_id, name = row["id"].strip(), row["name"].strip()
    geoid = _GEOID.match(row["census_geoid"].strip())
    level = _LEVEL_BY_DIGITS.get(len(geoid.group(1))) if geoid else None
    if not geoid or level is None or not name:
        raise SourceFormatError(f"line {line}: cannot read census_geoid {row['census_geoid']!r}", path)
    segments = ocd_id.removeprefix(NATION_ID + "/").split("/")
    top = by_id.get(f"{NATION_ID}/{segments[0]}") if ocd_id.startswith(NATION_ID + "/") else None
    if top is None or top.level is not Level.STATE or len(segments) < 2:
        raise SourceFormatError(f"line {line}: {ocd_id!r} does not sit under a known state", path)
    fips = geoid.group(1)
    if fips[:2] != top.fips:
        raise SourceFormatError(f"line {line}: FIPS {fips} is not in {top.name} ({top.fips})", path)
    kind = segments[-1].split(":", 1)[0]
    if level is Level.COUNTY and kind not in _COUNTY_TYPES:
        raise SourceFormatError(f"line {line}: a 5-digit GEOID on a {kind!r} division", path)
    if ocd_id in independent:
        # An independent city is its own county equivalent: see knowledge/places/independent_cities.yaml.
        level, fips = Level.COUNTY, independent[ocd_id]
    return Jurisdiction(id=ocd_id, name=name, level=level, state=top.state, fips=fips, parent_id=top.id)


def _subdivision_parent(
    subdivision: Jurisdiction, by_id: dict[str, Jurisdiction], county_by_fips: dict[str, str]
) -> str | None:
    county_id = subdivision.id.rsplit("/", 1)[0]
    if county_id in by_id and by_id[county_id].level is Level.COUNTY:
        return county_id
    # The 10-digit GEOID is state (2) + county (3) + subdivision (5), so it names its county even
    # where the OCD id does not nest (New England).
    return county_by_fips.get((subdivision.fips or "")[:5], subdivision.parent_id)


def _check_every_state_has_counties(
    states: list[Jurisdiction], counties: list[Jurisdiction], path: Path
) -> None:
    with_counties = {j.state for j in counties}
    # D.C. and the small territories have no county-level divisions in OCD.
    bare = [
        j.name
        for j in states
        if j.state not in with_counties and j.state not in {"DC", "AS", "GU", "MP", "VI"}
    ]
    if bare:
        raise SourceFormatError(f"no county-level divisions for {', '.join(bare)} (truncated?)", path)


def _independent_cities() -> dict[str, str]:
    doc = load_yaml("places/independent_cities.yaml")
    return {entry["id"]: entry["fips"] for entry in doc["cities"]}


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError as exc:
        raise SourceFormatError("file is missing", path) from exc
    except OSError as exc:
        raise SourceFormatError(f"cannot read: {exc}", path) from exc
    with handle:
        try:
            yield from csv.reader(handle)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SourceFormatError(f"not a readable CSV file: {exc}", path) from exc


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row, checking the header and that no row is cut short."""
    rows = _csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise SourceFormatError("file is empty", path)
    header = [column.strip() for column in header]
    missing = [column for column in required if column not in header]
    if missing:
        raise SourceFormatError(f"missing column(s) {', '.join(missing)}; found {', '.join(header)}", path)
    count = 0
    for line, values in enumerate(rows, start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise SourceFormatError(
                f"line {line}: {len(values)} fields where the header has {len(header)} (truncated?)", path
            )
        count += 1
        yield line, dict(zip(header, values, strict=True))
    if count == 0:
        raise SourceFormatError("no data rows", path)
