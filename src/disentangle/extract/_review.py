"""Never guess: every field an agreement should show gets a review state — read by the machine, or waiting
for a person with the reason and the machine's suggestion — and the page region a person should look at.

A field is `read` only when its value is plausible (an agency name with an agency word, a title the reader
knows or nearly knows, a person's name made of name-like words, no OCR debris), the document does not
contradict it, and the reading is trusted at least as much as the field's threshold (knowledge/agreements/
review.yaml, chosen by cross-validation on the development corpus: `bench/extract_eval.py --cv`). Anything
else is `needs-review`, with the value offered as a suggestion. Pure: no I/O beyond the knowledge file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from functools import cache

from rapidfuzz import fuzz, process

from disentangle.extract._extraction import Extraction
from disentangle.extract._knowledge import parties
from disentangle.extract._signers import KNOWN_SIGNER_RULE, SIDE_RULE, stray_ice_name
from disentangle.knowledge import load_yaml
from disentangle.model import (
    Document,
    Evidence,
    FieldReview,
    FieldState,
    PageMethod,
    PersonEntry,
    Region,
    ReviewReason,
    Signatory,
)

SIDE_WORDS = {"lea": "Local agency", "ice": "ICE", "other": "Other"}
FIELD_WORDS = {"name": "signer's name", "title": "signer's title", "date": "signature date"}
# The kinds of field a threshold is chosen for (the cross-validation's rows).
FIELD_KINDS = ("kind", "agency.name", "agency.state", "signatory.name", "signatory.title", "signatory.date")
INDEXED_FIELD = re.compile(r"^signatories\[(\d+|lea|ice)\]\.(name|title|date)$")
_NAME_WORD = re.compile(
    r"^(?:(?:[A-Z]\.){1,3}|[A-Z]|[A-Z][a-z'’\-]+\.?|[A-Z]['’]?[A-Z][a-z'’\-]+|Mc[A-Z][a-z]+|[A-Z]{2,}\.?)$"
)
_SUFFIX = {"Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"}
_ABBREVIATIONS = {"Jr", "Sr", "St", "Mt", "Ft", "Dr", "Mr", "Ms", "Mrs", "Hwy", "Cty", "Twp"}
_VOWEL = re.compile(r"[AEIOUYaeiouy]")


@cache
def thresholds() -> dict[str, dict[str, float]]:
    """The least trust a reading needs to be `read`, per kind of field and page method (text | ocr)."""
    chosen = load_yaml("agreements/review.yaml")["thresholds"]
    return {kind: {m: float(chosen[kind][m]) for m in ("text", "ocr")} for kind in FIELD_KINDS}


# ---------------------------------------------------------------------------------------------- plausibility


def debris(text: str) -> bool:
    """OCR debris rather than words: digits or symbols inside words ("sp11ngs", "Coc:nly"), letters spaced
    out ("E xe c u t iv e"), a lone lowercase letter, or words without a vowel ("Cq")."""
    words = [w for w in re.split(r"[\s,/]+", text) if re.search(r"[A-Za-z0-9]", w)]
    if not words:
        return True
    singles = sum(len(w.strip(".&")) == 1 for w in words)
    if len(words) >= 4 and singles * 2 >= len(words):
        return True
    for word in words:
        core = word.strip("().,;:'’\"")
        if not core or core == "&":
            continue
        if re.search(r"[0-9]", core) and re.search(r"[A-Za-z]", core):
            return True
        if re.search(r"[^A-Za-z.'’\-&]", core):
            return True
        if len(core) == 1 and core.islower():
            return True
        letters = re.sub(r"[^A-Za-z]", "", core)
        abbreviated = word.endswith(".") or core in _ABBREVIATIONS
        if len(letters) >= 2 and not _VOWEL.search(letters) and not letters.isupper() and not abbreviated:
            return True
        if re.search(r"[a-z][A-Z]", core[1:]) and not core.startswith(("Mc", "Mac", "De", "La")):
            return True
    return False


def plausible_agency(name: str | None) -> str | None:
    """Why an agency name cannot be taken as read, or None: it needs an agency word and no debris."""
    if not name:
        return None
    if debris(name):
        return "the name has OCR debris in it"
    if not parties().agency_words.search(name):
        return "the name has no word that names an agency (Sheriff, Police, Department, Office …)"
    if re.match(r"^[A-Z]{2,6},", name):
        return "the name starts with initials: the agency's full name is not given"
    return None


def known_title(title: str, side: str) -> tuple[str | None, float]:
    """The known title a read title is or is close to (rapidfuzz ratio), and how close (100: exact)."""
    titles = parties().titles
    pool = titles.get(side, ()) + tuple(t for s, ts in titles.items() if s != side for t in ts)
    folded = " ".join(title.replace(",", " ").split()).lower()
    for known in pool:
        if folded == known.lower():
            return known, 100.0
    best = process.extractOne(folded, [t.lower() for t in pool], scorer=fuzz.ratio)
    if best is None:
        return None, 0.0
    return pool[best[2]], float(best[1])


def plausible_title(title: str | None, side: str) -> str | None:
    if not title:
        return None
    if debris(title):
        return "the title has OCR debris in it"
    # "Sheriff, Waushara County": a title and its place; the title is what comes before the comma.
    head = title.split(",")[0]
    score = known_title(head, side)[1]
    # "Sheriff Clay County": a known title and the county or city it serves.
    place = re.match(r"(.+?)\s+(?:of\s+)?(?:[A-Z][a-z]+\s+){1,3}(?:County|Parish|City|Town)$", head)
    if place and known_title(place[1], side)[1] >= TITLE_NEAR:
        return None
    if score < TITLE_NEAR:
        return f"{title!r} is no title the reader knows"
    return None


TITLE_NEAR = 85.0  # a title this close to a known one is that title misread ("Sherriff", "Chief of Pollce")


def plausible_name(name: str | None) -> str | None:
    if not name:
        return None
    words = [w.strip(",") for w in name.split() if w.strip(",")]
    core = [w for w in words if w not in _SUFFIX]
    if not 2 <= len(core) <= 5:
        return "a person's name has two to five words"
    if debris(name) or not all(_NAME_WORD.match(w) for w in core):
        return "the name has OCR debris in it"
    if not any(len(w.strip(".")) >= 3 and _VOWEL.search(w) for w in core):
        return "the name has no word a surname could be"
    surname = core[-1].strip(".")
    if len(surname) < 2 or not _VOWEL.search(surname):
        return "the last word is no surname"
    if any(len(w) == 2 and w.isupper() and "." not in w for w in core):
        return "a word of the name is split (OCR read a space inside it)"
    if len(core) == 2 and re.fullmatch(r"[A-Z]\.?", core[0]):
        return "only an initial before the surname: the first name may be under the signature"
    return None


# ---------------------------------------------------------------------------------------------- regions


def region_of(document: Document | None, evidence: Iterable[Evidence], page: int | None) -> Region | None:
    """The band of the page where the evidence's lines are, widened to take in a signature above them; the
    lower part of `page` when nothing was read there. Lines of the stored text stand for the page's height
    (pdftotext -layout and OCR laid out from word boxes keep the order and rough spacing of lines)."""
    found = [e for e in evidence if e is not None]
    if document is None:
        return None
    number = found[0].page if found else page
    if not number or number > len(document.pages):
        return None
    text = document.pages[number - 1].text
    lines = max(1, text.count("\n") + 1)
    mine = [e for e in found if e.page == number]
    if not mine:
        return Region(number, 0.0, 0.45, 1.0, 1.0)
    first = min(text.count("\n", 0, e.start) for e in mine)
    last = max(text.count("\n", 0, max(e.start, e.end - 1)) for e in mine)
    top = max(0.0, first / lines - 0.1)
    bottom = min(1.0, (last + 1) / lines + 0.08)
    if bottom - top < 0.22:
        middle = (top + bottom) / 2
        top, bottom = max(0.0, middle - 0.11), min(1.0, middle + 0.11)
    return Region(number, 0.0, top, 1.0, bottom)


# ---------------------------------------------------------------------------------------------- reviews


def _method(document: Document | None, page: int | None) -> tuple[str, float | None]:
    """text | ocr, and the page's OCR confidence (0..1) when OCR read it."""
    if document is None or not page or page > len(document.pages):
        return "text", None
    p = document.pages[page - 1]
    if p.method is PageMethod.OCR:
        return "ocr", (p.ocr_confidence / 100.0) if p.ocr_confidence is not None else None
    return "text", None


