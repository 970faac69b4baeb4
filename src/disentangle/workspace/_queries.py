"""Reading the registry: agreements, counts, places, agencies, histories, the map and the latest changes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from disentangle.errors import InputError, NotFoundError
from disentangle.model import (
    AgencyHistory,
    AgreementRecord,
    AgreementStatus,
    AgreementView,
    ChangeRecord,
    SearchHit,
    normalize_state,
)
from disentangle.registry import tables as t
from disentangle.sources.citations import record_dates
from disentangle.workspace._base import WorkspaceBase, escape_like
from disentangle.workspace._found import FOUND_STATUSES
from disentangle.workspace._rows import (
    _agreement_json,
    _change_json,
    _changes_select,
    _event_json,
    _iso,
    _kind_filter,
    _snapshot_as_of,
    _source_json,
    _state_filter,
)


class QueryMixin(WorkspaceBase):
    # ------------------------------------------------------------------ queries

    def agreements(
        self,
        *,
        state: str | None = None,
        model: str | None = None,
        status: str | None = None,
        as_of: date | None = None,
    ) -> list[AgreementRecord]:
        """Agreements with their status; with as_of, those on ICE's latest list published by that date."""
        kind = _kind_filter(model)
        code = _state_filter(state)
        a, g = t.agreements, t.agencies
        with self.store.read() as connection:
            if as_of is not None:
                snapshot = _snapshot_as_of(connection, as_of)
                if snapshot is None:
                    return []
                r = t.snapshot_rows
                query = (
                    select(
                        a.c.id,
                        r.c.state,
                        r.c.agency.label("agency"),
                        r.c.kind,
                        r.c.signed,
                        a.c.first_seen,
                        a.c.last_seen,
                        a.c.agency_id,
                        a.c.document_url,
                        a.c.county,
                        g.c.jurisdiction_id,
                        g.c.ori,
                    )
                    .select_from(r.join(a, a.c.id == r.c.agreement_id).join(g, g.c.id == a.c.agency_id))
                    .where(r.c.snapshot_id == snapshot)
                    .order_by(r.c.state, r.c.agency, r.c.kind)
                )
                if code:
                    query = query.where(r.c.state == code)
                if kind:
                    query = query.where(r.c.kind == kind)
                rows = [dict(row._mapping, status="active") for row in connection.execute(query)]
                if status and status != "active":
                    return []
                return [_agreement_json(row) for row in rows]
            query = (
                select(
                    a.c.id,
                    a.c.state,
                    a.c.agency_name.label("agency"),
                    a.c.kind,
                    a.c.signed,
                    a.c.status,
                    a.c.first_seen,
                    a.c.last_seen,
                    a.c.agency_id,
                    a.c.document_url,
                    a.c.county,
                    func.coalesce(a.c.jurisdiction_id, g.c.jurisdiction_id).label("jurisdiction_id"),
                    g.c.ori,
                )
                .select_from(a.join(g, g.c.id == a.c.agency_id))
                .order_by(a.c.state, a.c.agency_name, a.c.kind, a.c.signed)
            )
            if code:
                query = query.where(a.c.state == code)
            if kind:
                query = query.where(a.c.kind == kind)
            if status:
                query = query.where(a.c.status == status)
            return [_agreement_json(dict(row._mapping)) for row in connection.execute(query)]

    def has_agreement(self, agreement_id: str) -> bool:
        with self.store.read() as connection:
            found = connection.scalar(
                select(t.agreements.c.id).where(t.agreements.c.id == agreement_id.strip())
            )
        return found is not None

    def stats(self, by: str = "model", *, as_of: date | None = None) -> list[dict[str, Any]]:
        """Counts of agreements on ICE's lists: per published sheet (month), or by model or state."""
        if by not in ("month", "model", "state"):
            raise InputError(f"unknown grouping {by!r}: use month, model or state")
        s, r = t.snapshots, t.snapshot_rows
        with self.store.read() as connection:
            if by == "month":
                query = (
                    select(s.c.captured, r.c.kind, func.count().label("n"))
                    .select_from(r.join(s, s.c.id == r.c.snapshot_id))
                    .where(s.c.list == "participating")
                    .group_by(s.c.captured, r.c.kind)
                    .order_by(s.c.captured)
                )
                table: dict[date, dict[str, Any]] = {}
                for captured, kind, n in connection.execute(query):
                    entry = table.setdefault(captured, {"captured": captured.isoformat(), "total": 0})
                    entry[kind] = n
                    entry["total"] += n
                return list(table.values())
            snapshot = _snapshot_as_of(connection, as_of or date.max)
            if snapshot is None:
                return []
            column = r.c.kind if by == "model" else r.c.state
            query = (
                select(column.label(by), func.count().label("count"))
                .where(r.c.snapshot_id == snapshot)
                .group_by(column)
                .order_by(func.count().desc(), column)
            )
            return [dict(row._mapping) for row in connection.execute(query)]

    def summary(self, *, today: date | None = None) -> dict[str, Any]:
        """The national picture: latest sheet and its age on `today` (default: the computer's date), where
        the bundled history begins, agreements by model and status, agencies, states."""
        with self.store.read() as connection:
            latest = connection.execute(
                select(t.snapshots.c.captured, t.snapshots.c.rows)
                .where(t.snapshots.c.list == "participating")
                .order_by(t.snapshots.c.captured.desc())
                .limit(1)
            ).first()
            by_status: dict[str, int] = dict(
                connection.execute(
                    select(t.agreements.c.status, func.count()).group_by(t.agreements.c.status)
                ).all()
            )
            agencies = connection.scalar(select(func.count()).select_from(t.agencies))
            sheets = connection.scalar(select(func.count()).select_from(t.snapshots))
            first = connection.scalar(
                select(func.min(t.snapshots.c.captured)).where(t.snapshots.c.list == "participating")
            )
        today = today or date.today()
        return {
            "latest_sheet": latest.captured.isoformat() if latest else None,
            "today": today.isoformat(),
            "latest_sheet_age_days": (today - latest.captured).days if latest else None,
            "history_begins": _iso(first),
            "active_rows": latest.rows if latest else 0,
            "by_model": self.stats("model"),
            "top_states": self.stats("state")[:10],
            "by_status": by_status,
            "agencies": agencies,
            "snapshots": sheets,
        }

    def record_dates(self, *, today: date | None = None) -> dict[str, dict[str, Any]]:
        """Every public record the registry holds facts from, by dataset id (knowledge/datasets.yaml):
        its label, publisher, address, date and age in days on `today`; "found" for agreements found in
        records in this workspace, dated by the newest one."""
        today = today or date.today()
        with self.store.read() as connection:
            files = connection.execute(select(t.sources.c.file, t.sources.c.retrieved)).all()
            newest_found = connection.scalar(
                select(func.max(t.agreements.c.first_seen)).where(t.agreements.c.id.like("found-%"))
            )
        out: dict[str, dict[str, Any]] = {}
        for dataset, (entry, dated) in record_dates((f.file, f.retrieved) for f in files).items():
            out[dataset] = {
                "label": entry.label.replace("{date}", dated.isoformat() if dated else "unknown date"),
                "publisher": entry.publisher,
                "url": entry.url,
                "dated": _iso(dated),
                "age_days": (today - dated).days if dated else None,
            }
        if newest_found is not None:
            out["found"] = {
                "label": "agreements found in records in this workspace",
                "publisher": "this workspace",
                "url": None,
                "dated": _iso(newest_found),
                "age_days": (today - newest_found).days,
            }
        return out

    def county_map(self, *, exclude: Collection[str] = ()) -> list[dict[str, Any]]:
        """One row per county: what the national map colours, each count dated by its source.

        `287g-*`: agreements on ICE's latest 287(g) list (`as_of` gives its date), counted in every county
        the agency is placed in (sources/counties.py). `detention`: detention contracts a dated source
        says are in force (an agreement found in records). `facilities_used`: facilities on ICE's
        detention list of 2017 (an IGSA or USMS IGA), which says only that ICE used them between two
        dates, with the latest of those dates in `facilities_last_used`. `found_*`: agreements found in
        records. Then Secure Communities' activation month and DHS's designation. `exclude`: agreements
        left out (a static site leaves out those found only in private documents)."""
        j, a, f, ac = t.jurisdictions, t.agreements, t.facts, t.agency_counties
        with self.store.read() as connection:
            counties = connection.execute(
                select(j.c.id, j.c.name, j.c.state, j.c.fips).where(j.c.level == "county")
            ).all()
            rows = connection.execute(
                select(a.c.id, a.c.kind, a.c.status, a.c.last_seen, ac.c.county_id)
                .select_from(a.join(ac, and_(ac.c.agency_id == a.c.agency_id, ac.c.counted)))
                .where(a.c.status.in_(["active", "listed", *FOUND_STATUSES]), ac.c.county_id.is_not(None))
            ).all()
            facts = connection.execute(
                select(f.c.jurisdiction_id, f.c.kind, f.c.date).where(
                    f.c.kind.in_(["secure_communities_activated", "dhs_sanctuary_designation"])
                )
            ).all()
            latest = _latest_list(connection)
        out: dict[str, dict[str, Any]] = {
            c.id: {
                "fips": c.fips,
                "id": c.id,
                "name": c.name,
                "state": c.state,
                "287g-jem": 0,
                "287g-wso": 0,
                "287g-tfm": 0,
                "as_of": _iso(latest),
                "detention": 0,
                "facilities_used": 0,
                "facilities_last_used": None,
                "found_in_force": 0,
                "found_ended": 0,
                "secure_communities": None,
                "dhs_designated": False,
            }
            for c in counties
        }
        for row in rows:
            entry = out.get(row.county_id)
            if entry is None or row.id in exclude:
                continue
            if row.status in FOUND_STATUSES:  # agreements found in records, whatever their kind
                in_force = row.status == AgreementStatus.IN_FORCE
                entry["found_in_force" if in_force else "found_ended"] += 1
                if in_force and row.kind in DETENTION_KINDS:
                    entry["detention"] += 1
            elif row.status == AgreementStatus.LISTED:  # ICE's detention list of 2017: used, not in force
                entry["facilities_used"] += 1
                last = _iso(row.last_seen)
                if last and (entry["facilities_last_used"] is None or last > entry["facilities_last_used"]):
                    entry["facilities_last_used"] = last
            elif row.kind in entry:
                entry[row.kind] += 1
        designated_states = {
            fact.jurisdiction_id for fact in facts if fact.kind == "dhs_sanctuary_designation"
        }
        for fact in facts:
            if fact.jurisdiction_id in out:
                if fact.kind == "secure_communities_activated":
                    out[fact.jurisdiction_id]["secure_communities"] = _iso(fact.date)
                else:
                    out[fact.jurisdiction_id]["dhs_designated"] = True
        for county in counties:
            if f"ocd-division/country:us/state:{(county.state or '').lower()}" in designated_states:
                out[county.id]["dhs_designated"] = True
        return sorted(out.values(), key=lambda r: r["fips"] or "")

    def latest_changes(self, limit: int = 50) -> list[ChangeRecord]:
        """The newest events on ICE's lists (added, removed, re-signed, renamed...), newest first."""
        e = t.events
        with self.store.read() as connection:
            rows = connection.execute(
                _changes_select().order_by(e.c.date.desc(), e.c.id.desc()).limit(limit)
            ).all()
        return [_change_json(row) for row in rows]

    def history(self, agency: str) -> AgencyHistory:
        """An agency's agreements and every dated event, each with its source."""
        record = self._find_agency(agency)
        a, e, src = t.agreements, t.events, t.sources
        with self.store.read() as connection:
            agreements = [
                dict(row._mapping)
                for row in connection.execute(
                    select(a, src.c.file, src.c.retrieved)
                    .outerjoin(src, src.c.id == a.c.source_id)
                    .where(a.c.agency_id == record["id"])
                    .order_by(a.c.kind, a.c.signed)
                )
            ]
            ids = [row["id"] for row in agreements]
            events = connection.execute(
                select(e, src.c.file, src.c.dataset, src.c.retrieved)
                .outerjoin(src, src.c.id == e.c.source_id)
                .where(e.c.agreement_id.in_(ids))
                .order_by(e.c.date, e.c.id)
            ).all()
            aliases = list(
                connection.scalars(
                    select(t.agency_aliases.c.alias).where(t.agency_aliases.c.agency_id == record["id"])
                )
            )
            placement = _placement(connection, record["id"])
            begins = connection.scalar(
                select(func.min(t.snapshots.c.captured)).where(t.snapshots.c.list == "participating")
            )
        return {
            # ICE's lists in the registry start here: an agreement on the first list was "added" on its date
            "history_begins": _iso(begins),
            "agency": {**record, "aliases": aliases, "placement": placement},
            "agreements": [
                {**_agreement_json({**row, "agency": row["agency_name"]}), "source": _source_json(row)}
                for row in agreements
            ],
            "events": [_event_json(row._mapping) for row in events],
        }

    def agreement(self, agreement_id: str) -> AgreementView:
        """One agreement on ICE's lists: its record with the sheet and row it was read from, its agency,
        and every dated event with its source."""
        a, g, e, src = t.agreements, t.agencies, t.events, t.sources
        with self.store.read() as connection:
            row = connection.execute(
                select(a, g.c.ori, g.c.type.label("agency_type"), src.c.dataset, src.c.file, src.c.retrieved)
                .select_from(a.join(g, g.c.id == a.c.agency_id).outerjoin(src, src.c.id == a.c.source_id))
                .where(a.c.id == agreement_id.strip())
            ).first()
            if row is None:
                raise NotFoundError(
                    f"no agreement {agreement_id!r} in the registry; see `disentangle agreements`"
                )
            events = connection.execute(
                select(e, src.c.file, src.c.dataset, src.c.retrieved)
                .outerjoin(src, src.c.id == e.c.source_id)
                .where(e.c.agreement_id == row.id)
                .order_by(e.c.date, e.c.id)
            ).all()
        record = _agreement_json({**row._mapping, "agency": row.agency_name})
        record["agency_type"] = row.agency_type
        record["source"] = _source_json(row._mapping)
        return {
            "agreement": record,
            "agency": self._find_agency(row.agency_id),
            "events": [_event_json(event._mapping) for event in events],
        }

    def generation(self) -> tuple[Any, ...]:
        """A value that changes whenever what the pages show changes: an import, a reading stored, an
        agreement found, reviewed or acted on, a request drafted or updated."""
        f, x, r, e, s = (
            t.found_agreements,
            t.agreement_actions,
            t.document_readings,
            t.request_events,
            t.sources,
        )
        with self.store.read() as connection:
            row = connection.execute(
                select(
                    select(func.max(s.c.imported_at)).scalar_subquery(),
                    select(func.count()).select_from(f).scalar_subquery(),
                    select(func.max(f.c.reviewed_at)).scalar_subquery(),
                    select(func.max(f.c.created_at)).scalar_subquery(),
                    select(func.max(x.c.id)).scalar_subquery(),
                    select(func.max(r.c.read_at)).scalar_subquery(),
                    select(func.max(e.c.id)).scalar_subquery(),
                )
            ).one()
        return tuple(row)

    def search(self, text: str, *, limit: int = 25) -> list[SearchHit]:
        """Jurisdictions and agencies whose name, a name people use, id, FIPS or ORI contains the text;
        "NAME, ST" keeps to one state, and a place found by its exact name brings its agencies along.
        Exact names come first, then names that begin with the text, then the rest."""
        needle = " ".join(text.split())
        if not needle:
            raise InputError("search needs some text")
        name, state = needle, None
        head, _, tail = needle.rpartition(",")
        if head.strip() and normalize_state(tail.strip()):
            name, state = head.strip(), normalize_state(tail.strip())
        like = "%" + escape_like(name.lower()) + "%"
        j, g, al = t.jurisdictions, t.agencies, t.agency_aliases
        with self.store.read() as connection:
            place_query = select(j.c.id, j.c.name, j.c.level, j.c.state, j.c.fips).where(
                or_(func.lower(j.c.name).like(like, escape="\\"), j.c.id == needle, j.c.fips == needle)
            )
            if state:
                place_query = place_query.where(j.c.state == state)
            places = connection.execute(
                place_query.order_by(func.length(j.c.name), j.c.name).limit(limit * 4)
            ).all()
            exact_places = [p.id for p in places if _place_name_is(p.name, name)]
            named = select(al.c.agency_id).where(func.lower(al.c.alias).like(like, escape="\\"))
            agency_query = select(
                g.c.id, g.c.name, g.c.state, g.c.type, g.c.ori, g.c.jurisdiction_id, g.c.county_id, g.c.origin
            ).where(
                or_(
                    func.lower(g.c.name).like(like, escape="\\"),
                    g.c.ori == needle.upper(),
                    g.c.id == needle,
                    g.c.id.in_(named),
                    g.c.jurisdiction_id.in_(exact_places[:5]),
                )
            )
            if state:
                agency_query = agency_query.where(g.c.state == state)
            agencies = connection.execute(agency_query.limit(2000)).all()
            alias_rows = connection.execute(
                select(al.c.agency_id, al.c.alias).where(al.c.agency_id.in_([a.id for a in agencies]))
            ).all()
        names_of: dict[str, list[str]] = {}
        for agency_id, alias in alias_rows:
            names_of.setdefault(agency_id, []).append(alias)
        wanted = name.lower()

        def rank(row: Any, names: list[str]) -> tuple[int, int, str]:
            lowered = [n.lower() for n in names]
            if row.ori == needle.upper() or row.id == needle or wanted in lowered:
                closeness = 0
            elif any(n.startswith(wanted) for n in lowered):
                closeness = 1
            elif row.jurisdiction_id in exact_places:
                closeness = 2
            else:
                closeness = 3
            return closeness, len(row.name), row.name

        ranked_places = sorted(places, key=lambda p: (0 if p.id in exact_places else 1, len(p.name), p.name))
        ranked_agencies = sorted(agencies, key=lambda a: rank(a, [a.name, *names_of.get(a.id, [])]))
        hits = [
            SearchHit(match="jurisdiction", id=p.id, name=p.name, state=p.state, level=p.level, fips=p.fips)
            for p in ranked_places[:limit]
        ]
        hits += [
            SearchHit(
                match="agency",
                id=a.id,
                name=a.name,
                state=a.state,
                type=a.type,
                ori=a.ori,
                jurisdiction_id=a.jurisdiction_id,
                county_id=a.county_id,
                origin=a.origin,
            )
            for a in ranked_agencies[:limit]
        ]
        return hits

    def show(self, place: str) -> dict[str, Any]:
        """Everything known about a jurisdiction or an agency, each fact with its source and date.

        PLACE is an OCD id, a FIPS code, an agency id or ORI, or a name ("Galveston County, TX")."""
        jurisdiction = self._find_jurisdiction(place)
        if jurisdiction is not None:
            return self._show_jurisdiction(jurisdiction)
        try:
            agency = self._find_agency(place)
        except NotFoundError:
            raise NotFoundError(
                f"no jurisdiction or agency matches {place!r}; try `disentangle search`"
            ) from None
        return {"type": "agency", **self.history(agency["id"])}

    def _show_jurisdiction(self, place: dict[str, Any]) -> dict[str, Any]:
        with self.store.read() as connection:
            parent = connection.execute(_PARENT, {"parent_id": place["parent_id"]}).first()
            # A county holds the agreements of the agencies counted in it (one rule: sources/counties.py);
            # a city, a township or a state those of its own agencies.
            params = {"place_id": place["id"]}
            lookups = [_BY_COUNTY] if place["level"] == "county" else [_BY_AGENCY_PLACE, _BY_PLACE]
            wanted = sorted({i for lookup in lookups for i in connection.scalars(lookup, params)})
            agreement_rows = connection.execute(_AGREEMENTS_IN, {"ids": wanted}).all()
            ids = [row.id for row in agreement_rows]
            event_rows = connection.execute(_EVENTS_OF, {"ids": ids}).all()
            scope = [place["id"]] + ([place["parent_id"]] if place["parent_id"] else [])
            fact_rows = connection.execute(_FACTS_IN, {"scope": scope}).all()
            lookup = _AGENCIES_OF_COUNTY if place["level"] == "county" else _AGENCIES_OF_PLACE
            agency_rows = connection.execute(lookup, {"place_id": place["id"]}).all()
            as_of = _latest_list(connection)
        agreements = []
        for row in agreement_rows:
            record = _agreement_json(
                {
                    **row._mapping,
                    "agency": row.agency_name,
                    "jurisdiction_id": row.jurisdiction_id or row.agency_jurisdiction,
                }
            )
            record["agency_type"] = row.agency_type
            record["source"] = _source_json(row._mapping)
            agreements.append(record)
        by_agency: dict[str, list[AgreementRecord]] = {}
        for record in agreements:
            by_agency.setdefault(record["agency_id"], []).append(record)
        agencies = [
            {
                "id": row.id,
                "name": row.name,
                "type": row.type,
                "ori": row.ori,
                "jurisdiction": row.jurisdiction_id,
                "origin": row.origin,
                "officers": row.officers,
                "agreements": [
                    {"id": a["id"], "model": a["model"], "status": a["status"]}
                    for a in by_agency.get(row.id, [])
                ],
            }
            for row in agency_rows
        ]
        return {
            "type": "jurisdiction",
            "jurisdiction": place,
            "parent": dict(parent._mapping) if parent else None,
            "agencies": agencies,
            "summary": _place_summary(agreements, as_of),
            "agreements": agreements,
            "events": [_event_json(row._mapping) for row in event_rows],
            "facts": [
                {
                    "kind": row.kind,
                    "jurisdiction_id": row.jurisdiction_id,
                    "inherited": row.jurisdiction_id != place["id"],
                    "value": row.value,
                    "date": _iso(row.date),
                    "source": _source_json(row._mapping, row=row.source_row),
                }
                for row in fact_rows
            ],
        }


