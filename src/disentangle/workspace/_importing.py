"""Building the registry from the bundled data and newly published ICE sheets, one transaction each."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, insert, select

from disentangle.errors import InputError, SourceFormatError
from disentangle.model import AgencyOrigin, AgreementStatus, CountyScope, Event, EventRecord, QACheck
from disentangle.registry import tables as t
from disentangle.sources import counties, ice_archive, ice_history, ice_sheets
from disentangle.sources import places as places_stage
from disentangle.sources.places import FBI_ROSTER
from disentangle.sources.roster import RosterReport
from disentangle.workspace._base import Progress
from disentangle.workspace._found import project_found
from disentangle.workspace._qa import QAMixin
from disentangle.workspace._rows import (
    _bulk,
    _event_json,
    _inserted_id,
    _safe_name,
)

T = TypeVar("T")

# Tables an import rebuilds, children first (the order deletes run in).
_DATA_TABLES = (
    t.agency_counties,
    t.facts,
    t.snapshot_rows,
    t.snapshots,
    t.events,
    t.pending_requests,
    t.agreements,
    t.agency_aliases,
    t.agencies,
    t.jurisdictions,
    t.sources,
)

# Reference datasets beside the ICE sheets: (dataset, glob under the data dir). Any may be absent.
_REFERENCE_FILES = (
    ("ocd-division-ids", "ocd-division-ids/*.csv"),
    ("fbi-lee", "287g-watch/fbi_lee_latest.csv"),
    ("icpsr-287g", "ice-287g-2025/agreements_icpsr_merged.csv"),
    ("secure-communities", "secure-communities/*.csv"),
    ("ice-facilities", "ice-facilities/*.psv.gz"),
    ("ice-facilities", "ice-facilities/county_aor.csv"),
    ("npr-detainers", "detainers-declined-npr/*.csv"),
    ("dhs-sanctuary-list", "dhs-sanctuary-list/*.txt"),
    ("historical-287g", "historical-287g/*.csv"),
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    dataset: str
    path: Path
    name: str  # relative to the data dir, for provenance
    sha256: str


@dataclass(slots=True)
class ImportReport:
    changed: bool
    seconds: float
    files: int
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    qa: list[QACheck] = field(default_factory=list)  # the registry's invariants after this import


@dataclass(slots=True)
class SheetDiff:
    """What a newly published ICE sheet changed, as events."""

    file: str
    captured: date
    list_kind: str
    rows: int
    already_imported: bool
    events: list[EventRecord] = field(default_factory=list)
    sha256: str = ""  # the workbook's content hash

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for event in self.events:
            out[event["kind"]] = out.get(event["kind"], 0) + 1
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ImportMixin(QAMixin):
    # ------------------------------------------------------------------ import

    def source_files(self) -> list[SourceFile]:
        """Every file a full import reads, with its dataset name and content hash."""
        data = self.data_dir
        found: list[tuple[str, Path, str]] = []
        for pattern, dataset in (
            ("ice-287g-monthly/participating_monthly/*.xlsx", "ice-287g"),
            ("ice-287g-monthly/pending_monthly/*.xlsx", "ice-287g"),
            ("ice-287g-2025/sheets/*.xlsx", "ice-287g"),
        ):
            for path in sorted(data.glob(pattern)):
                found.append((dataset, path, path.relative_to(data).as_posix()))
        if self.sheets_dir.exists():
            for path in sorted(self.sheets_dir.glob("*.xlsx")):
                found.append(("ice-287g", path, f"workspace/sheets/{path.name}"))
        for dataset, pattern in _REFERENCE_FILES:
            for path in sorted(data.glob(pattern)):
                found.append((dataset, path, path.relative_to(data).as_posix()))
        if not found:
            raise InputError("no ICE workbooks found in the bundled data", data)
        return [SourceFile(dataset, path, name, _sha256(path)) for dataset, path, name in found]

    def import_bundled(self, *, progress: Progress | None = None, force: bool = False) -> ImportReport:
        """Build the registry from the bundled data. A no-op (and says so) when nothing changed."""
        started = time.perf_counter()
        files = self.source_files()
        with self.store.read() as connection:
            recorded = {
                (row.file, row.sha256)
                for row in connection.execute(select(t.sources.c.file, t.sources.c.sha256))
            }
        current = recorded == {(f.name, f.sha256) for f in files}
        if not force and current and not self._bundled_detainers_stale():
            return ImportReport(False, time.perf_counter() - started, len(files))
        steps = ["read ICE sheets", "replay history", "write registry"]
        tick = progress or (lambda _step, _done, _total: None)

        sheet_files = [f for f in files if f.dataset == "ice-287g"]
        # The workbooks are read in worker processes while this one reads the places, which do not depend
        # on them: the two largest steps of an import overlap on a machine's cores.
        with _sheet_readers(len(sheet_files)) as pool:
            pending = [
                pool.submit(ice_sheets.read_sheet, source.path, name=source.name) for source in sheet_files
            ]
            base = places_stage.prepare_places(self.data_dir)
            sheets = []
            for index, future in enumerate(pending):
                sheets.append(future.result())
                tick(steps[0], index + 1, len(sheet_files))
        history = ice_history.build_history(sheets)
        tick(steps[1], 1, 2)
        agencies = ice_history.agencies_of(history)
        places = places_stage.build_places(self.data_dir, agencies, _on_sheets(history, agencies), base)
        tick(steps[1], 2, 2)
        with self.store.transaction() as connection:
            for table in _DATA_TABLES:
                connection.execute(delete(table))
            source_ids = _insert_sources(connection, files)
            _bulk(connection, t.jurisdictions, [_jurisdiction_row(j) for j in places.jurisdictions])
            placed = places.placements.by_agency
            counts = _write_history(
                connection, history, agencies, source_ids, places.links, places.roster, placed
            )
            counts.update(_write_roster(connection, places.roster, source_ids, placed))
            counts.update(_write_programs(connection, places, source_ids))
            counts.update(_write_counties(connection, places.placements))
            counts.update(_write_early(connection, places.early, source_ids))
            counts.update(project_found(connection))
            counts.update(self._write_bundled_detainers(connection))
            counts["jurisdictions"] = len(places.jurisdictions)
        tick(steps[2], 1, 1)
        qa = self.qa()
        return ImportReport(True, time.perf_counter() - started, len(files), counts, places.notes, qa)

    def import_ice_sheet(self, path: Path, *, captured: date | None = None) -> SheetDiff:
        """Diff a newly published ICE workbook against the registry and store it as events."""
        path = Path(path)
        sheet = ice_sheets.read_sheet(path, captured=captured)
        with self.store.read() as connection:
            known = connection.execute(
                select(t.sources.c.file).where(t.sources.c.sha256 == sheet.sha256)
            ).first()
        if known is not None:
            return SheetDiff(
                sheet.file, sheet.captured, sheet.list, len(sheet.rows), True, sha256=sheet.sha256
            )
        self.sheets_dir.mkdir(parents=True, exist_ok=True)
        stored_name = f"{sheet.captured:%Y%m%d}__{sheet.sha256[:12]}__{_safe_name(path.name)}"
        target = self.sheets_dir / stored_name
        temporary = target.with_suffix(".part")
        shutil.copyfile(path, temporary)
        os.replace(temporary, target)
        try:
            # The stored copy's name must still tell the date and list the sheet was read with.
            if ice_sheets.capture_date_from_name(stored_name) != sheet.captured:
                raise SourceFormatError("stored sheet name lost its capture date", target)
            report = self.import_bundled(force=True)
        except Exception:
            target.unlink(missing_ok=True)
            raise
        del report
        with self.store.read() as connection:
            rows = connection.execute(
                select(t.events, t.sources.c.file, t.sources.c.retrieved)
                .join(t.sources, t.sources.c.id == t.events.c.source_id)
                .where(t.sources.c.file == f"workspace/sheets/{stored_name}")
                .order_by(t.events.c.kind, t.events.c.agreement_id)
            ).all()
        return SheetDiff(
            sheet.file,
            sheet.captured,
            sheet.list,
            len(sheet.rows),
            False,
            [_event_json(row._mapping) for row in rows],
            sha256=sheet.sha256,
        )


# Worker processes that read ICE's workbooks during an import; a small import reads them here.
SHEET_READERS = 2
_POOL_FROM = 8  # workbooks: fewer are read faster than a worker process starts


def _sheet_readers(count: int) -> Executor:
    """Where an import reads ICE's workbooks: worker processes started clean (forkserver: never a copy of
    a threaded server), or this process for a handful of sheets."""
    if count < _POOL_FROM or (os.cpu_count() or 1) < 2:
        return _InProcess()
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(SHEET_READERS, mp_context=multiprocessing.get_context(method))


class _InProcess(Executor):
    """An executor that runs each call at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _insert_sources(connection: Connection, files: Sequence[SourceFile]) -> dict[str, int]:
    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    for source in files:
        captured = ice_sheets.capture_date_from_name(source.path.name)
        result = connection.execute(
            insert(t.sources).values(
                dataset=source.dataset,
                file=source.name,
                sha256=source.sha256,
                retrieved=captured,
                imported_at=now,
            )
        )
        ids[source.name] = _inserted_id(result)
    return ids


