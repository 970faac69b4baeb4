"""Exporting the registry's public tables as CSV, JSON or one SQLite database."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from disentangle.errors import InputError
from disentangle.publish import exports
from disentangle.registry import Store, sqlite_url
from disentangle.registry import tables as t
from disentangle.workspace._base import WorkspaceBase
from disentangle.workspace._rows import (
    _bulk,
)

PRIVATE_TABLES = frozenset(
    {
        "schema_migrations",
        "records_requests",
        "request_events",
        "request_documents",
        "document_readings",
        "ingest_jobs",
        "subscriptions",  # subscribers' e-mail addresses, and what each was sent
        "alerts_sent",
        "redaction_reviews",  # where a document's personal data is: never published
        "published_documents",
    }
)


class ExportMixin(WorkspaceBase):
    # ------------------------------------------------------------------ export

    EXPORT_TABLES = tuple(
        table.name
        for table in t.metadata.sorted_tables
        # the user's own records requests name the requester, a private person, and the documents they
        # read and their upload jobs are their own papers: never published with the registry
        if table.name not in PRIVATE_TABLES
    )  # parents before children, so a database export satisfies its foreign keys

    def export(self, fmt: str, directory: Path) -> dict[str, int]:
        """Write the registry's tables to `directory` as CSV or JSON files, or as one SQLite database."""
        if fmt not in exports.FORMATS:
            raise InputError(f"unknown export format {fmt!r}: use {', '.join(exports.FORMATS)}")
        directory = Path(directory)
        if not directory.parent.is_dir():  # the folder is made if asked for, never a chain of them
            raise InputError("the folder to write into does not exist", directory.parent)
        try:
            directory.mkdir(exist_ok=True)
            probe = directory / f".write-test-{os.getpid()}"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise InputError(f"cannot write there: {exc.strerror or exc}", directory) from exc
        written: dict[str, int] = {}
        if fmt == "sqlite":
            target_path = directory / "disentangle.sqlite"
            temporary = directory / ".disentangle.sqlite.part"
            temporary.unlink(missing_ok=True)
            target = Store(sqlite_url(temporary))
            target.migrate()
            with self.store.read() as source, target.transaction() as sink:
                for name in self.EXPORT_TABLES:
                    table = t.metadata.tables[name]
                    rows = [dict(row._mapping) for row in source.execute(select(table))]
                    _bulk(sink, table, rows)
                    written[name] = len(rows)
            target.dispose()
            for suffix in ("-wal", "-shm"):
                Path(f"{temporary}{suffix}").unlink(missing_ok=True)
            os.replace(temporary, target_path)
            return written
        with self.store.read() as connection:
            for name in self.EXPORT_TABLES:
                table = t.metadata.tables[name]
                records = (dict(row._mapping) for row in connection.execute(select(table)))
                if fmt == "csv":
                    written[name] = exports.write_csv(
                        directory / f"{name}.csv", list(table.columns.keys()), records
                    )
                else:
                    written[name] = exports.write_json(directory / f"{name}.json", records)
        return written
