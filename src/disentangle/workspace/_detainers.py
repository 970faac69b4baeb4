"""Detainers: counting imported detainer tables into the registry (never a row about a person), and
reading them back per facility, agency, county, state or the nation, with practice against policy, the
"click and arrest" illustration and the program history."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select

from disentangle import assess
from disentangle.assess import (
    ClickArrestEstimate,
    CountRow,
    CountSource,
    Coverage,
    DetainerSeries,
    HistoryEvent,
    PracticeComparison,
)
from disentangle.errors import InputError, NotFoundError, SourceFormatError
from disentangle.model import Level, normalize_state
from disentangle.registry import tables as t
from disentangle.sources import detainers as npr
from disentangle.sources.detainer_places import DetainerPlaces, slug
from disentangle.sources.detainer_tables import DetainerTally, read_detainer_table
from disentangle.sources.facilities import CountyIndex, read_county_aor, read_facilities
from disentangle.workspace._importing import _sha256
from disentangle.workspace._judging import JudgeMixin
from disentangle.workspace._rows import _bulk, _inserted_id

NPR_FACILITIES = "npr-detainers-facilities"
NPR_NATIONAL = "npr-detainers-national"
NPR_FOLDER = "detainers-declined-npr"


@dataclass(slots=True)
class DetainerImport:
    """What an import of a detainer table counted (and that it stored nothing about a person)."""

    file: str
    dataset: str
    layout: str
    already_imported: bool
    rows_read: int = 0
    rows_counted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    first_month: str | None = None
    last_month: str | None = None
    facilities: int = 0
    facilities_placed: int = 0
    counts_stored: int = 0
    seconds: float = 0.0
    top: list[dict[str, Any]] = field(default_factory=list)  # the facilities with most detainers

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dataset": self.dataset,
            "layout": self.layout,
            "already_imported": self.already_imported,
            "rows_read": self.rows_read,
            "rows_counted": self.rows_counted,
            "rows_skipped": self.skipped,
            "first_month": self.first_month,
            "last_month": self.last_month,
            "facilities": self.facilities,
            "facilities_placed_in_a_county": self.facilities_placed,
            "counts_stored": self.counts_stored,
            "seconds": round(self.seconds, 2),
            "top_facilities": self.top,
        }


@dataclass(slots=True)
class DetainerReport:
    """The detainer page of one scope: its facilities, its years, and what is judged on them."""

    scope: str  # facility | agency | county | state | place | nation
    name: str
    key: str  # what the page is addressed by (a FIPS code, a facility slug, an ORI, "national")
    place: dict[str, Any] | None
    facilities: list[dict[str, Any]]
    series: DetainerSeries
    comparisons: list[PracticeComparison]
    click: ClickArrestEstimate | None
    timeline: list[HistoryEvent]
    datasets: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per year, for tables and CSV: counts named after what they count, and sources."""
        out = []
        for item in self.series.years:
            data = item.to_dict()
            out.append(
                {
                    "year": item.year,
                    "total": data.get("total"),
                    **{g.id: data.get(g.id) for g in assess.outcome_groups()},
                    "other_outcomes": data.get("other_outcomes"),
                    "no_lift_reason": data.get("no_lift_reason"),
                    "months": ", ".join(f"{m['month']:02d}:{m['total']}" for m in data.get("months", [])),
                    "forms": "; ".join(f"{k} {v}" for k, v in data.get("forms", {}).items()),
                    "note": None if item.has_data else "no data",
                    "source": assess.describe_sources(item.sources),
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": self.name,
            "key": self.key,
            "place": self.place,
            "facilities": self.facilities,
            "years": self.series.to_dict()["years"],
            "outcome_groups": self.series.to_dict()["outcome_groups"],
            "totals": self.series.totals(),
            "practice_against_policy": [c.to_dict() for c in self.comparisons],
            "click_and_arrest": self.click.to_dict() if self.click else None,
            "timeline": [event.to_dict() for event in self.timeline],
            "datasets": self.datasets,
            "notes": self.notes,
            "note_rows": [{"text": n, "translations": assess.note_translations(n)} for n in self.notes],
        }


class DetainersMixin(JudgeMixin):
    # ------------------------------------------------------------------ import

    def import_detainer_table(self, path: Path) -> DetainerImport:
        """Count a detainer table (the Deportation Data Project's release, or per-facility counts) into
        the registry in one transaction. The same file twice is a no-op that says so."""
        started = time.perf_counter()
        path = Path(path)
        tally = read_detainer_table(path)  # first: it says clearly what is wrong with the file
        digest = _sha256(path)
        dataset = "ddp-detainers" if tally.layout == "ddp" else "trac-detainers"
        with self.store.read() as connection:
            known = connection.execute(
                select(t.detainer_datasets.c.id).where(
                    t.detainer_datasets.c.dataset == dataset, t.detainer_datasets.c.sha256 == digest
                )
            ).first()
        report = DetainerImport(path.name, dataset, tally.layout, known is not None)
        if known is not None:
            return report
        if not len(tally.counts):
            raise SourceFormatError(
                "no detainer could be counted: every row lacks a prepare date or a facility", path
            )
        placer = DetainerPlaces.from_data(self.data_dir, self._county_names())
        coverage = assess.detainer_datasets()[dataset].coverage
        with self.store.transaction() as connection:
            dataset_id = _insert_dataset(connection, dataset, path.name, digest, tally, coverage)
            facility_ids, placed = _insert_facilities(
                connection, dataset_id, tally, placer, self._county_ids(connection)
            )
            stored = _insert_counts(connection, dataset_id, facility_ids, tally)
        totals: dict[int, int] = defaultdict(int)
        for facility, _y, _m, dimension, _label, n in tally.counts.rows():
            if dimension == "total":
                totals[facility] += n
        report.rows_read, report.rows_counted = tally.rows_read, tally.rows_counted
        report.skipped = dict(tally.skipped)
        report.first_month = tally.first.isoformat()[:7] if tally.first else None
        report.last_month = tally.last.isoformat()[:7] if tally.last else None
        report.facilities, report.facilities_placed, report.counts_stored = len(facility_ids), placed, stored
        top = sorted(totals.items(), key=lambda item: (-item[1], tally.facilities[item[0]]))[:10]
        report.top = [
            {"facility": f.name, "state": f.state, "slug": slug(f.name, f.state, f.code), "detainers": n}
            for f, n in ((tally.facilities[index], count) for index, count in top)
        ]
        report.seconds = time.perf_counter() - started
        return report

    # The bundled NPR tables are written by the registry rebuild (ImportMixin calls these two hooks).
    def _bundled_detainers_stale(self) -> bool:
        if not (self.data_dir / NPR_FOLDER).exists():
            return False
        with self.store.read() as connection:
            return (
                connection.scalar(
                    select(func.count())
                    .select_from(t.detainer_datasets)
                    .where(t.detainer_datasets.c.dataset.in_([NPR_FACILITIES, NPR_NATIONAL]))
                )
                != 2
            )

    def _write_bundled_detainers(self, connection: Connection) -> dict[str, int]:
        folder = self.data_dir / NPR_FOLDER
        old = select(t.detainer_datasets.c.id).where(
            t.detainer_datasets.c.dataset.in_([NPR_FACILITIES, NPR_NATIONAL])
        )
        old_ids = list(connection.scalars(old))
        connection.execute(delete(t.detainer_counts).where(t.detainer_counts.c.dataset_id.in_(old_ids)))
        connection.execute(
            delete(t.detainer_facilities).where(t.detainer_facilities.c.dataset_id.in_(old_ids))
        )
        connection.execute(delete(t.detainer_datasets).where(t.detainer_datasets.c.id.in_(old_ids)))
        if not folder.exists():
            return {}
        names = dict(
            connection.execute(
                select(t.jurisdictions.c.fips, t.jurisdictions.c.name).where(
                    t.jurisdictions.c.level == "county"
                )
            ).all()
        )
        index = CountyIndex(read_county_aor(self.data_dir))
        listed = read_facilities(self.data_dir, index)
        placer = DetainerPlaces.from_data(self.data_dir, names, listed, index)
        counties = self._county_ids(connection)
        declined = npr.read_detainers_declined(self.data_dir, listed, index)
        totals = npr.read_detainer_totals(self.data_dir)
        return _write_npr(connection, folder, declined, totals, placer, counties)

    # ------------------------------------------------------------------ read

    def detainers(
        self,
        target: str,
        *,
        period: tuple[int | None, int | None] = (None, None),
        rates: Mapping[str, Any] | None = None,
    ) -> DetainerReport:
        """The detainers of a place (county, state, city), a facility (slug, code or name) or an agency
        (ORI), year by year, with practice against policy, the click-and-arrest illustration and, for a
        county, its timeline."""
        needle = target.strip()
        if not needle:
            raise InputError("give a place, a facility or an agency (or --national)")
        place = self._find_jurisdiction(needle)
        if place is not None:
            return self._place_report(place, period, rates)
        facility = self._find_detainer_facility(needle)
        if facility is not None:
            rows = self._count_rows(t.detainer_facilities.c.slug == facility["slug"])
            series = assess.build_series("facility", facility["name"], rows)
            facilities = self._facility_list(t.detainer_facilities.c.slug == facility["slug"])
            return self._report(
                "facility", facility["name"], facility["slug"], None, facilities, series, [], period, rates
            )
        ori = needle.upper()
        with self.store.read() as connection:
            operated = connection.execute(
                select(t.detainer_facilities.c.operator)
                .where(t.detainer_facilities.c.operator_ori == ori)
                .limit(1)
            ).first()
        if operated is not None:
            where = t.detainer_facilities.c.operator_ori == ori
            name = str(operated.operator)
            series = assess.build_series("agency", name, self._count_rows(where))
            report = self._report(
                "agency", name, ori, None, self._facility_list(where), series, [], period, rates
            )
            report.notes.append(assess.detainer_note("agency-facilities"))
            return report
        raise NotFoundError(
            f"no place, detainer facility or agency matches {target!r}; "
            "try `disentangle search` or a FIPS code"
        )

    def detainers_national(
        self, *, period: tuple[int | None, int | None] = (None, None), rates: Mapping[str, Any] | None = None
    ) -> DetainerReport:
        """The nation's detainers: NPR's national tables (2007-2015) and the sum of every facility of the
        imported row-per-detainer datasets, year by year, with the program history."""
        d = t.detainer_datasets
        rows = self._count_rows(
            or_(
                t.detainer_counts.c.facility_id.is_(None),
                d.c.coverage.in_([Coverage.ALL.value, Coverage.LISTED.value]),
            )
        )
        series = assess.build_series("nation", "United States", rows)
        report = self._report("nation", "United States", "national", None, [], series, [], period, rates)
        report.timeline = list(assess.program_history())
        return report

    def detainer_contradictions(self) -> list[PracticeComparison]:
        """Every comparison of a place's detainer policy with its jails' records that the records
        contradict, over all places with a policy that declines or limits detainers."""
        found = []
        for fips in self._places_with_policy():
            place = self._find_jurisdiction(fips)
            if place is None:
                continue
            for comparison in self._comparisons(place, self._place_series(place)):
                if comparison.verdict is assess.Verdict.CONTRADICTS:
                    found.append(comparison)
        return found

    def detainer_facilities(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every facility the detainer datasets name (in a state), with its county and operator."""
        code = normalize_state(state) if state else None
        if state and code is None:
            raise InputError(f"unknown state {state!r}")
        return self._facility_list(t.detainer_facilities.c.state == code if code else None)

    # ------------------------------------------------------------------ parts

    def _place_report(
        self, place: dict[str, Any], period: tuple[int | None, int | None], rates: Mapping[str, Any] | None
    ) -> DetainerReport:
        series = self._place_series(place)
        where = self._place_filter(place)
        facilities = self._facility_list(where) if where is not None else []
        comparisons = self._comparisons(place, series) if place["level"] == "county" else []
        name = f"{place['name']}, {place['state']}" if place["level"] != "state" else place["name"]
        report = self._report(
            str(place["level"]),
            name,
            str(place["fips"] or place["id"]),
            place,
            facilities,
            series,
            comparisons,
            period,
            rates,
        )
        if place["level"] not in ("county", "state"):
            report.notes.append(assess.detainer_note("tied-to-counties"))
        if place["level"] == "county":
            report.timeline = assess.place_timeline(self._place_events(place, comparisons))
        return report

    def _place_series(self, place: dict[str, Any]) -> DetainerSeries:
        where = self._place_filter(place)
        rows = self._count_rows(where) if where is not None else []
        return assess.build_series(str(place["level"]), str(place["name"]), rows)

    def _place_filter(self, place: dict[str, Any]) -> Any:
        f = t.detainer_facilities
        if place["level"] == "county":
            return f.c.jurisdiction_id == place["id"]
        if place["level"] == "state":
            return f.c.state == place["state"]
        return None

    def _report(
        self,
        scope: str,
        name: str,
        key: str,
        place: dict[str, Any] | None,
        facilities: list[dict[str, Any]],
        series: DetainerSeries,
        comparisons: list[PracticeComparison],
        period: tuple[int | None, int | None],
        rates: Mapping[str, Any] | None,
    ) -> DetainerReport:
        click = _click(name, series, period, rates)
        report = DetainerReport(
            scope, name, key, place, facilities, series, comparisons, click, [], self._datasets()
        )
        if any(y.coverage is Coverage.DECLINED_ONLY for y in series.years):
            report.notes.append(assess.detainer_note("declined-only"))
        if not series.has_data:
            report.notes.append(assess.detainer_note("no-data"))
        return report

    def _comparisons(self, place: dict[str, Any], series: DetainerSeries) -> list[PracticeComparison]:
        claims = assess.claims_from_state_law(assess.inherited_law(place["state"], Level(place["level"])))
        claims += assess.claims_from_local_policies(place.get("fips"))
        name = f"{place['name']}, {place['state']}"
        return assess.compare_practice(name, place["id"], claims, series)

    def _places_with_policy(self) -> list[str]:
        states = sorted(
            code for code, laws in assess.load_state_laws().items() if assess.claims_from_state_law(laws)
        )
        f, c = t.detainer_facilities, t.detainer_counts
        with self.store.read() as connection:
            fips = set(
                connection.scalars(
                    select(f.c.county_fips)
                    .where(f.c.state.in_(states), f.c.county_fips.is_not(None))
                    .where(f.c.id.in_(select(c.c.facility_id)))
                    .distinct()
                )
            )
        return sorted(fips | set(assess.local_policy_places()))

    def _place_events(
        self, place: dict[str, Any], comparisons: Sequence[PracticeComparison]
    ) -> list[HistoryEvent]:
        events = []
        with self.store.read() as connection:
            rows = connection.execute(
                select(t.facts.c.date, t.facts.c.value, t.sources.c.file)
                .join(t.sources, t.sources.c.id == t.facts.c.source_id)
                .where(
                    t.facts.c.jurisdiction_id == place["id"], t.facts.c.kind == "secure_communities_activated"
                )
            ).all()
        activation_source = assess.history_source("sc-activation-data")
        for row in rows:
            month = (row.value or {}).get("month") or (row.date.isoformat()[:7] if row.date else None)
            if month:
                events.append(
                    assess.built_event(
                        "sc-activated-here",
                        month,
                        "secure-communities",
                        "sc-activated-here",
                        None,
                        (activation_source,),
                        name=str(place["name"]),
                        place=True,
                    )
                )
        seen = set()
        for comparison in comparisons:
            claim = comparison.policy
            if claim.in_force_from is None or claim.label in seen:
                continue
            seen.add(claim.label)
            events.append(
                assess.built_event(
                    f"policy-{len(seen)}",
                    claim.in_force_from.isoformat(),
                    "detainer-policy",
                    "policy-in-force",
                    claim.quote,
                    ({"title": claim.citation, "url": claim.source or ""},),
                    name=claim.label,
                    stance=claim.stance,
                    place=True,
                    keep_name=True,
                )
            )
        return events

    def _count_rows(self, where: Any) -> list[CountRow]:
        c, d, f = t.detainer_counts, t.detainer_datasets, t.detainer_facilities
        keys = (
            c.c.dataset_id, c.c.year, c.c.month, c.c.dimension, c.c.label, c.c.note, c.c.source_file,
            c.c.source_row, d.c.dataset, d.c.coverage, d.c.first_month, d.c.last_month, d.c.file,
            d.c.rows_counted,
        )  # fmt: skip
        query = (
            select(*keys, func.sum(c.c.count).label("n"))
            .select_from(c.join(d, d.c.id == c.c.dataset_id).outerjoin(f, f.c.id == c.c.facility_id))
            .group_by(*keys)
        )
        if where is not None:
            query = query.where(where)
        infos = assess.detainer_datasets()
        out = []
        with self.store.read() as connection:
            for row in connection.execute(query):
                info = infos.get(row.dataset)
                source = CountSource(
                    dataset=row.dataset,
                    file=row.source_file or row.file,
                    row=row.source_row,
                    label=info.label if info else row.dataset,
                    url=info.url if info else None,
                    rows_counted=None if row.source_file else row.rows_counted,
                )
                out.append(
                    CountRow(
                        row.dataset_id,
                        row.dataset,
                        Coverage(row.coverage),
                        row.first_month,
                        row.last_month,
                        row.dataset_id,
                        row.year,
                        row.month,
                        row.dimension,
                        row.label,
                        int(row.n),
                        row.note,
                        source,
                    )
                )
        return out

    def _facility_list(self, where: Any) -> list[dict[str, Any]]:
        f, c = t.detainer_facilities, t.detainer_counts
        query = select(
            f.c.slug,
            f.c.name,
            f.c.code,
            f.c.city,
            f.c.state,
            f.c.county_fips,
            f.c.jurisdiction_id,
            f.c.link_rule,
            f.c.operator,
            f.c.operator_ori,
            f.c.operator_rule,
            select(func.coalesce(func.sum(c.c.count), 0))
            .where(c.c.facility_id == f.c.id, c.c.dimension == "total")
            .scalar_subquery()
            .label("detainers"),
            select(func.coalesce(func.sum(c.c.count), 0))
            .where(
                c.c.facility_id == f.c.id,
                c.c.dimension == "lift_reason",
                c.c.label == npr.DECLINED_REASON,
                c.c.note.is_(None),
            )
            .scalar_subquery()
            .label("declined"),
        )
        if where is not None:
            query = query.where(where)
        merged: dict[str, dict[str, Any]] = {}
        with self.store.read() as connection:
            for row in connection.execute(query.order_by(f.c.state, f.c.name)):
                entry = merged.setdefault(
                    row.slug, {**row._mapping, "detainers": 0, "declined": 0, "names": []}
                )
                entry["detainers"] += int(row.detainers or 0)
                entry["declined"] += int(row.declined or 0)
                if row.name not in entry["names"]:
                    entry["names"].append(row.name)
        return sorted(merged.values(), key=lambda e: (-e["detainers"], -e["declined"], e["name"]))

    def _find_detainer_facility(self, needle: str) -> dict[str, Any] | None:
        f = t.detainer_facilities
        key = slug(needle, None, needle) if " " not in needle else None
        with self.store.read() as connection:
            row: Any = None
            if key:
                row = connection.execute(select(f.c.slug, f.c.name).where(f.c.slug == key).limit(1)).first()
            if row is None:
                rows = connection.execute(
                    select(f.c.slug, f.c.name, f.c.state)
                    .where(
                        or_(func.upper(f.c.name) == needle.upper(), func.upper(f.c.code) == needle.upper())
                    )
                    .distinct()
                ).all()
                slugs = sorted({r.slug for r in rows})
                if len(slugs) > 1:
                    raise InputError(
                        f"{needle!r} names several facilities: {', '.join(slugs[:8])}; give one of these keys"
                    )
                row = rows[0] if rows else None
        return {"slug": row.slug, "name": row.name} if row is not None else None

    def _datasets(self) -> list[dict[str, Any]]:
        infos = assess.detainer_datasets()
        d = t.detainer_datasets
        with self.store.read() as connection:
            rows = connection.execute(select(d).order_by(d.c.id)).all()
        out = []
        for row in rows:
            info = infos.get(row.dataset)
            out.append(
                {
                    "dataset": row.dataset,
                    "label": info.label if info else row.dataset,
                    "publisher": info.publisher if info else None,
                    "url": info.url if info else None,
                    "file": row.file,
                    "coverage": row.coverage,
                    "rows_counted": row.rows_counted,
                    "first_month": row.first_month.isoformat()[:7] if row.first_month else None,
                    "last_month": row.last_month.isoformat()[:7] if row.last_month else None,
                    "translations": info.translations if info else {},
                }
            )
        return out

    def _county_names(self) -> dict[str, str]:
        j = t.jurisdictions
        with self.store.read() as connection:
            return dict(connection.execute(select(j.c.fips, j.c.name).where(j.c.level == "county")).all())

    @staticmethod
    def _county_ids(connection: Connection) -> dict[str, str]:
        j = t.jurisdictions
        return dict(connection.execute(select(j.c.fips, j.c.id).where(j.c.level == "county")).all())


# ------------------------------------------------------------------------------------------ helpers
def _insert_dataset(
    connection: Connection,
    dataset: str,
    file: str,
    digest: str,
    tally: DetainerTally | None,
    coverage: Coverage,
    *,
    first: date | None = None,
    last: date | None = None,
    rows: int = 0,
) -> int:
    result = connection.execute(
        insert(t.detainer_datasets).values(
            dataset=dataset,
            file=file,
            sha256=digest,
            layout=tally.layout if tally else "npr",
            fiscal=int(tally.fiscal) if tally else 0,
            rows_read=tally.rows_read if tally else rows,
            rows_counted=tally.rows_counted if tally else rows,
            skipped=dict(tally.skipped) if tally else {},
            first_month=tally.first if tally else first,
            last_month=tally.last if tally else last,
            coverage=coverage.value,
            imported_at=datetime.now(UTC),
        )
    )
    return _inserted_id(result)


def _insert_counts(
    connection: Connection, dataset_id: int, facility_ids: list[int], tally: DetainerTally, chunk: int = 20000
) -> int:
    """The tally's counts, written in chunks straight to the driver: a release makes hundreds of thousands
    of them, and building a statement's parameters per row would cost more than the database's work."""
    names = ("dataset_id", "facility_id", "year", "month", "dimension", "label", "count")
    sql = _driver_insert(connection, "detainer_counts", names)
    stored = 0
    batch: list[tuple[Any, ...]] = []
    for facility, year, month, dimension, label, n in tally.counts.rows():
        batch.append(
            (dataset_id, facility_ids[facility], year, month, dimension, label[:300] if label else None, n)
        )
        if len(batch) >= chunk:
            connection.exec_driver_sql(sql, batch)
            stored += len(batch)
            batch = []
    if batch:
        connection.exec_driver_sql(sql, batch)
        stored += len(batch)
    return stored


def _driver_insert(connection: Connection, table: str, columns: Sequence[str]) -> str:
    """An INSERT in the driver's own parameter style (SQLite's ?, psycopg's %s)."""
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    quoted = ", ".join(f'"{name}"' for name in columns)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(marker for _ in columns)})'