def _trust(evidence: Evidence | None, ocr_confidence: float | None) -> float:
    """How much a reading is trusted: its rule's confidence, lowered for fuzzy matches and faint OCR."""
    if evidence is None:
        return 0.0
    trust = evidence.confidence
    if "~fuzzy" in evidence.rule or "~ocr" in evidence.rule:
        trust = min(trust, 0.6)
    if ocr_confidence is not None:
        trust = min(trust, ocr_confidence)
    return round(trust, 3)


def _decide(
    field: str,
    label: str,
    kind_of_field: str,
    machine: str | None,
    evidence: Evidence | None,
    doubt: tuple[ReviewReason, str] | None,
    document: Document | None,
    region: Region | None,
    limits: Mapping[str, Mapping[str, float]],
    page: int | None = None,
) -> FieldReview:
    method, ocr = _method(document, evidence.page if evidence else page)
    trust = _trust(evidence, ocr)
    if machine is None:
        if doubt is None:
            reason = ReviewReason.UNREADABLE if method == "ocr" else ReviewReason.HANDWRITTEN
            doubt = (reason, "")
        return FieldReview(
            field, label, None, FieldState.NEEDS_REVIEW, doubt[0], doubt[1], region, None, trust=0.0
        )
    if doubt is not None:
        return FieldReview(
            field, label, machine, FieldState.NEEDS_REVIEW, doubt[0], doubt[1], region, evidence, trust=trust
        )
    limit = limits[kind_of_field][method]
    if trust < limit:
        detail = f"trusted {trust:.2f}, under the {limit:.2f} a {method} reading of this field needs"
        return FieldReview(
            field,
            label,
            machine,
            FieldState.NEEDS_REVIEW,
            ReviewReason.UNSURE,
            detail,
            region,
            evidence,
            trust=trust,
        )
    return FieldReview(field, label, machine, FieldState.READ, None, "", region, evidence, trust=trust)


