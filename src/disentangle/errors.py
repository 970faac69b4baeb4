"""The one exception tree of Disentangle: every error a user can cause is a DisentangleError.

    DisentangleError
    ├── InputError            bad input a person gave us (names the file and the problem)
    │   ├── SourceFormatError a dataset file that is corrupt, truncated or has unknown columns
    │   ├── DocumentError     a document that cannot be ingested (encrypted, truncated, hostile)
    │   └── ForbiddenError    a change the person's role does not allow (a viewer uploading)
    ├── KnowledgeError        a knowledge/ file that does not load or validate
    ├── NotFoundError         a place, agency, agreement or document that is not in the registry
    └── StoreError            the database refused (wrong schema version, unreachable server)
        ├── StoreBusyError    another process holds the write lock (an import); retrying may succeed
        └── StoreConflictError two writers wrote the same row at once (concurrent imports)

The CLI turns any of these into one line on stderr and exit code 1; anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path


class DisentangleError(Exception):
    """Root of every error Disentangle raises on purpose."""


class InputError(DisentangleError):
    """Bad input: the message names the file (when there is one) and the problem."""

    def __init__(self, problem: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class SourceFormatError(InputError):
    """A dataset file that is corrupt, truncated, of the wrong type, or has unknown columns."""


class DocumentError(InputError):
    """A document that cannot be ingested: encrypted, truncated, empty, or hostile."""


class ForbiddenError(InputError):
    """A change the person's role does not allow (a viewer uploading or editing)."""


class KnowledgeError(DisentangleError):
    """A knowledge/ file that does not load or does not validate."""


class NotFoundError(DisentangleError):
    """Nothing in the registry answers to the name, id or code asked for."""


class StoreError(DisentangleError):
    """The store refused: unreachable database, unknown schema version."""


class StoreBusyError(StoreError):
    """The database is locked by another writer (SQLite holds one writer at a time): try again shortly."""


class StoreConflictError(StoreError):
    """Two writers collided on the same row (two imports at once on PostgreSQL): one of them lost."""