def _write_history(
    connection: Connection,
    history: ice_history.History,
    agencies: Iterable[ice_history.TrackedAgency],
    source_ids: dict[str, int],
    links: dict[str, Any],
    roster: RosterReport,
    placed: dict[str, counties.Placement],
) -> dict[str, int]:
    agency_of: dict[str, str] = {}
    agency_rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    merged = {agency_id: record for record in roster.records for agency_id in record.merged_into}
    for agency in agencies:
        link = links.get(agency.id)
        fbi = merged.get(agency.id)
        agency_rows.append(
            {
                "id": agency.id,
                "name": agency.name,
                "state": agency.state,
                "type": link.agency_type if link else "unknown",
                "county": agency.county,
                "ori": link.ori if link else None,
                "jurisdiction_id": link.jurisdiction_id if link else None,
                "link_rule": f"{link.rule}; ori: {link.ori_rule}" if link else None,
                "county_id": _one_county(placed.get(agency.id)),
                "officers": fbi.officers if fbi else None,
                "population": fbi.population if fbi else None,
                "origin": AgencyOrigin.ICE_LIST.value,
            }
        )
        names = dict.fromkeys([*agency.names, *((fbi.name, *fbi.aliases) if fbi else ())])
        alias_rows.extend({"agency_id": agency.id, "alias": name} for name in names)
        for agreement_id in agency.agreement_ids:
            agency_of[agreement_id] = agency.id
        for pending_id in agency.pending_ids:
            agency_of[pending_id] = agency.id
    _bulk(connection, t.agencies, agency_rows)
    _bulk(connection, t.agency_aliases, alias_rows)

    agreement_rows = []
    for a in history.agreements.values():
        source = a.source
        agreement_rows.append(
            {
                "id": a.id,
                "kind": a.kind.value,
                "agency_id": agency_of[a.id],
                "state": a.state,
                "agency_name": a.name,
                "signed": a.signed,
                "status": a.status.value,
                "first_seen": a.first_seen,
                "last_seen": a.last_seen,
                "addendum": a.addendum,
                "document_url": a.moa_url,
                "county": a.county,
                "jurisdiction_id": links[agency_of[a.id]].jurisdiction_id
                if agency_of[a.id] in links
                else None,
                "source_id": source_ids[source.file] if source else None,
                "source_row": source.row if source else None,
                "details": {
                    "names": a.names,
                    "supersedes": a.supersedes,
                    "superseded_by": a.superseded_by,
                    "addendum_url": a.addendum_url,
                    "agency_type": a.agency_type,
                },
            }
        )
    _bulk(connection, t.agreements, agreement_rows)
    _bulk(connection, t.events, [_event_row(event, source_ids) for event in history.events])

    snapshot_ids: dict[str, int] = {}
    for sheet in history.snapshots:
        result = connection.execute(
            insert(t.snapshots).values(
                list=sheet.list,
                captured=sheet.captured,
                source_id=source_ids[sheet.file],
                rows=len(sheet.rows),
            )
        )
        snapshot_ids[sheet.file] = _inserted_id(result)
    membership_rows = [
        {
            "snapshot_id": snapshot_ids[m.file],
            "row": m.row,
            "agreement_id": m.agreement_id,
            "state": m.state,
            "kind": m.kind.value,
            "agency": m.agency,
            "signed": m.signed,
        }
        for m in history.memberships
    ]
    _bulk(connection, t.snapshot_rows, membership_rows)
    pending_rows = [
        {
            "id": p.id,
            "agency_id": agency_of.get(p.id),
            "state": p.state,
            "kind": p.kind.value,
            "agency_name": p.name,
            "first_seen": p.first_seen,
            "last_seen": p.last_seen,
            "outcome": p.outcome,
            "agreement_id": p.agreement_id,
        }
        for p in history.pending.values()
    ]
    _bulk(connection, t.pending_requests, pending_rows)
    return {
        "agencies": len(agency_rows),
        "agreements": len(agreement_rows),
        "events": len(history.events),
        "snapshots": len(snapshot_ids),
        "snapshot_rows": len(membership_rows),
        "pending_requests": len(pending_rows),
    }