def _insert_facilities(
    connection: Connection,
    dataset_id: int,
    tally: DetainerTally,
    placer: DetainerPlaces,
    counties: dict[str, str],
) -> tuple[list[int], int]:
    """Each facility of the tally, placed and written at once; their ids in the tally's facility order."""
    rows = []
    for facility in tally.facilities:
        where = placer.place(facility.name, facility.city, facility.state, facility.code)
        rows.append(
            _facility_row(
                dataset_id, facility.name, facility.code, facility.city, facility.state, where, counties
            )
        )
    _bulk(connection, t.detainer_facilities, rows)
    f = t.detainer_facilities
    ids = list(connection.scalars(select(f.c.id).where(f.c.dataset_id == dataset_id).order_by(f.c.id)))
    return ids, sum(1 for row in rows if row["county_fips"])


def _facility_row(
    dataset_id: int,
    name: str,
    code: str | None,
    city: str | None,
    state: str | None,
    where: Any,
    counties: dict[str, str],
) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "slug": slug(name, state, code or where.detloc),
        "name": name[:300],
        "code": code,
        "city": city,
        "state": state,
        "county_fips": where.county_fips,
        "jurisdiction_id": counties.get(where.county_fips) if where.county_fips else None,
        "link_rule": where.link_rule,
        "link_score": where.link_score,
        "detloc": where.detloc,
        "operator": where.operator,
        "operator_ori": where.operator_ori,
        "operator_rule": where.operator_rule,
    }


