"""Reading the registry: agreements, counts, places, agencies, histories, the map and the latest changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, or_, select

from disentangle.errors import InputError, NotFoundError
from disentangle.model import AgreementStatus, normalize_state
from disentangle.registry import tables as t
from disentangle.workspace._base import WorkspaceBase
from disentangle.workspace._found import FOUND_STATUSES
from disentangle.workspace._rows import (
    _agreement_json,
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
    ) -> list[dict[str, Any]]:
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

    def summary(self) -> dict[str, Any]:
        """The national picture: latest sheet, agreements by model and status, agencies, states."""
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
        return {
            "latest_sheet": latest.captured.isoformat() if latest else None,
            "active_rows": latest.rows if latest else 0,
            "by_model": self.stats("model"),
            "top_states": self.stats("state")[:10],
            "by_status": by_status,
            "agencies": agencies,
            "snapshots": sheets,
        }

    def county_map(self) -> list[dict[str, Any]]:
        """One row per county: active 287(g) agreements by model, detention agreements, Secure
        Communities activation and DHS designation — what the national map colours."""
        j, g, a, f = t.jurisdictions, t.agencies, t.agreements, t.facts
        with self.store.read() as connection:
            counties = connection.execute(
                select(j.c.id, j.c.name, j.c.state, j.c.fips).where(j.c.level == "county")
            ).all()
            parents = dict(
                connection.execute(select(j.c.id, j.c.parent_id).where(j.c.level == "subdivision")).all()
            )
            rows = connection.execute(
                select(
                    a.c.kind,
                    a.c.status,
                    a.c.county,
                    a.c.state,
                    a.c.jurisdiction_id,
                    g.c.jurisdiction_id.label("aj"),
                    g.c.county_id.label("ac"),
                )
                .select_from(a.join(g, g.c.id == a.c.agency_id))
                .where(a.c.status.in_(["active", "listed", *FOUND_STATUSES]))
            ).all()
            facts = connection.execute(
                select(f.c.jurisdiction_id, f.c.kind, f.c.date).where(
                    f.c.kind.in_(["secure_communities_activated", "dhs_sanctuary_designation"])
                )
            ).all()
        by_id = {c.id: c for c in counties}
        by_name = {(c.state, c.name.lower()): c.id for c in counties}
        out: dict[str, dict[str, Any]] = {
            c.id: {
                "fips": c.fips,
                "id": c.id,
                "name": c.name,
                "state": c.state,
                "287g-jem": 0,
                "287g-wso": 0,
                "287g-tfm": 0,
                "detention": 0,
                "found_in_force": 0,
                "found_ended": 0,
                "secure_communities": None,
                "dhs_designated": False,
            }
            for c in counties
        }
        for row in rows:
            county_id = None
            for candidate in (row.jurisdiction_id, row.aj, row.ac):
                if candidate in by_id:
                    county_id = candidate
                elif candidate in parents and parents[candidate] in by_id:
                    county_id = parents[candidate]
                if county_id:
                    break
            if county_id is None and row.county:
                county_id = by_name.get((row.state, row.county.lower()))
            if county_id is None:
                continue
            if row.status in FOUND_STATUSES:  # agreements found in records, whatever their kind
                key = "found_in_force" if row.status == AgreementStatus.IN_FORCE else "found_ended"
                out[county_id][key] += 1
                continue
            key = row.kind if row.kind.startswith("287g") else "detention"
            if row.status == "active" or key == "detention":
                out[county_id][key] += 1
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

    def latest_changes(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest events on ICE's lists (added, removed, re-signed, renamed...), newest first."""
        e, a, src = t.events, t.agreements, t.sources
        with self.store.read() as connection:
            rows = connection.execute(
                select(
                    e,
                    a.c.agency_name,
                    a.c.state,
                    a.c.kind.label("model"),
                    a.c.agency_id,
                    src.c.file,
                    src.c.dataset,
                )
                .join(a, a.c.id == e.c.agreement_id)
                .outerjoin(src, src.c.id == e.c.source_id)
                .order_by(e.c.date.desc(), e.c.id.desc())
                .limit(limit)
            ).all()
        return [
            {
                **_event_json(row._mapping),
                "agency": row.agency_name,
                "state": row.state,
                "model": row.model,
                "agency_id": row.agency_id,
            }
            for row in rows
        ]

    def history(self, agency: str) -> dict[str, Any]:
        """An agency's agreements and every dated event, each with its source."""
        record = self._find_agency(agency)
        a, e, src = t.agreements, t.events, t.sources
        with self.store.read() as connection:
            agreements = [
                dict(row._mapping)
                for row in connection.execute(
                    select(a).where(a.c.agency_id == record["id"]).order_by(a.c.kind, a.c.signed)
                )
            ]
            ids = [row["id"] for row in agreements]
            events = connection.execute(
                select(e, src.c.file, src.c.dataset)
                .outerjoin(src, src.c.id == e.c.source_id)
                .where(e.c.agreement_id.in_(ids))
                .order_by(e.c.date, e.c.id)
            ).all()
            aliases = list(
                connection.scalars(
                    select(t.agency_aliases.c.alias).where(t.agency_aliases.c.agency_id == record["id"])
                )
            )
        return {
            "agency": {**record, "aliases": aliases},
            "agreements": [_agreement_json({**row, "agency": row["agency_name"]}) for row in agreements],
            "events": [_event_json(row._mapping) for row in events],
        }

    def agreement(self, agreement_id: str) -> dict[str, Any]:
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
                select(e, src.c.file, src.c.dataset)
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

    def search(self, text: str, *, limit: int = 25) -> list[dict[str, Any]]:
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
        like = "%" + _escape_like(name.lower()) + "%"
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
        return [{"match": "jurisdiction", **row._mapping} for row in ranked_places[:limit]] + [
            {"match": "agency", **row._mapping} for row in ranked_agencies[:limit]
        ]

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
            # three indexed look-ups instead of one OR that would scan every agreement
            params = {"place_id": place["id"], "state": place["state"], "county": place["name"].lower()}
            lookups = [_BY_AGENCY_PLACE, _BY_PLACE]
            if place["level"] == "county":
                lookups += [_BY_AGENCY_COUNTY, _BY_AGENCY_COUNTY_ID]
            wanted = sorted({i for lookup in lookups for i in connection.scalars(lookup, params)})
            agreement_rows = connection.execute(_AGREEMENTS_IN, {"ids": wanted}).all()
            ids = [row.id for row in agreement_rows]
            event_rows = connection.execute(_EVENTS_OF, {"ids": ids}).all()
            scope = [place["id"]] + ([place["parent_id"]] if place["parent_id"] else [])
            fact_rows = connection.execute(_FACTS_IN, {"scope": scope}).all()
            lookup = _AGENCIES_OF_COUNTY if place["level"] == "county" else _AGENCIES_OF_PLACE
            agency_rows = connection.execute(lookup, {"place_id": place["id"]}).all()
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
        active = [r for r in agreements if r["status"] == "active"]
        by_agency: dict[str, list[dict[str, Any]]] = {}
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
            "summary": {
                "active_287g": {
                    k: sum(1 for r in active if r["model"] == k) for k in ("287g-jem", "287g-wso", "287g-tfm")
                },
                "agreements": len(agreements),
                "facility_agreements": sum(1 for r in agreements if r["model"] in ("igsa", "usms-iga")),
            },
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


