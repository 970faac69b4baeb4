"""A person finishes what the machine could not read: the fields of a stored document that wait for review,
the page region each should be read from (cropped from the stored original), and a person's entries — kept
beside the machine's reading, never over it, and carried into the agreement found in the document."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from disentangle import extract
from disentangle.errors import DisentangleError, InputError, NotFoundError
from disentangle.extract._review import INDEXED_FIELD, agreement_blocks, with_entries
from disentangle.model import (
    AgreementKind,
    FieldReview,
    FieldState,
    FoundReview,
    PersonEntry,
    Region,
    Signatory,
    normalize_state,
)
from disentangle.registry import tables as t
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._discovery import DiscoveryMixin
from disentangle.workspace._found import project_found

CROPS = "review-crops"  # the workspace folder of rendered page regions (a cache: safe to delete)
CROP_DPI = 110
MAX_VALUE = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One document with fields that wait for a person."""

    sha256: str
    filename: str
    agency_name: str | None
    kind: str | None
    open: int  # fields waiting
    entered: int  # fields a person entered
    fields: tuple[str, ...]  # the labels of the fields waiting
    request_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "filename": self.filename,
            "agency_name": self.agency_name,
            "kind": self.kind,
            "open": self.open,
            "entered": self.entered,
            "fields": list(self.fields),
            "request_ids": list(self.request_ids),
        }


