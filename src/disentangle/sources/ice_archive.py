"""The 287(g) program before ICE's published workbooks: ICE's partner lists of 2007-2008, DHS OIG's table of
October 2009 and ICE's agreement archive, read as dated claims and turned into agreements known before the
bundled lists begin (or into earlier events of agreements still on them).

A claim says only what its record says. A list names an agency with a signed agreement on the list's date;
OIG gives a model, an original signing date and "signed" or "pending" on 2009-10-28; the archive holds an
agreement's document and, for some, its signing date. Claims are tied to registry agencies by name (ICE's
spellings, the roster's names, the names of knowledge/agreements/historical_records.yaml) and then by the
linker's ORI; a claim no agency answers to is kept unlinked and counted, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from disentangle.errors import KnowledgeError, SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.model import AgreementKind, EventKind, Source, normalize_state
from disentangle.sources.ice_history import normalize_agency
from disentangle.sources.programs import cell, read_table

FOLDER = "historical-287g"
LISTS_FILE = f"{FOLDER}/historical-ice-lists.csv"
OIG_FILE = f"{FOLDER}/historical-oig-2009.csv"
ARCHIVE_FILE = f"{FOLDER}/historical-ice-archive-index.csv"
KNOWLEDGE_FILE = "agreements/historical_records.yaml"

_WORD = re.compile(r"[a-z0-9]+")
# Words most agency names share: a name is matched on one of its other words first.
_COMMON = frozenset(
    {"department", "sheriff", "sheriffs", "county", "office", "police", "corrections", "correction"}
    | {"public", "safety", "state", "city", "regional", "jail", "detention", "center", "adult", "board"}
    | {"commissioners", "supervisors", "of", "the", "and"}
)


def _distinctive(key: str) -> str:
    words = key.split()
    rare = [w for w in words if w not in _COMMON]
    return max(rare or words, key=len)


# Two signing dates of one agreement may differ by this much between records (ICE's archive and its
# sheets disagree by a few days on several agreements).
SAME_SIGNING = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Claim:
    """One row of one historical record, as that record says it."""

    record: str  # "ice-lists", "oig-2009", "ice-archive"
    source: Source
    state: str  # USPS code
    agency: str  # as printed
    kind: AgreementKind | None  # None when the record names no model
    signed: date | None
    as_of: date | None  # the date the record speaks for (a list's date, OIG's as-of date)
    status: str  # "listed" (on a list of signed agreements), "signed", "pending", "document", "addendum"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegistryAgreement:
    """An agreement already in the registry (from ICE's sheets), as the matcher needs it."""

    id: str
    agency_id: str
    kind: AgreementKind
    signed: date | None


@dataclass(slots=True)
class HistoricalAgreement:
    """An agreement known only from records older than the bundled lists."""

    id: str
    agency_id: str
    state: str
    agency_name: str  # as the first record printed it
    kind: AgreementKind
    signed: date | None
    source: Source
    documents: list[str] = field(default_factory=list)  # file names of ICE's archive
    requested: bool = False  # known only as a request (pending on DHS OIG's table), never as signed


@dataclass(frozen=True, slots=True)
class HistoricalEvent:
    agreement_id: str
    kind: EventKind
    date: date
    source: Source
    detail: dict[str, Any]


@dataclass(slots=True)
class History:
    agreements: list[HistoricalAgreement] = field(default_factory=list)
    events: list[HistoricalEvent] = field(default_factory=list)
    claims: int = 0
    linked: int = 0
    unlinked: list[Claim] = field(default_factory=list)
    excluded: list[tuple[Claim, str]] = field(default_factory=list)  # (claim, why it is no agreement)
    attached: int = 0  # claims that became events of agreements on ICE's sheets


@cache
def _knowledge() -> dict[str, Any]:
    doc = load_yaml(KNOWLEDGE_FILE)
    try:
        oig = {str(k): AgreementKind(v) for k, v in doc["oig_models"].items()}
        archive = {str(k): AgreementKind(v) for k, v in doc["archive_models"].items()}
        excluded = {str(e["file"]): str(e["why"]) for e in doc["not_agreements"]}
        names: dict[tuple[str, str], str] = {}
        for entry in doc["names"]:
            for printed in entry["printed"]:
                names[(str(entry["state"]), normalize_agency(printed))] = str(entry["agency"])
            if not entry.get("why"):
                raise KnowledgeError(f"{KNOWLEDGE_FILE}: the name {entry['agency']!r} needs a why")
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: invalid entry: {exc}") from exc
    return {"oig": oig, "archive": archive, "excluded": excluded, "names": names}


def _day(text: str, path: Path, line: int) -> date | None:
    value = cell(text)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise SourceFormatError(f"line {line}: {value!r} is not a date (YYYY-MM-DD)", path) from exc


def _state(text: str, path: Path, line: int) -> str:
    state = normalize_state(text.strip())
    if state is None:
        raise SourceFormatError(f"line {line}: unknown state {text!r}", path)
    return state


def read_claims(data_dir: Path) -> list[Claim]:
    """Every row of the three records that are present (none is required), as claims."""
    known = _knowledge()
    claims: list[Claim] = []
    path = data_dir / LISTS_FILE
    if path.is_file():
        for row in read_table(path, ("source", "capture", "as_of", "state", "state_abbr", "agency")):
            _, capture, as_of, _, state, agency = row.cells
            claims.append(
                Claim(
                    "ice-lists",
                    Source("ice-287g-lists-2007-2008", LISTS_FILE, row.line, _day(as_of, path, row.line)),
                    _state(state, path, row.line),
                    agency.strip(),
                    None,
                    None,
                    _day(as_of, path, row.line),
                    "listed",
                    {"capture": capture.strip()},
                )
            )
    path = data_dir / OIG_FILE
    if path.is_file():
        oig_columns = ("source", "as_of", "state", "agency", "model", "date_signed_original", "status")
        for row in read_table(path, oig_columns):
            _, as_of, state, agency, model, signed, status = row.cells
            if model.strip() not in known["oig"] or status.strip() not in ("signed", "pending"):
                raise SourceFormatError(
                    f"line {row.line}: unknown model {model!r} or status {status!r}", path
                )
            claims.append(
                Claim(
                    "oig-2009",
                    Source("dhs-oig-10-63", OIG_FILE, row.line),
                    _state(state, path, row.line),
                    agency.strip(),
                    known["oig"][model.strip()],
                    _day(signed, path, row.line),
                    _day(as_of, path, row.line),
                    status.strip(),
                    {"model": model.strip()},
                )
            )
    path = data_dir / ARCHIVE_FILE
    if path.is_file():
        for row in read_table(path, ("source", "state", "agency", "date_signed", "moa_file")):
            _, state, agency, signed, moa_file = row.cells
            prefix = re.match(r"(287g[A-Z]{3})_", moa_file.strip())
            addendum = "(addendum)" in agency.lower()
            claims.append(
                Claim(
                    "ice-archive",
                    Source("ice-287g-archive", ARCHIVE_FILE, row.line),
                    _state(state, path, row.line),
                    re.sub(r"\s*\(addendum\)", "", agency.strip(), flags=re.I),
                    known["archive"].get(prefix.group(1)) if prefix else None,
                    _day(signed, path, row.line),
                    None,
                    "addendum" if addendum else "document",
                    {"document": moa_file.strip()},
                )
            )
    return claims


def build_history(
    claims: Sequence[Claim],
    agency_of: Callable[[str, str], str | None],
    on_sheets: Iterable[RegistryAgreement],
) -> History:
    """Tie claims to agencies (`agency_of(state, name)` gives a registry agency id or None) and to
    agreements: a claim dated like an agreement of ICE's sheets becomes an earlier event of it; the rest
    make agreements known only from these records."""
    known = _knowledge()
    history = History(claims=len(claims))
    sheets_by_agency: dict[str, list[RegistryAgreement]] = {}
    for agreement in on_sheets:
        sheets_by_agency.setdefault(agreement.agency_id, []).append(agreement)
    tied: dict[str, list[Claim]] = {}
    for claim in claims:
        why = known["excluded"].get(str(claim.detail.get("document")))
        if why:
            history.excluded.append((claim, why))
            continue
        name = known["names"].get((claim.state, normalize_agency(claim.agency)), claim.agency)
        agency_id = agency_of(claim.state, name)
        if agency_id is None:
            history.unlinked.append(claim)
            continue
        history.linked += 1
        tied.setdefault(agency_id, []).append(claim)
    for agency_id, mine in tied.items():
        _agency_history(history, agency_id, mine, sheets_by_agency.get(agency_id, []))
    return history


def _agency_history(
    history: History, agency_id: str, claims: list[Claim], on_sheets: list[RegistryAgreement]
) -> None:
    # Dated agreements first (a signing date), then what only says "listed", "pending" or "a document".
    order = {"signed": 0, "document": 1, "addendum": 2, "listed": 3, "pending": 4}
    claims = sorted(claims, key=lambda c: (c.signed is None, order[c.status], c.signed or date.max))
    mine: list[HistoricalAgreement] = []

    def same(
        kind: AgreementKind | None, signed: date | None, other_kind: AgreementKind, other: date | None
    ) -> bool:
        if signed is None or other is None or abs(signed - other) > SAME_SIGNING:
            return False
        return kind is None or _compatible(kind, other_kind)

    for claim in claims:
        if claim.status == "addendum":
            target = _latest_before(claim.signed, on_sheets, mine)
            if target and claim.signed:
                history.events.append(
                    HistoricalEvent(target, EventKind.ADDENDUM, claim.signed, claim.source, _detail(claim))
                )
                history.attached += target in {a.id for a in on_sheets}
            continue
        if claim.signed is not None and claim.status in ("signed", "document"):
            listed = next((a for a in on_sheets if same(claim.kind, claim.signed, a.kind, a.signed)), None)
            if listed is not None:
                history.events.append(
                    HistoricalEvent(listed.id, EventKind.SIGNED, claim.signed, claim.source, _detail(claim))
                )
                if claim.as_of:
                    history.events.append(
                        HistoricalEvent(
                            listed.id, EventKind.LISTED, claim.as_of, claim.source, _detail(claim)
                        )
                    )
                history.attached += 1
                continue
            earlier = next((a for a in mine if same(claim.kind, claim.signed, a.kind, a.signed)), None)
            if earlier is None:
                earlier = _new(history, mine, agency_id, claim, claim.signed)
            elif earlier.kind is AgreementKind.UNSPECIFIED and claim.kind is not None:
                earlier.kind = claim.kind
            history.events.append(
                HistoricalEvent(earlier.id, EventKind.SIGNED, claim.signed, claim.source, _detail(claim))
            )
            _document(earlier, claim)
            if claim.as_of:  # OIG: signed, and so on its table of that day
                history.events.append(
                    HistoricalEvent(earlier.id, EventKind.LISTED, claim.as_of, claim.source, _detail(claim))
                )
            continue
        # A list's date, OIG's pending row, or an undated archive document: the agreement signed on or
        # before that date (the latest such), else the one agreement known from records, else an agreement
        # of its own known only from this claim. A request (OIG's pending) stays apart from agreements.
        requested = claim.status == "pending"
        when = claim.as_of
        target_id = None if requested else _latest_before(when, on_sheets, mine)
        if target_id is None:
            fits = [a for a in mine if a.requested == requested and _compatible_or_none(claim.kind, a.kind)]
            undated = [a for a in fits if a.signed is None]
            chosen = fits[0] if len(fits) == 1 and when is None else (undated[0] if undated else None)
            if chosen is None:
                chosen = _new(history, mine, agency_id, claim, None)
                chosen.requested = requested
            target_id = chosen.id
            _document(chosen, claim)
        else:
            ours = next((a for a in mine if a.id == target_id), None)
            if ours is not None:
                _document(ours, claim)
            else:
                history.attached += 1
        if when is not None:
            kind = EventKind.PENDING if requested else EventKind.LISTED
            history.events.append(HistoricalEvent(target_id, kind, when, claim.source, _detail(claim)))


def _compatible(kind: AgreementKind, other: AgreementKind) -> bool:
    if AgreementKind.UNSPECIFIED in (kind, other) or kind == other:
        return True
    hybrid = {AgreementKind.JEM_TFM, AgreementKind.JEM, AgreementKind.TFM}
    return AgreementKind.JEM_TFM in (kind, other) and {kind, other} <= hybrid


def _compatible_or_none(kind: AgreementKind | None, other: AgreementKind) -> bool:
    return kind is None or _compatible(kind, other)


def _latest_before(
    when: date | None, on_sheets: Sequence[RegistryAgreement], mine: Sequence[HistoricalAgreement]
) -> str | None:
    """The agreement signed on or before `when`, the latest such, of the sheets or of the records."""
    if when is None:
        return None
    dated = [(a.signed, a.id) for a in on_sheets if a.signed is not None and a.signed <= when]
    dated += [(a.signed, a.id) for a in mine if a.signed is not None and a.signed <= when]
    return max(dated)[1] if dated else None


def _new(
    history: History,
    mine: list[HistoricalAgreement],
    agency_id: str,
    claim: Claim,
    signed: date | None,
) -> HistoricalAgreement:
    kind = claim.kind or AgreementKind.UNSPECIFIED
    stem = f"hist-{agency_id}-{kind.value.removeprefix('287g-').removeprefix('287g') or 'model-unstated'}"
    base = f"{stem}-{signed:%Y%m%d}" if signed else f"{stem}-undated"
    known = {a.id for a in history.agreements}
    agreement_id, n = base, 2
    while agreement_id in known:
        agreement_id, n = f"{base}-{n}", n + 1
    agreement = HistoricalAgreement(
        agreement_id, agency_id, claim.state, claim.agency, kind, signed, claim.source
    )
    history.agreements.append(agreement)
    mine.append(agreement)
    return agreement


def _document(agreement: HistoricalAgreement, claim: Claim) -> None:
    document = claim.detail.get("document")
    if document and document not in agreement.documents:
        agreement.documents.append(str(document))


def _detail(claim: Claim) -> dict[str, Any]:
    """What the record printed (its source names the record itself)."""
    detail: dict[str, Any] = {"printed": claim.agency}
    if claim.detail.get("model"):
        detail["model"] = claim.detail["model"]
    if claim.detail.get("document"):
        detail["archive_file"] = claim.detail["document"]
    if claim.status == "pending" and claim.signed:
        detail["date_printed"] = claim.signed.isoformat()
    return detail


def agency_index(
    owners: Iterable[tuple[str, Sequence[str], str]], wanted: Iterable[tuple[str, str]]
) -> Mapping[tuple[str, str], set[str]]:
    """(state, the names an agency goes by, agency id) -> (state, normalised name) -> agency ids, for the
    names that may answer to one of `wanted` (state, name) pairs: a name sharing no distinctive word
    with any of them is not normalised at all (the roster holds some 60,000 names)."""
    known = _knowledge()["names"]
    keys: set[tuple[str, str]] = set()
    for state, name in wanted:
        keys.add((state, normalize_agency(name)))
        meant = known.get((state, normalize_agency(name)))
        if meant:
            keys.add((state, normalize_agency(meant)))
    words = {_distinctive(key) for _, key in keys if key}
    states = {state for state, _ in keys}
    index: dict[tuple[str, str], set[str]] = {}
    for state, names, agency_id in owners:
        if state not in states:
            continue
        for name in names:
            if not words.isdisjoint(_WORD.findall(name.lower())):
                key = (state, normalize_agency(name))
                if key in keys:
                    index.setdefault(key, set()).add(agency_id)
    return index
