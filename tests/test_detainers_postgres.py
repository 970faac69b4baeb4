"""Detainers on a real PostgreSQL server: the bundled national tables, a DDP import and its answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddp_files import ddp_rows, write_ddp_parquet
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
        report = workspace.import_detainer_table(write_ddp_parquet(tmp_path / "d.parquet", ddp_rows(2_000)))
        assert report.rows_counted == 2_000 and report.facilities == 5
        harris = workspace.detainers("Harris County, TX")
        assert sum(y.total or 0 for y in harris.series.years if y.dataset == "ddp-detainers") == 400
        assert workspace.import_detainer_table(tmp_path / "d.parquet").already_imported
        assert [c.place for c in workspace.detainer_contradictions()] == ["Cook County, IL"]
    finally:
        workspace.close()
