"""Read the Secure Communities activation month of each county into dated, county-keyed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from disentangle.errors import SourceFormatError
from disentangle.model import Source, normalize_state
from disentangle.sources.programs import cell, dataset_file, read_table, source, whole_number

DATASET = "secure-communities"
FILE = "secure-communities/secure_communities_activation_dates_by_county.csv"
# `l` is an unlabelled flag of the upstream study (386 rows hold "L"); its meaning is not documented, so it
# is checked for presence and not read.
COLUMNS = ("countyname", "countyfips", "state", "statefips", "activation_month", "activation_year", "l")
# Census uses county codes 990-999 for "not further defined" remainders, which name no county.
_UNDEFINED_COUNTY = 990


@dataclass(frozen=True, slots=True)
class ScActivation:
    """The month Secure Communities was switched on in one county, or None where the source has no date."""

    county_fips: str  # 5 digits, zero-padded
    county: str  # as the source prints it ("ST. JOHNS", "ALEXANDRIA CITY")
    state: str  # USPS code
    activated: date | None  # the 1st of the activation month; None when the source leaves it empty
    source: Source
    precision: Literal["month"] = "month"  # the source gives month and year only


def read_secure_communities(data_dir: Path) -> list[ScActivation]:
    """Every county row of the activation file, in file order; rows without a month keep activated=None.

    Rows of the "not further defined" kind (county code 990+, e.g. "PUERTO RICO, NFD") are left out: they
    name no county.
    """
    path = dataset_file(data_dir, FILE)
    records: list[ScActivation] = []
    for row in read_table(path, COLUMNS):
        name, fips_cell, state_cell, state_fips_cell, month_cell, year_cell, _flag = row.cells
        fips = _county_fips(fips_cell, path, row.line)
        if int(fips[2:]) >= _UNDEFINED_COUNTY:
            continue
        state = normalize_state(state_cell.strip())
        if state is None:
            raise SourceFormatError(f"line {row.line}: unknown state {state_cell!r}", path)
        state_fips = whole_number(state_fips_cell, path, row.line, "statefips")
        if state_fips is None or f"{state_fips:02d}" != fips[:2]:
            raise SourceFormatError(
                f"line {row.line}: county FIPS {fips} is not in state FIPS {state_fips_cell!r}", path
            )
        month = whole_number(month_cell, path, row.line, "activation_month")
        year = whole_number(year_cell, path, row.line, "activation_year")
        if (month is None) != (year is None):
            raise SourceFormatError(f"line {row.line}: activation month and year must both be given", path)
        activated = None
        if month is not None and year is not None:
            if not 1 <= month <= 12 or not 2000 <= year <= 2030:
                raise SourceFormatError(f"line {row.line}: no such activation month {month}/{year}", path)
            activated = date(year, month, 1)
        records.append(
            ScActivation(
                county_fips=fips,
                county=cell(name) or "",
                state=state,
                activated=activated,
                source=source(DATASET, FILE, row.line),
            )
        )
    return records


def _county_fips(value: str, path: Path, line: int) -> str:
    number = whole_number(value, path, line, "countyfips")
    if number is None or not 1000 <= number <= 99999:
        raise SourceFormatError(f"line {line}: county FIPS {value!r} is not a 4- or 5-digit code", path)
    return f"{number:05d}"
