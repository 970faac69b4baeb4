"""Count ICE detainer records while reading them: per facility and month, by form, outcome, apprehension
method and case status. Nothing about a person leaves this module.

Two layouts are read:

- the Deportation Data Project's detainer table (one row per detainer, from ICE's FOIA releases), as
  Excel (.xlsx, read row by row with openpyxl's read-only mode) or Parquet (read batch by batch with
  pyarrow, and only the columns counted). Column names follow the release ("Detainer Prepare Date",
  "Detainer Facility", ...) or its cleaned form ("detainer_prepare_date"); older releases name the
  facility "Detention Facility". ICE's own sheets open with a few lines of preamble above the header.
- TRAC-style per-facility counts (.csv or .xlsx): a facility, its state, a period (year, fiscal year or
  month) and a count, optionally broken down by outcome or form.

The reader keeps one counter keyed by (facility, month, form, lift reason, method, case status): a row
adds one to its key and is forgotten. Dates of birth, countries, identifiers, charges and every other
column are never read into that counter (Parquet never even loads them).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from disentangle.errors import SourceFormatError
from disentangle.limits import DocumentLimits, check_zip
from disentangle.model import normalize_state

# Streamed: no bound on the inflated size, only on how far one entry inflates (text XML: about 10 times).
TABLE_LIMITS = DocumentLimits(zip_inflated_bytes=2**62, zip_xml_bytes=2**62)

Layout = Literal["ddp", "trac"]
Dimension = Literal["total", "type", "lift_reason", "method", "case_status"]
DIMENSIONS: tuple[Dimension, ...] = ("total", "type", "lift_reason", "method", "case_status")

# Our name for a counted column -> the names releases give it, folded (lower case, "_" for the rest).
DDP_COLUMNS: dict[str, tuple[str, ...]] = {
    "prepare_date": ("detainer_prepare_date", "prepare_date"),
    "facility": ("detainer_facility", "detention_facility", "detainer_detention_facility"),
    "facility_code": (
        "detainer_facility_code",
        "detention_facility_code",
        "detainer_detention_facility_code",
    ),
    "city": ("facility_city", "detainer_facility_city"),
    "state": ("facility_state", "detainer_facility_state"),
    "type": ("detainer_type",),
    "lift_reason": ("detainer_lift_reason",),
    "method": ("apprehension_method",),
    "case_status": ("case_status",),
}
DDP_REQUIRED = ("prepare_date", "facility", "state", "type", "lift_reason")

TRAC_COLUMNS: dict[str, tuple[str, ...]] = {
    "facility": ("facility", "facility_name", "detention_facility", "detainer_facility"),
    "facility_code": ("facility_code", "detloc"),
    "city": ("city", "facility_city"),
    "state": ("state", "facility_state"),
    "year": ("year", "calendar_year"),
    "fiscal_year": ("fiscal_year", "fy"),
    "month": ("month", "year_month"),
    "lift_reason": ("lift_reason", "outcome", "detainer_lift_reason"),
    "type": ("detainer_type", "type", "form"),
    "count": ("count", "detainers", "number_of_detainers", "n"),
}

HEADER_SEARCH_ROWS = 20  # ICE's sheets put a preamble of a few lines above the header
BATCH_ROWS = 65_536
MISSING = frozenset({"", "NA", "N/A", "NULL", "(B)(6)", "(B)(7)(C)", "REDACTED"})


@dataclass(frozen=True, slots=True, order=True)
class FacilityKey:
    """A facility as the records print it: code, name, city and state (USPS code, None if unknown)."""

    name: str
    state: str | None
    city: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class Cell:
    """One aggregate: detainers at a facility in a month (or a year), counted along one dimension."""

    facility: FacilityKey
    year: int
    month: int | None  # None when the source gives a year only
    dimension: Dimension
    label: str | None  # the printed form, reason, method or status; None for the total or a blank value
    count: int


@dataclass(slots=True)
class CountColumns:
    """The counts as parallel columns: per count its facility (an index into the tally's facilities),
    year, month, dimension, label and number. Columns, because a release makes hundreds of thousands."""

    facility: list[int] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    month: list[int | None] = field(default_factory=list)
    dimension: list[Dimension] = field(default_factory=list)
    label: list[str | None] = field(default_factory=list)
    count: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.count)

    def rows(self) -> Iterator[tuple[int, int, int | None, Dimension, str | None, int]]:
        return zip(self.facility, self.year, self.month, self.dimension, self.label, self.count, strict=True)


@dataclass(slots=True)
class DetainerTally:
    """What one file held, counted: never a row, only totals per facility and period."""

    path: Path
    layout: Layout
    fiscal: bool = False  # the periods are fiscal years (October to September), not calendar years
    rows_read: int = 0
    rows_counted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # why a row was not counted -> rows
    first: date | None = None  # the earliest and latest month counted (day 1)
    last: date | None = None
    facilities: list[FacilityKey] = field(default_factory=list)
    counts: CountColumns = field(default_factory=CountColumns)
    columns: tuple[str, ...] = ()  # the counted columns as the file names them

    @property
    def cells(self) -> list[Cell]:
        """The counts as Cell objects, in order (for reading and tests; the import uses the columns)."""
        cells = [Cell(self.facilities[f], y, m, d, label, n) for f, y, m, d, label, n in self.counts.rows()]
        cells.sort(key=lambda c: (c.facility, c.year, c.month or 0, c.dimension, c.label or ""))
        return cells

    def total(self) -> int:
        return sum(n for d, n in zip(self.counts.dimension, self.counts.count, strict=True) if d == "total")

    def finish(self) -> None:
        """Set rows counted and the first and last month from the counts."""
        months = [
            (y, m or 1)
            for y, m, d in zip(self.counts.year, self.counts.month, self.counts.dimension, strict=True)
            if d == "total"
        ]
        self.rows_counted = self.total()
        self.first = date(*min(months), 1) if months else None
        self.last = date(*max(months), 1) if months else None


def fold(name: Any) -> str:
    """A column name folded the way the release's cleaning code does it: 'Detainer Prepare Date' ->
    'detainer_prepare_date'."""
    return re.sub(r"[^a-z0-9]+", "_", str(name or "").strip().lower()).strip("_")


def read_detainer_table(path: Path) -> DetainerTally:
    """Count a detainer file of either layout; anything else is a SourceFormatError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError("file is missing", path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_trac_rows(path, _csv_rows(path))
    raise SourceFormatError(
        f"unsupported file type {suffix or '(none)'!r}: give the Deportation Data Project's .xlsx or "
        ".parquet detainer table, or per-facility counts as .csv or .xlsx",
        path,
    )


# ------------------------------------------------------------------------------------------ columns
def _find(header: Sequence[Any], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    folded = [fold(name) for name in header]
    found: dict[str, int] = {}
    for ours, names in wanted.items():
        for name in names:
            if name in folded:
                found[ours] = folded.index(name)
                break
    return found


def _layout_error(path: Path, header: Sequence[Any]) -> SourceFormatError:
    shown = [str(name) for name in header if name not in (None, "")][:8]
    return SourceFormatError(
        "not a detainer table in a layout Disentangle reads: no column 'Detainer Prepare Date' with "
        "'Detainer Facility', 'Facility State', 'Detainer Type' and 'Detainer Lift Reason' (the Deportation "
        "Data Project's release), nor 'Facility', 'State', a period and 'Count' (per-facility counts); "
        f"found {shown}",
        path,
    )


def _which_layout(header: Sequence[Any]) -> Layout | None:
    ddp = _find(header, DDP_COLUMNS)
    if all(key in ddp for key in DDP_REQUIRED):
        return "ddp"
    trac = _find(header, TRAC_COLUMNS)
    has_period = any(key in trac for key in ("year", "fiscal_year", "month"))
    if "facility" in trac and "state" in trac and "count" in trac and has_period:
        return "trac"
    return None


# ------------------------------------------------------------------------------------------ values
def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.upper() in MISSING else text


def _month_of(value: Any) -> tuple[int, int] | None:
    """(year, month) of a prepare date: a date, a datetime, or text in ISO or US order."""
    if isinstance(value, datetime | date):
        return value.year, value.month
    text = _text(value)
    if text is None:
        return None
    found = re.match(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?$", text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
    else:
        found = re.match(r"(\d{1,2})/\d{1,2}/(\d{2}|\d{4})(?:\s.*)?$", text)
        if not found:
            return None
        month, year = int(found.group(1)), int(found.group(2))
        year = year + 2000 if year < 100 else year
    return (year, month) if 1 <= month <= 12 and 1990 <= year <= 2100 else None


class _Counts:
    """The counter of a row-by-row read: one sum per (facility, month, dimension, label), added to per row;
    the row itself is not kept."""

    def __init__(self, present: frozenset[Dimension]) -> None:
        self.dimensions = [d for d in DIMENSIONS if d in present]
        self.sums: Counter[tuple[Any, ...]] = Counter()

    def add(
        self, place: tuple[Any, ...], year: int, month: int | None, labels: dict[str, Any], n: int = 1
    ) -> None:
        """`place` is (name, code, city, state) printed; `labels` the row's form, reason, method, status."""
        for dimension in self.dimensions:
            self.sums[(place, year, month, dimension, labels.get(dimension))] += n

    def fill(self, tally: DetainerTally) -> None:
        """Put the sums into the tally's columns, each facility cleaned once."""
        index: dict[FacilityKey, int] = {}
        keys: dict[tuple[Any, ...], int] = {}
        columns = CountColumns()
        for (raw, year, month, dimension, label), n in self.sums.items():
            if raw not in keys:
                name, code, city, state_text = raw
                facility = FacilityKey(name, normalize_state(state_text) if state_text else None, city, code)
                keys[raw] = index.setdefault(facility, len(index))
            columns.facility.append(keys[raw])
            columns.year.append(year)
            columns.month.append(month)
            columns.dimension.append(dimension)
            columns.label.append(label)
            columns.count.append(n)
        tally.facilities = list(index)
        tally.counts = columns
        tally.finish()


# ------------------------------------------------------------------------------------------ parquet
def _read_parquet(path: Path) -> DetainerTally:
    """Batch by batch, only the counted columns: each batch's facilities and labels are coded as integers
    (cleaned once per distinct value), summed per facility and month along each dimension by pyarrow, and
    merged into one running sum per dimension: memory follows the number of counts, not of rows."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise SourceFormatError(f"not a readable Parquet file: {exc}", path) from exc
    header = parquet.schema_arrow.names
    if _which_layout(header) != "ddp":
        raise _layout_error(path, header)
    found = _find(header, DDP_COLUMNS)
    names = {ours: header[index] for ours, index in found.items()}
    tally = DetainerTally(path, "ddp", columns=tuple(names.values()))
    dimensions: dict[Dimension, str | None] = {
        d: (None if d == "total" else d) for d in DIMENSIONS if d == "total" or d in found
    }
    labelled = [label for label in dimensions.values() if label]
    codes = _Codes(pa, pc)
    sums: dict[Dimension, Any] = {}
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(names.values())):
            tally.rows_read += batch.num_rows
            text = {
                ours: _clean_strings(batch.column(names[ours]), pc, pa)
                if ours in names
                else pa.nulls(batch.num_rows, pa.string())
                for ours in ("facility", "facility_code", "city", "state")
            }
            year, month = _parquet_months(batch.column(names["prepare_date"]), pc, pa)
            dated = pc.is_valid(year)
            keep = pc.and_(dated, pc.is_valid(text["facility"]))
            counted = int(pc.sum(keep).as_py() or 0)
            in_time = int(pc.sum(dated).as_py() or 0)
            for reason, skipped in (
                ("no prepare date", batch.num_rows - in_time),
                ("no facility", in_time - counted),
            ):
                if skipped:
                    tally.skipped[reason] += skipped
            columns = {
                "fid": codes.facilities(
                    [pc.filter(text[k], keep) for k in ("facility", "facility_code", "city", "state")]
                ),
                "year": pc.filter(year, keep),
                "month": pc.filter(month, keep),
            }
            for column in labelled:
                printed = pc.filter(_clean_strings(batch.column(names[column]), pc, pa), keep)
                columns[column] = codes.labels(printed)
            table = pa.table(columns)
            for dimension, label in dimensions.items():
                keys = ["fid", "year", "month", *([label] if label else [])]
                part = table.group_by(keys, use_threads=False).aggregate([([], "count_all")])
                sums[dimension] = _merge([sums[dimension], part], keys, pa) if dimension in sums else part
    except pa.ArrowException as exc:
        raise SourceFormatError(f"Parquet file cannot be read to the end: {exc}", path) from exc
    out = tally.counts
    for dimension, label in dimensions.items():
        if dimension not in sums:
            continue
        summed = sums[dimension]
        out.facility.extend(summed["fid"].to_pylist())
        out.year.extend(summed["year"].to_pylist())
        out.month.extend(summed["month"].to_pylist())
        out.count.extend(summed["count_all"].to_pylist())
        if label:
            out.label.extend(codes.texts[i] for i in summed[label].to_pylist())
        else:
            out.label.extend([None] * summed.num_rows)
        out.dimension.extend([dimension] * summed.num_rows)
    tally.facilities = list(codes.keys)
    tally.finish()
    return tally


class _Codes:
    """Integer codes for facilities and labels, each distinct printed value cleaned once in Python."""

    def __init__(self, pa: Any, pc: Any) -> None:
        self.pa, self.pc = pa, pc
        self.keys: dict[FacilityKey, int] = {}
        self._printed: dict[str, int] = {}
        self.texts: list[str | None] = [None]
        self._labels: dict[str | None, int] = {None: 0}

    def facilities(self, parts: list[Any]) -> Any:
        pa, pc = self.pa, self.pc
        joined = pc.binary_join_element_wise(*(pc.fill_null(p, "\x00") for p in parts), "\x1f")
        distinct = pc.unique(joined)
        codes = []
        for text in distinct.to_pylist():
            if text not in self._printed:
                name, code, city, state = (None if p == "\x00" else _text(p) for p in text.split("\x1f"))
                key = FacilityKey(str(name), normalize_state(state) if state else None, city, code)
                self._printed[text] = self.keys.setdefault(key, len(self.keys))
            codes.append(self._printed[text])
        return pa.array(codes, pa.int32()).take(pc.index_in(joined, value_set=distinct))

    def labels(self, column: Any) -> Any:
        pa, pc = self.pa, self.pc
        distinct = pc.unique(column)
        codes = []
        for value in distinct.to_pylist():
            cleaned = _text(value)
            if cleaned not in self._labels:
                self._labels[cleaned] = len(self.texts)
                self.texts.append(cleaned)
            codes.append(self._labels[cleaned])
        return pa.array(codes, pa.int32()).take(pc.index_in(column, value_set=distinct, skip_nulls=False))


def _merge(tables: list[Any], keys: list[str], pa: Any) -> Any:
    """Per-batch counts of the same keys summed into one table."""
    if len(tables) == 1:
        return tables[0]
    merged = pa.concat_tables(tables).group_by(keys, use_threads=False).aggregate([("count_all", "sum")])
    return merged.rename_columns(["count_all" if n == "count_all_sum" else n for n in merged.column_names])


def _clean_strings(column: Any, pc: Any, pa: Any) -> Any:
    """A column as trimmed text, with the release's empty and redaction markers as nulls."""
    text = pc.utf8_trim_whitespace(
        column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    )
    marker = pc.is_in(pc.utf8_upper(text), value_set=pa.array(sorted(MISSING)))
    return pc.if_else(pc.fill_null(marker, False), pa.scalar(None, pa.string()), text)


def _present(found: dict[str, int]) -> frozenset[Dimension]:
    return frozenset(d for d in DIMENSIONS if d == "total" or d in found)


def _parquet_months(column: Any, pc: Any, pa: Any) -> tuple[Any, Any]:
    """Year and month of a date column that may be a date, a timestamp or text."""
    if pa.types.is_temporal(column.type):
        return pc.cast(pc.year(column), pa.int32()), pc.cast(pc.month(column), pa.int32())
    text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    iso = pc.extract_regex(text, pattern=r"^(?P<y>\d{4})-(?P<m>\d{1,2})")
    us = pc.extract_regex(text, pattern=r"^(?P<m>\d{1,2})/\d{1,2}/(?P<y>\d{4})")
    year = pc.coalesce(pc.struct_field(iso, "y"), pc.struct_field(us, "y"))
    month = pc.coalesce(pc.struct_field(iso, "m"), pc.struct_field(us, "m"))
    year = pc.cast(year, pa.int32())
    month = pc.cast(month, pa.int32())
    good = pc.and_(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)), pc.greater(year, 1989))
    none = pa.scalar(None, pa.int32())
    return pc.if_else(good, year, none), pc.if_else(good, month, none)


# ------------------------------------------------------------------------------------------ xlsx
def _read_xlsx(path: Path) -> DetainerTally:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # Read row by row, so a large table costs no more memory than a small one; only an archive that
    # inflates far beyond what XML compresses to (a zip bomb) is refused, before anything is inflated.
    check_zip(path, "Excel workbook", TABLE_LIMITS, SourceFormatError, named=True)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise SourceFormatError(f"not a readable Excel workbook: {exc}", path) from exc
    except Exception as exc:  # a damaged zip surfaces as zipfile.BadZipFile and friends
        raise SourceFormatError(f"not a readable Excel workbook: {exc}", path) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        preamble: list[Sequence[Any]] = []
        for row in rows:
            preamble.append(row)
            layout = _which_layout(row)
            if layout == "ddp":
                return _read_ddp_rows(path, row, rows)
            if layout == "trac":
                return _read_trac_rows(path, _chain([row], rows))
            if len(preamble) >= HEADER_SEARCH_ROWS:
                break
        raise _layout_error(path, max(preamble, key=lambda r: sum(1 for c in r if c), default=()))
    finally:
        workbook.close()


def _chain(first: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from first
    yield from rest


def _read_ddp_rows(path: Path, header: Sequence[Any], rows: Iterator[Sequence[Any]]) -> DetainerTally:
    found = _find(header, DDP_COLUMNS)
    tally = DetainerTally(path, "ddp", columns=tuple(str(header[i]) for i in found.values()))
    counts = _Counts(_present(found))
    fields = ("facility", "facility_code", "city", "state")
    labels = ("type", "lift_reason", "method", "case_status")
    at = {key: found.get(key) for key in (*fields, *labels)}
    when = found["prepare_date"]
    width = len(header)

    def value(row: Sequence[Any], key: str) -> str | None:
        index = at[key]
        return _text(row[index]) if index is not None and index < len(row) else None

    for row in rows:
        if not any(cell not in (None, "") for cell in row):
            continue
        tally.rows_read += 1
        month = _month_of(row[when]) if when < len(row) else None
        if month is None:
            tally.skipped["no prepare date"] += 1
            continue
        facility = value(row, "facility")
        if facility is None:
            tally.skipped["no facility"] += 1
            continue
        place = (facility, value(row, "facility_code"), value(row, "city"), value(row, "state"))
        counts.add(place, month[0], month[1], {key: value(row, key) for key in labels})
        tally.rows_counted += 1
        del row  # nothing of the row outlives its count
    if width and tally.rows_read == 0:
        raise SourceFormatError("the detainer table has a header but no rows", path)
    counts.fill(tally)
    return tally


# ------------------------------------------------------------------------------------------ TRAC counts
def _csv_rows(path: Path) -> Iterator[Sequence[Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"cannot be read: {exc.strerror or exc}", path) from exc
    if b"\x00" in raw[:4096]:
        raise SourceFormatError("binary content, not a CSV table", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise SourceFormatError(f"malformed CSV: {exc}", path) from exc


def _read_trac_rows(path: Path, rows: Iterator[Sequence[Any]]) -> DetainerTally:
    header: Sequence[Any] | None = None
    for row in rows:
        if any(cell not in (None, "") for cell in row):
            header = row
            break
    if header is None:
        raise SourceFormatError("file is empty", path)
    if _which_layout(header) == "ddp":
        raise SourceFormatError(
            "a row-per-detainer table as CSV: save the release as .xlsx or .parquet to import it", path
        )
    if _which_layout(header) != "trac":
        raise _layout_error(path, header)
    found = _find(header, TRAC_COLUMNS)
    fiscal = "fiscal_year" in found and "year" not in found and "month" not in found
    tally = DetainerTally(path, "trac", fiscal=fiscal, columns=tuple(str(header[i]) for i in found.values()))
    counts = _Counts(_present(found))

    def value(row: Sequence[Any], key: str) -> str | None:
        index = found.get(key)
        return _text(row[index]) if index is not None and index < len(row) else None

    for line, row in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue
        tally.rows_read += 1
        period = _period(value(row, "month"), value(row, "year"), value(row, "fiscal_year"))
        if period is None:
            raise SourceFormatError(f"row {line}: no year, fiscal year or month", path)
        number = value(row, "count")
        try:
            n = int(float(str(number).replace(",", ""))) if number is not None else None
        except ValueError:
            n = None
        if n is None or n < 0:
            raise SourceFormatError(f"row {line}: count {number!r} is not a count", path)
        facility = value(row, "facility")
        if facility is None:
            raise SourceFormatError(f"row {line}: no facility", path)
        place = (facility, value(row, "facility_code"), value(row, "city"), value(row, "state"))
        counts.add(
            place,
            period[0],
            period[1],
            {"type": value(row, "type"), "lift_reason": value(row, "lift_reason")},
            n,
        )
        tally.rows_counted += n
    counts.fill(tally)
    return tally


def _period(month: str | None, year: str | None, fiscal: str | None) -> tuple[int, int | None] | None:
    if month is not None:
        found = _month_of(month if "-" in month or "/" in month else f"{year}-{month}")
        if found:
            return found
    for text in (year, fiscal):
        if text is not None:
            digits = re.sub(r"^FY\s*", "", text.upper())
            if re.fullmatch(r"\d{4}(\.0)?", digits):
                return int(float(digits)), None
    return None
