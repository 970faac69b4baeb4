"""Named, ordered migrations on the embedded SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from disentangle.errors import StoreError
from disentangle.registry import Store, sqlite_url
from disentangle.registry import tables as t


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "r.sqlite"))
    names = [name for name, _ in t.MIGRATIONS]
    assert names[:4] == ["0001_registry", "0002_records_requests", "0003_request_documents", "0004_documents"]
    assert store.migrate() == names
    assert store.migrate() == []
    assert {"agreements", "records_requests", "request_events"} <= set(store.tables())
    with store.read() as connection:
        assert connection.execute(text("pragma journal_mode")).scalar() == "wal"
    store.dispose()


def test_a_database_from_an_older_version_is_upgraded(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "r.sqlite"))
    with store.transaction() as connection:
        t.schema_migrations.create(connection)
        for table in t.MIGRATIONS[0][1]:
            table.create(connection)
        connection.execute(
            insert(t.schema_migrations).values(name="0001_registry", applied_at=datetime.now(UTC))
        )
    assert "records_requests" not in store.tables()
    assert store.migrate() == [name for name, _ in t.MIGRATIONS[1:]]
    assert "records_requests" in store.tables()
    store.dispose()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "r.sqlite"))
    store.migrate()
    with store.transaction() as connection:
        connection.execute(
            insert(t.schema_migrations).values(name="0099_future", applied_at=datetime.now(UTC))
        )
    with pytest.raises(StoreError, match="0099_future"):
        store.migrate()
    store.dispose()


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "r.sqlite"))
    store.migrate()
    with pytest.raises(RuntimeError), store.transaction() as connection:
        connection.execute(insert(t.jurisdictions).values(id="x", name="X", level="state"))
        raise RuntimeError("stop half-way")
    with store.read() as connection:
        assert connection.execute(select(t.jurisdictions)).all() == []
    store.dispose()


def test_columns_added_by_a_later_migration_reach_an_older_database(tmp_path: Path) -> None:
    """0005 adds columns to tables 0001-0004 made: an older database gets them, data kept."""
    store = Store(sqlite_url(tmp_path / "r.sqlite"))
    with store.transaction() as connection:
        connection.execute(text("CREATE TABLE agencies (id VARCHAR(200) PRIMARY KEY, name VARCHAR(300))"))
        connection.execute(text("INSERT INTO agencies VALUES ('a', 'Old Agency')"))
        t.schema_migrations.create(connection)
        for name in ("0001_registry", "0002_records_requests", "0003_request_documents", "0004_documents"):
            connection.execute(insert(t.schema_migrations).values(name=name, applied_at=datetime.now(UTC)))
        for table in (t.records_requests, t.document_readings):
            table.create(connection)
    assert "0005_discovery" in store.migrate()
    with store.read() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(agencies)"))}
        assert {"county_id", "officers", "population", "origin"} <= columns
        assert connection.execute(text("SELECT name FROM agencies")).scalar() == "Old Agency"
    assert {"campaigns", "found_agreements", "agreement_actions"} <= set(store.tables())
    store.dispose()
