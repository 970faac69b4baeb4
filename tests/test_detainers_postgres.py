"""Detainers on a real PostgreSQL server: the bundled national tables, a DDP import and its answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddp_files import COLUMNS, ddp_rows, write_ddp_parquet
from disentangle.workspace import Workspace

pytestmark = pytest.mark.postgres


def test_detainers_on_postgres(tmp_path: Path, postgres_url: str, postgres_schema: str) -> None:
    workspace = Workspace(tmp_path, database_url=postgres_url, schema=postgres_schema)
    try:
        workspace.import_bundled()
        national = workspace.detainers_national()
        assert national.series.year(2012).outcome("us_citizen") == 150
        cook = workspace.detainers("Cook County, IL")
        assert not cook.series.year(2012).has_data and cook.series.year(2013).outcome("declined") == 8
        assert [c.place for c in workspace.detainer_contradictions()] == ["Cook County, IL"]
        rows = ddp_rows(2_000)
        report = workspace.import_detainer_table(write_ddp_parquet(tmp_path / "d.parquet", rows))
        assert report.rows_counted == 2_000 and report.facilities == 5
        harris = workspace.detainers("Harris County, TX")
        expected = sum(1 for row in rows if row[COLUMNS.index("Detainer Facility")] == "HARRIS COUNTY JAIL")
        assert sum(y.total or 0 for y in harris.series.years if y.dataset == "ddp-detainers") == expected
        assert workspace.import_detainer_table(tmp_path / "d.parquet").already_imported
        # the invented release books people into ICE custody from jails whose policies say they decline
        # every detainer, in years those policies were in force: direct contradictions, state law and local
        after = workspace.detainer_contradictions()
        assert {c.place for c in after} == {"Cook County, IL", "Santa Clara County, CA", "Yuba County, CA"}
        ca = next(c for c in after if c.policy.label.startswith("California Values Act"))
        assert {y.year: y.strength for y in ca.contradicting} == {
            2023: "direct",
            2024: "direct",
            2025: "direct",
        }
    finally:
        workspace.close()
