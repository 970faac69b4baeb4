"""Score extract_agreement on the real 287(g) corpus: ICE's labels (model, state, agency, signed date) and the
hand labels in bench/labels/ (signatories, functions, termination), separately for text layers and scans.

    python bench/extract_eval.py [--corpus ../shared/corpus/moa] [--no-scans] [--registry] [--misses] [--json]

Text-layer PDFs are read from the corpus's `pdftotext -layout` files; a text layer that is unreadable or has
blank pages (a broken font encoding, image-only pages) is re-read from the PDF with OCR, as ingest would.
Scans (has_text_layer=False) go through disentangle.ingest.read_document (300-dpi Tesseract). OCR results
are cached under /tmp (DISENTANGLE_EVAL_CACHE) so a second run takes seconds.

With --registry, each extraction is also joined to the registry built from the bundled data
(Workspace.link_extraction, in a workspace under DISENTANGLE_EVAL_REGISTRY) and scored a second time: "state
with the registry" takes the document's state, or the matched agreement's when the document shows none; "right
agreement" counts documents whose match is the agreement ICE published at that URL (or, where ICE re-published
it under another file name, the registry agreement of the same state, model and signed date as ICE's sheet).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from disentangle.extract import DEFAULT_EXTRACTORS, Extraction, extract_agreement
from disentangle.extract._signers import KnownSignersExtractor, apply_known_signers, known_ice_signers
from disentangle.model import Document, Page, PageMethod, normalize_state

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus" / "moa"
LABELS_DIR = HERE / "labels"
CACHE_DIR = Path(os.environ.get("DISENTANGLE_EVAL_CACHE", "/tmp/disentangle-eval-cache"))
REGISTRY_DIR = Path(os.environ.get("DISENTANGLE_EVAL_REGISTRY", "/tmp/disentangle-eval-registry"))

MODELS = {
    "Jail Enforcement Model": "287g-jem",
    "Warrant Service Officer": "287g-wso",
    "Task Force Model": "287g-tfm",
}
AGENCY_MATCH = 85.0  # rapidfuzz token_set_ratio on normalised names
NAME_MATCH = 85.0
TITLE_MATCH = 85.0
TARGETS = {
    "text": {"model": 0.99, "state": 0.99, "agency": 0.95},
    "scan": {"model": 0.95, "state": 0.99, "agency": 0.95},
    "hand": 0.95,
}


# ----------------------------------------------------------------------------------------------------------
# Documents


def _text_document(path: Path) -> Document:
    raw = path.read_bytes()
    pages = raw.decode("utf-8").split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return Document(
        sha256=hashlib.sha256(raw).hexdigest(),
        filename=path.name,
        media_type="text/plain",
        pages=[Page(i + 1, text, PageMethod.TEXT_LAYER) for i, text in enumerate(pages)],
    )


def _from_json(data: dict[str, Any]) -> Document:
    return Document(
        sha256=data["sha256"],
        filename=data["filename"],
        media_type=data["media_type"],
        pages=[
            Page(p["number"], p["text"], PageMethod(p["method"]), p.get("ocr_confidence"))
            for p in data["pages"]
        ],
    )


def _to_json(document: Document) -> dict[str, Any]:
    return {
        "sha256": document.sha256,
        "filename": document.filename,
        "media_type": document.media_type,
        "pages": [
            {"number": p.number, "text": p.text, "method": p.method.value, "ocr_confidence": p.ocr_confidence}
            for p in document.pages
        ],
    }


def reader_version() -> str:
    """A digest of the reading code (ingest/*.py): a cached reading made by other code is not reused."""
    sources = sorted((HERE.parent / "src" / "disentangle" / "ingest").glob("*.py"))
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]


def read_pdf_with_ocr(pdf: Path) -> Document:
    """The PDF through disentangle.ingest (OCR where the text layer is missing or broken), cached by the
    PDF's and the reading code's digests."""
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    cached = CACHE_DIR / f"{digest}-{reader_version()}.json"
    if cached.exists():
        return _from_json(json.loads(cached.read_text()))
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        from disentangle.ingest import read_document
    except ImportError:  # before ingest existed: Tesseract directly (bench/ocr_cache.py)
        sys.path.insert(0, str(HERE))
        from ocr_cache import ocr_pages

        pages = [
            Page(i + 1, text, PageMethod.OCR if text.strip() else PageMethod.EMPTY, conf)
            for i, (text, conf) in enumerate(ocr_pages(pdf))
        ]
        document = Document(digest, pdf.name, "application/pdf", pages)
    else:
        document = read_document(pdf, ocr=True, ocr_workers=1)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(_to_json(document)))
    return document


def _needs_ocr(document: Document) -> bool:
    from disentangle.extract import readability

    pages = [p for p in document.pages if p.text.strip()]
    blank = len(document.pages) - len(pages)
    return not pages or readability(document.text) < 0.5 or blank > len(document.pages) * 0.3


@dataclass(frozen=True, slots=True)
class CorpusItem:
    row: dict[str, str]
    document: Document
    group: str  # text | scan
    route: str  # pdftotext | ocr-fallback | ocr


def ocr_cached(pdf: Path) -> bool:
    return (CACHE_DIR / f"{hashlib.sha256(pdf.read_bytes()).hexdigest()}-{reader_version()}.json").exists()


def corpus_items(
    corpus: Path = DEFAULT_CORPUS, *, scans: bool = True, cached_scans_only: bool = False
) -> Iterator[CorpusItem]:
    with (corpus / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["has_text_layer"] == "True" and row["pdftotext"]:
            document = _text_document(corpus / row["pdftotext"])
            route = "pdftotext"
            if _needs_ocr(document) and row["pdf"]:
                document, route = read_pdf_with_ocr(corpus / row["pdf"]), "ocr-fallback"
            yield CorpusItem(row, document, "text", route)
        elif row["has_text_layer"] == "False" and row["pdf"] and scans:
            if cached_scans_only and not ocr_cached(corpus / row["pdf"]):
                continue  # a partial run: only the scans already read (the report says how many)
            yield CorpusItem(row, read_pdf_with_ocr(corpus / row["pdf"]), "scan", "ocr")


# ----------------------------------------------------------------------------------------------------------
# Scoring


def _fold_name(text: str | None) -> str:
    """Lower case, possessives and punctuation folded: "Miami-Dade Sheriff's" ~ "Miami Dade Sheriffs"."""
    folded = (text or "").lower().replace("’", "'")
    folded = re.sub(r"sheriff'?s\b", "sheriff", folded)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def _name_key(text: str | None) -> str:
    return re.sub(r"[^a-z]", "", (text or "").lower())


def agency_matches(extracted: str | None, label: str) -> bool:
    if not extracted:
        return False
    return fuzz.token_set_ratio(_fold_name(extracted), _fold_name(label)) >= AGENCY_MATCH


@dataclass
class GroupScore:
    docs: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    routes: Counter[str] = field(default_factory=Counter)

    def rate(self, key: str) -> float:
        return self.counts[key] / self.docs if self.docs else 0.0


@dataclass
class HandScore:
    docs: int = 0
    correct: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, ok: bool, doc: str, detail: str) -> None:
        self.total[key] += 1
        self.correct[key] += ok
        if not ok:
            self.misses.append(f"{key}: {doc}: {detail}")

    def rate(self, key: str) -> float:
        return self.correct[key] / self.total[key] if self.total[key] else 0.0


@dataclass
class Report:
    groups: dict[str, GroupScore]
    hand: HandScore
    seconds: float
    per_doc: list[dict[str, Any]]
    records: list[Any] = field(default_factory=list)  # review_cv.Record per field and document
    # (item, reading without the ICE signer list, hand label) per document: for the cross-validation
    unlisted: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": {
                name: {
                    "docs": g.docs,
                    "rates": {
                        k: round(g.rate(k), 4)
                        for k in (
                            "model",
                            "state",
                            "agency",
                            "signed_in_dates",
                            "era",
                            "state_with_registry",
                            "right_agreement",
                        )
                        if k in g.counts or k in ("model", "state", "agency", "signed_in_dates", "era")
                    },
                    "routes": dict(g.routes),
                    "misses": dict(g.misses),
                }
                for name, g in self.groups.items()
            },
            "hand": {
                "docs": self.hand.docs,
                "rates": {k: round(self.hand.rate(k), 4) for k in sorted(self.hand.total)},
                "totals": dict(self.hand.total),
                "misses": self.hand.misses,
            },
            "seconds": round(self.seconds, 1),
        }


def _same_url(a: str | None, b: str) -> bool:
    def key(url: str | None) -> str:
        return re.sub(r"^https?://(?:www\.)?", "", (url or "").strip()).lower()

    return bool(a) and key(a) == key(b)


def _is_listed_agreement(match: dict[str, Any], row: dict[str, str]) -> bool:
    """The match is the agreement ICE listed for this document: the same URL, or (ICE re-publishes agreements
    under new file names) the same state, model and signed date as ICE's sheet row."""
    if _same_url(match.get("document_url"), row["ice_url"]):
        return True
    return (
        match.get("state") == normalize_state(row["ice_state"])
        and match.get("model") == MODELS[row["ice_support_type"]]
        and match.get("signed") == row["ice_signed"]
    )


def _score_registry(
    item: CorpusItem, result: Extraction, match: dict[str, Any] | None, score: GroupScore
) -> None:
    """The same labels after the registry join: the document's state or the match's, and the agreement."""
    row = item.row
    expected_state = normalize_state(row["ice_state"])
    state = result.state or (match or {}).get("state")
    checks = {
        "state_with_registry": state == expected_state,
        "right_agreement": bool(match) and _is_listed_agreement(match or {}, row),
    }
    details = {
        "state_with_registry": f"{state} (document {result.state}; ICE: {expected_state})",
        "right_agreement": f"{(match or {}).get('agreement_id')} {(match or {}).get('agency')!r} "
        f"{(match or {}).get('confidence')} (document agency {result.agency_name!r})",
    }
    for key, ok in checks.items():
        score.counts[key] += ok
        if not ok:
            score.misses[key].append(f"{row['doc_id']}: {details[key]}")


def _score_ice_labels(item: CorpusItem, result: Extraction, score: GroupScore) -> dict[str, Any]:
    row = item.row
    doc = row["doc_id"]
    expected_kind = MODELS[row["ice_support_type"]]
    expected_state = normalize_state(row["ice_state"])
    dates = {s.date.isoformat() for s in result.signatories if s.date}
    checks = {
        "model": result.kind == expected_kind,
        "state": result.state == expected_state,
        "agency": agency_matches(result.agency_name, row["ice_agency"]),
        "signed_in_dates": row["ice_signed"] in dates,
        "era": bool(result.template) and (result.template.era[:4] == row["era"][:4]),  # type: ignore[union-attr]
    }
    score.docs += 1
    score.routes[item.route] += 1
    details = {
        "model": f"{result.kind} (ICE: {expected_kind})",
        "state": f"{result.state} (ICE: {expected_state})",
        "agency": f"{result.agency_name!r} (ICE: {row['ice_agency']!r})",
        "signed_in_dates": f"{sorted(dates)} (ICE: {row['ice_signed']})",
        "era": f"{result.template.era if result.template else None} (ICE: {row['era']})",
    }
    for key, ok in checks.items():
        score.counts[key] += ok
        if not ok:
            score.misses[key].append(f"{doc}: {details[key]}")
    return {"doc_id": doc, "group": item.group, "route": item.route, **checks}


# Where a signature area starts on its page: after the "By signing ..." sentence ("... allowed by law.").
_SIGNATURE_AREA = re.compile(
    r"allowed\s+by\s+l\s*a\s*w\s*\.|fullest\s+extent[^\n]*\n|IN\s+WITNESS\s+WHEREOF[^\n]*\n", re.IGNORECASE
)
_ORGANISATION_AFTER = re.compile(r"^(?:s\s+)?(?:office|department|dept)\b")
_ORGANISATION_BEFORE = re.compile(r"\b(?:county|parish|city|town)\s*$")


def _signature_text(document: Document, page: int | None) -> str:
    """The text a labelled block can be read from: its page (the label's `page`) from the end of the "By
    signing ..." sentence on; the whole document for a label without a page."""
    if not page or page > len(document.pages):
        return document.text
    text = document.pages[page - 1].text
    starts = list(_SIGNATURE_AREA.finditer(text))
    return text[starts[-1].end() :] if starts else text


def _shown(document: Document, want: dict[str, Any]) -> dict[str, bool]:
    """Which labelled values the block's text shows at all (an empty value counts as shown): a handwritten
    date, a name under a signature or a form field no text layer holds is in the image only, and a value
    typed elsewhere in the document (a contact list, "effective on March 13, 2020") does not count."""
    from disentangle.extract._dates import find_dates

    text = _signature_text(document, want.get("page")).replace("_", " ")
    words = _fold_name(text)
    title = _fold_name(want["title"])
    title_shown = any(  # "Sheriff" in "Sheriff's Office" or "Power County Sheriffs" is not the title
        not _ORGANISATION_AFTER.match(words[m.end() :].lstrip())
        and not (" " not in title and _ORGANISATION_BEFORE.search(words[: m.start()]))
        for m in re.finditer(rf"(?<![a-z0-9]){re.escape(title)}(?![a-z0-9])", words)
    )
    return {
        "name": not want["name"] or _name_key(want["name"]) in _name_key(text),
        "title": not want["title"] or title_shown,
        "date": not want["date"] or want["date"] in {f.value.isoformat() for f in find_dates(text)},
    }


def _score_hand(
    doc: str, label: dict[str, Any], result: Extraction, hand: HandScore, document: Document
) -> None:
    hand.docs += 1
    hand.add(
        "agency.state",
        result.state == label["agency"]["state"],
        doc,
        f"{result.state} vs {label['agency']['state']}",
    )
    hand.add(
        "agency.name",
        agency_matches(result.agency_name, label["agency"]["name"]),
        doc,
        f"{result.agency_name!r} vs {label['agency']['name']!r}",
    )
    got = set(result.functions)
    want = set(label["functions"])
    hand.add("functions (set)", got == want, doc, f"missing {sorted(want - got)}, extra {sorted(got - want)}")
    for code in sorted(got | want):
        hand.add("functions (each)", (code in got) == (code in want), doc, code)
    for key, value in label["termination"].items():
        hand.add(
            f"termination.{key}",
            getattr(result.termination, key) == value,
            doc,
            f"{getattr(result.termination, key)} vs {value}",
        )
    pool = list(result.signatories)
    for want_sig in label["signatories"]:
        candidates = [s for s in pool if s.side == want_sig["side"] and s.part == want_sig["part"]]
        best = max(
            candidates,
            key=lambda s: (
                fuzz.ratio(_name_key(s.name), _name_key(want_sig["name"]))
                + (50 if s.date and s.date.isoformat() == want_sig["date"] else 0)
            ),
            default=None,
        )
        if best is not None:
            pool.remove(best)
        where = f"{want_sig['side']}/{want_sig['part']}"
        name = best.name if best else None
        title = best.title if best else None
        signed = best.date.isoformat() if best and best.date else None
        name_ok = (not name and not want_sig["name"]) or (
            bool(name and want_sig["name"])
            and fuzz.ratio(_name_key(name), _name_key(want_sig["name"])) >= NAME_MATCH
        )
        title_ok = (not title and not want_sig["title"]) or (
            bool(title and want_sig["title"])
            and fuzz.token_set_ratio(_fold_name(title), _fold_name(want_sig["title"])) >= TITLE_MATCH
        )
        hand.add("signatory.name", name_ok, doc, f"{where} {name!r} vs {want_sig['name']!r}")
        hand.add("signatory.title", title_ok, doc, f"{where} {title!r} vs {want_sig['title']!r}")
        hand.add("signatory.date", signed == want_sig["date"], doc, f"{where} {signed} vs {want_sig['date']}")
        # The same fields, counted only where the block's text (text layer or OCR) shows the labelled value at
        # all: a handwritten date or name is in the image but in no text an extractor can read.
        shown = _shown(document, want_sig)
        if shown["name"]:
            hand.add(
                "signatory.name (shown in text)", name_ok, doc, f"{where} {name!r} vs {want_sig['name']!r}"
            )
        if shown["title"]:
            detail = f"{where} {title!r} vs {want_sig['title']!r}"
            hand.add("signatory.title (shown in text)", title_ok, doc, detail)
        if shown["date"]:
            hand.add(
                "signatory.date (shown in text)",
                signed == want_sig["date"],
                doc,
                f"{where} {signed} vs {want_sig['date']}",
            )
    for extra in pool:
        hand.add("signatory (no extra blocks)", False, doc, f"extra {extra.side}/{extra.part} {extra.name!r}")
    if not pool:
        hand.add("signatory (no extra blocks)", True, doc, "")


def _page_method(document: Document, page: int | None) -> str:
    if page and page <= len(document.pages) and document.pages[page - 1].method is PageMethod.OCR:
        return "ocr"
    return "text"


def _best_block(result: Extraction, pool: list[int], want: dict[str, Any]) -> int | None:
    """The extracted block a labelled one is (the same matching as the hand-label score)."""
    candidates = [
        i
        for i in pool
        if result.signatories[i].side == want["side"] and result.signatories[i].part == want["part"]
    ]

    def score(i: int) -> float:
        s = result.signatories[i]
        same_date = s.date and s.date.isoformat() == want["date"]
        return fuzz.ratio(_name_key(s.name), _name_key(want["name"])) + (50 if same_date else 0)

    return max(candidates, key=score, default=None)


def review_records(item: CorpusItem, result: Extraction, label: dict[str, Any] | None) -> list[Any]:
    """One review_cv.Record per field the reader reviews, scored against ICE's sheet and the hand label."""
    from disentangle.extract._review import review_extraction
    from review_cv import Record

    reviews = {r.field: r for r in review_extraction(result)}
    row, doc, group = item.row, item.row["doc_id"], item.group

    def record(kind: str, field_name: str, correct: bool | None, labelled: bool) -> Record:
        r = reviews.get(field_name)
        if r is None:
            return Record(doc, group, kind, "text", None, True, 0.0, correct, labelled, reviewed=False)
        method = _page_method(
            item.document, r.evidence.page if r.evidence else (r.region.page if r.region else None)
        )
        doubted = r.state.value == "needs-review" and (r.reason is None or r.reason.value != "unsure")
        return Record(doc, group, kind, method, r.machine, doubted, r.trust or 0.0, correct, labelled)

    out = [
        record("kind", "kind", result.kind == MODELS[row["ice_support_type"]], True),
        record("agency.name", "agency.name", agency_matches(result.agency_name, row["ice_agency"]), True),
        record("agency.state", "agency.state", result.state == normalize_state(row["ice_state"]), True),
    ]
    if label is None:
        return out
    pool = list(range(len(result.signatories)))
    dates: list[str | None] = []
    for want in label["signatories"]:
        if want["side"] == "other":
            continue  # a witness or a town manager beside the parties: not one of the fields reviewed
        index = _best_block(result, pool, want)
        if index is not None:
            pool.remove(index)
        if want["part"] == "agreement" and want["side"] != "other":
            dates.append(want["date"] or None)
        s = result.signatories[index] if index is not None else None
        where = str(index) if index is not None else want["side"]
        name, title = (s.name, s.title) if s else (None, None)
        signed = s.date.isoformat() if s and s.date else None
        name_ok = (
            bool(name and want["name"]) and fuzz.ratio(_name_key(name), _name_key(want["name"])) >= NAME_MATCH
        )
        title_ok = bool(title and want["title"]) and (
            fuzz.token_set_ratio(_fold_name(title), _fold_name(want["title"])) >= TITLE_MATCH
        )
        out += [
            record("signatory.name", f"signatories[{where}].name", name_ok, bool(want["name"])),
            record("signatory.title", f"signatories[{where}].title", title_ok, bool(want["title"])),
            record(
                "signatory.date",
                f"signatories[{where}].date",
                signed == want["date"] and bool(signed),
                bool(want["date"]),
            ),
        ]
    if dates and all(dates):
        signed_date = result.signed_date.isoformat() if result.signed_date else None
        out.append(record("signed_date", "signed_date", signed_date == max(d for d in dates if d), True))
    return out


def load_labels(labels_dir: Path = LABELS_DIR) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(labels_dir.glob("*.json"))}


def registry_workspace(home: Path = REGISTRY_DIR) -> Any:
    """A workspace whose registry is built from the bundled data (a no-op when it already is)."""
    from disentangle.workspace import Workspace

    workspace = Workspace(home)
    workspace.import_bundled()
    return workspace


def evaluate(
    corpus: Path = DEFAULT_CORPUS,
    *,
    scans: bool = True,
    labels_dir: Path = LABELS_DIR,
    registry: Any = None,
    signer_list: bool = True,
    cached_scans_only: bool = False,
) -> Report:
    """Run the extractor over the corpus and score it; importable (the lead's `disentangle eval`).

    `registry`: a Workspace with the registry built, to score the join as well (see --registry)."""
    started = time.monotonic()
    labels = load_labels(labels_dir)
    groups = {"text": GroupScore(), "scan": GroupScore()}
    hand = HandScore()
    per_doc = []
    records: list[Any] = []
    unlisted: list[tuple[CorpusItem, Extraction, dict[str, Any] | None]] = []
    for item in corpus_items(corpus, scans=scans, cached_scans_only=cached_scans_only):
        # Read without the ICE signer list, then with the shipped one (the product's reading, scored here);
        # the cross-validation applies a list built from its training folds to the same reading (cv_records).
        bare = extract_agreement(item.document, WITHOUT_SIGNER_LIST)
        unlisted.append((item, bare, labels.get(item.row["doc_id"])))
        result = with_signers(bare, None if signer_list else ())
        per_doc.append(_score_ice_labels(item, result, groups[item.group]))
        if registry is not None:
            _score_registry(item, result, registry.link_extraction(result), groups[item.group])
        label = labels.get(item.row["doc_id"])
        if label is not None:
            _score_hand(item.row["doc_id"], label, result, hand, item.document)
        records += review_records(item, result, label)
        per_doc[-1]["waiting"] = [
            {
                "field": r.field,
                "suggestion": r.machine is not None,
                "reason": r.reason.value if r.reason else None,
            }
            for r in result.review()
            if r.open
        ]
    report = Report(groups, hand, time.monotonic() - started, per_doc, records)
    report.unlisted = unlisted if signer_list else []
    return report


WITHOUT_SIGNER_LIST = tuple(
    KnownSignersExtractor(()) if isinstance(e, KnownSignersExtractor) else e for e in DEFAULT_EXTRACTORS
)


def with_signers(bare: Extraction, signers: Any) -> Extraction:
    """A copy of a reading made without the signer list, checked against `signers` (None: the shipped one)."""
    copy = deepcopy(bare, memo={id(bare.document): bare.document})
    apply_known_signers(copy, known_ice_signers() if signers is None else signers)
    return copy


def training_signers(
    unlisted: list[tuple[CorpusItem, Extraction, dict[str, Any] | None]], fold: int, k: int
) -> tuple[Any, ...]:
    """The ICE signer list the cross-validation may use on `fold`: the ICE signatories of the other folds'
    documents only — hand-labelled where labelled, else names the reader gave on ICE's side that are plausible
    and read in at least two training documents."""
    from disentangle.extract._review import plausible_name
    from disentangle.extract._signers import signers_from
    from review_cv import fold_of

    labelled: list[tuple[str, str | None]] = []
    read: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, str | None] = {}
    for item, bare, label in unlisted:
        doc = item.row["doc_id"]
        if fold_of(doc, k) == fold:
            continue
        if label is not None:
            labelled += [
                (s["name"], s["title"]) for s in label["signatories"] if s["side"] == "ice" and s["name"]
            ]
            continue
        for s in bare.signatories:
            if s.side == "ice" and s.name and plausible_name(s.name) is None:
                read[s.name].add(doc)
                titles[s.name] = s.title
    names = labelled + [(name, titles[name]) for name, docs in read.items() if len(docs) >= 2]
    return signers_from(names)


def cv_records(report: Report, k: int) -> dict[int, list[Any]]:
    """Per fold, every document's review records with the signer list of that fold's training documents."""
    out: dict[int, list[Any]] = {}
    for fold in range(k):
        signers = training_signers(report.unlisted, fold, k)
        out[fold] = [
            r
            for item, bare, label in report.unlisted
            for r in review_records(item, with_signers(bare, signers), label)
        ]
    return out


def format_table(report: Report) -> str:
    lines = [
        "| documents | n | model | state | agency name | ICE signed date among signature dates "
        "| template era |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, g in report.groups.items():
        if not g.docs:
            continue
        label = "text layer" if name == "text" else "scans (OCR)"
        lines.append(
            f"| {label} | {g.docs} | {g.rate('model'):.1%} | {g.rate('state'):.1%} | "
            f"{g.rate('agency'):.1%} | "
            f"{g.rate('signed_in_dates'):.1%} | {g.rate('era'):.1%} |"
        )
    if any("right_agreement" in g.counts for g in report.groups.values()):
        lines += [
            "",
            "With the registry (Workspace.link_extraction):",
            "",
            "| documents | n | state, document only | state with the registry | agency name, document only "
            "| right agreement found |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, g in report.groups.items():
            if g.docs:
                label = "text layer" if name == "text" else "scans (OCR)"
                lines.append(
                    f"| {label} | {g.docs} | {g.rate('state'):.1%} | {g.rate('state_with_registry'):.1%} | "
                    f"{g.rate('agency'):.1%} | {g.rate('right_agreement'):.1%} |"
                )
    lines += [
        "",
        f"Hand labels: {report.hand.docs} documents",
        "",
        "| field | correct | total | accuracy |",
        "|---|---:|---:|---:|",
    ]
    for key in sorted(report.hand.total):
        lines.append(
            f"| {key} | {report.hand.correct[key]} | {report.hand.total[key]} | {report.hand.rate(key):.1%} |"
        )
    return "\n".join(lines)


def workload(report: Report) -> str:
    """How much a person has to do to finish the corpus: fields waiting per document, and how many have
    no suggestion (to type) or one (to confirm or correct). The signed date is not counted: it follows
    from the signature dates once they are entered."""
    lines = [
        "",
        "Fields waiting for a person, per document (the signed date follows the signature dates):",
        "",
    ]
    for group in ("text", "scan"):
        docs = [d for d in report.per_doc if d["group"] == group]
        counts = Counter(len([w for w in d["waiting"] if w["field"] != "signed_date"]) for d in docs)
        waiting = [w for d in docs for w in d["waiting"] if w["field"] != "signed_date"]
        to_type = sum(not w["suggestion"] for w in waiting)
        by_kind = Counter(re.sub(r"\[[^\]]*\]", "", w["field"]) for w in waiting)
        reasons = Counter(w["reason"] for w in waiting)
        spread = ", ".join(f"{k} fields: {v}" for k, v in sorted(counts.items()))
        lines += [
            f"- {'text layers' if group == 'text' else 'scans'} ({len(docs)} documents): {spread}",
            f"  {len(waiting)} fields wait; {to_type} to type (no suggestion), {len(waiting) - to_type} to "
            f"confirm or correct; by field: {dict(by_kind.most_common())}; "
            f"by reason: {dict(reasons.most_common())}",
        ]
    every = [w for d in report.per_doc for w in d["waiting"] if w["field"] != "signed_date"]
    lines.append(
        f"- whole corpus ({len(report.per_doc)} documents): {len(every)} fields wait, "
        f"{sum(not w['suggestion'] for w in every)} to type"
    )
    return "\n".join(lines)


ROSTER = HERE.parent / "data" / "287g-watch" / "fbi_lee_latest.csv"


def roster_probe(report: Report) -> str:
    """Could the FBI's agency roster correct the agency names the reader leaves for a person? For each
    document whose name is doubted (debris, no agency word, initials) and whose state is read, the two
    roster names of that state nearest in spelling (rapidfuzz ratio on folded names; a county row as "X
    County Sheriff's Office", a city row as "X Police Department", any other row by the FBI's name), beside
    ICE's name for the agency: a correction rule would need the nearest to be right and far ahead."""
    from rapidfuzz import process

    from disentangle.extract._review import plausible_agency

    names: dict[str, list[str]] = defaultdict(list)
    with ROSTER.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, kind = row["pub_agency_name"].strip(), row["agency_type_name"]
            shapes = {"County": [f"{name} County Sheriff's Office"], "City": [f"{name} Police Department"]}
            names[row["state_abbr"]] += shapes.get(kind, [name])
    lines = ["", "Agency names left for a person, and the nearest roster names of the document's state:", ""]
    for item, bare, _label in report.unlisted:
        why = plausible_agency(bare.agency_name)
        if not why or not bare.state:
            continue
        pool = names.get(bare.state, [])
        near = process.extract(_fold_name(bare.agency_name), [_fold_name(n) for n in pool], limit=2)
        shown = ", ".join(f"{pool[i]!r} {score:.0f}" for _, score, i in near)
        lines.append(
            f"- {item.group}: {bare.agency_name!r} ({why}) -> {shown}; ICE: {item.row['ice_agency']!r}"
        )
    return "\n".join(lines)


def print_cv(report: Report, k: int, *, choose_all: bool, misses: bool) -> None:
    import review_cv

    if report.unlisted:
        # The same documents read without the ICE signer list: the reader before that rule, in the same run.
        bare = [r for item, reading, label in report.unlisted for r in review_records(item, reading, label)]
        print(f"\nWithout the ICE signer list, {k}-fold cross-validation:\n")
        print(review_cv.table(review_cv.cross_validate(bare, k)))
    rows = review_cv.cross_validate(report.records, k, cv_records(report, k) if report.unlisted else None)
    print(f"\nReview states, {k}-fold cross-validation (thresholds chosen on the other folds):\n")
    print(review_cv.table(rows))
    per_doc: dict[str, int] = Counter()
    for r in report.records:
        per_doc.setdefault(r.doc, 0)
    print(f"\n{len(per_doc)} documents")
    print(workload(report))
    if report.unlisted:
        print(roster_probe(report))
    if choose_all:
        print("\nThresholds chosen on the whole corpus (knowledge/agreements/review.yaml):")
        for kind, by_method in review_cv.choose(report.records).items():
            print(f"  {kind}: {{text: {by_method['text']}, ocr: {by_method['ocr']}}}")
    if misses:
        limits = review_cv.choose(report.records)
        print("\n## values read and wrong (thresholds of the whole corpus)")
        for r in report.records:
            if r.correct is False and r.read(limits[r.kind][r.method]):
                print(f"- {r.kind} {r.group}: {r.doc}: {r.value!r} (trust {r.trust})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-scans", action="store_true", help="skip the image-only PDFs (no OCR)")
    parser.add_argument(
        "--registry", action="store_true", help="also join each document to the registry (builds it once)"
    )
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--cv", type=int, default=0, metavar="K", help="cross-validate the review states over K folds"
    )
    parser.add_argument(
        "--choose", action="store_true", help="with --cv: print the thresholds chosen on the whole corpus"
    )
    parser.add_argument(
        "--no-signer-list",
        action="store_true",
        help="read without the known ICE signers (the reading before that rule, for comparison)",
    )
    parser.add_argument(
        "--cached-scans-only",
        action="store_true",
        help="score only the scans whose OCR is cached already (a partial run, for a busy machine)",
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "labels.csv").exists():
        print(f"{args.corpus}: no labels.csv — is the shared corpus there?", file=sys.stderr)
        return 2
    workspace = registry_workspace() if args.registry else None
    try:
        report = evaluate(
            args.corpus,
            scans=not args.no_scans,
            registry=workspace,
            signer_list=not args.no_signer_list,
            cached_scans_only=args.cached_scans_only,
        )
    finally:
        if workspace is not None:
            workspace.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0
    print(format_table(report))
    if args.cv:
        print_cv(report, args.cv, choose_all=args.choose, misses=args.misses)
    print(
        f"\n{report.seconds:.1f} s; routes: "
        + ", ".join(f"{g}: {dict(s.routes)}" for g, s in report.groups.items())
    )
    if args.misses:
        for name, g in report.groups.items():
            for key, misses in g.misses.items():
                print(f"\n## {name} {key} misses ({len(misses)})")
                print("\n".join(f"- {m}" for m in misses))
        print(f"\n## hand-label misses ({len(report.hand.misses)})")
        print("\n".join(f"- {m}" for m in report.hand.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
