"""Redaction and publishing: a stored document's personal data found, reviewed by a person, blacked out in a
new flattened copy, and only that copy made public. The original in the library is never touched."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from disentangle import ingest
from disentangle.errors import DocumentError, InputError, NotFoundError
from disentangle.extract._signers import known_ice_signers
from disentangle.model import Box, BoxOrigin, PageWord, Redaction, RedactionKind
from disentangle.publish import _flatten, _redaction
from disentangle.registry import tables as t
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._reviewing import ReviewMixin

WORDS_FOLDER = "redaction-words"  # the words with their boxes of each document reviewed (a cache)
PUBLISHED_FOLDER = "published"  # under the workspace: the redacted copies, the only files that go public


@dataclass(frozen=True, slots=True)
class RedactionReview:
    """The boxes of one document: a person's reviewed list, or (not reviewed yet) the machine's."""

    sha256: str
    filename: str
    reviewed: bool  # False: the recognisers' suggestions, no person has looked
    reviewed_by: str | None
    reviewed_at: datetime | None
    redactions: tuple[Redaction, ...]
    pages: tuple[tuple[float, float], ...]  # each page's width and height in points

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.sha256,
            "filename": self.filename,
            "reviewed": self.reviewed,
            "reviewed_by": self.reviewed_by,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "pages": [{"page": i + 1, "width": w, "height": h} for i, (w, h) in enumerate(self.pages)],
            "redactions": [{"n": i + 1, **r.to_json()} for i, r in enumerate(self.redactions)],
        }


@dataclass(frozen=True, slots=True)
class PublishedDocument:
    sha256: str  # the original's
    redacted_sha256: str
    path: Path  # the redacted copy, in the workspace's published/ folder
    pages: int
    boxes: int
    published_by: str
    published_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.sha256,
            "redacted_sha256": self.redacted_sha256,
            "pages": self.pages,
            "boxes": self.boxes,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat(),
        }


class RedactionMixin(ReviewMixin):
    @property
    def published_folder(self) -> Path:
        return self.home / PUBLISHED_FOLDER

    def _original(self, document: str) -> tuple[str, Path, str]:
        sha256 = self.resolve_document(document)
        self.require_original(HoldingKind.DOCUMENT, sha256)
        path = self.documents.original_path(sha256)
        return sha256, path, self.documents.get(sha256).filename

    def _officials(self, sha256: str) -> list[str]:
        """Officials named in their public role: the names the document's signature blocks show, and the
        ICE officials who sign agreements (knowledge/agreements/ice_signers.yaml), however printed."""
        ice = [name for signer in known_ice_signers() for name in (signer.name, *signer.also)]
        try:
            extraction = self.reading(sha256)["extraction"]
        except (NotFoundError, DocumentError):
            return ice
        return [str(s["name"]) for s in extraction.get("signatories") or [] if s.get("name")] + ice

    def redaction_suggestions(self, document: str) -> list[Redaction]:
        """What the recognisers would black out of a stored document (a PDF or a page image)."""
        sha256, _path, _name = self._original(document)
        return _redaction.suggest(self._page_words(sha256), self._officials(sha256))

    def _page_words(self, sha256: str) -> list[PageWord]:
        """The document's words with their boxes, kept in the workspace after the first time (a scan's
        come from Tesseract, seconds a page): WORDS_FOLDER/<sha256>.json, a cache safe to delete."""
        cache = self.home / WORDS_FOLDER / f"{sha256}.json"
        if cache.is_file():
            try:
                return [
                    PageWord(w[0], w[1], Box.from_json(w[2])) for w in json.loads(cache.read_text("utf-8"))
                ]
            except (ValueError, TypeError, IndexError):
                cache.unlink(missing_ok=True)
        words = _words(self.documents.original_path(sha256))
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".part")
        partial.write_text(json.dumps([[w.page, w.text, w.box.to_json()] for w in words]), "utf-8")
        os.replace(partial, cache)
        # as the cache gives them back next time, so a box's key is the same on every visit
        return [PageWord(w.page, w.text, Box.from_json(w.box.to_json())) for w in words]

    def redactions(self, document: str) -> RedactionReview:
        """The document's boxes: a person's review when there is one, else the machine's suggestions."""
        sha256, path, filename = self._original(document)
        pages = tuple(ingest.page_sizes(path))
        with self.store.read() as connection:
            row = connection.execute(
                select(t.redaction_reviews).where(t.redaction_reviews.c.sha256 == sha256)
            ).first()
        if row is not None:
            reviewed_at = row.reviewed_at if row.reviewed_at.tzinfo else row.reviewed_at.replace(tzinfo=UTC)
            boxes = tuple(Redaction.from_json(b) for b in row.boxes)
            return RedactionReview(sha256, filename, True, row.reviewed_by, reviewed_at, boxes, pages)
        suggested = _redaction.suggest(self._page_words(sha256), self._officials(sha256))
        return RedactionReview(sha256, filename, False, None, None, tuple(suggested), pages)

    def review_redactions(
        self,
        document: str,
        *,
        by: str,
        add: Sequence[tuple[int, Box]] = (),
        drop: Sequence[int] = (),
        keep: Sequence[str] | None = None,
    ) -> RedactionReview:
        """A person's review: the current boxes (numbered from 1 as `redactions` lists them) less those
        dropped (or, with `keep`, only the keys kept), plus the boxes the person drew. Stored as the
        document's reviewed list; accepting the suggestions as they are is a review with no change."""
        self.require_editor()
        current = self.redactions(document)
        numbers = {n for n in drop}
        wrong = sorted(n for n in numbers if not 1 <= n <= len(current.redactions))
        if wrong:
            raise InputError(f"no box number {wrong[0]}: the document has {len(current.redactions)} boxes")
        kept = [
            r
            for n, r in enumerate(current.redactions, start=1)
            if n not in numbers and (keep is None or r.key in set(keep))
        ]
        dropped = [r.key for r in current.redactions if r not in kept]
        for page, box in add:
            if not 1 <= page <= len(current.pages):
                raise InputError(f"page {page}: the document has {len(current.pages)} page(s)")
            width, height = current.pages[page - 1]
            if box.x1 - box.x0 < 1 or box.y1 - box.y0 < 1 or box.x0 < 0 or box.y0 < 0:
                raise InputError(f"box {box.to_json()} on page {page} is empty or off the page")
            if box.x1 > width + 1 or box.y1 > height + 1:
                raise InputError(
                    f"box {box.to_json()} runs off page {page} ({width:.0f} x {height:.0f} points)"
                )
            # The words under it, so that the reading's quotes of them are blacked out on every page too.
            under = " ".join(
                w.text for w in self._page_words(current.sha256) if w.page == page and box.holds(w.box)
            )
            kept.append(Redaction(page, box, RedactionKind.PERSON, "person", under, BoxOrigin.PERSON))
        now = datetime.now(UTC)
        r = t.redaction_reviews
        with self.store.transaction() as connection:
            connection.execute(delete(r).where(r.c.sha256 == current.sha256))
            connection.execute(
                insert(r).values(
                    sha256=current.sha256,
                    boxes=[x.to_json() for x in kept],
                    dropped=dropped,
                    reviewed_by=by,
                    reviewed_at=now,
                )
            )
        return self.redactions(current.sha256)

    def apply_redactions(self, document: str, out: Path) -> _flatten.Flattened:
        """Write the redacted copy of a document to `out`, with its reviewed boxes (or, not reviewed, the
        machine's suggestions). Refuses to write over the original."""
        review = self.redactions(document)
        original = self.documents.original_path(review.sha256)
        if Path(out).resolve() == original.resolve():
            raise InputError("the redacted copy cannot replace the original", out)
        return _flatten.write_redacted(original, review.redactions, Path(out))

    def publish_document(self, document: str, *, by: str) -> PublishedDocument:
        """Make a document public: its reviewed boxes blacked out in a new flattened copy, which is the only
        file that leaves (the site and the web app serve it; the original stays private). Refused before a
        person has reviewed the boxes, and when a box's words can still be read elsewhere in the copy."""
        self.require_editor()
        review = self.redactions(document)
        if not review.reviewed:
            raise InputError(
                f"no person has reviewed the boxes of {review.sha256[:12]} yet: look at them with "
                f"`disentangle redact {review.sha256[:12]}` and accept (--accept) or change them"
            )
        self.published_folder.mkdir(parents=True, exist_ok=True)
        target = self.published_folder / f"{review.sha256}.pdf"
        partial = self.published_folder / f".{review.sha256}.pdf.part"
        original = self.documents.original_path(review.sha256)
        flattened = _flatten.write_redacted(original, review.redactions, partial)
        if flattened.leftovers:
            partial.unlink(missing_ok=True)
            pages = sorted({page for page, _words in flattened.leftovers})
            raise InputError(
                f"{len(flattened.leftovers)} boxed word(s) can still be read elsewhere on page(s) {pages} "
                "of the copy: box them too (`disentangle redact ... --add PAGE:x0,y0,x1,y1`), publish again"
            )
        digest = _sha256(partial)
        os.replace(partial, target)
        blobs = self.documents.blobs
        if blobs is not None:  # a shared store: every server and worker reads the copy from there too
            blobs.put(target, digest)
        now = datetime.now(UTC)
        p = t.published_documents
        with self.store.transaction() as connection:
            connection.execute(delete(p).where(p.c.sha256 == review.sha256))
            connection.execute(
                insert(p).values(
                    sha256=review.sha256,
                    redacted_sha256=digest,
                    boxes=flattened.boxes,
                    pages=flattened.pages,
                    published_by=by,
                    published_at=now,
                )
            )
            connection.execute(
                update(t.document_readings)
                .where(t.document_readings.c.sha256 == review.sha256)
                .values(public=True)
            )
        self._held_public(HoldingKind.DOCUMENT, review.sha256, True)
        self.audit("document.publish", review.sha256, {"redacted_sha256": digest, "boxes": flattened.boxes})
        return PublishedDocument(review.sha256, digest, target, flattened.pages, flattened.boxes, by, now)

    def unpublish_document(self, document: str) -> None:
        """Take a document back: its copy removed from published/, the document its organisation's again."""
        self.require_editor()
        sha256 = self.resolve_document(document)
        self.require_original(HoldingKind.DOCUMENT, sha256)
        with self.store.transaction() as connection:
            connection.execute(delete(t.published_documents).where(t.published_documents.c.sha256 == sha256))
            connection.execute(
                update(t.document_readings).where(t.document_readings.c.sha256 == sha256).values(public=False)
            )
        (self.published_folder / f"{sha256}.pdf").unlink(missing_ok=True)
        self._held_public(HoldingKind.DOCUMENT, sha256, False)
        self.audit("document.unpublish", sha256)

    def _publish(self, kind: HoldingKind, key: str, *, by: str) -> None:
        """A document made public on a shared server is published: its reviewed, redacted copy is what
        leaves (refused, with nothing changed, before a person has reviewed its boxes)."""
        if kind is HoldingKind.DOCUMENT:
            self.publish_document(key, by=by)

    def _withdraw(self, kind: HoldingKind, key: str) -> None:
        if kind is HoldingKind.DOCUMENT:
            self.unpublish_document(key)

    def published_documents(self) -> list[PublishedDocument]:
        """Every public document, each with its redacted copy: what a site or an export may carry."""
        with self.store.read() as connection:
            rows = connection.execute(
                select(t.published_documents).order_by(t.published_documents.c.published_at)
            )
            out = []
            for row in rows:
                if self.documents.blobs is not None:
                    # A shared store: the copy by its own sha256, never a file another server may have
                    # replaced since (a document published again with other boxes).
                    path = self.published_folder / "shared" / f"{row.redacted_sha256}.pdf"
                    if not path.is_file() and not self._fetch_published(row.redacted_sha256, path):
                        continue
                else:
                    path = self.published_folder / f"{row.sha256}.pdf"
                    if not path.is_file():
                        continue  # removed by hand: not public any more
                at = row.published_at if row.published_at.tzinfo else row.published_at.replace(tzinfo=UTC)
                out.append(
                    PublishedDocument(
                        row.sha256, row.redacted_sha256, path, row.pages, row.boxes, row.published_by, at
                    )
                )
        return out

    def _fetch_published(self, redacted_sha256: str | None, path: Path) -> bool:
        """On a shared store, a copy published from another machine is fetched (checked by its sha256)
        into this one's published folder; False when there is none to fetch."""
        blobs = self.documents.blobs
        if blobs is None or not redacted_sha256 or not blobs.has(redacted_sha256):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        blobs.copy_to(redacted_sha256, path)
        return True

    def published_pages(self, document: str) -> tuple[list[str], list[str]]:
        """What a site may show of a public document's text: each page's text as read from its redacted
        copy, and the words under the boxes (for a page to leave out wherever else the reading quotes
        them)."""
        copy = self.published_copy(document)
        pages = _flatten.text_of(copy.path)
        boxed = sorted(
            {r.text.strip() for r in self.redactions(copy.sha256).redactions if r.text.strip()}, key=len
        )
        return pages, boxed[::-1]

    def published_copy(self, document: str) -> PublishedDocument:
        """The redacted copy of a public document; NotFoundError for a document that is not public."""
        sha256 = self.resolve_document(document)
        for published in self.published_documents():
            if published.sha256 == sha256:
                return published
        raise NotFoundError(f"document {sha256[:12]} is not published; see `disentangle publish document`")


def _words(path: Path) -> list[Any]:
    try:
        return ingest.page_words(path)
    except DocumentError as exc:
        raise DocumentError(f"only PDFs and page images can be redacted: {exc.problem}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
