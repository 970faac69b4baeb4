"""The detainer pages' and commands' CSV: one function, so that every detainer table is written alike."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

# The columns of a detainer table, one row a year: counts named after what they count, then the sources.
DETAINER_COLUMNS = (
    "year",
    "total",
    "booked",
    "declined",
    "released",
    "us_citizen",
    "other",
    "other_outcomes",
    "no_lift_reason",
    "note",
    "source",
)


def detainer_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text with a header; None is an empty cell, lists and dicts are JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
