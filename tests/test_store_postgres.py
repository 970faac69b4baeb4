"""The same store code on a real PostgreSQL server: migrations, a full import, as-of queries, idempotency."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from disentangle.errors import StoreError
from disentangle.registry import tables
from disentangle.workspace import Workspace

pytestmark = pytest.mark.postgres


def test_full_import_on_postgres(
    tmp_path: Path, postgres_url: str, postgres_schema: str, registry: Workspace
) -> None:
    workspace = Workspace(tmp_path, database_url=postgres_url, schema=postgres_schema)
    try:
        with workspace.store.read() as connection:
            assert connection.execute(text("select current_schema()")).scalar() == postgres_schema
            migrations = list(connection.execute(text("select name from schema_migrations")).scalars())
        assert migrations == [name for name, _ in tables.MIGRATIONS]
        report = workspace.import_bundled()
        assert report.changed and report.counts["agreements"] > 1900
        assert [c.id for c in report.qa if c.status == "fail"] == []  # the registry's QA holds on PostgreSQL
        tye = workspace.history("tx-tye-police-department")["agency"]["placement"]
        assert [c["name"] for c in tye["counties"]] == ["Taylor County"]
        assert len(workspace.agreements(as_of=date(2026, 5, 18))) == 1843
        assert len(workspace.agreements(as_of=date(2021, 1, 13))) == 150
        assert workspace.stats("month")[-1]["total"] == 1843
        history = workspace.history("ak-department-of-corrections")
        assert [e["kind"] for e in history["events"]] == ["added", "renamed"]
        # Search finds the same rows in the same order as on SQLite, wildcards and accents included.
        queries = ("Pasadena", "pasadena police", "Sheriff's Office, TX", "CA0195300", "%", "_", "doña ana")
        for query in queries:
            assert workspace.search(query) == registry.search(query), query
        assert workspace.search("%") == [] and workspace.search("_") == []
        assert workspace.search("DOÑA ANA") == registry.search("doña ana") != []
        before = workspace.summary()
        assert workspace.import_bundled().changed is False
        assert workspace.summary() == before
        # a second connection to the same schema sees the same registry: nothing lives in one process
        other = Workspace(tmp_path / "other", database_url=postgres_url, schema=postgres_schema)
        assert other.summary() == before
        other.close()
    finally:
        workspace.close()


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1"):
        Workspace(tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_two_imports_at_once_end_in_one_registry_and_at_most_one_line(
    tmp_path: Path, postgres_url: str, postgres_schema: str
) -> None:
    """Two processes importing into one PostgreSQL registry at once (issue 18): each ends in the registry
    or in one line saying another import won, never in a traceback."""
    import os
    import subprocess
    import sys

    Workspace(tmp_path / "a", database_url=postgres_url, schema=postgres_schema).close()  # migrations first
    env = {
        **os.environ,
        "DISENTANGLE_DATABASE_URL": f"{postgres_url}?options=-csearch_path%3D{postgres_schema}",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "disentangle", "--workspace", str(folder), "import", "--force"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in (tmp_path / "a", tmp_path / "b")
        if folder.mkdir(exist_ok=True) is None
    ]
    outcomes = [(run.wait(timeout=600), run.stderr.read() if run.stderr else "") for run in runs]
    for code, stderr in outcomes:
        assert "Traceback" not in stderr, stderr
        if code != 0:
            assert stderr.strip().splitlines()[-1].startswith("error: ")
    assert any(code == 0 for code, _ in outcomes)
    check = Workspace(tmp_path / "a", database_url=postgres_url, schema=postgres_schema)
    try:
        assert check.summary()["agencies"] > 1000
    finally:
        check.close()


def test_a_copy_published_on_one_server_is_read_on_another(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    """With PostgreSQL, a redacted copy lives in the shared store: a second server (another folder, the
    same database) serves the same bytes, checked by their sha256."""
    import hashlib

    from fixtures.tff import build_tff_mou

    separator = "&" if "?" in postgres_url else "?"
    database = f"{postgres_url}{separator}options=-csearch_path%3D{postgres_schema}"
    first = Workspace(tmp_path / "one", database_url=database)
    second = Workspace(tmp_path / "two", database_url=database)
    try:
        sha256 = first.store_document(build_tff_mou(tmp_path / "mou.pdf", variant="seed", fmt="pdf")).sha256
        first.review_redactions(sha256, by="a reviewer")
        made = first.publish_document(sha256, by="a reviewer")
        (seen,) = second.published_documents()
        assert seen.sha256 == sha256 and seen.path.is_relative_to(tmp_path / "two")
        assert hashlib.sha256(seen.path.read_bytes()).hexdigest() == made.redacted_sha256
        assert second.published_pages(sha256)[0] == first.published_pages(sha256)[0]
        # Published again with one more box, from the second server: the first now serves the new copy.
        word = next(w for w in second._page_words(sha256) if w.page == 1 and len(w.text) >= 6)
        second.review_redactions(sha256, by="a reviewer", add=[(1, word.box)])
        again = second.publish_document(sha256, by="a reviewer")
        (now,) = first.published_documents()
        assert again.redacted_sha256 != made.redacted_sha256
        assert hashlib.sha256(now.path.read_bytes()).hexdigest() == again.redacted_sha256
        first.unpublish_document(sha256)
        assert second.published_documents() == []
    finally:
        first.close()
        second.close()
