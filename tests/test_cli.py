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
from click.testing import CliRunner

from disentangle.cli import main
from disentangle.workspace import Workspace


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)  # --workspace names an existing folder
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
    home.mkdir()
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


ARCADIA = Path(__file__).parent / "fixtures" / "ingest" / "arcadia_fl_tfm_moa_2025.pdf"


def test_extract_json_keeps_the_output_contract_in_an_empty_workspace(tmp_path: Path) -> None:
    import hashlib

    result = run(tmp_path / "empty", "extract", str(ARCADIA), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sha256"] == hashlib.sha256(ARCADIA.read_bytes()).hexdigest()
    assert (data["kind"], data["template"]["family"]) == ("287g-tfm", "287g-tfm-2025")
    assert data["agency"]["name"] == "Arcadia Police Dept" and data["agency"]["state"] == "FL"
    sides = {s["side"]: s for s in data["signatories"]}
    assert set(sides) == {"lea", "ice"}
    assert all({"name", "title", "date"} <= set(s) for s in data["signatories"])
    assert (sides["lea"]["name"], sides["lea"]["date"]) == ("Quinn Jones", "2025-02-28")
    assert sides["ice"]["name"] is None  # a signature line with no printed name: null, never guessed
    assert (data["signed_date"], data["effective_date"]) == ("2025-03-05", "2025-03-05")
    assert {"interrogate", "arrest_warrantless", "detainers", "database_access"} <= set(data["functions"])
    assert {"by_lea", "by_ice", "notice"} <= set(data["termination"])
    assert data["termination"]["by_lea"] is True and data["termination"]["by_ice"] is True
    assert data["registry_match"] is None  # an empty workspace has no registry
    facts = data["facts"]
    assert facts and all(
        set(f) == {"field", "value", "page", "start", "end", "quote", "rule", "confidence"} for f in facts
    )
    assert any(f["field"] == "agency.name" and f["page"] == 1 for f in facts)


def test_extract_summary_links_the_registry_and_says_what_it_left_empty(home: Path, tmp_path: Path) -> None:
    linked = run(home, "extract", str(ARCADIA))
    assert linked.returncode == 0, linked.stderr
    assert "registry: fl-arcadia-police-department-tfm-20250305" in linked.stdout
    # Grayson County (KY, TX, VA) with no other clue: the state is left empty, and the summary says why.
    text = tmp_path / "grayson.txt"
    text.write_text(
        "MEMORANDUM OF AGREEMENT\n287(g) Jail Enforcement Model\n\nThis Memorandum of Agreement (MOA) "
        "constitutes an agreement between U.S. Immigration and Customs Enforcement (ICE), a component of the "
        "Department of Homeland Security (DHS), and the Grayson County Detention Center, hereinafter the law "
        "enforcement agency (LEA), pursuant to which ICE delegates to nominated LEA personnel the "
        "authority.\n",
        encoding="utf-8",
    )
    result = run(tmp_path / "empty", "extract", str(text))
    assert result.returncode == 0, result.stderr
    assert "agency: Grayson County Detention Center (state: KY or TX or VA)" in result.stdout
    assert "warning: state left empty: the evidence allows several states" in result.stdout


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no such file"), (b"hello", "not a PDF"), (b"", "empty")],
)
def test_extract_bad_input_is_one_clean_line_naming_the_file(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "agreement.pdf"
    if content is not None:
        path.write_bytes(content)
    result = run(tmp_path / "empty", "extract", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}") and problem in result.stderr
    assert "Traceback" not in result.stderr


def test_compare_reports_the_deviations_from_the_family_template(tmp_path: Path) -> None:
    result = run(tmp_path / "empty", "compare", str(ARCADIA), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["family"], data["status"]) == ("287g-tfm-2025", "compared")
    assert data["template_members"] >= 50  # the consensus of the corpus's 2025 TFMs, not typed in
    assert data["counts"]["same"] > 100
    kinds = {d["kind"] for d in data["diffs"]}
    assert kinds <= {"added", "removed", "changed", "local"} and data["diffs"]
    markdown = run(tmp_path / "empty", "compare", str(ARCADIA))
    assert markdown.returncode == 0 and "287g-tfm-2025" in markdown.stdout


def test_nothing_is_created_that_was_not_asked_for(tmp_path: Path) -> None:
    """A mistyped --workspace or --out is one clear line, and no folder appears."""
    missing = tmp_path / "nowhere" / "ws"
    result = CliRunner().invoke(main, ["--workspace", str(missing), "summary"])
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "no workspace folder there: create it first (mkdir), or leave out --workspace for the default"
    )
    assert not (tmp_path / "nowhere").exists()


def test_export_to_a_folder_that_cannot_be_written_is_one_line(home: Path, tmp_path: Path) -> None:
    # /proc takes no new folders, even from root (a read-only folder would not stop root)
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc")
    result = CliRunner().invoke(
        main, ["--workspace", str(home), "export", "--format", "csv", "/proc/disentangle-export"]
    )
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "cannot" in result.output
    nested = CliRunner().invoke(
        main, ["--workspace", str(home), "export", "--format", "csv", str(tmp_path / "a" / "b" / "c")]
    )
    assert nested.exit_code == 1 and "the folder to write into does not exist" in nested.output
    assert not (tmp_path / "a").exists()
