"""Detainers through the facade and the CLI: the bundled national tables, county pages with "no data" years,
the DDP import (counts only: a scan of the database finds nothing about a person), practice against policy."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ddp_files import BIRTH_DATE, COLUMNS, ID_PREFIX, SENTINELS, ddp_rows, write_ddp_parquet, write_ddp_xlsx
from disentangle import assess
from disentangle.errors import NotFoundError, SourceFormatError
from disentangle.registry import tables as t
from disentangle.workspace import Workspace
from test_cli import run

# "United States Citizen Interviewed" lifts per calendar year in NPR's national table (read by hand from
# detainers_by_lift_reason_and_year.csv).
US_CITIZEN_LIFTS = {
    2007: 15,
    2008: 76,
    2009: 76,
    2010: 101,
    2011: 103,
    2012: 150,
    2013: 58,
    2014: 76,
    2015: 38,
}


@pytest.fixture(scope="module")
def ddp_rows_made() -> list[tuple]:
    """Two releases of disjoint months: October 2023 - June 2024, then July 2024 - June 2025."""
    return ddp_rows(3_000, seed=11, start=date(2023, 10, 1), days=274) + ddp_rows(
        3_000, seed=12, start=date(2024, 7, 1), days=365
    )


@pytest.fixture(scope="module")
def imported(
    registry_copy: Callable[[str], Workspace],
    ddp_rows_made: list[tuple],
    tmp_path_factory: pytest.TempPathFactory,
) -> Workspace:
    """A copy of the session registry with one DDP release imported as Excel and one as Parquet."""
    workspace = registry_copy("ddp-imported")
    folder = tmp_path_factory.mktemp("ddp")
    workspace.import_detainer_table(write_ddp_xlsx(folder / "detainers-2024.xlsx", ddp_rows_made[:3_000]))
    workspace.import_detainer_table(
        write_ddp_parquet(folder / "detainers-2025.parquet", ddp_rows_made[3_000:])
    )
    return workspace


# ------------------------------------------------------------------------------------------ bundled
def test_national_page_has_the_us_citizen_lifts_by_year(registry: Workspace) -> None:
    report = registry.detainers_national()
    years = {y.year: y for y in report.series.years}
    assert {year: years[year].outcome("us_citizen") for year in US_CITIZEN_LIFTS} == US_CITIZEN_LIFTS
    assert sum(US_CITIZEN_LIFTS.values()) == 693
    assert years[2011].total == 314_966 and years[2014].outcome("declined") == 13_595
    assert years[2008].outcome("booked") == 74_190
    assert years[2015].forms == {"I-247": 46_187, "I-247-pre-2013": 119, "I-247D": 2_805, "I-247N": 542}
    assert sorted(years[2007].months) == [10, 11, 12]  # the data start in October 2007
    for year in years.values():
        assert year.sources and all("nprapps/sanctuary-cities" in (s.url or "") for s in year.sources)
    data = report.to_dict()
    assert [e["id"] for e in data["timeline"]][:2] == ["287g-enacted", "sc-pilot"]
    assert report.click is not None and report.click.observed_us_citizen == 693


def test_a_year_without_data_says_no_data_never_zero(registry: Workspace) -> None:
    report = registry.detainers("Cook County, IL")
    years = {y.year: y for y in report.series.years}
    assert not years[2012].has_data and years[2012].to_dict() == {
        "year": 2012,
        "data": False,
        "note": "no data",
    }
    assert years[2013].outcome("declined") == 8 and years[2013].other_outcomes == 138
    assert years[2013].total is None and years[2013].outcome("booked") is None  # unknown, not zero
    row = next(r for r in report.rows() if r["year"] == 2012)
    assert row["total"] is None and row["note"] == "no data"


def test_cook_countys_ordinance_against_its_jails_records(registry: Workspace) -> None:
    report = registry.detainers("Cook County, IL")
    local = next(c for c in report.comparisons if c.policy.origin == "local-policy")
    assert local.verdict is assess.Verdict.CONTRADICTS
    verdicts = {y.year: y.verdict.value for y in local.years}
    assert verdicts[2011] == "before" and verdicts[2012] == "no data"
    assert verdicts[2013] == "contradicts" and verdicts[2014] == "agrees"
    side = local.to_dict()
    assert side["policy"]["quote"].startswith(
        "The Sheriff of Cook County shall decline ICE detainer requests"
    )
    assert side["policy"]["source"].startswith("https://cook-county.legistar.com/")
    year = next(y for y in side["years"] if y["year"] == 2013)
    assert (year["declined"], year["other_outcomes"]) == (8, 138) and year["sources"][0]["row"] is not None
    # the state law of 2017 has no year of data to be compared with: no verdict, not "agrees"
    state = next(c for c in report.comparisons if c.policy.origin == "state-law")
    assert state.verdict is assess.Verdict.NO_DATA
    assert [c.place for c in registry.detainer_contradictions()] == ["Cook County, IL"]


def test_santa_claras_declines_after_its_2011_policy_agree(registry: Workspace) -> None:
    report = registry.detainers("06085")
    local = next(c for c in report.comparisons if c.policy.origin == "local-policy")
    assert local.verdict is assess.Verdict.AGREES
    assert {y.year for y in local.years if y.verdict is assess.Verdict.AGREES} == {2012, 2013, 2014, 2015}
    assert len(report.facilities) == 3 and {f["operator_ori"] for f in report.facilities} == {"CA0430000"}


def test_harris_county_has_no_declining_policy_to_compare(registry: Workspace) -> None:
    report = registry.detainers("Harris County, TX")
    assert report.comparisons == []  # Texas SB 4 requires holds: nothing says Harris declines
    assert report.series.year(2014) is not None and report.series.year(2014).outcome("declined") == 1
    ids = [e.id for e in report.timeline]
    assert "sc-activated-here" in ids and ids.index("sc-pilot") < ids.index("sc-restored")
    assert next(e for e in report.timeline if e.id == "sc-activated-here").date == "2008-10"


def test_facility_and_agency_pages(registry: Workspace) -> None:
    facility = registry.detainers("COOK COUNTY JAIL")
    assert facility.scope == "facility" and facility.series.year(2013).outcome("declined") == 8
    agency = registry.detainers("IL0160000")
    assert agency.scope == "agency" and agency.facilities[0]["operator_rule"] == "county-agency"
    with pytest.raises(NotFoundError):
        registry.detainers("NO SUCH JAIL ANYWHERE")


# ------------------------------------------------------------------------------------------ DDP import
def test_import_counts_every_row_and_answers_for_the_facilities(
    imported: Workspace, ddp_rows_made: list[tuple]
) -> None:
    at = {name: i for i, name in enumerate(COLUMNS)}
    by_year: Counter[int] = Counter()
    booked: Counter[int] = Counter()
    for row in ddp_rows_made:
        if row[at["Detainer Facility"]] == "HARRIS COUNTY JAIL":
            year = row[at["Detainer Prepare Date"]].year
            by_year[year] += 1
            booked[year] += row[at["Detainer Lift Reason"]] == "Booked into Detention"
    report = imported.detainers("Harris County, TX")
    for year, count in by_year.items():
        item = report.series.year(year)
        assert item is not None and item.dataset == "ddp-detainers"
        assert item.total == count and item.outcome("booked") == booked[year]
    # 2014 still comes from NPR: each year is answered by the dataset that has it
    assert report.series.year(2014).dataset == "npr-detainers-facilities"
    assert report.series.year(2016).to_dict()["note"] == "no data"
    facility = imported.detainers("hrristx")  # the release's facility code
    assert sum(y.total or 0 for y in facility.series.years) == sum(by_year.values())
    assert facility.series.year(2023).months_covered == (10, 12)


def test_overlapping_releases_are_not_added_together(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    """A later release of the same months answers them; the earlier one only the months it alone has."""
    workspace = registry_copy("ddp-overlap")
    early = ddp_rows(500, seed=1, start=date(2024, 1, 1), days=182)  # January - June 2024
    late = ddp_rows(700, seed=2, start=date(2024, 4, 1), days=183)  # April - September 2024
    workspace.import_detainer_table(write_ddp_parquet(tmp_path / "early.parquet", early))
    workspace.import_detainer_table(write_ddp_parquet(tmp_path / "late.parquet", late))
    at = COLUMNS.index("Detainer Prepare Date")
    expected = sum(1 for r in early if r[at].month <= 3) + len(late)
    national = workspace.detainers_national().series.year(2024)
    assert national is not None and national.total == expected
    assert national.months_covered == (1, 9) and len(national.sources) == 2


def test_nothing_about_a_person_reaches_the_database(imported: Workspace) -> None:
    """Every cell of every table, and the database files' bytes, are searched for the person-level values."""
    imported.store.dispose()
    marks = [*SENTINELS.values(), ID_PREFIX, BIRTH_DATE.isoformat(), BIRTH_DATE.strftime("%m/%d/%Y")]
    files = [p for p in imported.home.glob("registry.sqlite*") if p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    for mark in marks:
        assert mark.encode() not in raw, mark
    connection = sqlite3.connect(imported.home / "registry.sqlite")
    try:
        tables = [r[0] for r in connection.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in connection.execute(f'select * from "{table}"'):
                text = "\x1f".join(str(v) for v in row)
                assert not any(mark in text for mark in marks), (table, row)
    finally:
        connection.close()
    with imported.store.read() as db:
        counted = db.scalar(
            select(func.sum(t.detainer_datasets.c.rows_counted)).where(
                t.detainer_datasets.c.dataset == "ddp-detainers"
            )
        )
        assert counted == 6_000
        # the counts hold no row per detainer: far fewer stored numbers than rows read
        stored = db.scalar(select(func.count()).select_from(t.detainer_counts))
        assert stored < 6_000


def test_the_same_file_twice_changes_nothing(imported: Workspace, tmp_path: Path) -> None:
    rows = ddp_rows(50, seed=99)
    path = write_ddp_parquet(tmp_path / "again.parquet", rows)
    first = imported.import_detainer_table(path)
    second = imported.import_detainer_table(path)
    assert not first.already_imported and first.rows_counted == 50
    assert second.already_imported and second.rows_counted == 0


def test_an_import_that_fails_leaves_nothing(
    registry_copy: Callable[[str], Workspace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = registry_copy("ddp-failing")
    from disentangle.workspace import _detainers

    def broken(*_args: object, **_kwargs: object) -> None:
        raise SourceFormatError("the disk is full (simulated)", tmp_path)

    monkeypatch.setattr(_detainers, "_bulk", broken)
    with pytest.raises(SourceFormatError):
        workspace.import_detainer_table(write_ddp_parquet(tmp_path / "f.parquet", ddp_rows(40)))
    with workspace.store.read() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(t.detainer_datasets)
                .where(t.detainer_datasets.c.dataset == "ddp-detainers")
            )
            == 0
        )
        assert (
            db.scalar(
                select(func.count())
                .select_from(t.detainer_facilities)
                .where(t.detainer_facilities.c.code.is_not(None))
            )
            == 0
        )


# ------------------------------------------------------------------------------------------ CLI
def test_cli_import_prints_what_it_counted_then_answers(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("ddp-cli")
    home = workspace.home
    workspace.close()
    path = write_ddp_xlsx(tmp_path / "release.xlsx", ddp_rows(900, seed=5))
    result = run(home, "import", "ddp-detainers", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    counted = json.loads(result.stdout)
    assert counted["rows_counted"] == 900 and counted["facilities"] == 5
    assert "900 detainers counted" in result.stderr and "no row about a person was stored" in result.stderr
    answer = run(home, "detainers", "Cook County, IL", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)
    years = {y["year"]: y for y in data["years"]}
    assert {"year", "total", "declined", "booked", "us_citizen"} <= set(years[2024])
    assert years[2024]["dataset"] == "ddp-detainers" and years[2012] == {
        "year": 2012,
        "data": False,
        "note": "no data",
    }
    table = run(home, "detainers", "--national")
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:4] == [
        "YEAR",
        "TOTAL",
        "BOOKED",
        "DECLINED",
    ]
    csv_out = run(home, "detainers", "Cook County, IL", "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith("year,total,booked,declined,released,us_citizen")


def test_cli_bad_file_is_one_line(registry: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,birth date\nx,2000-01-01\n", encoding="utf-8")
    result = run(registry.home, "import", "ddp-detainers", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr


def test_cli_click_and_arrest_values(registry: Workspace) -> None:
    result = run(
        registry.home,
        "detainers",
        "--national",
        "--from",
        "2011",
        "--to",
        "2011",
        "--set",
        "database_share=50%",
        "--set",
        "overstay_share=0",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)["click_and_arrest"]
    assert model["detainers"] == 314_966 and model["observed_us_citizen_lifts"] == 103
    assert model["expected_holds_on_a_wrong_record"] == pytest.approx(314_966 * 0.5 * 0.30, abs=0.1)
    bad = run(registry.home, "detainers", "--national", "--set", "database_share=2")
    assert bad.returncode == 1 and "database_share must be between" in bad.stderr
