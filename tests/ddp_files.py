"""Detainer tables in the Deportation Data Project's layout, made by code for the tests and the benchmark.

Every row is invented. The person-level columns hold marked values (SENTINELS) so that a test can scan
a database for them and prove that nothing about a person was stored.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# The release's column order (the counted columns among the person-level ones), as its cleaning code
# names them.
COLUMNS = (
    "Detainer Prepare Date",
    "Facility State",
    "Facility AOR",
    "Departure Country",
    "Case Status",
    "Detainer Facility",
    "Detainer Facility Code",
    "Facility City",
    "Gender",
    "Citizenship Country",
    "Birth Country",
    "Birth Date",
    "Birth Year",
    "MSC Charge",
    "MSC Charge Code",
    "Apprehension Method",
    "Apprehension Date",
    "Detainer Lift Reason",
    "Detainer Type",
    "Alien File Number",
    "EID Subject ID",
    "Anonymized Identifier",
)

# Values that must never reach a database: one per person-level column (and a pattern for the rest).
SENTINELS = {
    "Citizenship Country": "ZZCITIZENLAND",
    "Birth Country": "ZZBIRTHLAND",
    "MSC Charge": "ZZCHARGE-OF-A-PERSON",
    "MSC Charge Code": "ZZ9999",
    "Departure Country": "ZZDEPARTURELAND",
}
BIRTH_DATE = date(1901, 2, 3)  # a date of birth no detainer month can equal
ID_PREFIX = "ZZID"

FACILITIES = (
    ("COOK COUNTY JAIL", "CKCOJIL", "CHICAGO", "IL"),
    ("SANTA CLARA CO MAIN JAIL", "SCCMJCA", "SAN JOSE", "CA"),
    ("HARRIS COUNTY JAIL", "HRRISTX", "HOUSTON", "TX"),
    ("GALVESTON COUNTY JAIL", "GALVSTX", "GALVESTON", "TX"),
    ("YUBA COUNTY JAIL", "YUBACCA", "MARYSVILLE", "CA"),
)
TYPES = (
    "I-247A - Immigration Detainer - Notice of Action",
    "I-247A - Immigration Detainer - Notice of Action",
    "I-247A - Immigration Detainer - Notice of Action",
    "I-203 - Order to Detain or Release",
)
REASONS = (
    "Booked into Detention",
    "Detainer Declined by LEA",
    "Early Release",
    "United States Citizen Interviewed",
    "Case Closed",
    None,
)
METHODS = ("CAP Local Incarceration", "287(g) Program", "Non-Custodial Arrest", None)
STATUSES = ("ACTIVE", "CLOSED")


STATES = ("TX", "CA", "FL", "GA", "AZ", "NY", "IL", "NC", "PA", "WA")


def facility_list(size: int) -> list[tuple[str, str, str, str]]:
    """The five named facilities, then invented ones ("FACILITY 17 DETENTION CENTER") up to `size`."""
    extra = [
        (f"FACILITY {i} DETENTION CENTER", f"XF{i:05d}", f"TOWN {i}", STATES[i % len(STATES)])
        for i in range(max(size - len(FACILITIES), 0))
    ]
    return [*FACILITIES, *extra][: max(size, 1)]


def ddp_rows(
    count: int, *, seed: int = 15, start: date = date(2023, 10, 1), days: int = 600, facilities: int = 5
) -> list[tuple]:
    """`count` invented detainer rows in COLUMNS order, spread over `facilities` facilities."""
    chance = random.Random(seed)
    places = facility_list(facilities)
    rows = []
    for index in range(count):
        name, code, city, state = (
            places[index % len(places)] if index < len(places) else chance.choice(places)
        )
        prepared = datetime.combine(start + timedelta(days=chance.randrange(days)), datetime.min.time())
        rows.append(
            (
                prepared,
                state,
                "CHI" if state == "IL" else "SFR",
                SENTINELS["Departure Country"],
                STATUSES[index % 2],
                name,
                code,
                city,
                "M",
                SENTINELS["Citizenship Country"],
                SENTINELS["Birth Country"],
                datetime.combine(BIRTH_DATE, datetime.min.time()),
                1901,
                SENTINELS["MSC Charge"],
                SENTINELS["MSC Charge Code"],
                METHODS[index % len(METHODS)],
                prepared,
                REASONS[index % len(REASONS)],
                TYPES[index % len(TYPES)],
                f"{ID_PREFIX}{index:09d}",
                f"{ID_PREFIX}S{index:08d}",
                f"{ID_PREFIX}A{index:08d}",
            )
        )
    return rows


def write_ddp_xlsx(path: Path, rows: list[tuple], *, preamble: bool = True) -> Path:
    """An Excel table as ICE releases it: a few lines of preamble above the header (skip = 6)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Detainers")
    if preamble:
        sheet.append(["U.S. Immigration and Customs Enforcement"])
        sheet.append(["ERO Detainers"])
        for _ in range(4):
            sheet.append([])
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_ddp_parquet(
    path: Path,
    rows: list[tuple] | None = None,
    *,
    count: int = 0,
    seed: int = 15,
    clean_names: bool = False,
    facilities: int = 5,
) -> Path:
    """A Parquet table in the release's layout (or its cleaned column names), written in row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [_clean(c) for c in COLUMNS] if clean_names else list(COLUMNS)
    schema = pa.schema([(name, _arrow_type(column)) for name, column in zip(names, COLUMNS, strict=True)])
    with pq.ParquetWriter(path, schema) as writer:
        if rows is not None:
            writer.write_table(_table(rows, schema))
        else:
            block = 200_000
            for offset in range(0, count, block):
                part = ddp_rows(min(block, count - offset), seed=seed + offset, facilities=facilities)
                writer.write_table(_table(part, schema))
    return path


def _table(rows: list[tuple], schema: Any) -> Any:
    import pyarrow as pa

    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.table(
        [pa.array(list(values), type=f.type) for values, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    if column in ("Detainer Prepare Date", "Birth Date", "Apprehension Date"):
        return pa.timestamp("us")
    if column == "Birth Year":
        return pa.int64()
    return pa.string()


def _clean(column: str) -> str:
    return "_".join(column.lower().replace("(", " ").replace(")", " ").split())
