"""Shared fixtures: the bundled data, a built registry, the real PostgreSQL when configured."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from disentangle.workspace import Workspace, bundled_data_dir

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return bundled_data_dir()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip(
            f"{SHARED} is absent: corpus-wide checks need the shared reference set beside the checkout"
        )
    return SHARED


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the registry built from all bundled data (SQLite)."""
    workspace = Workspace(tmp_path_factory.mktemp("registry"))
    workspace.import_bundled()
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def registry_copy(
    registry: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Workspace]]:
    """Makes workspaces of their own over a copy of the session registry (an SQLite backup: consistent),
    for tests that write (uploads, records requests): the session registry itself is never changed."""
    made: list[Workspace] = []

    def make(name: str) -> Workspace:
        home = tmp_path_factory.mktemp(name)
        source, target = (
            sqlite3.connect(registry.home / "registry.sqlite"),
            sqlite3.connect(home / "registry.sqlite"),
        )
        with target:
            source.backup(target)
        source.close()
        target.close()
        made.append(Workspace(home))
        return made[-1]

    yield make
    for workspace in made:
        workspace.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("DISENTANGLE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("DISENTANGLE_TEST_DATABASE_URL is not set: PostgreSQL store tests need a real server")
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, private schema in the test database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield name
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()
