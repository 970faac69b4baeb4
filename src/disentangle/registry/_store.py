"""The Store: one SQLAlchemy engine, named migrations, and transactions. Persistence only."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from disentangle.errors import StoreBusyError, StoreConflictError, StoreError
from disentangle.registry._schema import MIGRATIONS, AddColumn, AppendOnly, schema_migrations

T = TypeVar("T")
SQLITE_BUSY_SECONDS = 15.0  # how long one statement waits for another writer before "database is locked"


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
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
        self.schema = schema
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot open {self.label}: {exc}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def safe_url(self) -> str:
        return re.sub(r"://([^:@/]+):[^@/]+@", r"://\1:***@", self.url)

    @property
    def label(self) -> str:
        """The database as error messages name it: never a file path, never a password."""
        if self.dialect == "sqlite":
            return "the registry database"
        return f"database {re.sub(r'^[^:]+://([^@/]*@)?', '', self.url).split('?', 1)[0]}"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: committed on success, rolled back whole on any error."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except OperationalError as exc:
            raise self._refusal(exc) from exc
        except IntegrityError as exc:
            # Two writers at once (two imports on PostgreSQL): the loser's whole transaction is undone.
            raise StoreConflictError(
                f"{self.label}: another process wrote the same records at the same time "
                "(two imports at once?); nothing of this one was kept: run it again"
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise self._refusal(exc) from exc

    def retrying(self, work: Callable[[Connection], T], *, patience: float = 120.0) -> T:
        """Run `work` in a transaction, again with backoff while the database is busy (another process
        holds the write lock), for up to `patience` seconds; then StoreBusyError."""
        deadline = time.monotonic() + patience
        pause = 0.05
        while True:
            try:
                with self.transaction() as connection:
                    return work(connection)
            except StoreBusyError:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause * random.uniform(0.5, 1.0))
                pause = min(pause * 2, 5.0)

    def _refusal(self, exc: OperationalError) -> StoreError:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "locked" in reason or "busy" in reason:
            return StoreBusyError(
                f"{self.label} is busy: another process is writing to it (an import?); try again shortly"
            )
        # Messages from SQLite never carry the file's path; PostgreSQL's name host and database only.
        return StoreError(f"{self.label}: {reason}")

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
                f"{self.label} has migrations this version does not know: {sorted(unknown)}; "
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
    if not inspect(connection).has_table(step.table.name):  # made whole, the new column with it
        step.table.create(connection)
        return
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
    # SQLite's own lower() folds ASCII only ("MÉXICO" -> "mÉxico"); PostgreSQL's folds every letter. The
    # same function on both, so a search finds the same rows on either.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value