def _first(result: Extraction, field: str) -> Evidence | None:
    found = result.evidence_for(field)
    return max((f.evidence for f in found), key=lambda e: e.confidence) if found else None


def review_extraction(
    result: Extraction, limits: Mapping[str, Mapping[str, float]] | None = None
) -> list[FieldReview]:
    """Every field an agreement should show, with its review state. A document that is no agreement the
    reader knows (kind unknown) has none: there is nothing to finish in it."""
    if result.kind == "unknown":
        return []
    limits = limits or thresholds()
    document = result.document
    reviews: list[FieldReview] = []
    kind_evidence = _first(result, "kind")
    kind_doubt = (
        (ReviewReason.UNSURE, "an agreement of no kind the reader knows") if result.kind == "other" else None
    )
    kind_review = _decide(
        "kind", "Kind of agreement", "kind", result.kind, kind_evidence, kind_doubt, document, None, limits
    )
    if kind_evidence is not None and kind_doubt is None:
        # The classification's own confidence (indicator weights), not the one indicator's.
        method = _method(document, kind_evidence.page)[0]
        trust = round(min(result.kind_confidence, kind_review.trust or 1.0), 3)
        limit = limits["kind"][method]
        kind_review = replace(
            kind_review,
            trust=trust,
            state=FieldState.READ if trust >= limit else FieldState.NEEDS_REVIEW,
            reason=None if trust >= limit else ReviewReason.UNSURE,
        )
    reviews.append(kind_review)

    name_evidence = _first(result, "agency.name")
    why = plausible_agency(result.agency_name)
    name_doubt = (ReviewReason.IMPLAUSIBLE, why) if why else None
    if result.agency_name is None:
        name_doubt = (ReviewReason.NOT_FOUND, "the parties clause names no agency the reader could read")
    reviews.append(
        _decide(
            "agency.name",
            "Local agency's name",
            "agency.name",
            result.agency_name,
            name_evidence,
            name_doubt,
            document,
            region_of(document, [name_evidence] if name_evidence else [], 1),
            limits,
            page=1,
        )
    )
    state_doubt: tuple[ReviewReason, str] | None = None
    if result.state is None:
        state_doubt = (
            (ReviewReason.CONFLICTING, "equally possible: " + ", ".join(result.state_candidates))
            if result.state_candidates
            else (ReviewReason.NOT_FOUND, "")
        )
    state_evidence = max(
        (f.evidence for f in result.evidence_for("agency.state") if f.value == result.state),
        key=lambda e: e.confidence,
        default=None,
    )
    reviews.append(
        _decide(
            "agency.state",
            "Local agency's state",
            "agency.state",
            result.state,
            state_evidence,
            state_doubt,
            document,
            region_of(document, [e for e in (state_evidence or name_evidence,) if e], 1),
            limits,
            page=1,
        )
    )
    reviews += _signatory_reviews(result, limits)
    reviews.append(signed_date_review(reviews, agreement_blocks(result.signatories)))
    return reviews