def _write_roster(
    connection: Connection,
    roster: RosterReport,
    source_ids: dict[str, int],
    placed: dict[str, counties.Placement],
) -> dict[str, int]:
    """The FBI roster's agencies that are not on ICE's lists (those that are were merged above)."""
    source_id = source_ids.get(FBI_ROSTER)
    rows: list[dict[str, Any]] = []
    aliases: list[dict[str, Any]] = []
    for record in roster.records:
        if record.merged_into:
            continue
        rows.append(
            {
                "id": record.id,
                "name": record.name,
                "state": record.state,
                "type": record.type_id,
                "county": record.county,
                "ori": record.ori,
                "jurisdiction_id": record.jurisdiction_id,
                "link_rule": f"fbi roster: {record.rule}",
                "source_id": source_id,
                "county_id": _one_county(placed.get(record.id)),
                "officers": record.officers,
                "population": record.population,
                "origin": AgencyOrigin.FBI_ROSTER.value,
            }
        )
        aliases.extend({"agency_id": record.id, "alias": alias} for alias in record.aliases)
    _bulk(connection, t.agencies, rows)
    _bulk(connection, t.agency_aliases, aliases)
    return {"roster_agencies": len(rows), "roster_merged": roster.merged}


def _jurisdiction_row(j: Any) -> dict[str, Any]:
    return {
        "id": j.id,
        "name": j.name,
        "level": j.level.value,
        "state": j.state,
        "fips": j.fips,
        "parent_id": j.parent_id,
    }


