"""Write registry tables to files people can publish: CSV, JSON, or a standalone SQLite database."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from disentangle.publish._csv import csv_cell

FORMATS = ("csv", "json", "sqlite")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    count = 0

    def write(stream: Any) -> None:
        nonlocal count
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
            count += 1

    _atomic_write(path, write)
    return count


def write_json(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    records = [{k: _jsonable(v) for k, v in row.items()} for row in rows]

    def write(stream: Any) -> None:
        json.dump(records, stream, ensure_ascii=False, indent=1)
        stream.write("\n")

    _atomic_write(path, write)
    return len(records)