def _placement(connection: Connection, agency_id: str) -> dict[str, Any] | None:
    """Where an agency is counted, by which rule and source, and the county ICE printed when the rule
    chose another (both with their sources)."""
    ac, j = t.agency_counties, t.jurisdictions
    rows = connection.execute(
        select(ac, j.c.name.label("county_name"), j.c.state.label("county_state"), j.c.fips)
        .outerjoin(j, j.c.id == ac.c.county_id)
        .where(ac.c.agency_id == agency_id)
        .order_by(j.c.name)
    ).all()
    counted = [r for r in rows if r.counted]
    if not counted:
        return None
    first = counted[0]
    printed = next((r for r in rows if not r.counted), None)
    return {
        "scope": first.scope,
        "rule": first.rule,
        "counties": [
            {"id": r.county_id, "name": r.county_name, "state": r.county_state, "fips": r.fips}
            for r in counted
            if r.county_id
        ],
        "source": first.source,
        "note": first.note,
        "ice_printed": {
            "county": printed.printed,
            "names": {"id": printed.county_id, "name": printed.county_name} if printed.county_id else None,
            "source": printed.source,
        }
        if printed
        else None,
    }


def _place_summary(agreements: Sequence[Mapping[str, Any]], as_of: Any) -> dict[str, Any]:
    """What a place's cards say, each count with the date of its source: 287(g) agreements on ICE's
    latest list, detention contracts a dated record says are in force, and the facilities ICE's 2017
    detention list says it used, with the span of that use (never "in force": the list does not say)."""
    active = [r for r in agreements if r["status"] == AgreementStatus.ACTIVE]
    used = [r for r in agreements if r["status"] == AgreementStatus.LISTED]
    firsts = [r["first_seen"] for r in used if r["first_seen"]]
    lasts = [r["last_seen"] for r in used if r["last_seen"]]
    dates = [r["source"]["dated"] for r in used if r.get("source") and r["source"].get("dated")]
    found = [r for r in agreements if r["status"] == AgreementStatus.IN_FORCE]
    return {
        "as_of": _iso(as_of),
        "active_287g": {
            k: sum(1 for r in active if r["model"] == k) for k in ("287g-jem", "287g-wso", "287g-tfm")
        },
        "agreements": len(agreements),
        "in_force_found": len(found),
        "detention_in_force": sum(1 for r in found if r["model"] in DETENTION_KINDS),
        "facilities_used": len(used),
        "facilities_used_from": min(firsts) if firsts else None,
        "facilities_used_to": max(lasts) if lasts else None,
        "facility_list_of": max(dates) if dates else None,
    }