def _write_programs(connection: Connection, places: Any, source_ids: dict[str, int]) -> dict[str, int]:
    """Facility agreements (IGSA, USMS IGA) with their facilities as agencies, and dated program facts."""

    def source_id(source: Any) -> int | None:
        return source_ids.get(source.file)

    facility_agencies, facility_agreements = [], []
    for record in places.facility_agreements:
        county_id = _one_county(places.placements.by_agency.get(record.agency_id))
        facility_agencies.append(
            {
                "id": record.agency_id,
                "name": record.name,
                "state": record.state,
                "type": "detention",
                "county": record.county,
                "jurisdiction_id": county_id,
                "link_rule": record.rule,
                "source_id": source_id(record.source),
                "county_id": county_id,
                "origin": AgencyOrigin.FACILITY_LIST.value,
            }
        )
        facility_agreements.append(
            {
                "id": record.agreement_id,
                "kind": record.kind,
                "agency_id": record.agency_id,
                "state": record.state,
                "agency_name": record.name,
                "signed": None,
                "status": "listed",
                "first_seen": record.first_use,
                "last_seen": record.last_use,
                "county": record.county,
                "jurisdiction_id": county_id,
                "source_id": source_id(record.source),
                "source_row": record.source.row,
                "details": record.details,
            }
        )
    _bulk(connection, t.agencies, facility_agencies)
    _bulk(connection, t.agreements, facility_agreements)
    fact_rows = [
        {
            "jurisdiction_id": fact.jurisdiction_id,
            "kind": fact.kind,
            "value": fact.value,
            "date": fact.date,
            "source_id": source_id(fact.source),
            "source_row": fact.source.row,
        }
        for fact in places.facts
    ]
    _bulk(connection, t.facts, fact_rows)
    return {"facility_agreements": len(facility_agreements), "facts": len(fact_rows)}


