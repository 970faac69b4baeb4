"""Secure Communities activation months: the real file, and small files that exercise each rule."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from disentangle.errors import SourceFormatError
from disentangle.sources.secure_communities import COLUMNS, FILE, read_secure_communities

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def activations() -> dict[str, object]:
    return {record.county_fips: record for record in read_secure_communities(DATA)}


def _raw_rows() -> list[dict[str, str]]:
    with (DATA / FILE).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("fips", "county", "state", "activated"),
    [
        ("01001", "AUTAUGA", "AL", date(2011, 4, 1)),  # printed "1001", "4.0", "2011.0"
        ("06037", "LOS ANGELES", "CA", date(2009, 8, 1)),
        ("48201", "HARRIS", "TX", date(2008, 10, 1)),
        ("51510", "ALEXANDRIA CITY", "VA", date(2010, 3, 1)),
        ("12109", "ST. JOHNS", "FL", date(2009, 2, 1)),
        ("02020", "ANCHORAGE", "AK", None),  # the source has no date: reported, not invented
        ("15003", "HONOLULU", "HI", None),
        ("51600", "FAIRFAX CITY", "VA", None),
    ],
)
def test_known_counties(
    activations: dict, fips: str, county: str, state: str, activated: date | None
) -> None:
    record = activations[fips]
    assert (record.county, record.state, record.activated) == (county, state, activated)
    assert record.precision == "month"


def test_every_county_row_is_read_once_and_not_further_defined_rows_are_left_out(activations: dict) -> None:
    raw = _raw_rows()
    undefined = [row for row in raw if row["countyfips"].zfill(5)[2:] >= "990"]
    assert [row["countyname"] for row in undefined] == ["PUERTO RICO, NFD"]
    assert len(activations) == len(raw) - len(undefined)
    assert "72990" not in activations
    assert all(len(fips) == 5 and fips.isdigit() for fips in activations)


def test_missing_months_are_kept_as_none(activations: dict) -> None:
    raw_missing = {
        row["countyfips"].zfill(5)
        for row in _raw_rows()
        if not row["activation_month"] and not row["countyname"].endswith("NFD")
    }
    missing = {fips for fips, record in activations.items() if record.activated is None}
    assert missing == raw_missing
    assert 100 < len(missing) < 200  # all of AK, HI and PR, plus a few defunct or unlisted counties


def test_dates_are_firsts_of_months_within_the_program_years(activations: dict) -> None:
    dated = [record.activated for record in activations.values() if record.activated]
    assert all(day.day == 1 for day in dated)
    assert min(dated) >= date(2008, 1, 1)
    assert max(dated) <= date(2013, 12, 1)


def test_source_row_is_the_line_in_the_file(activations: dict) -> None:
    record = activations["06037"]
    lines = (DATA / FILE).read_text(encoding="utf-8").splitlines()
    assert lines[record.source.row - 1].startswith("LOS ANGELES,6037,CA")
    assert record.source.dataset == "secure-communities"
    assert record.source.file == FILE


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(COLUMNS) + "\n" + body, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("AUTAUGA,1001,AL,1,4.0,2011.0,\n", date(2011, 4, 1)),
        ("AUTAUGA,01001,AL,01,4,2011,L\n", date(2011, 4, 1)),
        ("AUTAUGA,1001.0,AL,1.0,12.0,2008.0,\n", date(2008, 12, 1)),
        ("AUTAUGA,1001,AL,1,,,\n", None),
    ],
)
def test_number_formats(tmp_path: Path, body: str, expected: date | None) -> None:
    (record,) = read_secure_communities(_write(tmp_path, body))
    assert record.county_fips == "01001"
    assert record.activated == expected


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("AUTAUGA,1001,AL,1,4.0,,\n", "both be given"),
        ("AUTAUGA,1001,AL,1,13.0,2011.0,\n", "no such activation month"),
        ("AUTAUGA,1001,AL,1,4.5,2011.0,\n", "not a whole number"),
        ("AUTAUGA,1001,AL,1,April,2011.0,\n", "not a number"),
        ("AUTAUGA,1001,AL,6,4.0,2011.0,\n", "not in state FIPS"),
        ("AUTAUGA,1001,ZZ,1,4.0,2011.0,\n", "unknown state"),
        ("AUTAUGA,1,AL,1,4.0,2011.0,\n", "4- or 5-digit"),
        ("AUTAUGA,1001,AL,1,4.0\n", "fields, expected"),
    ],
)
def test_bad_rows_name_the_line_and_the_problem(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem) as raised:
        read_secure_communities(_write(tmp_path, body))
    assert "line 2" in str(raised.value)
    assert FILE in str(raised.value)
