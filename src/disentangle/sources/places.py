"""Put the agencies and programs on the map: jurisdictions, agency links (jurisdiction, ORI), facility
agreements and dated program facts, all keyed to Open Civic Data ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from disentangle.model import Citation, Fact, Jurisdiction, Level, Source
from disentangle.sources import counties as county_rule
from disentangle.sources import detainers, dhs_list, facilities, ice_archive, roster, secure_communities
from disentangle.sources.agencies import RosterAgency, read_fbi_roster, read_icpsr_links
from disentangle.sources.citations import cite
from disentangle.sources.ice_history import TrackedAgency, normalize_agency
from disentangle.sources.jurisdictions import OCD_FOLDER, read_division_aliases, read_jurisdictions
from disentangle.sources.linking import AgencyLink, AgencyLinker, Gazetteer, fold_tokens, split_kind

FBI_ROSTER = "287g-watch/fbi_lee_latest.csv"
ICPSR = "ice-287g-2025/agreements_icpsr_merged.csv"


@dataclass(frozen=True, slots=True)
class FacilityAgreement:
    """A detention facility on ICE's list whose type implies a local agreement (IGSA, USMS IGA)."""

    agreement_id: str
    agency_id: str
    kind: str
    name: str
    state: str
    county: str | None
    jurisdiction_id: str | None
    rule: str
    first_use: date | None
    last_use: date | None
    source: Source
    details: dict[str, Any]
    printed_county_id: str | None = None  # the county the list's COUNTY cell names


@dataclass(slots=True)
class Places:
    jurisdictions: list[Jurisdiction] = field(default_factory=list)
    links: dict[str, AgencyLink] = field(default_factory=dict)  # agency id -> link
    facility_agreements: list[FacilityAgreement] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roster: roster.RosterReport = field(default_factory=roster.RosterReport)
    placements: county_rule.Placements = field(default_factory=county_rule.Placements)
    roster_rows: dict[str, RosterAgency] = field(default_factory=dict)  # ORI -> the FBI roster's row
    early: ice_archive.History = field(default_factory=ice_archive.History)  # records before the lists
    linker: AgencyLinker | None = None


@dataclass(slots=True)
class PlaceBase:
    """What the places stage reads before it knows ICE's agencies: the tree of jurisdictions, the FBI
    roster placed in it, and the program facts (an import prepares it while the ICE sheets are read)."""

    places: Places
    gazetteer: Gazetteer | None


def prepare_places(data_dir: Path) -> PlaceBase:
    """The part of `build_places` that does not depend on ICE's agencies."""
    places = Places()
    if not (data_dir / OCD_FOLDER / "us_census_places.csv").exists():
        places.notes.append("no Open Civic Data ids in the data folder: agencies are not linked to places")
        return PlaceBase(places, None)
    places.jurisdictions = read_jurisdictions(data_dir)
    gazetteer = Gazetteer(places.jurisdictions, read_division_aliases(data_dir))
    fbi = read_fbi_roster(data_dir / FBI_ROSTER) if (data_dir / FBI_ROSTER).exists() else []
    places.roster_rows = {agency.ori: agency for agency in fbi}
    icpsr = read_icpsr_links(data_dir / ICPSR) if (data_dir / ICPSR).exists() else []
    places.linker = AgencyLinker(gazetteer, fbi, icpsr)
    places.linker.placed_roster()  # every state's roster placed now, not when an agency first asks
    if (data_dir / "secure-communities").exists():
        _secure_communities(places, gazetteer, data_dir)
    if (data_dir / "ice-facilities").exists():
        _facilities(places, gazetteer, data_dir)
    if (data_dir / "dhs-sanctuary-list").exists():
        _dhs_designations(places, gazetteer, data_dir)
    return PlaceBase(places, gazetteer)