def _on_sheets(
    history: ice_history.History, agencies: Iterable[ice_history.TrackedAgency]
) -> list[ice_archive.RegistryAgreement]:
    """The agreements of ICE's lists with their agencies: what an earlier record may be an event of."""
    return [
        ice_archive.RegistryAgreement(a, agency.id, history.agreements[a].kind, history.agreements[a].signed)
        for agency in agencies
        for a in agency.agreement_ids
    ]


def _write_early(
    connection: Connection, early: ice_archive.History, source_ids: dict[str, int]
) -> dict[str, int]:
    """Agreements known only from records older than ICE's lists, and the dated events those records add
    to agreements old and new. A person's recorded actions are projected later (project_found)."""
    dates: dict[str, list[date]] = {}
    for event in early.events:
        dates.setdefault(event.agreement_id, []).append(event.date)
    names = dict(
        connection.execute(
            select(t.agencies.c.id, t.agencies.c.name).where(
                t.agencies.c.id.in_({a.agency_id for a in early.agreements})
            )
        ).all()
    )
    rows = [
        {
            "id": a.id,
            "kind": a.kind.value,
            "agency_id": a.agency_id,
            "state": a.state,
            "agency_name": names.get(a.agency_id, a.agency_name),
            "signed": a.signed,
            "status": AgreementStatus.HISTORICAL.value,
            "first_seen": min(dates.get(a.id, [None]), key=lambda d: d or date.max),
            "last_seen": max(dates.get(a.id, [None]), key=lambda d: d or date.min),
            "source_id": source_ids.get(a.source.file),
            "source_row": a.source.row,
            "details": {
                "printed": a.agency_name,
                "documents": a.documents,
                "requested_only": a.requested,
            },
        }
        for a in early.agreements
        if a.agency_id in names
    ]
    _bulk(connection, t.agreements, rows)
    kept = {row["id"] for row in rows} | set(connection.scalars(select(t.agreements.c.id)))
    events = [
        {
            "agreement_id": e.agreement_id,
            "kind": e.kind.value,
            "date": e.date,
            "source_id": source_ids.get(e.source.file),
            "source_row": e.source.row,
            "detail": e.detail,
        }
        for e in early.events
        if e.agreement_id in kept
    ]
    _bulk(connection, t.events, events)
    return {"early_agreements": len(rows), "early_events": len(events)}


def _one_county(placement: counties.Placement | None) -> str | None:
    """The agency's county when it is counted in exactly one."""
    if placement is None or placement.scope is not CountyScope.COUNTY:
        return None
    return placement.counties[0]


def _write_counties(connection: Connection, placements: counties.Placements) -> dict[str, int]:
    """Where each agency is counted (one row per county, or one empty row), and ICE's overruled county."""
    rows: list[dict[str, Any]] = []
    for placement in placements.by_agency.values():
        base = {
            "agency_id": placement.agency_id,
            "scope": placement.scope.value,
            "rule": placement.rule.value,
            "source": placement.source.to_json() if placement.source else None,
            "correction": placement.correction,
            "note": placement.note or None,
            "printed": None,
        }
        for county_id in placement.counties or (None,):
            rows.append({**base, "county_id": county_id, "counted": True})
        if placement.disagrees:
            rows.append(
                {
                    **base,
                    "county_id": placement.printed_county_id,
                    "counted": False,
                    "rule": "ice-county",
                    "source": placement.printed_source.to_json() if placement.printed_source else None,
                    "correction": None,
                    "printed": placement.printed,
                    "note": None,
                }
            )
    _bulk(connection, t.agency_counties, rows)
    return {"agency_counties": len(rows)}


def _event_row(event: Event, source_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "agreement_id": event.agreement_id,
        "kind": event.kind.value,
        "date": event.date,
        "source_id": source_ids[event.source.file],
        "source_row": event.source.row,
        "detail": event.detail,
    }
