"""Tie each facility of ICE's detainer records to a county and to the agency that runs it, saying by which
rule (knowledge/detainers/operators.yaml); a facility no rule places stays unplaced, never guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.knowledge import load_yaml
from disentangle.sources.agencies import RosterAgency, read_fbi_roster
from disentangle.sources.detainers import FacilityLinker, _expand
from disentangle.sources.facilities import (
    CountyIndex,
    Facility,
    fold_county,
    read_county_aor,
    read_facilities,
)

FBI_ROSTER = "287g-watch/fbi_lee_latest.csv"


@dataclass(frozen=True, slots=True)
class FacilityPlace:
    """Where a detainer facility is, and who runs it, with the rules that say so."""

    county_fips: str | None
    link_rule: str | None  # facility-code | county-in-name | facility | city-is-county | ...
    link_score: float | None
    detloc: str | None
    operator: str | None  # in words: "Cook County's county agency (FBI roster: Cook, ORI IL0160000)"
    operator_ori: str | None
    operator_rule: str | None  # the operators.yaml rule, or "needs review"


@cache
def _operator_rules() -> dict[str, Any]:
    return dict(load_yaml("detainers/operators.yaml"))


def slug(name: str, state: str | None, code: str | None) -> str:
    """A facility's key across datasets: ICE's facility code when there is one, else name and state."""
    if code:
        return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
    return re.sub(r"[^a-z0-9]+", "-", f"{name} {state or ''}".lower()).strip("-")[:180]


class DetainerPlaces:
    """Places facilities: ICE's facility code, then the facility-name rules of the NPR linker; then the
    operator rules, with the FBI roster's county agency for a county jail."""

    def __init__(
        self,
        facilities: Sequence[Facility],
        counties: CountyIndex,
        roster: Sequence[RosterAgency] = (),
        county_names: dict[str, str] | None = None,  # county FIPS -> its name ("Cook County")
    ) -> None:
        self._by_code = {f.detloc.upper(): f for f in facilities if f.detloc}
        self._linker = FacilityLinker(facilities, counties)
        self._county_names = county_names or {}
        self._county_agencies: dict[tuple[str, str], list[RosterAgency]] = {}
        for agency in roster:
            if agency.type == "County" and agency.county:
                self._county_agencies.setdefault((agency.state, fold_county(agency.county)), []).append(
                    agency
                )

    @classmethod
    def from_data(
        cls,
        data_dir: Path,
        county_names: dict[str, str] | None = None,
        facilities: Sequence[Facility] | None = None,
        counties: CountyIndex | None = None,
    ) -> DetainerPlaces:
        """From the bundled ICE facility list, county table and FBI roster (the first two may be given)."""
        counties = counties if counties is not None else CountyIndex(read_county_aor(data_dir))
        listed = facilities if facilities is not None else read_facilities(data_dir, counties)
        roster_path = data_dir / FBI_ROSTER
        roster = read_fbi_roster(roster_path) if roster_path.exists() else []
        return cls(listed, counties, roster, county_names)

    def place(self, name: str, city: str | None, state: str | None, code: str | None) -> FacilityPlace:
        fips = rule = detloc = None
        score = None
        listed = self._by_code.get(code.upper()) if code else None
        if listed is not None and listed.county_fips and listed.state == state:
            fips, rule, detloc = listed.county_fips, "facility-code", listed.detloc
        else:
            link = self._linker.link(name, city, state)
            if link is not None:
                fips, rule, score, detloc = link.county_fips, link.rule, link.score, link.detloc
        operator, ori, operator_rule = self._operator(name, state, fips)
        return FacilityPlace(fips, rule, score, detloc, operator, ori, operator_rule)

    def _operator(self, name: str, state: str | None, fips: str | None) -> tuple[str | None, str | None, str]:
        rules = _operator_rules()
        words = " ".join(_expand(name))
        combined = rules.get("combined_systems") or {}
        if state and state in combined.get("states", []):
            return str(combined["operator"]), None, "combined-system"
        county_named = bool(re.search(r"\b(COUNTY|PARISH)\b", words))
        for entry in rules.get("rules") or []:
            if not re.search(entry["pattern"], words):
                continue
            if entry.get("unless_county_in_name") and county_named:
                continue
            if entry.get("needs_county"):
                if not fips or not state:
                    return None, None, "needs review"
                return self._county_agency(state, fips, entry["rule"])
            return str(entry["operator"]), None, str(entry["rule"])
        return None, None, "needs review"

    def _county_agency(self, state: str, fips: str, rule: str) -> tuple[str | None, str | None, str]:
        county = self._county_names.get(fips)
        if county is None:
            return None, None, "needs review"
        base = re.sub(r"\s+(County|Parish|Borough|Census Area|Municipality|city)$", "", county)
        found = self._county_agencies.get((state, fold_county(base)), [])
        if len(found) == 1:
            agency = found[0]
            return f"{county}'s county agency (FBI roster: {agency.name}, ORI {agency.ori})", agency.ori, rule
        if len(found) > 1:
            listed = ", ".join(f"{a.name} ({a.ori})" for a in found)
            return f"one of {county}'s agencies: {listed}", None, f"{rule}: needs review"
        return f"{county}'s sheriff or county jail authority", None, f"{rule}: no roster agency"
