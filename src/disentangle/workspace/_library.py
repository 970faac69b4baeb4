"""The document library: stored documents with what was read from them, and background ingestion jobs."""

from __future__ import annotations

from disentangle.workspace._judging import JudgeMixin


class LibraryMixin(JudgeMixin):
    """Documents a person has brought, and the jobs that read them."""
