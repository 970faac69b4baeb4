"""Originals and their pages kept in the database, so every server and worker reads the same bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from disentangle.errors import NotFoundError, StoreError
from disentangle.registry import _schema as t
from disentangle.registry._store import Store

CHUNK_BYTES = 1024 * 1024  # one row of blob_chunks: small enough for any driver, few rows per document


class _Shared:
    """A lazily opened Store that survives pickling (a worker process opens its own connections)."""

    def __init__(self, url: str, schema: str | None = None, store: Store | None = None) -> None:
        self.url = url
        self.schema = schema
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.url, schema=self.schema)
        return self._store

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "schema": self.schema, "_store": None}


class DatabaseBlobs(_Shared):
    """BlobStore in the tables blobs and blob_chunks: chunks first, the blobs row last (the blob is whole
    when its row exists); rows are never changed (the database refuses it); read back checked."""

    def has(self, sha256: str) -> bool:
        with self.store.read() as connection:
            return connection.scalar(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha256)) is not None

    def put(self, source: Path, sha256: str) -> bool:
        if self.has(sha256):
            return False
        digest = hashlib.sha256()
        size = 0
        try:
            with self.store.transaction() as connection, Path(source).open("rb") as handle:
                seq = 0
                while chunk := handle.read(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
                    connection.execute(t.blob_chunks.insert().values(sha256=sha256, seq=seq, data=chunk))
                    seq += 1
                if digest.hexdigest() != sha256:
                    raise StoreError(f"refused to store bytes whose sha256 is not {sha256}")
                connection.execute(
                    t.blobs.insert().values(
                        sha256=sha256, size=size, chunks=seq, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:  # another machine stored the same bytes at the same moment
            if self.has(sha256):
                return False
            raise
        return True

    def chunks(self, sha256: str) -> Iterator[bytes]:
        with self.store.read() as connection:
            count = connection.scalar(select(t.blobs.c.chunks).where(t.blobs.c.sha256 == sha256))
            if count is None:
                raise NotFoundError(f"document {sha256} is not in the store")
            for seq in range(count):  # one chunk at a time: memory stays at one chunk whatever the size
                data = connection.scalar(
                    select(t.blob_chunks.c.data).where(
                        t.blob_chunks.c.sha256 == sha256, t.blob_chunks.c.seq == seq
                    )
                )
                if data is None:
                    raise StoreError(f"the stored original {sha256} lacks its part {seq}: restore a backup")
                yield bytes(data)

    def copy_to(self, sha256: str, target: Path) -> None:
        from disentangle.ingest._blobs import copy_checked  # the check is the ingest stage's rule

        copy_checked(self.chunks(sha256), sha256, target)

    def local_path(self, sha256: str) -> Path | None:
        return None

    def total_bytes(self) -> int:
        with self.store.read() as connection:
            return int(connection.scalar(select(func.coalesce(func.sum(t.blobs.c.size), 0))) or 0)


class DatabasePages(_Shared):
    """PagesIndex in the table document_pages: one row per original, written once."""

    def get(self, sha256: str) -> bytes | None:
        p = t.document_pages
        with self.store.read() as connection:
            found = connection.scalar(select(p.c.pages).where(p.c.sha256 == sha256))
        return bytes(found) if found is not None else None

    def put(self, sha256: str, pages: bytes) -> None:
        p = t.document_pages
        try:
            with self.store.transaction() as connection:
                if connection.scalar(select(p.c.sha256).where(p.c.sha256 == sha256)) is not None:
                    return
                connection.execute(
                    p.insert().values(sha256=sha256, pages=pages, created_at=datetime.now(UTC))
                )
        except IntegrityError:  # another worker recorded the same reading first: keep theirs
            return

    def all(self) -> list[str]:
        p = t.document_pages
        with self.store.read() as connection:
            return list(connection.scalars(select(p.c.sha256).order_by(p.c.sha256)))
