"""Reading documents: agreements a person brings are stored by content and their pages' text kept."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from disentangle import extract, ingest
from disentangle.model import Document
from disentangle.registry import DatabaseBlobs, DatabasePages
from disentangle.registry import tables as t
from disentangle.sources.ice_history import agency_similarity, name_contained
from disentangle.workspace._accounts import AccountsMixin, HoldingKind
from disentangle.workspace._base import BLOB_DIR_ENV

LINK_NAME_FLOOR = 82.0  # below this two agency names are two agencies (as in the history replay)
STATE_UNKNOWN_FACTOR = 0.8  # a match across all states rests on the name and date alone
CONTAINED_NAME_SCORE = 82.0  # one name holding every word of the other counts as a name at the floor
AMBIGUOUS_MARGIN = 0.05  # ... and is no match when another state's agreement scores within this


class ReadMixin(AccountsMixin):
    @property
    def documents(self) -> ingest.DocumentStore:
        """The content-addressed store of originals and their page texts: in the workspace folder on a
        laptop; in the database on PostgreSQL, or in the shared folder $DISENTANGLE_BLOB_DIR when the
        operator sets one, so every server and worker of a coalition reads the same bytes."""
        local = self.home / "documents"
        shared = os.environ.get(BLOB_DIR_ENV)
        if shared:
            folder = Path(shared)
            return ingest.DocumentStore(
                local,
                blobs=ingest.FolderBlobs(folder / "originals"),
                pages_index=ingest.FolderPages(folder / "pages"),
            )
        if self.store.dialect == "postgresql":
            return ingest.DocumentStore(
                local,
                blobs=DatabaseBlobs(self.store.url, self.store.schema, self.store),
                pages_index=DatabasePages(self.store.url, self.store.schema, self.store),
            )
        return ingest.DocumentStore(local)

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

    def store_document(self, path: Path, *, name: str | None = None) -> Document:
        """Store one file (read now, in this process) as the viewer's organisation's, private to it."""
        self.require_editor()
        document, new = self.documents.add(Path(path), name=name)
        self.hold(HoldingKind.DOCUMENT, document.sha256)
        self.audit("document.add", document.sha256, {"new": new})
        return document

    def original_file(self, sha256: str) -> Path:
        """The stored original, checked against its sha256, when the viewer may read the document itself
        (not only its published copy)."""
        self.require_original(HoldingKind.DOCUMENT, sha256)
        return self.documents.original_path(sha256)

    def document_name(self, sha256: str) -> str:
        """The stored document's file name, as the library lists it to whoever may see the document."""
        self.require_visible(HoldingKind.DOCUMENT, sha256)
        return self.documents.get(sha256).filename

    def document(self, sha256: str) -> Document:
        """The stored document as read, page by page (its original's text: not for another organisation)."""
        self.require_original(HoldingKind.DOCUMENT, sha256)
        return self.documents.get(sha256)

    def read_agreement(self, path: Path, *, ocr: bool = True) -> extract.Extraction:
        """Read one file and extract its terms. Pure: nothing is stored, no registry needed."""
        return extract.extract_agreement(ingest.read_document(Path(path), ocr=ocr))

    def link_extraction(self, extraction: extract.Extraction) -> dict[str, Any] | None:
        """The registry agreement a document most likely is (agency name, state, model, date), with how
        sure the match is and the registry's own agency name and state, reported beside the document's (never
        written into it); None when the registry is empty, the document names no agency, or nothing is close.

        A document that shows no state is looked up across the states its evidence allows (every state when it
        has none): the agency's name, model and signing date must then carry the match alone, the confidence
        says so, and a match as good in another state means no match."""
        if not extraction.agency_name:
            return None
        a = t.agreements
        with self.store.read() as connection:
            if not connection.scalar(select(func.count()).select_from(a)):
                return None
            query = select(
                a.c.id,
                a.c.agency_name,
                a.c.state,
                a.c.kind,
                a.c.signed,
                a.c.status,
                a.c.details,
                a.c.document_url,
            )
            query = query.where(a.c.id.not_like("found-%"))  # agreements found in records are not ICE's
            if extraction.state:
                query = query.where(a.c.state == extraction.state)
            elif extraction.state_candidates:
                query = query.where(a.c.state.in_(extraction.state_candidates))
            candidates = connection.execute(query).all()
        signed = extraction.signed_date or extraction.effective_date
        best: tuple[float, dict[str, Any]] | None = None
        best_by_state: dict[str, float] = {}
        contained: list[str] = []  # registry agencies matched only by one name holding the other
        for row in candidates:
            names = [row.agency_name, *((row.details or {}).get("names") or [])]
            name_score = max(agency_similarity(extraction.agency_name, name) for name in names)
            if name_score >= LINK_NAME_FLOOR:
                reasons = [f"agency name {name_score:.0f}/100"]
            elif any(name_contained(extraction.agency_name, name) for name in names):
                # "Division of the Florida State Guard" / "Florida State Guard": one name holds the other.
                name_score = CONTAINED_NAME_SCORE
                reasons = ["one agency name holds every word of the other"]
                contained.append(row.agency_name)
            else:
                continue
            score = name_score / 100
            if extraction.state:
                reasons.append("same state")
            else:
                score *= STATE_UNKNOWN_FACTOR
                reasons.append(f"the document shows no state: searched every state ({row.state} here)")
            if extraction.kind == row.kind:
                reasons.append("same model")
            else:
                score *= 0.5
                reasons.append(f"model differs ({row.kind})")
            score *= _date_factor(signed, row.signed, reasons)
            if signed is None:
                score *= _era_factor(extraction, row.signed, reasons)
            best_by_state[row.state] = max(best_by_state.get(row.state, 0.0), score)
            if best is None or score > best[0]:
                best = (
                    score,
                    {
                        "agreement_id": row.id,
                        "agency": row.agency_name,
                        "state": row.state,
                        "model": row.kind,
                        "signed": row.signed.isoformat() if row.signed else None,
                        "status": row.status,
                        "document_url": row.document_url,
                        "confidence": round(score, 2),
                        "reasons": reasons,
                    },
                )
        if best and best[1]["agency"] in contained and len(set(contained)) > 1:
            return None  # several agencies' names hold (or are held by) the document's: no telling which
        if best and not extraction.state:
            # Across states, a name several states share (Jackson County) is no match: as sure elsewhere.
            rivals = [v for k, v in best_by_state.items() if k != best[1]["state"]]
            if rivals and max(rivals) >= best[0] - AMBIGUOUS_MARGIN:
                return None
        return best[1] if best else None


def _era_factor(extraction: extract.Extraction, listed: date | None, reasons: list[str]) -> float:
    """Without a legible date, the template's era still tells a 2025 agreement from a 2019–2020 one."""
    era = extraction.template.era if extraction.template else None
    if era is None or listed is None:
        return 1.0
    first = int(era[:4])
    last = int(era[5:9]) if era[4:5] == "-" and era[5:9].isdigit() else first
    if first <= listed.year <= last + 1:
        reasons.append(f"signed in the template's era ({era})")
        return 1.0
    reasons.append(f"signed outside the template's era ({era})")
    return 0.7


def _date_factor(document_date: date | None, listed: date | None, reasons: list[str]) -> float:
    """ICE's signed date is sometimes the LEA's signature, sometimes ICE's: a few weeks apart is normal."""
    if document_date is None or listed is None:
        reasons.append("no date to compare")
        return 0.8
    days = abs((document_date - listed).days)
    reasons.append(f"signed dates {days} days apart")
    if days <= 7:
        return 1.0
    if days <= 60:
        return 0.9
    if days <= 400:
        return 0.6
    return 0.3
