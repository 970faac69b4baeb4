"""Shared file handling for the program-fact importers: find a bundled file, read it, check its columns.

The importers themselves live beside this module: `secure_communities`, `facilities`, `detainers` and
`dhs_list`. Each reads files under a `data_dir` (the layout of /work/main/data) and returns frozen records
that carry a jurisdiction key (county FIPS, or state + name + level) and the `Source` row they came from.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import Source

# Cell values that mean "no value" in these exports (R's NA, Stata's empty, hand-typed N/A).
MISSING = frozenset({"", "NA", "N/A"})


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a delimited file: its 1-based line number and its cells by column position."""

    line: int
    cells: tuple[str, ...]


@cache
def _datasets() -> dict[str, Any]:
    return dict(load_yaml("programs/datasets.yaml")["datasets"])


def dataset_info(dataset: str) -> dict[str, Any]:
    """The knowledge entry of one program dataset (label, folder, upstream, retrieved, url)."""
    return dict(_datasets()[dataset])


def source(dataset: str, relative: str, row: int | None) -> Source:
    """The Source of a fact: dataset name, file relative to data_dir, 1-based row, upstream date and url."""
    info = _datasets()[dataset]
    retrieved = info.get("retrieved")
    return Source(
        dataset=dataset,
        file=relative,
        row=row,
        retrieved=retrieved if isinstance(retrieved, date) else None,
        url=info.get("url"),
    )


def dataset_file(data_dir: Path, relative: str) -> Path:
    """The path of a bundled file; a missing file is a SourceFormatError naming it."""
    path = Path(data_dir) / relative
    if not path.is_file():
        raise SourceFormatError("file is missing", path)
    return path


def read_text(path: Path) -> str:
    """The UTF-8 text of a file, unzipped when its name ends in .gz; corrupt or truncated input raises."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"cannot be read: {exc.strerror or exc}", path) from exc
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except EOFError as exc:
            raise SourceFormatError("gzip stream is truncated", path) from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise SourceFormatError(f"not a valid gzip file: {exc}", path) from exc
    if b"\x00" in raw:
        raise SourceFormatError("binary content (NUL bytes), not a text file", path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"not UTF-8 text (byte {exc.start})", path) from exc


def read_table(path: Path, columns: Sequence[str], *, delimiter: str = ",") -> Iterator[Row]:
    """Rows of a delimited file whose header must be exactly `columns` (in order); anything else raises.

    The header is checked strictly because these exports carry no schema: a renamed, added or missing
    column means the file is not the one this importer understands, and guessing would misfile facts.
    """
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SourceFormatError("file is empty", path)
        found = [name.strip() for name in header]
        if found != list(columns):
            unknown = [name for name in found if name not in columns]
            missing = [name for name in columns if name not in found]
            detail = []
            if unknown:
                detail.append(f"unknown columns {unknown}")
            if missing:
                detail.append(f"missing columns {missing}")
            if not detail:
                detail.append(f"columns out of order {found}")
            raise SourceFormatError(
                f"not the expected table: {'; '.join(detail)} (expected {list(columns)})", path
            )
        for cells in reader:
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise SourceFormatError(
                    f"line {reader.line_num}: {len(cells)} fields, expected {len(columns)}", path
                )
            yield Row(reader.line_num, tuple(cells))
    except csv.Error as exc:
        raise SourceFormatError(
            f"line {reader.line_num}: malformed {delimiter!r}-delimited text: {exc}", path
        ) from exc


def cell(value: str) -> str | None:
    """A cell with surrounding whitespace removed; None when it holds a missing-value marker."""
    text = " ".join(value.split())
    return None if text.upper() in MISSING else text


def whole_number(value: str, path: Path, line: int, column: str) -> int | None:
    """An integer cell that may be written as a float ("4.0", "2011.0"); None when missing."""
    text = cell(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError as exc:
        raise SourceFormatError(f"line {line}: {column} {text!r} is not a number", path) from exc
    if not number.is_integer():
        raise SourceFormatError(f"line {line}: {column} {text!r} is not a whole number", path)
    return int(number)
