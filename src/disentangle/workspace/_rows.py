"""Row builders shared by the parts of the facade: registry rows to JSON-able dicts and back."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select

from disentangle.errors import InputError, StoreError
from disentangle.model import (
    Agreement,
    AgreementKind,
    AgreementRecord,
    AgreementStatus,
    ChangeRecord,
    EventRecord,
    Source,
    SourceRef,
    normalize_state,
)
from disentangle.registry import tables as t
from disentangle.sources.citations import cite

MODEL_ALIASES = {"jem": "287g-jem", "wso": "287g-wso", "tfm": "287g-tfm"}


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


def _agreement_json(row: dict[str, Any]) -> AgreementRecord:
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
        # an agreement found in records: its documents, the request that brought it out, its review
        "found": (row.get("details") or {}) if str(row["id"]).startswith("found-") else None,
        # an agreement known only from records older than ICE's lists: as printed, documents, a request only
        "early": (row.get("details") or {}) if str(row["id"]).startswith("hist-") else None,
    }


def _source_json(mapping: Any, *, row: int | None = None) -> SourceRef | None:
    """A fact's source as its public record cites it (label, publisher, url, row, the record's date),
    never the bundled file's path. None when nothing is recorded."""
    file = mapping.get("file")
    if file is None:
        return None
    found = cite(file, row if row is not None else mapping.get("source_row"), mapping.get("retrieved"))
    if found is None:  # `disentangle qa` fails on such a file (sources-cited): no path is shown meanwhile
        return {
            "label": "a record not described in knowledge/datasets.yaml",
            "publisher": "",
            "url": None,
            "row": row if row is not None else mapping.get("source_row"),
            "dated": None,
            "copy": None,
        }
    cited: SourceRef = found.to_json()  # type: ignore[assignment]  # Citation.to_json's keys, declared
    return cited


def _event_json(row: Any) -> EventRecord:
    return {
        "agreement_id": row["agreement_id"],
        "kind": row["kind"],
        "date": _iso(row["date"]),
        "detail": row["detail"] or {},
        # An event a person recorded, or a document found, rests on its detail's evidence, not a dataset.
        "source": _source_json(row),
    }


def _changes_select() -> Any:
    """Events with the agreement each changed and its source: what `_change_json` turns into a record."""
    e, a, src = t.events, t.agreements, t.sources
    return (
        select(
            e,
            a.c.agency_name,
            a.c.state,
            a.c.kind.label("model"),
            a.c.agency_id,
            src.c.file,
            src.c.dataset,
            src.c.retrieved,
        )
        .join(a, a.c.id == e.c.agreement_id)
        .outerjoin(src, src.c.id == e.c.source_id)
    )


def _change_json(row: Any) -> ChangeRecord:
    return {
        **_event_json(row._mapping),
        "agency": row.agency_name,
        "state": row.state,
        "model": row.model,
        "agency_id": row.agency_id,
    }


def _agreement_model(record: AgreementRecord | dict[str, Any]) -> Agreement:
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
        source=_source_model(record.get("source")),
    )


def _source_model(cited: SourceRef | dict[str, Any] | None) -> Source | None:
    """A model Source from a cited source: the record's label and address stand where a dataset and a
    file would (the stages that take a Source print them, never a path)."""
    if not cited:
        return None
    return Source(cited["label"], cited.get("url") or "", cited.get("row"), url=cited.get("url"))


def _inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database did not return the id of an inserted row")
    return int(key[0])


def _bulk(connection: Connection, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        connection.execute(insert(table), rows[start : start + chunk])
