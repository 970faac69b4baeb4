"""A place's or an agency's record as a download: JSON as the API gives it, or one flat CSV table."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import Response

from disentangle.publish import csv_cell

CSV_COLUMNS = (
    "record",
    "agreement_id",
    "agency",
    "agency_id",
    "model",
    "status",
    "kind",
    "date",
    "signed",
    "first_seen",
    "last_seen",
    "jurisdiction",
    "value",
    "document_url",
    "source",
    "source_publisher",
    "source_url",
    "source_row",
)


def download_name(stem: str, suffix: str) -> str:
    """A file name made only of lower-case letters, digits and dashes: nothing a path can be built from."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80] or "record"
    return f"disentangle-{slug}.{suffix}"


def _source(source: dict[str, Any] | None) -> dict[str, Any]:
    source = source or {}
    return {
        "source": source.get("label"),
        "source_publisher": source.get("publisher"),
        "source_url": source.get("url"),
        "source_row": source.get("row"),
    }


def records(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every agreement, event and fact of a `show` or `history` result as one row each, with its source."""
    rows: list[dict[str, Any]] = []
    agencies = {a["id"]: a for a in result.get("agreements", [])}
    for agreement in result.get("agreements", []):
        rows.append(
            {
                "record": "agreement",
                "agreement_id": agreement["id"],
                "agency": agreement.get("agency"),
                "agency_id": agreement.get("agency_id"),
                "model": agreement.get("model"),
                "status": agreement.get("status"),
                "signed": agreement.get("signed"),
                "first_seen": agreement.get("first_seen"),
                "last_seen": agreement.get("last_seen"),
                "jurisdiction": agreement.get("jurisdiction"),
                "document_url": agreement.get("document_url"),
                **_source(agreement.get("source")),
            }
        )
    for event in result.get("events", []):
        agreement = agencies.get(event["agreement_id"], {})
        rows.append(
            {
                "record": "event",
                "agreement_id": event["agreement_id"],
                "agency": agreement.get("agency"),
                "agency_id": agreement.get("agency_id"),
                "model": agreement.get("model"),
                "kind": event.get("kind"),
                "date": event.get("date"),
                "value": event.get("detail") or None,
                **_source(event.get("source")),
            }
        )
    for fact in result.get("facts", []):
        rows.append(
            {
                "record": "fact",
                "kind": fact.get("kind"),
                "date": fact.get("date"),
                "jurisdiction": fact.get("jurisdiction_id"),
                "value": fact.get("value"),
                **_source(fact.get("source")),
            }
        )
    return rows


def csv_text(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_cell(row.get(key)) for key in CSV_COLUMNS})
    return buffer.getvalue()


def download(result: Mapping[str, Any], stem: str, fmt: str) -> Response:
    """The record as an attachment named from `stem` (sanitised), in `fmt` (csv or json)."""
    name = download_name(stem, fmt)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(csv_text(records(result)), media_type="text/csv; charset=utf-8", headers=headers)
    body = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    return Response(body, media_type="application/json", headers=headers)