def build_places(
    data_dir: Path,
    agencies: Sequence[TrackedAgency],
    sheet_agreements: Sequence[ice_archive.RegistryAgreement] = (),
    base: PlaceBase | None = None,
) -> Places:
    """Everything geographic the registry needs, and the records of 287(g) older than ICE's lists tied to
    its agencies (`sheet_agreements`: the agreements of ICE's lists, to which such records may belong).
    Datasets that are absent are skipped, with a note. `base`: `prepare_places(data_dir)`, if done."""
    base = base or prepare_places(data_dir)
    places, gazetteer = base.places, base.gazetteer
    if gazetteer is None:
        return places
    _link_agencies(places, agencies)
    _place_counties(places, gazetteer, agencies)
    _early_records(places, data_dir, agencies, sheet_agreements)
    return places


def _link_agencies(places: Places, agencies: Sequence[TrackedAgency]) -> None:
    linker = places.linker
    assert linker is not None  # prepare_places made it
    for agency in agencies:
        best: AgencyLink | None = None
        for name in [agency.name, *reversed(agency.names)]:
            link = linker.link(name, agency.state, agency.county, agency.agency_type)
            if best is None or _strength(link) > _strength(best):
                best = link
            if link.jurisdiction_id and link.ori:
                break
        if best is not None:
            places.links[agency.id] = best
    counties = {j.id: j.name for j in places.jurisdictions if j.level is Level.COUNTY}
    places.roster = roster.roster_records(
        linker.placed_roster(),
        roster.ice_agencies_by_ori((agency_id, link.ori) for agency_id, link in places.links.items()),
        counties,
    )
    linked = sum(1 for link in places.links.values() if link.jurisdiction_id)
    with_ori = sum(1 for link in places.links.values() if link.ori)
    total = max(len(agencies), 1)
    places.notes.append(
        f"agencies linked to a jurisdiction: {linked}/{len(agencies)} ({100 * linked / total:.1f}%), "
        f"to an ORI: {with_ori}/{len(agencies)} ({100 * with_ori / total:.1f}%)"
    )


def _strength(link: AgencyLink) -> tuple[bool, bool]:
    return link.jurisdiction_id is not None, link.ori is not None


def _secure_communities(places: Places, gazetteer: Gazetteer, data_dir: Path) -> None:
    for record in secure_communities.read_secure_communities(data_dir):
        county = gazetteer.by_fips(record.county_fips)
        if county is None or record.activated is None:
            continue
        places.facts.append(
            Fact(
                county.id,
                "secure_communities_activated",
                {"month": record.activated.isoformat()[:7], "precision": record.precision},
                record.activated,
                record.source,
            )
        )


def _facilities(places: Places, gazetteer: Gazetteer, data_dir: Path) -> None:
    counties = facilities.CountyIndex(facilities.read_county_aor(data_dir))
    listed = facilities.read_facilities(data_dir, counties)
    for facility in listed:
        kind = facilities.facility_agreement_kind(facility)
        if kind is None or facility.state is None:
            continue
        county = gazetteer.by_fips(facility.county_fips) if facility.county_fips else None
        places.facility_agreements.append(
            FacilityAgreement(
                agreement_id=f"facility-{facility.detloc.lower()}-{kind.value}",
                agency_id=f"facility-{facility.detloc.lower()}",
                kind=kind.value,
                name=facility.name.title(),
                state=facility.state,
                county=facility.county,
                jurisdiction_id=county.id if county else None,
                rule=f"facility county {facility.county_rule}" if county else "county unresolved",
                first_use=facility.first_use,
                last_use=facility.last_use,
                source=facility.source,
                printed_county_id=county.id if county else None,
                details={
                    "detloc": facility.detloc,
                    "type": facility.type,
                    "type_detailed": facility.type_detailed,
                    "capacity": facility.capacity,
                    "guaranteed_minimum": facility.guaranteed_minimum,
                    "aor": facility.aor,
                    "city": facility.city,
                    "note": facilities.facility_agreement_note(facility),
                },
            )
        )
    counts = detainers.read_detainers_declined(data_dir, listed, counties)
    for count in counts:
        county = gazetteer.by_fips(count.county_fips) if count.county_fips else None
        if county is None:
            continue
        places.facts.append(
            Fact(
                county.id,
                "detainers_declined",
                {
                    "year": count.year,
                    "facility": count.facility,
                    "declined": count.declined,
                    "other_outcomes": count.other_outcomes,
                    "other_pooled": count.other_pooled,
                },
                date(count.year, 12, 31),
                count.source,
            )
        )


