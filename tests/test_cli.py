"""The CLI as a person runs it: data on stdout, messages on stderr, one clean line and exit 1 on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from disentangle.workspace import Workspace


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "disentangle", "--workspace", str(home), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def home(registry: Workspace) -> Path:
    return registry.home


def test_agreements_json_carries_the_contract_fields(home: Path) -> None:
    result = run(
        home, "agreements", "--state", "TX", "--model", "tfm", "--as-of", "2026-05-18", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and {
        "id",
        "state",
        "agency",
        "model",
        "signed",
        "status",
        "first_seen",
        "last_seen",
        "jurisdiction",
        "ori",
    } <= set(rows[0])
    assert {r["state"] for r in rows} == {"TX"} and {r["model"] for r in rows} == {"287g-tfm"}
    assert "agreements" in result.stderr and "agreements" not in result.stdout.splitlines()[0]


def test_agreements_csv_is_parseable(home: Path) -> None:
    result = run(home, "agreements", "--status", "superseded", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["status"] == "superseded" for r in rows)


def test_stats_by_month_table(home: Path) -> None:
    result = run(home, "stats", "--by", "month")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1].split()
    assert last[:2] == ["2026-05-18", "1843"]


def test_second_import_says_nothing_changed(home: Path) -> None:
    result = run(home, "import")
    assert result.returncode == 0
    assert "registry is current" in result.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "0 bytes"), (b"STATE,AGENCY\n", "not a zip archive"), (b"PK\x03\x04broken", "not a")],
)
def test_bad_sheet_is_one_line_and_exit_1(home: Path, tmp_path: Path, content: bytes, problem: str) -> None:
    bad = tmp_path / "participatingAgencies06012026am.xlsx"
    bad.write_bytes(content)
    result = run(home, "import", "ice-sheet", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and problem in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_agency_is_a_clean_error(home: Path) -> None:
    result = run(home, "history", "Nowhere Constabulary")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no agency matches")


def test_export_formats(home: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "json", "sqlite"):
        result = run(home, "export", "--format", fmt, str(tmp_path / fmt))
        assert result.returncode == 0, result.stderr
    with (tmp_path / "csv" / "agreements.csv").open() as handle:
        csv_rows = list(csv.DictReader(handle))
    json_rows = json.loads((tmp_path / "json" / "agreements.json").read_text())
    database = sqlite3.connect(tmp_path / "sqlite" / "disentangle.sqlite")
    (count,) = database.execute("select count(*) from agreements").fetchone()
    (active,) = database.execute(
        "select count(*) from snapshot_rows r join snapshots s on s.id = r.snapshot_id"
        " where s.captured = '2026-05-18'"
    ).fetchone()
    database.close()
    assert len(csv_rows) == len(json_rows) == count > 1900
    assert active == 1843
    assert not list((tmp_path / "sqlite").glob("*.part"))


def test_ingest_a_folder_twice(tmp_path: Path) -> None:
    folder = tmp_path / "response"
    folder.mkdir()
    fixtures = Path(__file__).parent / "fixtures" / "ingest"
    for pdf in sorted(fixtures.glob("*.pdf"))[:2]:
        (folder / pdf.name).write_bytes(pdf.read_bytes())
    (folder / "empty.pdf").write_bytes(b"")
    home = tmp_path / "ws"
    first = run(home, "ingest", str(folder))
    assert first.returncode == 1  # one file failed; the others were stored
    assert "3 documents" not in first.stderr and "2 documents (2 new, 0 already stored)" in first.stderr
    assert "empty.pdf: empty file" in first.stderr
    second = run(home, "ingest", str(folder / sorted(fixtures.glob("*.pdf"))[0].name))
    assert second.returncode == 0
    assert "1 documents (0 new, 1 already stored)" in second.stderr
    originals = list((home / "documents" / "originals").rglob("*"))
    assert sum(1 for p in originals if p.is_file()) == 2


def test_a_truncated_csv_in_the_data_is_one_line_and_nothing_written(tmp_path: Path, data_dir: Path) -> None:
    data = tmp_path / "data"
    sheets = data / "ice-287g-monthly" / "participating_monthly"
    sheets.mkdir(parents=True)
    (data / "PROVENANCE.md").write_text((data_dir / "PROVENANCE.md").read_text())
    first = sorted((data_dir / "ice-287g-monthly" / "participating_monthly").glob("*.xlsx"))[0]
    (sheets / first.name).write_bytes(first.read_bytes())
    env = {**os.environ, "DISENTANGLE_DATA_DIR": str(data)}
    home = tmp_path / "ws"
    ok = subprocess.run(
        [sys.executable, "-m", "disentangle", "--workspace", str(home), "import"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    ocd = data / "ocd-division-ids"
    ocd.mkdir()
    for name in ("states.csv", "aliases.csv", "us_territories.csv", "us_territories_local_gov.csv"):
        (ocd / name).write_bytes((data_dir / "ocd-division-ids" / name).read_bytes())
    places = (data_dir / "ocd-division-ids" / "us_census_places.csv").read_bytes()
    (ocd / "us_census_places.csv").write_bytes(places[: len(places) // 3])  # cut mid-file
    bad = subprocess.run(
        [sys.executable, "-m", "disentangle", "--workspace", str(home), "import"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "us_census_places.csv" in lines[-1]
    assert "Traceback" not in bad.stderr
    untouched = Workspace(home, data_dir=data)
    assert untouched.summary()["active_rows"] == 150  # the registry of the first import, as it was
    assert len(untouched.agreements()) == 150
    untouched.close()


def test_assess_several_places_side_by_side_and_gaps(home: Path) -> None:
    result = run(home, "assess", "Galveston County, TX", "District of Columbia")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert "Galveston County" in header and "District of Columbia" in header
    detainers = next(line for line in result.stdout.splitlines() if "No holds on ICE detainers" in line)
    assert detainers.split("|")[2].strip() == "N" and detainers.split("|")[3].strip() == "Y"
    gaps = run(home, "assess", "Galveston County, TX", "--gaps")
    assert "Texas SB 4" in gaps.stdout and "Cook County" in gaps.stdout