# Kinds of agreement that put jail beds at ICE's disposal.
DETENTION_KINDS = frozenset({"igsa", "usms-iga"})


def _latest_list(connection: Connection) -> Any:
    """The capture date of ICE's newest 287(g) participating list in the registry, or None."""
    s = t.snapshots
    return connection.scalar(select(func.max(s.c.captured)).where(s.c.list == "participating"))


def _place_name_is(census_name: str, name: str) -> bool:
    """ "Pasadena city" is Pasadena; "Los Angeles County" is "Los Angeles County" and not Los Angeles."""
    lowered, wanted = census_name.lower(), name.lower()
    if lowered == wanted:
        return True
    head, _, kind = lowered.rpartition(" ")
    return head == wanted and kind in _PLACE_KINDS


_PLACE_KINDS = frozenset({"city", "town", "village", "borough", "township", "cdp", "municipality"})


# The place page's statements, built once: building a SQLAlchemy statement costs more than SQLite takes
# to run it (bench/web_load.py, distinct county pages).
def _place_statements() -> tuple[Any, ...]:
    j, g, a, f, e, src = t.jurisdictions, t.agencies, t.agreements, t.facts, t.events, t.sources
    ac = t.agency_counties
    parent = select(j).where(j.c.id == bindparam("parent_id"))
    by_agency_place = (
        select(a.c.id).join(g, g.c.id == a.c.agency_id).where(g.c.jurisdiction_id == bindparam("place_id"))
    )
    by_place = select(a.c.id).where(a.c.jurisdiction_id == bindparam("place_id"))
    counted_here = select(ac.c.agency_id).where(ac.c.county_id == bindparam("place_id"), ac.c.counted)
    by_county = select(a.c.id).where(a.c.agency_id.in_(counted_here))
    agreements_in = (
        select(
            a,
            g.c.ori,
            g.c.type.label("agency_type"),
            g.c.jurisdiction_id.label("agency_jurisdiction"),
            src.c.dataset,
            src.c.file,
            src.c.retrieved,
        )
        .select_from(a.join(g, g.c.id == a.c.agency_id).outerjoin(src, src.c.id == a.c.source_id))
        .where(a.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(a.c.status, a.c.agency_name, a.c.kind)
    )
    events_of = (
        select(e, src.c.file, src.c.dataset, src.c.retrieved)
        .outerjoin(src, src.c.id == e.c.source_id)
        .where(e.c.agreement_id.in_(bindparam("ids", expanding=True)))
        .order_by(e.c.date, e.c.id)
    )
    facts_in = (
        select(f, src.c.dataset, src.c.file, src.c.retrieved)
        .join(src, src.c.id == f.c.source_id)
        .where(f.c.jurisdiction_id.in_(bindparam("scope", expanding=True)))
        .order_by(f.c.kind, f.c.date)
    )
    columns = (g.c.id, g.c.name, g.c.type, g.c.ori, g.c.jurisdiction_id, g.c.origin, g.c.officers)
    agencies_of_place = (
        select(*columns).where(g.c.jurisdiction_id == bindparam("place_id")).order_by(g.c.origin, g.c.name)
    )
    agencies_of_county = select(*columns).where(g.c.id.in_(counted_here)).order_by(g.c.origin, g.c.name)
    return (
        parent,
        by_agency_place,
        by_place,
        by_county,
        agreements_in,
        events_of,
        facts_in,
        agencies_of_place,
        agencies_of_county,
    )


(
    _PARENT,
    _BY_AGENCY_PLACE,
    _BY_PLACE,
    _BY_COUNTY,
    _AGREEMENTS_IN,
    _EVENTS_OF,
    _FACTS_IN,
    _AGENCIES_OF_PLACE,
    _AGENCIES_OF_COUNTY,
) = _place_statements()
