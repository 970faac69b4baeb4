"""The one facade: wires the stages to the registry. The CLI, the web app and the tests call only this."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from disentangle import assess, costs, letters
from disentangle.errors import InputError, NotFoundError, SourceFormatError, StoreError
from disentangle.model import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Event,
    Fact,
    Jurisdiction,
    Level,
    Source,
    normalize_state,
)
from disentangle.publish import exports
from disentangle.registry import Store, sqlite_url
from disentangle.registry import tables as t
from disentangle.sources import ice_history, ice_sheets
from disentangle.sources import places as places_stage

Progress = Callable[[str, int, int], None]  # (step, done, total)

DATA_DIR_ENV = "DISENTANGLE_DATA_DIR"
HOME_ENV = "DISENTANGLE_HOME"
DATABASE_ENV = "DISENTANGLE_DATABASE_URL"

# Tables an import rebuilds, children first (the order deletes run in).
_DATA_TABLES = (
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
)

MODEL_ALIASES = {"jem": "287g-jem", "wso": "287g-wso", "tfm": "287g-tfm"}


def bundled_data_dir() -> Path:
    """The bundled public datasets: $DISENTANGLE_DATA_DIR, else data/ at the root of the checkout."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "PROVENANCE.md"
        if candidate.exists():
            return candidate.parent
    raise InputError(f"bundled data not found; set {DATA_DIR_ENV} to the folder holding PROVENANCE.md")


def default_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or user_data_dir("disentangle", appauthor=False))


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


@dataclass(slots=True)
class SheetDiff:
    """What a newly published ICE sheet changed, as events."""

    file: str
    captured: date
    list_kind: str
    rows: int
    already_imported: bool
    events: list[dict[str, Any]] = field(default_factory=list)

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


