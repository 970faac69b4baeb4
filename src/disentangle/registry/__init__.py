"""Persistence only: the registry's tables, migrations and queries (SQLite default, PostgreSQL)."""

from disentangle.registry import _schema as tables
from disentangle.registry._blobs import DatabaseBlobs, DatabasePages
from disentangle.registry._store import Store, sqlite_url

__all__ = ["DatabaseBlobs", "DatabasePages", "Store", "sqlite_url", "tables"]