class ReviewMixin(DiscoveryMixin):
    """Per-field review of stored documents."""

    def _after_reading(self, reading: dict[str, Any], *, request_id: str | None = None) -> None:
        """A document read again (a new version of the reader) keeps what a person entered on it."""
        super()._after_reading(reading, request_id=request_id)
        if self.person_entries(reading["sha256"]):
            self._judge_with_entries(reading["sha256"])
            self._carry_to_found(reading["sha256"])

    def resolve_document(self, key: str) -> str:
        """A stored document's sha256 from its sha256 or a prefix of 8 or more characters."""
        needle = key.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{8,64}", needle):
            raise InputError(
                f"{key!r} is not a document's sha256 (8 to 64 hex characters); see `disentangle review`"
            )
        stored = self.documents.documents()
        seen = self.visible(HoldingKind.DOCUMENT, stored)
        matches = [s for s in stored if s.startswith(needle) and s in seen]
        if not matches:
            raise NotFoundError(f"no stored document's sha256 starts with {key!r}; see `disentangle review`")
        if len(matches) > 1:
            raise InputError(f"{key!r} matches {len(matches)} documents; give more of the sha256")
        return matches[0]

    def field_reviews(self, sha256: str) -> list[FieldReview]:
        """Every field of the document's reading with its state, and a person's entry where there is one."""
        reading = self.reading(sha256)
        return self._reviews_of(reading)

    def _reviews_of(self, reading: dict[str, Any]) -> list[FieldReview]:
        extraction = reading["extraction"]
        machine = [FieldReview.from_json(r) for r in extraction.get("review") or []]
        blocks = agreement_blocks(extraction.get("signatories") or [])
        return with_entries(machine, self.person_entries(reading["sha256"]), blocks)

    def person_entries(self, sha256: str) -> list[PersonEntry]:
        """A person's entries on a document's fields, oldest first (the history is kept)."""
        e = t.field_entries
        with self.store.read() as connection:
            rows = connection.execute(select(e).where(e.c.sha256 == sha256).order_by(e.c.id)).all()
        return [
            PersonEntry(
                field=row.field,
                value=row.value,
                state=FieldState(row.state),
                by=row.entered_by,
                at=_aware(row.entered_at),
                region=Region.from_json(row.region) if row.region else None,
                note=row.note or "",
            )
            for row in rows
        ]

    def enter_field(
        self,
        sha256: str,
        field: str,
        value: str | None,
        *,
        by: str = "a person",
        confirm: bool = False,
        note: str = "",
    ) -> FieldReview:
        """A person's value for one field: `confirm` takes the machine's suggestion as it stands; otherwise
        `value` is what the person read (None: the document shows no value there). Checked for its kind
        (a date is a date, a state a state); the machine's reading stays as it was."""
        self.require_editor()
        reviews = {r.field: r for r in self.field_reviews(sha256)}
        review = reviews.get(field)
        if review is None:
            known = ", ".join(reviews) or "none: the document is not read as an agreement"
            raise InputError(f"{field!r} is not a field of this document; its fields: {known}")
        if confirm:
            if review.machine is None:
                raise InputError(f"{field}: the machine read nothing to confirm; type the value")
            value, state = review.machine, FieldState.CONFIRMED
        else:
            value = clean_value(field, value)
            state = FieldState.CONFIRMED if value == review.machine else FieldState.CORRECTED
        who = _CONTROL.sub("", by).strip()[:200] or "a person"
        with self.store.transaction() as connection:
            connection.execute(
                t.field_entries.insert().values(
                    sha256=sha256,
                    field=field,
                    value=value,
                    state=state.value,
                    machine=review.machine,
                    entered_by=who,
                    entered_at=datetime.now(UTC),
                    region=review.region.to_json() if review.region else None,
                    note=_CONTROL.sub(" ", note).strip()[:1000] or None,
                )
            )
        self._judge_with_entries(sha256)
        self._carry_to_found(sha256)
        self.audit("field.enter", sha256, {"field": field, "confirm": confirm})
        return next(r for r in self.field_reviews(sha256) if r.field == field)

    def _judge_with_entries(self, sha256: str) -> None:
        """Judge the document again with the person's values in place of the machine's (a date a person
        read is a date: no "missing date" flag for it), and keep that judgement with the reading. A value a
        person entered has no page words: nothing is quoted for it."""
        reading = self.reading(sha256)
        extraction = extract.extract_agreement(self.document(sha256))
        apply_entries(extraction, self._reviews_of(reading))
        try:
            judged = self.check_extraction(extraction)
        except DisentangleError:
            return  # still no agency or state to judge it for: the reading's judgement stands
        judgement = {k: v for k, v in judged.items() if k not in ("sha256", "kind")}
        match = judgement.get("registry_match")
        if match:
            match["agency_id"] = self._agency_of_agreement(match["agreement_id"])
        r = t.document_readings
        with self.store.transaction() as connection:
            connection.execute(
                r.update()
                .where(r.c.sha256 == sha256)
                .values(judgement=json.loads(json.dumps(judgement, default=str)))
            )

    def reviewed_extraction(self, sha256: str) -> dict[str, Any]:
        """The document's extraction with a person's values in place of the machine's where they entered
        one, and `person_entries` saying which (field -> the entry: value, who, when, region)."""
        reading = self.reading(sha256)
        return _overlay(reading["extraction"], self._reviews_of(reading))

    def _carry_to_found(self, sha256: str) -> None:
        """The agreement found in the document takes the person's values (its signed date, signatories)."""
        reading = self.reading(sha256)
        overlaid = _overlay(reading["extraction"], self._reviews_of(reading))
        f = t.found_agreements
        with self.store.read() as connection:
            row = connection.execute(select(f).where(f.c.sha256 == sha256)).first()
        if row is None or row.review not in (FoundReview.CONFIRMED.value, FoundReview.REJECTED.value):
            self.record_found({**reading, "extraction": overlaid})
            with self.store.read() as connection:
                row = connection.execute(select(f).where(f.c.sha256 == sha256)).first()
            if row is None:
                return
        details = dict(row.details or {})
        details["person_entries"] = overlaid["person_entries"]
        details["signatories"] = [
            {
                "side": s.get("side"),
                "name": s.get("name"),
                "title": s.get("title"),
                "date": s.get("date"),
                "date_note": s.get("date_form"),
            }
            for s in overlaid.get("signatories") or []
            if s.get("side") in ("lea", "ice", "other")
        ]
        signed = overlaid.get("signed_date") or overlaid.get("effective_date")
        with self.store.transaction() as connection:
            connection.execute(
                f.update()
                .where(f.c.sha256 == sha256)
                .values(details=details, signed=date.fromisoformat(signed) if signed else row.signed)
            )
            project_found(connection)

    def review_queue(self, *, request_id: str | None = None) -> list[QueueEntry]:
        """Every stored document with fields waiting for a person (or, with `request_id`, those released
        under that records request), the most to do first."""
        rd = t.request_documents
        with self.store.read() as connection:
            requests: dict[str, list[str]] = {}
            for row in connection.execute(select(rd.c.sha256, rd.c.request_id)):
                requests.setdefault(row.sha256, []).append(row.request_id)
        if request_id is not None:
            self.tracked_request(request_id)  # the request must exist
        out: list[QueueEntry] = []
        for entry in self.library():
            sha256 = entry["sha256"]
            if request_id is not None and request_id not in requests.get(sha256, []):
                continue
            if not entry.get("read"):
                continue
            try:
                reviews = self.field_reviews(sha256)
            except DisentangleError:
                continue
            waiting = [r for r in reviews if r.open]
            if not waiting:
                continue
            out.append(
                QueueEntry(
                    sha256=sha256,
                    filename=entry["filename"],
                    agency_name=entry.get("agency_name"),
                    kind=entry.get("kind"),
                    open=len(waiting),
                    entered=sum(r.entry is not None for r in reviews),
                    fields=tuple(r.label for r in waiting),
                    request_ids=tuple(sorted(requests.get(sha256, []))),
                )
            )
        out.sort(key=lambda q: (-q.open, q.filename.casefold()))
        return out

    def review_region(self, sha256: str, field: str) -> Path:
        """A PNG of the page region where a field's value should be, rendered from the stored original
        (PDF pages with pypdfium2, images cropped) and cached in the workspace; NotFoundError when the
        document has no page image (a text, Word or HTML file) or the field no region.

        The region is found on the page itself: the words the machine read around the field (the block's
        name, title, agency lines; the parties clause for the agency) are located in the PDF's text layer,
        or, on a scanned page, in Tesseract's word boxes; the crop takes them in with the signature and
        date lines above. Without such words, the band the stored text's lines suggest is taken."""
        reading = self.reading(sha256)
        reviews = self._reviews_of(reading)
        review = next((r for r in reviews if r.field == field), None)
        if review is not None and field == "signed_date":
            # The signed date is read in the block whose date waits, else in the block it was read from.
            dates = [r for r in reviews if r.field.endswith(".date") and r.field.startswith("signatories[")]
            review = next((r for r in dates if r.open), None) or next(
                (r for r in dates if r.value == review.value), review
            )
        if review is None or review.region is None:
            raise NotFoundError(f"no page region for {field!r} of document {sha256[:12]}")
        region = review.region
        folder = self.home / CROPS
        target = folder / f"{sha256}-{re.sub(r'[^a-z0-9]+', '-', review.field.lower())}.png"
        if target.is_file():
            return target
        original = self.documents.original_path(sha256)
        image, words = _page_image(original, region.page)
        if image is None:
            raise NotFoundError(f"document {sha256[:12]} has no page image to crop")
        anchors = _anchors(reading["extraction"], review)
        box = _anchored_box(image, words, anchors, region)
        if review.field.startswith("agency."):  # the parties clause runs the page's width
            box = (0, box[1], image.size[0], box[3])
        folder.mkdir(parents=True, exist_ok=True)
        # A file of its own per request (two fields may share one crop), then renamed: never half-written.
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as handle:
            image.crop(box).save(handle, format="PNG", optimize=True)
        Path(handle.name).replace(target)
        return target


