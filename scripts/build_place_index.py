"""Generate the place knowledge that lets extraction tell a state from a document that names none.

    python scripts/build_place_index.py [--data data] [--check]

Writes, under src/disentangle/knowledge/places/:

- `place_names.yaml`: every county-level and municipal name of each state, from the bundled Open Civic Data
  division ids (data/ocd-division-ids/us_census_places.csv, CC0), so "Miami-Dade" or "Chattahoochee" can be
  looked up as the states that have a county or a place of that name;
- `ice_field_offices.yaml`: each ICE ERO field office with the states of its area of responsibility, from the
  bundled county -> AOR table (data/ice-facilities/county_aor.csv, UWCHR from ICE's AOR map);
- `zip_prefixes.yaml` and `area_codes.yaml`: 3-digit ZIP prefixes (USPS) and telephone area codes (NANPA) ->
  state. These two come from two PyPI packages that ship the public tables — `zipcodes` (USPS ZIP list) and
  `phonenumbers` (Google's libphonenumber geocoding data) — which Disentangle does not depend on: install them
  in a throwaway virtualenv to regenerate (`pip install zipcodes phonenumbers`); without them the files are
  left as they are.

`--check` exits 1 when a generated file differs from what the inputs give now.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "disentangle" / "knowledge"
sys.path.insert(0, str(ROOT / "src"))

from disentangle.model import normalize_state  # noqa: E402

# ICE's codes in county_aor.csv -> the office names ICE and the agreements use.
AOR_OFFICES = {
    "ATL": ("Atlanta", "GA"),
    "BAL": ("Baltimore", "MD"),
    "BOS": ("Boston", "MA"),
    "BUF": ("Buffalo", "NY"),
    "CHI": ("Chicago", "IL"),
    "DAL": ("Dallas", "TX"),
    "DEN": ("Denver", "CO"),
    "DET": ("Detroit", "MI"),
    "ELP": ("El Paso", "TX"),
    "HOU": ("Houston", "TX"),
    "LOS": ("Los Angeles", "CA"),
    "MIA": ("Miami", "FL"),
    "NEW": ("Newark", "NJ"),
    "NOL": ("New Orleans", "LA"),
    "NYC": ("New York", "NY"),
    "PHI": ("Philadelphia", "PA"),
    "PHO": ("Phoenix", "AZ"),
    "SEA": ("Seattle", "WA"),
    "SFR": ("San Francisco", "CA"),
    "SLC": ("Salt Lake City", "UT"),
    "SNA": ("San Antonio", "TX"),
    "SND": ("San Diego", "CA"),
    "SPM": ("St. Paul", "MN"),
    "WAS": ("Washington", "VA"),
}
# Harlingen (South Texas) was split from San Antonio after the county table was drawn.
EXTRA_OFFICES = {"Harlingen": ("TX", ["TX"])}

COUNTY_SUFFIX = re.compile(
    r"\s+(?:County|Parish|Borough|Census Area|Municipality|City and Borough|Municipio)$", re.IGNORECASE
)
PLACE_SUFFIX = re.compile(r"(?:\s+[a-z()\-]+)+$")  # "Chattahoochee city", "Jackson charter township"


def _state_of(ocd_id: str) -> str | None:
    match = re.search(r"/state:([a-z]{2})/", ocd_id)
    return match.group(1).upper() if match else None


def place_names(data: Path) -> dict[str, Any]:
    counties: dict[str, set[str]] = defaultdict(set)
    places: dict[str, set[str]] = defaultdict(set)
    with (data / "ocd-division-ids" / "us_census_places.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            state = _state_of(row["id"])
            kind = row["id"].rsplit("/", 1)[-1].split(":")[0]
            if state is None:
                continue
            if kind == "place":
                name = PLACE_SUFFIX.sub("", row["name"]).strip()
                if name:
                    places[state].add(name)
            else:
                counties[state].add(COUNTY_SUFFIX.sub("", row["name"]).strip())
    return {
        "label": "County-level and municipal names of each state",
        "description": (
            "For each state (USPS code), the names of its counties (and parishes, boroughs, census areas) "
            "and of its places (cities, towns, villages, boroughs, townships), without their type word. "
            "Extraction looks a name from the agency's own name up here: a name only one state has tells "
            "the state; a name several states have narrows it."
        ),
        "source": {
            "label": "Open Civic Data division ids (Census FIPS), bundled in data/ocd-division-ids/",
            "url": "https://github.com/opencivicdata/ocd-division-ids",
            "licence": "CC0 1.0",
        },
        "generated_by": "scripts/build_place_index.py",
        "format": "one line per state: its names joined by '|' (36,000 names load in a tenth of a second)",
        "counties": {state: "|".join(sorted(names)) for state, names in sorted(counties.items())},
        "places": {state: "|".join(sorted(names)) for state, names in sorted(places.items())},
    }


def field_offices(data: Path) -> dict[str, Any]:
    states: dict[str, Counter[str]] = defaultdict(Counter)
    with (data / "ice-facilities" / "county_aor.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            state = normalize_state(row["name"].rpartition(", ")[2])
            if state and row["aor"] in AOR_OFFICES:
                states[row["aor"]][state] += 1
    offices = []
    for code, (name, home) in sorted(AOR_OFFICES.items(), key=lambda item: item[1][0]):
        offices.append({"name": name, "code": code, "state": home, "aor": sorted(states[code])})
    for name, (home, aor) in EXTRA_OFFICES.items():
        offices.append({"name": name, "code": None, "state": home, "aor": aor})
    offices.sort(key=lambda office: office["name"])
    return {
        "label": "ICE Enforcement and Removal Operations field offices and the states they cover",
        "description": (
            "Each ERO field office, the state its office is in, and the states (or parts of states) of its "
            "area of responsibility. An agreement that names its field office or the local ICE Chief Counsel "
            "(OPLA) office narrows the agency's state to that office's area."
        ),
        "source": {
            "label": "ICE, Field Offices (each office lists the states it covers)",
            "url": "https://www.ice.gov/contact/field-offices",
        },
        "derived_from": {
            "label": "county -> AOR table bundled in data/ice-facilities/county_aor.csv "
            "(UWCHR/ice-facilities, from ICE's area-of-responsibility map)",
            "url": "https://github.com/UWCHR/ice-facilities",
        },
        "verified": (
            "The states per office are generated from the county table, not re-read from ice.gov (no network "
            "here); deportationdata.org/docs/ice/facilities.html describes the same ICE lists. Harlingen is "
            "added by hand (South Texas, split from San Antonio) and is unverified."
        ),
        "generated_by": "scripts/build_place_index.py",
        "offices": offices,
    }


def zip_prefixes() -> dict[str, Any] | None:
    try:
        import zipcodes  # type: ignore[import-not-found]
    except ImportError:
        return None
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in zipcodes.list_all():
        counts[row["zip_code"][:3]][row["state"]] += 1
    prefixes = {}
    for prefix, states in sorted(counts.items()):
        state, n = states.most_common(1)[0]
        # A prefix a few ZIPs of a neighbour share ("063": 40 CT, 1 NY) is the majority state's.
        if normalize_state(state) and n >= 0.95 * sum(states.values()):
            prefixes[prefix] = state
    return {
        "label": "3-digit ZIP Code prefixes and their states",
        "description": (
            "The state of each 3-digit ZIP prefix (USPS sectional centers). A ZIP in the local agency's own "
            "address tells its state. Prefixes shared by several states are left out."
        ),
        "source": {
            "label": "USPS ZIP Code prefixes (L002 3-digit ZIP Code prefix matrix), as shipped in the "
            f"zipcodes package {getattr(zipcodes, '__version__', '')}".strip(),
            "url": "https://pe.usps.com/text/LabelingLists/L002.htm",
        },
        "generated_by": "scripts/build_place_index.py",
        "prefixes": prefixes,
    }


def area_codes() -> dict[str, Any] | None:
    try:
        import phonenumbers  # type: ignore[import-not-found]
        from phonenumbers import geocoder  # type: ignore[import-not-found]
    except ImportError:
        return None
    codes: dict[str, str] = {}
    for code in range(200, 1000):
        found: set[str] = set()
        for exchange in range(201, 1000, 41):
            number = phonenumbers.parse(f"+1{code}{exchange}4567")
            description = geocoder.description_for_number(number, "en")
            if not description:
                continue
            tail = description.rpartition(", ")[2]
            if description == "Washington D.C.":
                tail = "DC"
            elif description == "Washington State":
                tail = "WA"
            state = normalize_state(tail)
            if state:
                found.add(state)
        if len(found) == 1:
            codes[f"{code}"] = found.pop()
    return {
        "label": "Telephone area codes of U.S. states",
        "description": (
            "The state of each geographic North American area code in the United States. An area code in "
            "the local agency's own telephone number tells its state. Canadian, Caribbean and "
            "non-geographic codes are left out."
        ),
        "source": {
            "label": "NANPA area code assignments, as shipped in Google's libphonenumber geocoding data "
            f"(phonenumbers {phonenumbers.__version__})",
            "url": "https://nationalnanpa.com/area_codes/index.html",
        },
        "generated_by": "scripts/build_place_index.py",
        "codes": codes,
    }


def _dump_yaml(data: dict[str, Any], width: int = 110) -> str:
    return "# Generated by scripts/build_place_index.py — do not edit by hand.\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=width
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    args = parser.parse_args(argv)
    outputs: dict[Path, str] = {
        OUT / "places" / "place_names.yaml": _dump_yaml(place_names(args.data), width=10**9),
        OUT / "ice_field_offices.yaml": _dump_yaml(field_offices(args.data)),
    }
    for path, table in (
        (OUT / "places" / "zip_prefixes.yaml", zip_prefixes()),
        (OUT / "places" / "area_codes.yaml", area_codes()),
    ):
        if table is None:
            print(f"{path.name}: zipcodes/phonenumbers not installed, left as it is", file=sys.stderr)
        else:
            outputs[path] = _dump_yaml(table)
    stale = []
    for path, text in outputs.items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    if stale:
        print("out of date: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
