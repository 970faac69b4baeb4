"""The detainer pages' and commands' CSV: one function, so that every detainer table is written alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from disentangle.publish._csv import csv_cell

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
    """Rows as CSV text with a header; None is an empty cell, lists and dicts are JSON, and a cell a
    spreadsheet would run as a formula is neutralised (publish.csv_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