def _dhs_designations(places: Places, gazetteer: Gazetteer, data_dir: Path) -> None:
    found = missed = 0
    for designation in dhs_list.read_dhs_designations(data_dir):
        if designation.level is Level.STATE:
            jurisdiction = gazetteer.state(designation.state)
        else:
            jurisdiction = gazetteer.find(designation.state, designation.lookup_name, designation.level)
            if jurisdiction is None and designation.level is Level.PLACE:
                jurisdiction = gazetteer.find(
                    designation.state, designation.lookup_name, [Level.PLACE, Level.SUBDIVISION, Level.COUNTY]
                )
        if jurisdiction is None:
            missed += 1
            continue
        found += 1
        places.facts.append(
            Fact(
                jurisdiction.id,
                "dhs_sanctuary_designation",
                {
                    "name_printed": designation.name,
                    "section": designation.section,
                    "basis": designation.basis,
                },
                designation.designated,
                designation.source,
            )
        )
    places.notes.append(f"DHS designations placed: {found}/{found + missed}")


class CountyNames:
    """County OCD ids from a state and a county's name as a source writes it ("Galveston County", the
    FBI's bare "BOWIE"), each name looked up once."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._known: dict[tuple[str, str], str | None] = {}

    def __call__(self, state: str, name: str) -> str | None:
        key = (state, name)
        if key not in self._known:
            found = self._gazetteer.match(state, name, Level.COUNTY)
            if found is None and split_kind(fold_tokens(name))[1] is None:
                found = self._gazetteer.match(state, f"{name} County", Level.COUNTY)
            self._known[key] = found.jurisdiction.id if found else None
        return self._known[key]


def _place_counties(places: Places, gazetteer: Gazetteer, agencies: Sequence[TrackedAgency]) -> None:
    """Every agency's county (or counties) by the rule of sources/counties.py."""
    if not places.jurisdictions:
        return
    county_id = CountyNames(gazetteer)
    with_counties = {j.state for j in places.jurisdictions if j.level is Level.COUNTY}
    roster_counties: dict[str, tuple[str, ...]] = {}
    roster_sources: dict[str, Citation | None] = {}
    for ori, row in places.roster_rows.items():
        ids = tuple(dict.fromkeys(i for i in (county_id(row.state, c) for c in row.counties) if i))
        roster_counties[ori] = ids
        roster_sources[ori] = cite(FBI_ROSTER, row.line)
    merged = {agency_id: r for r in places.roster.records for agency_id in r.merged_into}
    facts: list[county_rule.AgencyPlaceFacts] = []

    def where(jurisdiction_id: str | None) -> tuple[Level | None, str | None]:
        found = gazetteer.by_id(jurisdiction_id) if jurisdiction_id else None
        if found is None:
            return None, None
        return found.level, found.parent_id if found.level is Level.SUBDIVISION else None

    for agency in agencies:
        link = places.links.get(agency.id)
        jurisdiction_id = link.jurisdiction_id if link else None
        level, parent = where(jurisdiction_id)
        ori = (link.ori if link else None) or ""
        record = merged.get(agency.id)
        printed = agency.county_source
        facts.append(
            county_rule.AgencyPlaceFacts(
                agency_id=agency.id,
                name=agency.name,
                state=agency.state,
                jurisdiction_id=jurisdiction_id,
                jurisdiction_level=level,
                subdivision_county=parent,
                roster_counties=roster_counties.get(ori, ()),
                roster_source=roster_sources.get(ori),
                names=tuple(agency.names) + ((record.name, *record.aliases) if record else ()),
                printed_county=agency.county,
                printed_county_id=county_id(agency.state, agency.county) if agency.county else None,
                printed_source=cite(printed.file, printed.row, printed.retrieved) if printed else None,
                state_has_counties=agency.state in with_counties,
            )
        )
    for record in places.roster.records:
        if record.merged_into:
            continue
        level, parent = where(record.jurisdiction_id)
        facts.append(
            county_rule.AgencyPlaceFacts(
                agency_id=record.id,
                name=record.name,
                state=record.state,
                jurisdiction_id=record.jurisdiction_id,
                jurisdiction_level=level,
                subdivision_county=parent,
                roster_counties=roster_counties.get(record.ori, ()),
                roster_source=roster_sources.get(record.ori),
                names=(record.fbi_name, *record.aliases),
                state_has_counties=record.state in with_counties,
                roster_unit=True,
            )
        )
    for facility in places.facility_agreements:
        facts.append(
            county_rule.AgencyPlaceFacts(
                agency_id=facility.agency_id,
                name=facility.name,
                state=facility.state,
                printed_county=facility.county,
                printed_county_id=facility.printed_county_id,
                printed_source=cite(facility.source.file, facility.source.row),
                facility=True,
                state_has_counties=facility.state in with_counties,
            )
        )
    places.placements = county_rule.place_agencies(facts, county_id)
    for problem in places.placements.unresolved:
        places.notes.append(f"county knowledge: {problem}")


