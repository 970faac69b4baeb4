"""Counting detainer tables while reading them: both layouts and file types, the same counts, clean errors."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from ddp_files import COLUMNS, ddp_rows, write_ddp_parquet, write_ddp_xlsx
from disentangle.errors import SourceFormatError
from disentangle.sources.detainer_tables import read_detainer_table


def _cells(tally):  # type: ignore[no-untyped-def]
    return {(c.facility, c.year, c.month, c.dimension, c.label): c.count for c in tally.cells}


def _expected(rows):  # type: ignore[no-untyped-def]
    """The counts recomputed from the rows themselves, independently of the reader."""
    index = {name: i for i, name in enumerate(COLUMNS)}
    totals: Counter[tuple[str, int, int]] = Counter()
    reasons: Counter[tuple[str, str | None]] = Counter()
    for row in rows:
        when = row[index["Detainer Prepare Date"]]
        totals[(row[index["Detainer Facility"]], when.year, when.month)] += 1
        reasons[(row[index["Detainer Facility"]], row[index["Detainer Lift Reason"]])] += 1
    return totals, reasons


@pytest.mark.parametrize("kind", ["xlsx", "parquet", "parquet-clean-names"])
def test_counts_match_the_rows(tmp_path: Path, kind: str) -> None:
    rows = ddp_rows(2_000, seed=7)
    if kind == "xlsx":
        path = write_ddp_xlsx(tmp_path / "detainers.xlsx", rows)
    else:
        path = write_ddp_parquet(tmp_path / "detainers.parquet", rows, clean_names=kind.endswith("names"))
    tally = read_detainer_table(path)
    assert tally.layout == "ddp" and tally.rows_read == tally.rows_counted == 2_000
    totals, reasons = _expected(rows)
    got_totals: Counter[tuple[str, int, int]] = Counter()
    got_reasons: Counter[tuple[str, str | None]] = Counter()
    for cell in tally.cells:
        if cell.dimension == "total":
            got_totals[(cell.facility.name, cell.year, cell.month or 0)] += cell.count
        if cell.dimension == "lift_reason":
            got_reasons[(cell.facility.name, cell.label)] += cell.count
    assert got_totals == totals
    assert got_reasons == reasons
    assert {c.facility.state for c in tally.cells} == {"IL", "CA", "TX"}
    assert tally.first == date(2023, 10, 1)


def test_parquet_read_in_many_batches_sums_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from disentangle.sources import detainer_tables

    rows = ddp_rows(5_000, seed=21, facilities=40)
    path = write_ddp_parquet(tmp_path / "many.parquet", rows, facilities=40)
    whole = _cells(read_detainer_table(path))
    monkeypatch.setattr(detainer_tables, "BATCH_ROWS", 97)  # 52 batches: merged as they come, 16 at a time
    tally = read_detainer_table(path)
    assert _cells(tally) == whole and tally.rows_counted == 5_000
    assert len({c.facility for c in tally.cells}) == 40


def test_xlsx_and_parquet_give_identical_counts(tmp_path: Path) -> None:
    rows = ddp_rows(1_500, seed=3)
    a = read_detainer_table(write_ddp_xlsx(tmp_path / "a.xlsx", rows, preamble=False))
    b = read_detainer_table(write_ddp_parquet(tmp_path / "b.parquet", rows))
    assert _cells(a) == _cells(b)


def test_no_person_level_value_is_in_the_counts(tmp_path: Path) -> None:
    rows = ddp_rows(500)
    tally = read_detainer_table(write_ddp_parquet(tmp_path / "d.parquet", rows))
    labels = {c.label for c in tally.cells} | {c.facility.name for c in tally.cells}
    assert not any(label and label.startswith("ZZ") for label in labels)
    assert {c.dimension for c in tally.cells} == {"total", "type", "lift_reason", "method", "case_status"}


def test_rows_without_a_date_or_facility_are_skipped_and_counted_as_skipped(tmp_path: Path) -> None:
    rows = ddp_rows(10)
    date_at, facility_at = COLUMNS.index("Detainer Prepare Date"), COLUMNS.index("Detainer Facility")
    rows[0] = tuple(None if i == date_at else v for i, v in enumerate(rows[0]))
    rows[1] = tuple("NA" if i == facility_at else v for i, v in enumerate(rows[1]))
    rows[2] = tuple("13/45/2024" if i == date_at else v for i, v in enumerate(rows[2]))
    for writer, name in ((write_ddp_xlsx, "s.xlsx"), (write_ddp_parquet, "s.parquet")):
        if name.endswith("parquet"):
            fixed = [tuple(v.isoformat() if isinstance(v, datetime) else v for v in r) for r in rows]
            path = _string_parquet(tmp_path / name, fixed)
        else:
            path = writer(tmp_path / name, rows)
        tally = read_detainer_table(path)
        assert tally.rows_read == 10 and tally.rows_counted == 7, name
        assert tally.skipped == {"no prepare date": 2, "no facility": 1}, name


def _string_parquet(path: Path, rows: list[tuple]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            name: pa.array([None if v is None else str(v) for v in values], pa.string())
            for name, values in zip(COLUMNS, columns, strict=True)
        }
    )
    pq.write_table(table, path)
    return path


def test_trac_style_counts(tmp_path: Path) -> None:
    path = tmp_path / "trac.csv"
    path.write_text(
        "Facility,City,State,Fiscal Year,Detainers\n"
        "COOK COUNTY JAIL,CHICAGO,IL,FY2019,120\n"
        "HARRIS COUNTY JAIL,HOUSTON,TX,2019,4500\n",
        encoding="utf-8",
    )
    tally = read_detainer_table(path)
    assert tally.layout == "trac" and tally.fiscal
    totals = {c.facility.name: c.count for c in tally.cells if c.dimension == "total"}
    assert totals == {"COOK COUNTY JAIL": 120, "HARRIS COUNTY JAIL": 4500}
    assert {c.dimension for c in tally.cells} == {"total"}  # no outcome column: no outcome counts


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("other.csv", "a,b,c\n1,2,3\n", "not a detainer table in a layout Disentangle reads"),
        ("empty.csv", "", "file is empty"),
        ("notes.txt", "hello", "unsupported file type '.txt'"),
        ("broken.xlsx", "PK\x03\x04 not really a workbook", "not a readable Excel workbook"),
        ("broken.parquet", "PAR1 no footer", "not a readable Parquet file"),
        ("bad-count.csv", "Facility,State,Year,Count\nX JAIL,TX,2020,many\n", "count 'many' is not a count"),
    ],
)
def test_a_file_of_another_layout_is_one_clear_line(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceFormatError) as raised:
        read_detainer_table(path)
    message = str(raised.value)
    assert str(path) in message and problem in message and "\n" not in message


def test_an_xlsx_of_another_layout_names_what_it_found(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Name", "Birth Date", "Country"])
    workbook.active.append(["x", "2000-01-01", "y"])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    with pytest.raises(SourceFormatError, match=r"found \['Name', 'Birth Date', 'Country'\]"):
        read_detainer_table(path)
