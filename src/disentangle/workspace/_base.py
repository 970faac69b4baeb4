"""The workspace folder, its store, and the look-ups every part of the facade shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import bindparam, func, or_, select

from disentangle.errors import InputError, NotFoundError
from disentangle.model import (
    normalize_state,
)
from disentangle.registry import Store, sqlite_url
from disentangle.registry import tables as t

Progress = Callable[[str, int, int], None]  # (step, done, total)

DATA_DIR_ENV = "DISENTANGLE_DATA_DIR"
HOME_ENV = "DISENTANGLE_HOME"
DATABASE_ENV = "DISENTANGLE_DATABASE_URL"
BLOB_DIR_ENV = "DISENTANGLE_BLOB_DIR"  # a folder every machine mounts, for originals and their pages

# Tables an import rebuilds, children first (the order deletes run in).


def bundled_data_dir() -> Path:
    """The bundled public datasets: $DISENTANGLE_DATA_DIR, else data/ at the root of the checkout."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "PROVENANCE.md"
        if candidate.exists():
            return candidate.parent
    raise InputError(f"bundled data not found; set {DATA_DIR_ENV} to the folder holding PROVENANCE.md")


def escape_like(text: str) -> str:
    """LIKE's wildcards taken literally (use with escape="\\"): "100%" or "a_b" finds those characters,
    the same on SQLite and PostgreSQL."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def default_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or user_data_dir("disentangle", appauthor=False))


class WorkspaceBase:
    """A user's workspace: the registry database and stored documents, under one folder."""

    def __init__(
        self,
        home: Path | None = None,
        *,
        database_url: str | None = None,
        data_dir: Path | None = None,
        schema: str | None = None,
    ) -> None:
        self.home = Path(home) if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        url = database_url or os.environ.get(DATABASE_ENV) or sqlite_url(self.home / "registry.sqlite")
        self.store = Store(url, schema=schema)
        self.store.migrate()
        self._data_dir = data_dir

    @property
    def data_dir(self) -> Path:
        return self._data_dir or bundled_data_dir()

    @property
    def sheets_dir(self) -> Path:
        """ICE workbooks the user imported; kept so that every rebuild replays them too."""
        return self.home / "sheets"

    def close(self) -> None:
        self.store.dispose()

    def _after_reading(self, reading: dict[str, Any], *, request_id: str | None = None) -> None:
        """Called with every reading stored; the discovery part records the agreements read."""

    def _after_job_file(self, entry: dict[str, Any]) -> None:
        """Called with each file an upload job stored; the discovery part files answers to requests."""

    # Hooks of the registry rebuild for data kept in tables of their own (the detainer counts).
    def _bundled_detainers_stale(self) -> bool:
        return False

    def _write_bundled_detainers(self, connection: Any) -> dict[str, int]:
        return {}

    def _find_agency(self, text: str) -> dict[str, Any]:
        """An agency by id, ORI, or a name people use ("Pasadena Police Department", "LASD"), optionally
        followed by its state ("Pasadena Police Department, CA"). A name several agencies answer to is
        an InputError listing them, never a guess."""
        g, aliases = t.agencies, t.agency_aliases
        needle = " ".join(text.split())
        with self.store.read() as connection:
            row = connection.execute(
                select(g).where(or_(g.c.id == needle, g.c.ori == needle.upper())).limit(1)
            ).first()
            if row is None:
                name, state = needle, None
                head, _, tail = needle.rpartition(",")
                if head and normalize_state(tail.strip()):
                    name, state = head.strip(), normalize_state(tail.strip())
                query = select(g).where(
                    or_(
                        func.lower(g.c.name) == name.lower(),
                        g.c.id.in_(
                            select(aliases.c.agency_id).where(func.lower(aliases.c.alias) == name.lower())
                        ),
                    )
                )
                if state:
                    query = query.where(g.c.state == state)
                rows = connection.execute(query.order_by(g.c.state, g.c.name)).all()
                if len(rows) > 1:
                    choices = "; ".join(f"{r.name} ({r.state}, {r.id})" for r in rows[:8])
                    more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
                    hint = (
                        "give the id or ORI" if state else 'add the state ("NAME, ST") or give the id or ORI'
                    )
                    raise InputError(f"{needle!r} names several agencies: {choices}{more}; {hint}")
                row = rows[0] if rows else None
        if row is None:
            raise NotFoundError(f"no agency matches {text!r}; try `disentangle search`")
        return dict(row._mapping)

    def _find_jurisdiction(self, text: str) -> dict[str, Any] | None:
        j = t.jurisdictions
        needle = text.strip()
        with self.store.read() as connection:
            if needle.startswith("ocd-division/"):
                row = connection.execute(_JURISDICTION_BY_ID, {"key": needle}).first()
            elif needle.isdigit():
                row = connection.execute(_JURISDICTION_BY_FIPS, {"key": needle}).first()
            else:
                name, _, state = needle.rpartition(",")
                code = normalize_state(state.strip()) if name else None
                name = name.strip() if code else needle
                query = select(j).where(func.lower(j.c.name) == name.lower())
                if code:
                    query = query.where(j.c.state == code)
                rows = connection.execute(query.order_by(j.c.level, j.c.state)).all()
                if not rows:  # Census names carry the kind of place: "Springfield city", "Union township"
                    query = select(j).where(
                        func.lower(j.c.name).like(f"{escape_like(name.lower())} %", escape="\\"),
                        j.c.level != "state",
                    )
                    if code:
                        query = query.where(j.c.state == code)
                    rows = connection.execute(query.order_by(j.c.level, j.c.state)).all()
                if len(rows) > 1 and code:  # within a state, a county beats a place beats a township
                    rank = {"state": 0, "county": 1, "place": 2, "subdivision": 3}
                    best = min(rank.get(r.level, 9) for r in rows)
                    top = [r for r in rows if rank.get(r.level, 9) == best]
                    rows = top if len(top) == 1 else rows
                if len(rows) > 1:
                    choices = ", ".join(f"{r.name} ({r.state}, {r.fips or r.id})" for r in rows[:8])
                    raise InputError(
                        f"{needle!r} names several places: {choices}; add the state or give the FIPS"
                    )
                row = rows[0] if rows else None
        return dict(row._mapping) if row is not None else None


# Built once: the place pages look places up by id or FIPS on every visit, and building a statement costs
# more than running it.
_JURISDICTION_BY_ID = select(t.jurisdictions).where(t.jurisdictions.c.id == bindparam("key"))
_JURISDICTION_BY_FIPS = select(t.jurisdictions).where(t.jurisdictions.c.fips == bindparam("key"))