Box = tuple[int, int, int, int]


def _anchors(extraction: dict[str, Any], review: FieldReview) -> list[str]:
    """The page words near a field: the quotes of the facts of its signature block, or of the agency."""
    facts = extraction.get("facts") or []
    m = INDEXED_FIELD.match(review.field)
    if m is not None and m[1].isdigit():
        prefix = f"signatories[{m[1]}]."
        quotes = [str(f["quote"]) for f in facts if str(f["field"]).startswith(prefix)]
    elif review.field.startswith("agency."):
        quotes = [str(f["quote"]) for f in facts if f["field"] == "agency.name"][:1]
    else:
        quotes = [review.evidence.quote] if review.evidence else []
    return [q for q in quotes if len(q.strip()) >= 3]


def _anchored_box(image: Any, words: list[tuple[str, Box]] | None, anchors: list[str], region: Region) -> Box:
    width, height = image.size
    hits = _hits(words, anchors) if words else []
    if not hits and anchors:  # a scanned page (or a text layer without these words): Tesseract's words
        hits = _hits(_ocr_words(image), anchors)
    if not hits:
        return (
            int(region.left * width),
            int(region.top * height),
            max(int(region.left * width) + 1, int(region.right * width)),
            max(int(region.top * height) + 1, int(region.bottom * height)),
        )
    left = min(b[0] for b in hits)
    top = min(b[1] for b in hits)
    right = max(b[2] for b in hits)
    bottom = max(b[3] for b in hits)
    # The signature and the date are written above the typed name in most blocks, beside it in some.
    return (
        max(0, left - int(0.06 * width)),
        max(0, top - int(0.14 * height)),
        min(width, max(right + int(0.2 * width), left + int(0.45 * width))),
        min(height, bottom + int(0.05 * height)),
    )