def _write_npr(
    connection: Connection,
    folder: Path,
    declined: Sequence[npr.DetainerCount],
    totals: Sequence[npr.DetainerTotal],
    placer: DetainerPlaces,
    counties: dict[str, str],
) -> dict[str, int]:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")):
        digest.update(path.read_bytes())
    months = [date(x.year, x.month, 1) for x in totals if x.month]
    facility_set = _insert_dataset(
        connection,
        NPR_FACILITIES,
        npr.DECLINED_FILE,
        digest.hexdigest(),
        None,
        Coverage.DECLINED_ONLY,
        first=min(months, default=None),
        last=max(months, default=None),
        rows=len(declined),
    )
    national_set = _insert_dataset(
        connection,
        NPR_NATIONAL,
        f"{NPR_FOLDER}/",
        digest.hexdigest(),
        None,
        Coverage.NATIONAL,
        first=min(months, default=None),
        last=max(months, default=None),
        rows=len(totals),
    )
    ids: dict[tuple[str, str | None, str | None], int] = {}
    rows: list[dict[str, Any]] = []
    for record in declined:
        key = (record.facility, record.city, record.state)
        if key not in ids:
            where = placer.place(record.facility, record.city, record.state, None)
            row = _facility_row(
                facility_set, record.facility, None, record.city, record.state, where, counties
            )
            ids[key] = _inserted_id(connection.execute(insert(t.detainer_facilities).values(**row)))
        base = {
            "dataset_id": facility_set,
            "facility_id": ids[key],
            "year": record.year,
            "month": None,
            "dimension": "lift_reason",
            "source_file": record.source.file,
            "source_row": record.source.row,
        }
        rows.append({**base, "label": npr.DECLINED_REASON, "count": record.declined, "note": None})
        if record.other_outcomes is not None:
            note = "pooled" if record.other_pooled else "other-than-declined"
            rows.append({**base, "label": None, "count": record.other_outcomes, "note": note})
    dimension = {"issued": "total", "lift-reason": "lift_reason", "detainer-type": "type"}
    for total in totals:
        rows.append(
            {
                "dataset_id": national_set,
                "facility_id": None,
                "year": total.year,
                "month": total.month,
                "dimension": dimension[total.measure],
                "label": total.label,
                "count": total.count,
                "note": None,
                "source_file": total.source.file,
                "source_row": total.source.row,
            }
        )
    _bulk(connection, t.detainer_counts, rows)
    return {"detainer_facilities": len(ids), "detainer_counts": len(rows)}


def _click(
    name: str, series: DetainerSeries, period: tuple[int | None, int | None], rates: Mapping[str, Any] | None
) -> ClickArrestEstimate | None:
    start, end = period
    years = [
        y
        for y in series.years
        if y.has_data and (start is None or y.year >= start) and (end is None or y.year <= end)
    ]
    if not years:
        return None
    known = [y for y in years if y.total is not None]
    if known:
        count, what = (
            sum(y.total or 0 for y in known),
            assess.click_arrest_knowledge().counted_text("detainers"),
        )
    else:
        count = sum((y.outcome("declined") or 0) + (y.other_outcomes or 0) for y in years)
        what = assess.click_arrest_knowledge().counted_text("outcomes")
    citizens = [y.outcome("us_citizen") for y in years if y.outcome("us_citizen") is not None]
    label = f"{years[0].year}–{years[-1].year}" if len(years) > 1 else str(years[0].year)
    observed = sum(c or 0 for c in citizens) if citizens else None
    return assess.click_arrest(name, label, count, rates, counted=what, observed_us_citizen=observed)