def _early_records(
    places: Places,
    data_dir: Path,
    agencies: Sequence[TrackedAgency],
    sheet_agreements: Sequence[ice_archive.RegistryAgreement],
) -> None:
    """ICE's partner lists of 2007-2008, DHS OIG's table of 2009 and ICE's agreement archive, tied to the
    registry's agencies: by any name an agency went by, else by the ORI the linker finds for the name."""
    claims = ice_archive.read_claims(data_dir)
    if not claims:
        return
    listed = {agency.id for agency in agencies}
    owners: list[tuple[str, Sequence[str], str]] = [(a.state, a.names, a.id) for a in agencies]
    by_ori: dict[str, str] = {}
    for record in places.roster.records:
        owner = record.merged_into[0] if record.merged_into else record.id
        owners.append((record.state, (record.name, record.fbi_name, *record.aliases), owner))
        by_ori[record.ori] = owner
    index = ice_archive.agency_index(owners, [(c.state, c.agency) for c in claims])
    known: dict[tuple[str, str], str | None] = {}

    def agency_of(state: str, name: str) -> str | None:
        if (state, name) not in known:
            known[(state, name)] = _agency_named(index, listed, by_ori, places.linker, state, name)
        return known[(state, name)]

    places.early = ice_archive.build_history(claims, agency_of, sheet_agreements)
    unlinked = len(places.early.unlinked)
    places.notes.append(
        f"records before ICE's lists: {places.early.claims} rows, {places.early.linked} tied to an agency, "
        f"{unlinked} to none, {len(places.early.excluded)} no agreement"
    )


def _agency_named(
    index: Mapping[tuple[str, str], set[str]],
    listed: set[str],
    by_ori: Mapping[str, str],
    linker: AgencyLinker | None,
    state: str,
    name: str,
) -> str | None:
    """The registry agency a record's name means: by name (an agency of ICE's lists before the roster's
    units of that name), else by the ORI the linker finds; None when several or none answer."""
    found = index.get((state, normalize_agency(name)), set())
    on_lists = found & listed
    if len(found) == 1 or len(on_lists) == 1:
        return next(iter(on_lists or found))
    if found or linker is None:
        return None  # several agencies answer to the name: better none than a guess
    link = linker.link(name, state)
    return by_ori.get(link.ori) if link.ori else None