def _hits(words: list[tuple[str, Box]], anchors: list[str]) -> list[Box]:
    """The boxes of the page words that read as the anchors' words (rapidfuzz ratio >= 80)."""
    from rapidfuzz import fuzz

    hits: list[Box] = []
    for quote in anchors:
        tokens = [w for w in re.findall(r"[A-Za-z0-9]{3,}", quote)][:6]
        for token in tokens:
            best = max(
                ((fuzz.ratio(token.lower(), text.lower()), box) for text, box in words if len(text) >= 3),
                default=(0.0, None),
                key=lambda pair: pair[0],
            )
            if best[1] is not None and best[0] >= 80:
                hits.append(best[1])
    return hits


def _ocr_words(image: Any) -> list[tuple[str, Box]]:
    import pytesseract

    data = pytesseract.image_to_data(image, output_type=pytesseract.Output.DICT)
    out = []
    for text, left, top, w, h in zip(
        data["text"], data["left"], data["top"], data["width"], data["height"], strict=True
    ):
        if str(text).strip():
            out.append((str(text), (int(left), int(top), int(left) + int(w), int(top) + int(h))))
    return out


def _page_image(original: Path, page: int) -> tuple[Any, list[tuple[str, Box]] | None]:
    """The page as a PIL image (a PDF page rendered, or the image file's frame) and, for a PDF page with
    a text layer, its words with their boxes in the image's pixels; (None, None) when there is no image."""
    with original.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF"):
        import pypdfium2

        pdf = pypdfium2.PdfDocument(str(original))
        try:
            if not 1 <= page <= len(pdf):
                return None, None
            pdf_page = pdf[page - 1]
            scale = CROP_DPI / 72
            image = pdf_page.render(scale=scale).to_pil().convert("L")
            textpage = pdf_page.get_textpage()
            count = textpage.count_chars()
            if count < 50:
                return image, None
            page_height = pdf_page.get_size()[1]
            words: list[tuple[str, Box]] = []
            text = textpage.get_text_range()
            for m in re.finditer(r"\S+", text):
                boxes = [textpage.get_charbox(i) for i in range(m.start(), min(m.end(), count))]
                if not boxes:
                    continue
                x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
                x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
                box = (
                    int(x0 * scale),
                    int((page_height - y1) * scale),
                    int(x1 * scale),
                    int((page_height - y0) * scale),
                )
                words.append((m.group(), box))
            return image, words
        finally:
            pdf.close()
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(original) as picture:
            picture.seek(max(0, page - 1))
            return picture.convert("L"), None
    except (UnidentifiedImageError, EOFError, OSError):
        return None, None