def agreement_blocks(signatories: Iterable[Signatory | Mapping[str, object]]) -> set[str]:
    """Indices of the signature blocks whose dates make the agreement's signed date (its parties')."""
    out: set[str] = set()
    sides = {"lea", "ice"}  # a party whose block was not found: its date waits under its side's name
    for index, s in enumerate(signatories):
        part = s.part if isinstance(s, Signatory) else s.get("part", "agreement")
        side = s.side if isinstance(s, Signatory) else s.get("side")
        if part == "agreement" and side != "other":
            out.add(str(index))
            sides.discard(str(side))
    return out | sides


def _signatory_reviews(result: Extraction, limits: Mapping[str, Mapping[str, float]]) -> list[FieldReview]:
    document = result.document
    out: list[FieldReview] = []
    agreement_dates = [s.date for s in result.signatories if s.part == "agreement" and s.date]
    signed = min(agreement_dates) if agreement_dates else None  # the first party's signature
    for index, s in enumerate(result.signatories):
        if s.side == "other":
            continue
        block = region_of(document, s.evidence.values(), s.page)
        where = SIDE_WORDS.get(s.side, s.side) + (" (addendum)" if s.part == "addendum" else "")
        for key in ("name", "title", "date"):
            field = f"signatories[{index}].{key}"
            evidence = s.evidence.get(key)
            value = getattr(s, key)
            machine = value.isoformat() if isinstance(value, date) else value
            doubt: tuple[ReviewReason, str] | None = None
            why = (
                plausible_name(value)
                if key == "name"
                else plausible_title(value, s.side)
                if key == "title"
                else None
            )
            if why:
                doubt = (ReviewReason.IMPLAUSIBLE, why)
            elif key == "name" and s.side == "lea" and stray_ice_name(result, index):
                doubt = (
                    ReviewReason.CONFLICTING,
                    "the name of a known ICE signer, in the local agency's block",
                )
            elif key == "date" and value is None and _dropped_date(result, s):
                doubt = (ReviewReason.IMPLAUSIBLE, "the date read was impossible for this agreement")
            elif key == "date" and value is not None and s.part == "addendum" and signed and value < signed:
                doubt = (
                    ReviewReason.IMPLAUSIBLE,
                    f"an addendum signed before the agreement it amends ({signed.isoformat()})",
                )
            review = _decide(
                field,
                f"{where} {FIELD_WORDS[key]}",
                f"signatory.{key}",
                machine,
                evidence,
                doubt,
                document,
                block,
                limits,
                page=s.page,
            )
            if evidence is not None and KNOWN_SIGNER_RULE in evidence.rule and not review.detail:
                # Never silent: the value is the known signer's name, read from other page words.
                review = replace(review, detail=f"corrected by rule: the page reads {evidence.quote!r}")
            elif evidence is not None and evidence.rule.endswith(SIDE_RULE) and not review.detail:
                review = replace(review, detail=f"ICE's signer by rule: {value!r} is a known ICE signer")
            out.append(review)
    agreement = [s for s in result.signatories if s.part == "agreement"]
    for side in ("lea", "ice"):
        if any(s.side == side for s in agreement):
            continue
        near = region_of(
            document, (e for s in agreement for e in s.evidence.values()), _signature_page(result)
        )
        for key in ("name", "title", "date"):
            out.append(
                FieldReview(
                    f"signatories[{side}].{key}",
                    f"{SIDE_WORDS[side]} {FIELD_WORDS[key]}",
                    None,
                    FieldState.NEEDS_REVIEW,
                    ReviewReason.NOT_FOUND,
                    f"no signature block of the {'local agency' if side == 'lea' else 'ICE'} was found",
                    near,
                    None,
                    trust=0.0,
                )
            )
    return out


