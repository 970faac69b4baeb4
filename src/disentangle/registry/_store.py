"""The Store: one SQLAlchemy engine, named migrations, and transactions. Persistence only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from disentangle.errors import StoreError
from disentangle.registry._schema import MIGRATIONS, AddColumn, AppendOnly, schema_migrations


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Store:
    """A registry database: SQLite (WAL) by default, PostgreSQL through the same interface."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        kwargs: dict[str, object] = {"future": True}
        if self.dialect == "postgresql" and schema:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
                raise StoreError(f"invalid schema name {schema!r}")
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
        self.schema = schema
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot open database {self.safe_url}: {exc}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def safe_url(self) -> str:
        return re.sub(r"://([^:@/]+):[^@/]+@", r"://\1:***@", self.url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: committed on success, rolled back whole on any error."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except OperationalError as exc:
            raise StoreError(f"database {self.safe_url}: {exc.orig}") from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise StoreError(f"database {self.safe_url}: {exc.orig}") from exc

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied, each in its own transaction; return their names."""
        applied: list[str] = []
        with self.transaction() as connection:
            schema_migrations.create(connection, checkfirst=True)
            done = set(connection.scalars(select(schema_migrations.c.name)))
        known = {name for name, _ in MIGRATIONS}
        unknown = done - known
        if unknown:
            raise StoreError(
                f"database {self.safe_url} has migrations this version does not know: {sorted(unknown)}; "
                "upgrade Disentangle"
            )
        for name, steps in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as connection:
                for step in steps:
                    if isinstance(step, AddColumn):
                        _add_column(connection, step)
                    elif isinstance(step, AppendOnly):
                        _append_only(connection, step)
                    else:
                        step.create(connection, checkfirst=True)
                connection.execute(schema_migrations.insert().values(name=name, applied_at=datetime.now(UTC)))
            applied.append(name)
        return applied

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        self.engine.dispose()


def _add_column(connection: Connection, step: AddColumn) -> None:
    """ALTER TABLE ... ADD COLUMN, unless the table already has it (a database made by this version
    creates its tables whole, new columns included)."""
    present = {column["name"] for column in inspect(connection).get_columns(step.table.name)}
    if step.column in present:
        return
    column = step.table.c[step.column]
    kind = column.type.compile(dialect=connection.dialect)
    preparer = connection.dialect.identifier_preparer
    connection.execute(
        text(f"ALTER TABLE {preparer.quote(step.table.name)} ADD COLUMN {preparer.quote(column.name)} {kind}")
    )


def _append_only(connection: Connection, step: AppendOnly) -> None:
    """Triggers that make the database refuse to change or remove a row of the table, whoever asks."""
    name = step.table.name
    message = f"{name} is append-only: rows are added, never changed or removed"
    if connection.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            connection.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb.lower()} BEFORE {verb} ON {name} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            )
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
            )
        )
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}_append_only ON {name}"))
        connection.execute(
            text(
                f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {name} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()"
            )
        )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
