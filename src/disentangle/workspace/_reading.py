"""Reading documents: agreements a person brings are stored by content and their pages' text kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from disentangle import ingest
from disentangle.model import Document
from disentangle.workspace._base import WorkspaceBase


class ReadMixin(WorkspaceBase):
    @property
    def documents(self) -> ingest.DocumentStore:
        """The content-addressed store of originals and their page texts, inside the workspace."""
        return ingest.DocumentStore(self.home / "documents")

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        workers: int = 2,
        progress: Callable[[ingest.IngestResult], None] | None = None,
    ) -> ingest.IngestSummary:
        """Ingest files and folders (recursively), both cores by default; a bad file never stops the batch."""
        return ingest.ingest_paths(
            [Path(p) for p in paths], self.documents, workers=workers, progress=progress
        )

    def document(self, sha256: str) -> Document:
        return self.documents.get(sha256)