def _signature_page(result: Extraction) -> int | None:
    pages = [s.page for s in result.signatories if s.page]
    if pages:
        return min(pages)
    return len(result.document.pages) if result.document and result.document.pages else None


def _dropped_date(result: Extraction, signatory: Signatory) -> bool:
    return any(
        w.startswith("signature date") and f"({signatory.side}, page {signatory.page})" in w
        for w in result.warnings
    )


def signed_date_review(reviews: list[FieldReview], blocks: set[str]) -> FieldReview:
    """The agreement's signed date is the latest of its signature dates: `read` only when every one of them
    is known (read surely or entered by a person); a person's date, when it is the latest, makes it theirs."""
    dates = [r for r in reviews if (m := INDEXED_FIELD.match(r.field)) and m[2] == "date" and m[1] in blocks]
    region = dates[0].region if dates else None
    if not dates:
        return FieldReview(
            "signed_date",
            "Date the agreement was signed",
            None,
            FieldState.NEEDS_REVIEW,
            ReviewReason.NOT_FOUND,
            "no signature block was found",
            region,
            None,
            trust=0.0,
        )
    known = [(r.value, r) for r in dates if r.value]
    waiting = [r for r in dates if r.value is None and (r.entry is None)]
    if not known:
        latest_machine = max((r.machine for r in dates if r.machine), default=None)
        first = waiting[0] if waiting else dates[0]
        return FieldReview(
            "signed_date",
            "Date the agreement was signed",
            latest_machine,
            FieldState.NEEDS_REVIEW,
            first.reason or ReviewReason.UNREADABLE,
            "no signature date is known yet",
            first.region,
            first.evidence,
            trust=0.0,
        )
    value, source = max(known, key=lambda pair: pair[0] or "")
    if waiting:
        first = waiting[0]
        return FieldReview(
            "signed_date",
            "Date the agreement was signed",
            value,
            FieldState.NEEDS_REVIEW,
            first.reason or ReviewReason.UNREADABLE,
            f"waits for {first.label.lower()}",
            first.region,
            source.evidence,
            trust=source.trust,
        )
    entry = None
    if source.entry is not None:
        entry = replace(source.entry, field="signed_date")
    return FieldReview(
        "signed_date",
        "Date the agreement was signed",
        value if entry is None else source.machine,
        FieldState.READ,
        None,
        "",
        source.region,
        source.evidence,
        entry=entry,
        trust=source.trust,
    )


def with_entries(
    reviews: list[FieldReview], entries: Iterable[PersonEntry], blocks: set[str] | None = None
) -> list[FieldReview]:
    """The reviews with a person's entries beside the machine's readings (the latest entry per field wins);
    the signed date follows the signature dates."""
    latest: dict[str, PersonEntry] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        latest[entry.field] = entry
    out = [replace(r, entry=latest.get(r.field)) for r in reviews]
    if blocks is not None and "signed_date" not in latest and any(r.field == "signed_date" for r in out):
        out = [r for r in out if r.field != "signed_date"]
        out.append(signed_date_review(out, blocks))
    return out
