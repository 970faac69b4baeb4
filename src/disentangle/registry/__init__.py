"""Persistence only: the registry's tables, migrations and queries (SQLite default, PostgreSQL)."""