def _escape_like(text: str) -> str:
    """LIKE's wildcards taken literally: a search for "100%" or "a_b" finds those characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    parent = select(j).where(j.c.id == bindparam("parent_id"))
    by_agency_place = (
        select(a.c.id).join(g, g.c.id == a.c.agency_id).where(g.c.jurisdiction_id == bindparam("place_id"))
    )
    by_place = select(a.c.id).where(a.c.jurisdiction_id == bindparam("place_id"))
    by_agency_county = (
        select(a.c.id)
        .join(g, g.c.id == a.c.agency_id)
        .where(g.c.state == bindparam("state"), func.lower(g.c.county) == bindparam("county"))
    )
    by_agency_county_id = (
        select(a.c.id).join(g, g.c.id == a.c.agency_id).where(g.c.county_id == bindparam("place_id"))
    )
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
        select(e, src.c.file, src.c.dataset)
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
    agencies_of_county = (
        select(*columns)
        .where(or_(g.c.county_id == bindparam("place_id"), g.c.jurisdiction_id == bindparam("place_id")))
        .order_by(g.c.origin, g.c.name)
    )
    return (
        parent,
        by_agency_place,
        by_place,
        by_agency_county,
        agreements_in,
        events_of,
        facts_in,
        agencies_of_place,
        agencies_of_county,
        by_agency_county_id,
    )


(
    _PARENT,
    _BY_AGENCY_PLACE,
    _BY_PLACE,
    _BY_AGENCY_COUNTY,
    _AGREEMENTS_IN,
    _EVENTS_OF,
    _FACTS_IN,
    _AGENCIES_OF_PLACE,
    _AGENCIES_OF_COUNTY,
    _BY_AGENCY_COUNTY_ID,
) = _place_statements()