class Workspace:
    """A user's workspace: the registry database and (later) stored documents, under one folder."""

    def __init__(
        self,
        home: Path | None = None,
        *,
        database_url: str | None = None,
        data_dir: Path | None = None,
        schema: str | None = None,
    ) -> None:
        self.home = Path(home) if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        url = database_url or os.environ.get(DATABASE_ENV) or sqlite_url(self.home / "registry.sqlite")
        self.store = Store(url, schema=schema)
        self.store.migrate()
        self._data_dir = data_dir

    @property
    def data_dir(self) -> Path:
        return self._data_dir or bundled_data_dir()

    @property
    def sheets_dir(self) -> Path:
        """ICE workbooks the user imported; kept so that every rebuild replays them too."""
        return self.home / "sheets"

    def close(self) -> None:
        self.store.dispose()

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
        if not force and recorded == {(f.name, f.sha256) for f in files}:
            return ImportReport(False, time.perf_counter() - started, len(files))
        steps = ["read ICE sheets", "replay history", "write registry"]
        tick = progress or (lambda _step, _done, _total: None)

        sheets = []
        sheet_files = [f for f in files if f.dataset == "ice-287g"]
        for index, source in enumerate(sheet_files):
            sheets.append(ice_sheets.read_sheet(source.path, name=source.name))
            tick(steps[0], index + 1, len(sheet_files))
        history = ice_history.build_history(sheets)
        tick(steps[1], 1, 2)
        agencies = ice_history.agencies_of(history)
        places = places_stage.build_places(self.data_dir, agencies)
        tick(steps[1], 2, 2)
        with self.store.transaction() as connection:
            for table in _DATA_TABLES:
                connection.execute(delete(table))
            source_ids = _insert_sources(connection, files)
            _bulk(connection, t.jurisdictions, [_jurisdiction_row(j) for j in places.jurisdictions])
            counts = _write_history(connection, history, agencies, source_ids, places.links)
            counts.update(_write_programs(connection, places, source_ids))
            counts["jurisdictions"] = len(places.jurisdictions)
        tick(steps[2], 1, 1)
        return ImportReport(True, time.perf_counter() - started, len(files), counts, places.notes)

    def import_ice_sheet(self, path: Path, *, captured: date | None = None) -> SheetDiff:
        """Diff a newly published ICE workbook against the registry and store it as events."""
        path = Path(path)
        sheet = ice_sheets.read_sheet(path, captured=captured)
        with self.store.read() as connection:
            known = connection.execute(
                select(t.sources.c.file).where(t.sources.c.sha256 == sheet.sha256)
            ).first()
        if known is not None:
            return SheetDiff(sheet.file, sheet.captured, sheet.list, len(sheet.rows), True)
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
                select(t.events, t.sources.c.file)
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
        )

    # ------------------------------------------------------------------ export

    EXPORT_TABLES = tuple(
        table.name
        for table in t.metadata.sorted_tables
        # the user's own records requests name the requester, a private person: never published
        if table.name not in ("schema_migrations", "records_requests", "request_events")
    )  # parents before children, so a database export satisfies its foreign keys

    def export(self, fmt: str, directory: Path) -> dict[str, int]:
        """Write the registry's tables to `directory` as CSV or JSON files, or as one SQLite database."""
        if fmt not in exports.FORMATS:
            raise InputError(f"unknown export format {fmt!r}: use {', '.join(exports.FORMATS)}")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, int] = {}
        if fmt == "sqlite":
            target_path = directory / "disentangle.sqlite"
            temporary = directory / ".disentangle.sqlite.part"
            temporary.unlink(missing_ok=True)
            target = Store(sqlite_url(temporary))
            target.migrate()
            with self.store.read() as source, target.transaction() as sink:
                for name in self.EXPORT_TABLES:
                    table = t.metadata.tables[name]
                    rows = [dict(row._mapping) for row in source.execute(select(table))]
                    _bulk(sink, table, rows)
                    written[name] = len(rows)
            target.dispose()
            for suffix in ("-wal", "-shm"):
                Path(f"{temporary}{suffix}").unlink(missing_ok=True)
            os.replace(temporary, target_path)
            return written
        with self.store.read() as connection:
            for name in self.EXPORT_TABLES:
                table = t.metadata.tables[name]
                records = (dict(row._mapping) for row in connection.execute(select(table)))
                if fmt == "csv":
                    written[name] = exports.write_csv(
                        directory / f"{name}.csv", list(table.columns.keys()), records
                    )
                else:
                    written[name] = exports.write_json(directory / f"{name}.json", records)
        return written

    # ------------------------------------------------------------------ judge: scorecard, costs

    def assess(
        self,
        place: str,
        *,
        policy_files: Sequence[Path] = (),
        overrides: Sequence[dict[str, Any]] = (),
    ) -> assess.Scorecard:
        """The Local Progress scorecard for a jurisdiction, from registry facts, inherited state law
        and the policy texts given, each answer with its evidence."""
        shown = self.show(place)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{place!r} is an agency; assess its jurisdiction (its county, city or state)")
        row = shown["jurisdiction"]
        jurisdiction = Jurisdiction(
            row["id"], row["name"], Level(row["level"]), row["state"], row["fips"], row["parent_id"]
        )
        registry_facts: list[Agreement | Fact] = [_agreement_model(a) for a in shown["agreements"]]
        registry_facts.extend(
            Fact(
                f["jurisdiction_id"],
                f["kind"],
                f["value"],
                date.fromisoformat(f["date"]) if f["date"] else None,
                Source(f["source"]["dataset"], f["source"]["file"], f["source"]["row"]),
            )
            for f in shown["facts"]
        )
        texts = [_policy_text(path) for path in policy_files]
        answers = assess.score_policy_texts(texts) if texts else []
        inherited = assess.inherited_law(jurisdiction.state, jurisdiction.level)
        return assess.build_scorecard(jurisdiction, registry_facts, inherited, answers, overrides)

    def cost(self, regime: str, inputs: dict[str, Any]) -> costs.CostEstimate:
        """The cost of one agreement under a reimbursement regime (knowledge/costs/regimes.yaml)."""
        return costs.estimate(regime, inputs)

    def cost_of_agreement(
        self, agreement_id: str, *, size: str = "medium", **changes: Any
    ) -> tuple[costs.CostEstimate, list[str]]:
        """Estimate an agreement's cost with the regime its kind and date imply and an agency-size default."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        # costs are estimated for the period the agreement is in force: now if active, else its last month
        period = date.today() if row.status == "active" else (row.last_seen or row.signed or date.today())
        regime = costs.regime_for(row.kind, period)
        inputs, assumptions = costs.default_inputs(size, **changes)
        assumptions.insert(0, f"regime {regime}: chosen from the agreement's kind ({row.kind}) and dates")
        return costs.estimate(regime, inputs), assumptions

    # ------------------------------------------------------------------ act: records requests, letters

    def _addressee(self, agency: dict[str, Any]) -> letters.Addressee:
        return letters.Addressee(name=agency["name"], state=agency["state"], attention="Custodian of Records")

    def draft_request(
        self,
        agency: str,
        about: Sequence[str],
        requester: letters.Requester,
        *,
        today: date,
        custom: Sequence[str] = (),
        since: date | None = None,
    ) -> tuple[str, letters.Letter]:
        """Draft a state-specific public-records request to an agency and keep it, in status draft."""
        record = self._find_agency(agency)
        addressee = self._addressee(record)
        law = letters.records_law(record["state"])
        letter = letters.draft_request(
            addressee, law, about, requester, today=today, custom=custom, since=since
        )
        asks = [ask.text for topic in about if topic != "custom" for ask in letters.asks_for(topic)]
        asks.extend(custom)
        with self.store.transaction() as connection:
            number = (connection.scalar(select(func.count()).select_from(t.records_requests)) or 0) + 1
            request_id = f"req-{number:04d}"
            connection.execute(
                insert(t.records_requests).values(
                    id=request_id,
                    agency_id=record["id"],
                    agency_name=record["name"],
                    state=record["state"],
                    topics=list(about),
                    asks=asks,
                    requester=_requester_json(requester),
                    status=letters.RequestStatus.DRAFT.value,
                    letter=letter.markdown,
                    created_at=datetime.now(UTC),
                )
            )
            connection.execute(
                insert(t.request_events).values(
                    request_id=request_id, status="draft", on=today, note="drafted"
                )
            )
        return request_id, letter

    def draft_requests_bulk(
        self,
        about: Sequence[str],
        requester: letters.Requester,
        *,
        today: date,
        state: str | None = None,
        model: str | None = None,
    ) -> list[tuple[str, letters.Letter]]:
        """One request per agency with an active agreement matching the selection (state, model)."""
        agency_ids = sorted(
            {a["agency_id"] for a in self.agreements(state=state, model=model, status="active")}
        )
        if not agency_ids:
            raise InputError("no agency with an active agreement matches that selection")
        return [self.draft_request(agency_id, about, requester, today=today) for agency_id in agency_ids]

    def tracked_request(self, request_id: str) -> letters.TrackedRequest:
        with self.store.read() as connection:
            row = connection.execute(
                select(t.records_requests).where(t.records_requests.c.id == request_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no records request {request_id!r}")
            events = connection.execute(
                select(t.request_events)
                .where(t.request_events.c.request_id == request_id)
                .order_by(t.request_events.c.id)
            ).all()
        history = tuple(
            letters.StatusChange(letters.RequestStatus(e.status), e.on, e.note or "", e.promised)
            for e in events
        )
        return letters.TrackedRequest(
            id=row.id,
            agency=letters.Addressee(name=row.agency_name, state=row.state, attention="Custodian of Records"),
            law=letters.records_law(row.state),
            asks=tuple(row.asks),
            history=history,
            received=row.received,
            reference=row.reference or "",
        )

    def advance_request(
        self, request_id: str, status: str, on: date, note: str = "", *, promised: date | None = None
    ) -> letters.TrackedRequest:
        """Record a dated status change; the law's transitions decide what is allowed."""
        request = self.tracked_request(request_id).advance(status, on, note, promised=promised)
        change = request.history[-1]
        with self.store.transaction() as connection:
            connection.execute(
                insert(t.request_events).values(
                    request_id=request_id,
                    status=change.status.value,
                    on=change.on,
                    note=note,
                    promised=promised,
                )
            )
            connection.execute(
                t.records_requests.update()
                .where(t.records_requests.c.id == request_id)
                .values(status=change.status.value)
            )
        return request

    def records_requests(self, *, today: date, overdue: bool = False) -> list[dict[str, Any]]:
        """Every tracked request with its status, due date and days overdue."""
        with self.store.read() as connection:
            ids = list(connection.scalars(select(t.records_requests.c.id).order_by(t.records_requests.c.id)))
        rows = []
        for request_id in ids:
            request = self.tracked_request(request_id)
            due = request.due()
            rows.append(
                {
                    "id": request.id,
                    "agency": request.agency.name,
                    "state": request.agency.state,
                    "law": request.law.citation,
                    "status": request.status.value,
                    "sent": _iso(request.sent_on),
                    "due": _iso(due),
                    "overdue_days": request.days_overdue(today),
                }
            )
        return [r for r in rows if r["overdue_days"] > 0] if overdue else rows

    def request_letter(
        self, request_id: str, kind: str, requester: letters.Requester, *, today: date
    ) -> letters.Letter:
        """The follow-up or appeal letter for a tracked request, citing the statute and the dates."""
        request = self.tracked_request(request_id)
        if kind == "follow-up":
            return letters.draft_follow_up(request, requester, today=today)
        if kind == "appeal":
            return letters.draft_appeal(request, requester, today=today)
        raise InputError(f"unknown letter {kind!r}: use follow-up or appeal")

    def requests_calendar(self) -> str:
        """An ICS calendar of every tracked request's deadlines."""
        with self.store.read() as connection:
            ids = list(connection.scalars(select(t.records_requests.c.id).order_by(t.records_requests.c.id)))
        return letters.to_ics([self.tracked_request(i) for i in ids])

    def termination_letter(
        self, agreement_id: str, sender: letters.Signatory, *, today: date
    ) -> letters.Letter:
        """A letter ending an agreement in the way its own termination clause provides."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        facts = letters.AgreementFacts(
            kind=row.kind,
            agency=letters.Addressee(name=row.agency_name, state=row.state),
            signed=row.signed,
            source=row.document_url,
        )
        return letters.draft_termination(facts, sender=sender, today=today)

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
                )
                .select_from(a.join(g, g.c.id == a.c.agency_id))
                .where(a.c.status.in_(["active", "listed"]))
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
                "secure_communities": None,
                "dhs_designated": False,
            }
            for c in counties
        }
        for row in rows:
            county_id = None
            for candidate in (row.jurisdiction_id, row.aj):
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
                .join(src, src.c.id == e.c.source_id)
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
                .join(src, src.c.id == e.c.source_id)
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

    def search(self, text: str, *, limit: int = 25) -> list[dict[str, Any]]:
        """Jurisdictions and agencies whose name, id, FIPS or ORI contains the text."""
        needle = text.strip()
        if not needle:
            raise InputError("search needs some text")
        like = f"%{needle.lower()}%"
        j, g = t.jurisdictions, t.agencies
        with self.store.read() as connection:
            places = connection.execute(
                select(j.c.id, j.c.name, j.c.level, j.c.state, j.c.fips)
                .where(or_(func.lower(j.c.name).like(like), j.c.id == needle, j.c.fips == needle))
                .order_by(func.length(j.c.name), j.c.name)
                .limit(limit)
            ).all()
            agencies = connection.execute(
                select(g.c.id, g.c.name, g.c.state, g.c.type, g.c.ori, g.c.jurisdiction_id)
                .where(
                    or_(
                        func.lower(g.c.name).like(like),
                        g.c.ori == needle.upper(),
                        g.c.id == needle,
                        g.c.id.in_(
                            select(t.agency_aliases.c.agency_id).where(
                                func.lower(t.agency_aliases.c.alias).like(like)
                            )
                        ),
                    )
                )
                .order_by(g.c.state, g.c.name)
                .limit(limit)
            ).all()
        return [{"match": "jurisdiction", **row._mapping} for row in places] + [
            {"match": "agency", **row._mapping} for row in agencies
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

    def _find_jurisdiction(self, text: str) -> dict[str, Any] | None:
        j = t.jurisdictions
        needle = text.strip()
        with self.store.read() as connection:
            if needle.startswith("ocd-division/"):
                row = connection.execute(select(j).where(j.c.id == needle)).first()
            elif needle.isdigit():
                row = connection.execute(select(j).where(j.c.fips == needle)).first()
            else:
                name, _, state = needle.rpartition(",")
                code = normalize_state(state.strip()) if name else None
                name = name.strip() if code else needle
                query = select(j).where(func.lower(j.c.name) == name.lower())
                if code:
                    query = query.where(j.c.state == code)
                rows = connection.execute(query.order_by(j.c.level, j.c.state)).all()
                if not rows:  # Census names carry the kind of place: "Springfield city", "Union township"
                    query = select(j).where(
                        func.lower(j.c.name).like(f"{name.lower()} %"), j.c.level != "state"
                    )
                    if code:
                        query = query.where(j.c.state == code)
                    rows = connection.execute(query.order_by(j.c.level, j.c.state)).all()
                if len(rows) > 1 and code:  # within a state, a county beats a place beats a township
                    rank = {"state": 0, "county": 1, "place": 2, "subdivision": 3}
                    best = min(rank.get(r.level, 9) for r in rows)
                    top = [r for r in rows if rank.get(r.level, 9) == best]
                    rows = top if len(top) == 1 else rows
                if len(rows) > 1:
                    choices = ", ".join(f"{r.name} ({r.state}, {r.fips or r.id})" for r in rows[:8])
                    raise InputError(
                        f"{needle!r} names several places: {choices}; add the state or give the FIPS"
                    )
                row = rows[0] if rows else None
        return dict(row._mapping) if row is not None else None

    def _show_jurisdiction(self, place: dict[str, Any]) -> dict[str, Any]:
        j, g, a, f, e, src = t.jurisdictions, t.agencies, t.agreements, t.facts, t.events, t.sources
        with self.store.read() as connection:
            parent = connection.execute(select(j).where(j.c.id == place["parent_id"])).first()
            in_place = or_(g.c.jurisdiction_id == place["id"], a.c.jurisdiction_id == place["id"])
            if place["level"] == "county":
                in_place = or_(
                    in_place,
                    and_(g.c.state == place["state"], func.lower(g.c.county) == place["name"].lower()),
                )
            agreement_rows = connection.execute(
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
                .where(in_place)
                .order_by(a.c.status, a.c.agency_name, a.c.kind)
            ).all()
            ids = [row.id for row in agreement_rows]
            event_rows = connection.execute(
                select(e, src.c.file, src.c.dataset)
                .join(src, src.c.id == e.c.source_id)
                .where(e.c.agreement_id.in_(ids))
                .order_by(e.c.date, e.c.id)
            ).all()
            scope = [place["id"]] + ([place["parent_id"]] if place["parent_id"] else [])
            fact_rows = connection.execute(
                select(f, src.c.dataset, src.c.file, src.c.retrieved)
                .join(src, src.c.id == f.c.source_id)
                .where(f.c.jurisdiction_id.in_(scope))
                .order_by(f.c.kind, f.c.date)
            ).all()
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
        return {
            "type": "jurisdiction",
            "jurisdiction": place,
            "parent": dict(parent._mapping) if parent else None,
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

    def _find_agency(self, text: str) -> dict[str, Any]:
        g = t.agencies
        needle = text.strip()
        with self.store.read() as connection:
            row = connection.execute(
                select(g).where(or_(g.c.id == needle, g.c.ori == needle.upper())).limit(1)
            ).first()
            if row is None:
                rows = connection.execute(
                    select(g)
                    .where(
                        or_(
                            func.lower(g.c.name) == needle.lower(),
                            g.c.id.in_(
                                select(t.agency_aliases.c.agency_id).where(
                                    func.lower(t.agency_aliases.c.alias) == needle.lower()
                                )
                            ),
                        )
                    )
                    .order_by(g.c.state)
                ).all()
                if len(rows) > 1:
                    states = ", ".join(f"{r.state} ({r.id})" for r in rows)
                    raise InputError(f"{needle!r} names agencies in several states: {states}; give the id")
                row = rows[0] if rows else None
        if row is None:
            raise NotFoundError(f"no agency matches {text!r}")
        return dict(row._mapping)


# ---------------------------------------------------------------------- helpers (no business rules)


def _safe_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return cleaned.lstrip(".") or "sheet.xlsx"


def _kind_filter(model: str | None) -> str | None:
    if not model:
        return None
    kind = MODEL_ALIASES.get(model.lower(), model.lower())
    if kind not in {k.value for k in AgreementKind}:
        raise InputError(f"unknown model {model!r}: use jem, wso, tfm or one of {', '.join(AgreementKind)}")
    return kind


def _state_filter(state: str | None) -> str | None:
    if not state:
        return None
    code = normalize_state(state)
    if code is None:
        raise InputError(f"unknown state {state!r}")
    return code


def _snapshot_as_of(connection: Connection, as_of: date) -> int | None:
    s = t.snapshots
    return connection.scalar(
        select(s.c.id)
        .where(s.c.list == "participating", s.c.captured <= as_of)
        .order_by(s.c.captured.desc(), s.c.id.desc())
        .limit(1)
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _agreement_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "state": row["state"],
        "agency": row["agency"],
        "model": row["kind"],
        "signed": _iso(row["signed"]),
        "status": row["status"],
        "first_seen": _iso(row["first_seen"]),
        "last_seen": _iso(row["last_seen"]),
        "jurisdiction": row.get("jurisdiction_id"),
        "ori": row.get("ori"),
        "agency_id": row["agency_id"],
        "county": row.get("county"),
        "document_url": row.get("document_url"),
    }


def _source_json(mapping: Any, *, row: int | None = None) -> dict[str, Any] | None:
    if mapping.get("file") is None:
        return None
    return {
        "dataset": mapping.get("dataset"),
        "file": mapping["file"],
        "row": row if row is not None else mapping.get("source_row"),
        "retrieved": _iso(mapping.get("retrieved")),
    }


def _event_json(row: Any) -> dict[str, Any]:
    return {
        "agreement_id": row["agreement_id"],
        "kind": row["kind"],
        "date": _iso(row["date"]),
        "detail": row["detail"] or {},
        "source": {"dataset": row["dataset"], "file": row["file"], "row": row["source_row"]}
        if "dataset" in row
        else {"file": row["file"], "row": row["source_row"]},
    }


def _agreement_model(record: dict[str, Any]) -> Agreement:
    return Agreement(
        id=record["id"],
        kind=AgreementKind(record["model"]),
        agency_id=record["agency_id"],
        state=record["state"],
        agency_name=record["agency"],
        signed=date.fromisoformat(record["signed"]) if record["signed"] else None,
        status=AgreementStatus(record["status"]),
        first_seen=date.fromisoformat(record["first_seen"]) if record["first_seen"] else None,
        last_seen=date.fromisoformat(record["last_seen"]) if record["last_seen"] else None,
        document_url=record.get("document_url"),
        county=record.get("county"),
        jurisdiction_id=record.get("jurisdiction"),
        source=Source(record["source"]["dataset"], record["source"]["file"], record["source"]["row"])
        if record.get("source")
        else None,
    )


def _policy_text(path: Path) -> assess.PolicyText:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the policy text: {exc.strerror}", path) from exc
    if not raw.strip():
        raise InputError("the policy text is empty", path)
    if b"\x00" in raw[:4096]:
        raise InputError(
            "not a text file (binary content); give the text of the policy (.txt, .md, .xml)", path
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return assess.PolicyText(name=path.name, text=text, source=str(path))


def _requester_json(requester: letters.Requester) -> dict[str, Any]:
    return {
        "name": requester.name,
        "organization": requester.organization,
        "address": list(requester.address),
        "email": requester.email,
        "phone": requester.phone,
        "residence": requester.residence,
    }


def _inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database did not return the id of an inserted row")
    return int(key[0])


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
) -> dict[str, int]:
    agency_of: dict[str, str] = {}
    agency_rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    for agency in agencies:
        link = links.get(agency.id)
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
            }
        )
        alias_rows.extend({"agency_id": agency.id, "alias": name} for name in agency.names)
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
        facility_agencies.append(
            {
                "id": record.agency_id,
                "name": record.name,
                "state": record.state,
                "type": "detention",
                "county": record.county,
                "jurisdiction_id": record.jurisdiction_id,
                "link_rule": record.rule,
                "source_id": source_id(record.source),
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
                "jurisdiction_id": record.jurisdiction_id,
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


def _event_row(event: Event, source_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "agreement_id": event.agreement_id,
        "kind": event.kind.value,
        "date": event.date,
        "source_id": source_ids[event.source.file],
        "source_row": event.source.row,
        "detail": event.detail,
    }


def _bulk(connection: Connection, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        connection.execute(insert(table), rows[start : start + chunk])
