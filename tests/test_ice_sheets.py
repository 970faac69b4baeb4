"""Reading ICE's workbooks: their real mess, and bad files refused with the file and problem named."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from disentangle.errors import SourceFormatError
from disentangle.model import AgreementKind
from disentangle.sources.ice_sheets import (
    capture_date_from_name,
    original_url,
    parse_date,
    parse_model,
    parse_state,
    read_sheet,
)

NEW_HEADER = [
    "STATE",
    "LAW ENFORCEMENT AGENCY",
    "TYPE",
    "COUNTY",
    "SUPPORT TYPE",
    "SIGNED",
    "MOA",
    "ADDENDUM",
]


def write_book(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TEXAS ", "TX"),
        ("UTAh", "UT"),
        ("WEST VIRIGINA", "WV"),  # ICE's typo, pending sheet of 2026-02-02
        ("WEST VIRIGINIA", "WV"),
        ("UTAHJ", "UT"),
        ("NORTHERN MARIANA ISLANDS", "MP"),
        ("GUAM", "GU"),
        ("ATLANTIS", None),
        ("", None),
        ("TEX", None),  # too short to guess
    ],
)
def test_parse_state(text: str, expected: str | None) -> None:
    assert parse_state(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jail Enforcement Model ", AgreementKind.JEM),
        ("Jail Enforcment Model ", AgreementKind.JEM),
        ("Warrant Services Officer", AgreementKind.WSO),
        ("Warrant Service Office", AgreementKind.WSO),
        ("Task Force Model", AgreementKind.TFM),
        ("Intergovernmental Service Agreement", None),
        ("", None),
    ],
)
def test_parse_model(text: str, expected: AgreementKind | None) -> None:
    assert parse_model(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 9, 22), date(2025, 9, 22)),
        ("2016-06-08", date(2016, 6, 8)),
        ("05/082025", date(2025, 5, 8)),  # as printed in ICE's sheets
        ("7/72025", date(2025, 7, 7)),
        ("2025/08/20", date(2025, 8, 20)),
        (45778, date(2025, 5, 1)),  # an Excel serial day number
        ("link pending", None),
        ("13/45/2025", None),
        (None, None),
        ("#N/A", None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20210113__ParticipatingEntities-20210113002027.xlsx", date(2021, 1, 13)),
        ("participatingAgencies05182026am.xlsx", date(2026, 5, 18)),
        ("pendingAgencies-20250221214937.xlsx", date(2025, 2, 21)),
        ("ParticipatingEntities-20250104041613.xlsx", date(2025, 1, 4)),
        ("agreements.xlsx", None),
    ],
)
def test_capture_date_from_name(name: str, expected: date | None) -> None:
    assert capture_date_from_name(name) == expected


def test_original_url_strips_wayback_capture() -> None:
    wayback = (
        "https://web.archive.org/web/20250104041613/"
        "https://www.ice.gov/doclib/287gMOA/287gJEM_ etowahCoAL_06-09-2020.pdf"
    )
    assert original_url(wayback) == "https://www.ice.gov/doclib/287gMOA/287gJEM_etowahCoAL_06-09-2020.pdf"
    assert original_url(" https://www.ice.gov/x.pdf ") == "https://www.ice.gov/x.pdf"


def test_reads_old_format_with_urls(data_dir: Path) -> None:
    sheet = read_sheet(
        data_dir
        / "ice-287g-monthly/participating_monthly/20210113__ParticipatingEntities-20210113002027.xlsx"
    )
    assert sheet.list == "participating"
    assert sheet.captured == date(2021, 1, 13)
    assert len(sheet.rows) == 150
    first = sheet.rows[0]
    assert (first.state, first.agency, first.kind, first.signed) == (
        "AL",
        "Etowah County Sheriff's Office",
        AgreementKind.JEM,
        date(2016, 6, 8),
    )
    assert first.moa_url == "https://www.ice.gov/doclib/287gMOA/287gJEM_EtowahCoAl2016-06-18.pdf"


def test_reads_new_format_with_hyperlinks(data_dir: Path) -> None:
    sheet = read_sheet(
        data_dir
        / "ice-287g-monthly/participating_monthly/20260518_latest__participatingAgencies05182026am.xlsx"
    )
    assert len(sheet.rows) == 1843
    autauga = sheet.rows[0]
    assert autauga.agency == "Autauga County Sheriff's Office"  # trailing space trimmed
    assert autauga.agency_type == "County"
    assert autauga.county == "Autauga County"
    assert (
        autauga.moa_url == "https://www.ice.gov/doclib/287gMOA/AutaugaCoSheriffsOfficeAL_TFM_MOA_09222025.pdf"
    )
    assert sum(1 for r in sheet.rows if r.moa_url) > 1600


def test_reads_pending_sheet(data_dir: Path) -> None:
    sheet = read_sheet(data_dir / "ice-287g-monthly/pending_monthly/20260202__pendingAgencies02022026am.xlsx")
    assert sheet.list == "pending"
    assert [(r.state, r.agency) for r in sheet.rows] == [
        ("IN", "Stinesville Police Department"),
        ("WV", "Pleasants County Sheriff's Office"),
    ]


def test_header_row_below_a_title_and_blank_rows(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "participatingAgencies06012026am.xlsx",
        [
            ["287(g) participating agencies"],
            NEW_HEADER,
            [
                "TEXAS",
                "Harris County Sheriff's Office ",
                "County",
                "Harris County",
                "Task Force Model",
                "2026-05-01",
                "link",
            ],
            [None] * 8,
            [
                "TEXAS ",
                "Houston Police Department",
                "Municipality",
                "Harris County",
                "Warrant Service Officer",
                None,
                None,
            ],
        ],
    )
    sheet = read_sheet(path)
    assert sheet.captured == date(2026, 6, 1)
    assert [(r.row, r.agency, r.signed) for r in sheet.rows] == [
        (3, "Harris County Sheriff's Office", date(2026, 5, 1)),
        (5, "Houston Police Department", None),
    ]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "OFFICERS"]],
            "unknown column(s) 'OFFICERS'",
        ),
        ([["STATE", "LAW ENFORCEMENT AGENCY", "SIGNED"]], "missing column(s) SUPPORT TYPE"),
        ([["AGENCY LIST"], ["nothing here"]], "no header row"),
        (
            [NEW_HEADER, ["NARNIA", "Cair Paravel Police", "", "", "Task Force Model", "2026-01-01"]],
            "unknown state 'NARNIA'",
        ),
        (
            [NEW_HEADER, ["TEXAS", "Austin Police", "", "", "Detention Model", "2026-01-01"]],
            "unknown support type",
        ),
        (
            [NEW_HEADER, ["TEXAS", "Austin Police", "", "", "Task Force Model", "sometime"]],
            "cannot read the signed date",
        ),
    ],
)
def test_bad_sheets_are_refused_naming_file_and_problem(
    tmp_path: Path, rows: list[list[object]], problem: str
) -> None:
    path = write_book(tmp_path / "participatingAgencies01012026am.xlsx", rows)
    with pytest.raises(SourceFormatError) as caught:
        read_sheet(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_non_excel_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "participatingAgencies01012026am.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="0 bytes"):
        read_sheet(empty)
    text = tmp_path / "participatingAgencies02012026am.xlsx"
    text.write_text("STATE,AGENCY\nTEXAS,Austin\n")
    with pytest.raises(SourceFormatError, match="not a zip archive"):
        read_sheet(text)


def test_truncated_workbook_is_refused(tmp_path: Path) -> None:
    good = write_book(
        tmp_path / "good.xlsx", [NEW_HEADER, ["TEXAS", "Austin PD", "", "", "Task Force Model", "2026-01-01"]]
    )
    data = good.read_bytes()
    truncated = tmp_path / "participatingAgencies03012026am.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError) as caught:
        read_sheet(truncated)
    assert str(truncated) in str(caught.value)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "participatingAgencies04012026am.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(SourceFormatError, match="not a readable Excel workbook"):
        read_sheet(path)


def test_missing_capture_date_is_refused_unless_given(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "agencies.xlsx",
        [NEW_HEADER, ["TEXAS", "Austin PD", "", "", "Task Force Model", "2026-01-01"]],
    )
    with pytest.raises(SourceFormatError, match="capture date"):
        read_sheet(path)
    assert read_sheet(path, captured=date(2026, 1, 2)).captured == date(2026, 1, 2)
