"""Where originals and readings live: content-addressed bytes, written once, checked by sha256 on read.

Two interfaces, each with a folder implementation here and a database one in the registry:

    BlobStore   originals, addressed by their own sha256 (the bytes as received, never modified)
    PagesIndex  the reading of each original (its pages JSON), addressed by the original's sha256

A laptop keeps both in the workspace folder; a coalition's server and its workers keep them in
PostgreSQL (or in a folder every machine mounts), so a worker on another machine reads the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from disentangle.errors import InputError, NotFoundError, StoreError

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(sha256: str) -> None:
    """The only thing that ever becomes part of a path or a key inside a store, so it must be exactly hex."""
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise InputError(f"not a sha256 (64 lower-case hex digits): {sha256!r}")


class BlobStore(Protocol):
    """Bytes addressed by their sha256: put once, never modified, verified whenever they are read."""

    def has(self, sha256: str) -> bool: ...

    def put(self, source: Path, sha256: str) -> bool:
        """Store the file's bytes under `sha256` unless already stored; True when stored now.
        Refuses (StoreError) bytes whose hash is not `sha256`."""
        ...

    def copy_to(self, sha256: str, target: Path) -> None:
        """Write the stored bytes to `target` (atomically), checking their sha256 on the way;
        NotFoundError when absent, StoreError when the stored bytes no longer match."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The stored file itself when the store is a folder on this machine, else None."""
        ...


class PagesIndex(Protocol):
    """The pages JSON of each stored original: written once, then only read."""

    def get(self, sha256: str) -> bytes | None: ...

    def put(self, sha256: str, pages: bytes) -> None:
        """Record the reading unless one is recorded (a second writer's identical reading is dropped)."""
        ...

    def all(self) -> list[str]:
        """The sha256 of every document with a reading, sorted."""
        ...


class FolderBlobs:
    """Originals in a folder: root/ab/cd/<sha256>, read-only files renamed into place whole."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, source: Path, sha256: str) -> bool:
        target = self.path(sha256)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = _temporary(self.root)
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as out, Path(source).open("rb") as inp:
                while chunk := inp.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise StoreError(f"refused to store bytes whose sha256 is not {sha256}")
            os.chmod(temporary, 0o444)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return True

    def copy_to(self, sha256: str, target: Path) -> None:
        source = self.path(sha256)
        if not source.is_file():
            raise NotFoundError(f"document {sha256} is not in the store")
        copy_checked(read_chunks(source), sha256, target)

    def local_path(self, sha256: str) -> Path | None:
        path = self.path(sha256)
        return path if path.is_file() else None


class FolderPages:
    """Readings in a folder: root/<sha256>.json, each renamed into place whole."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, sha256: str) -> bytes | None:
        check_sha256(sha256)
        try:
            return (self.root / f"{sha256}.json").read_bytes()
        except FileNotFoundError:
            return None

    def put(self, sha256: str, pages: bytes) -> None:
        check_sha256(sha256)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = _temporary(self.root)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(pages)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.root / f"{sha256}.json")
        finally:
            temporary.unlink(missing_ok=True)

    def all(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(path.stem for path in self.root.glob("*.json") if _SHA256.match(path.stem))


def _temporary(root: Path) -> tuple[int, Path]:
    """A new file in tmp/ beside the store's folder: a kill leaves half-written files there, not in place."""
    folder = root.parent / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}-")
    return handle, Path(name)


def read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def copy_checked(chunks: Iterable[bytes], sha256: str, target: Path) -> None:
    """Copy byte chunks to `target` atomically, refusing it
    (StoreError, nothing written) when its sha256 is not `sha256`: the store was damaged or tampered with."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    temporary = Path(name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise StoreError(
                f"the stored original {sha256} does not match its sha256 (it reads as "
                f"{digest.hexdigest()}): the store is damaged; restore it from a backup"
            )
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