def clean_value(field: str, value: str | None) -> str | None:
    """A person's value checked for the field's kind, in the form the extraction uses; InputError naming
    the field and the problem otherwise. None stays None (the document shows no value)."""
    if value is None:
        return None
    text = " ".join(_CONTROL.sub(" ", value).split())
    if not text:
        raise InputError(f"{field}: no value typed (to say the document shows none, use 'none')")
    if len(text) > MAX_VALUE:
        raise InputError(f"{field}: the value is longer than {MAX_VALUE} characters")
    if field == "signed_date" or field.endswith(".date"):
        return _as_date(field, text).isoformat()
    if field == "agency.state":
        state = normalize_state(text)
        if not state:
            raise InputError(f"{field}: {text!r} is not a US state or territory (a name or its two letters)")
        return state
    if field == "kind":
        kinds = [k.value for k in AgreementKind]
        if text not in kinds:
            raise InputError(f"{field}: {text!r} is not a kind of agreement: one of {', '.join(kinds)}")
    return text


def _as_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    from disentangle.extract._dates import find_dates

    found = find_dates(text)
    if len(found) == 1 and found[0].start == 0 and found[0].end >= len(text.rstrip(". ")):
        return found[0].value
    raise InputError(f"{field}: {text!r} is not a date: type it as YYYY-MM-DD (e.g. 2016-11-15)")


def apply_entries(extraction: extract.Extraction, reviews: list[FieldReview]) -> None:
    """Put a person's values into an Extraction (for judging it): the machine's words for a value a person
    replaced are dropped from the block's evidence, so nothing is quoted for it."""
    for r in reviews:
        if r.entry is None:
            continue
        value = r.entry.value
        if r.field == "agency.name":
            extraction.agency_name = value
        elif r.field == "agency.state":
            extraction.state = value
        elif r.field == "signed_date":
            extraction.signed_date = date.fromisoformat(value) if value else None
        elif (m := INDEXED_FIELD.match(r.field)) is not None:
            where, key = m[1], m[2]
            if where.isdigit() and int(where) < len(extraction.signatories):
                block = extraction.signatories[int(where)]
            else:
                found = next(
                    (s for s in extraction.signatories if s.side == where and s.part == "agreement"), None
                )
                if found is None:
                    page = r.region.page if r.region else None
                    found = Signatory(where, None, None, None, part="agreement", page=page, evidence={})
                    extraction.signatories.append(found)
                block = found
            if key == "date":
                block.date = date.fromisoformat(value) if value else None
                block.date_form = "entered by a person" if value else None
            elif key == "name":
                block.name = value
            else:
                block.title = value
            if r.entry.state is FieldState.CORRECTED:
                block.evidence.pop(key, None)


def _overlay(extraction: dict[str, Any], reviews: list[FieldReview]) -> dict[str, Any]:
    x = copy.deepcopy(extraction)
    x.setdefault("agency", {})
    signatories: list[dict[str, Any]] = x.setdefault("signatories", [])
    entries: dict[str, Any] = {}
    for r in reviews:
        if r.entry is None:
            continue
        entries[r.field] = r.entry.to_json()
        value = r.entry.value
        if r.field == "agency.name":
            x["agency"]["name"] = value
        elif r.field == "agency.state":
            x["agency"]["state"] = value
        elif r.field == "kind" and value:
            x["kind"] = value
        elif (m := INDEXED_FIELD.match(r.field)) is not None:
            where, key = m[1], m[2]
            if where.isdigit() and int(where) < len(signatories):
                block = signatories[int(where)]
            else:
                found: dict[str, Any] | None = next(
                    (s for s in signatories if s.get("entered_side") == where), None
                )
                if found is not None:
                    block = found
                else:
                    block = {"side": where, "name": None, "title": None, "date": None, "part": "agreement"}
                    block["entered_side"] = where
                    signatories.append(block)
            block[key] = value
            if key == "date":
                block["date_form"] = "entered by a person"
    signed = next((r for r in reviews if r.field == "signed_date"), None)
    if signed is not None and signed.value:
        x["signed_date"] = signed.value
    x["person_entries"] = entries
    return x


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
