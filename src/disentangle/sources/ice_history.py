"""Build each 287(g) agreement's history across ICE's snapshots: identity through renames and typos.

ICE publishes only the current list. Replaying the snapshots in date order, each row is matched to an
agreement that was on the previous list, in passes from the surest to the loosest:

1. same state, model, signed date and normalised agency name;
2. same state, model and signed date, agency name fuzzy-equal (a rename or a typo fixed) -> `renamed`;
3. same state and signed date, fuzzy-equal name, other model -> `model_changed`;
4. same state and model, fuzzy-equal name, other signed date: a later date is a re-signing (a new
   agreement that supersedes the old one), an earlier or missing one a correction -> `signed_changed`;
5. an agreement removed earlier, back unchanged -> `restored`;
6. anything left is a new agreement -> `added`; what is left of the previous list -> `removed`.

Each pass assigns rows and agreements one to one, best score first, so a snapshot's rows and its
active agreements always correspond exactly: the registry reproduces every published sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz

from disentangle.knowledge import load_yaml
from disentangle.model import STATES, AgreementKind, AgreementStatus, Event, EventKind, Source
from disentangle.sources.ice_sheets import DATASET, Sheet, SheetRow

_NAMES = load_yaml("ice_sheets.yaml")["agency_names"]
NAME_THRESHOLD = float(_NAMES["name_threshold"])
RESIGN_MIN_DAYS = int(_NAMES["resign_min_days"])
_TYPE_WORDS = frozenset(_NAMES["type_words"])
_GENERIC_WORDS = frozenset(_NAMES["generic_words"])
_FILLER = frozenset(_NAMES["containment_filler"])
_ABBREVIATIONS = tuple((pattern, replacement) for pattern, replacement in _NAMES["abbreviations"])


_PUNCTUATION = re.compile(r"[.,()\-/]")
_NOT_WORD = re.compile(r"[^a-z0-9 ]")
_THE_OF = re.compile(r"\b(the|of)\b")
_SPACES = re.compile(r"\s+")
_COMPILED_ABBREVIATIONS = tuple((re.compile(pattern), replacement) for pattern, replacement in _ABBREVIATIONS)


@lru_cache(maxsize=1 << 15)
def normalize_agency(name: str) -> str:
    """A spelling-insensitive form of an agency name for matching (not for display)."""
    text = name.lower().replace("’", "'")
    text = _PUNCTUATION.sub(" ", text)
    for pattern, replacement in _COMPILED_ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    text = _NOT_WORD.sub("", text)
    text = _THE_OF.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(slots=True)
class TrackedAgreement:
    """An agreement as the replay knows it; becomes a model.Agreement at the end."""

    id: str
    state: str
    kind: AgreementKind
    signed: date | None
    name: str
    norm: str
    first_seen: date
    last_seen: date
    status: AgreementStatus = AgreementStatus.ACTIVE
    agency_type: str | None = None
    county: str | None = None
    moa_url: str | None = None
    addendum: str | None = None
    addendum_url: str | None = None
    names: list[str] = field(default_factory=list)
    superseded_by: str | None = None
    supersedes: str | None = None
    source: Source | None = None
    county_source: Source | None = None  # the sheet row that printed `county`


@dataclass(frozen=True, slots=True)
class Membership:
    """Row `row` of snapshot `file` (captured on `captured`) is agreement `agreement_id`."""

    file: str
    captured: date
    row: int
    agreement_id: str
    state: str
    kind: AgreementKind
    agency: str
    signed: date | None


@dataclass(slots=True)
class PendingRequest:
    """An agency on ICE's pending list for a model: requested, not yet signed."""

    id: str
    state: str
    kind: AgreementKind
    name: str
    norm: str
    first_seen: date
    last_seen: date
    agency_type: str | None = None
    county: str | None = None
    outcome: str = "pending"  # pending | signed | left_list
    agreement_id: str | None = None
    names: list[str] = field(default_factory=list)
    county_source: Source | None = None  # the sheet row that printed `county`


@dataclass(slots=True)
class History:
    agreements: dict[str, TrackedAgreement] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    pending: dict[str, PendingRequest] = field(default_factory=dict)
    snapshots: list[Sheet] = field(default_factory=list)

    def events_from(self, file: str) -> list[Event]:
        """The events a given snapshot produced: what changed when it was published."""
        return [event for event in self.events if event.source.file == file]


def build_history(sheets: Iterable[Sheet]) -> History:
    """Replay participating and pending sheets in capture order: agreements, events, pending requests."""
    history = History()
    ordered = sorted(sheets, key=lambda s: (s.captured, s.list, s.file))
    for sheet in ordered:
        history.snapshots.append(sheet)
        if sheet.list == "participating":
            _apply_participating(history, sheet)
        else:
            _apply_pending(history, sheet)
    _settle_pending(history)
    return history


def _source(sheet: Sheet, row: SheetRow | None = None) -> Source:
    return Source(
        dataset=f"{DATASET}-{sheet.list}",
        file=sheet.file,
        row=row.row if row else None,
        retrieved=sheet.captured,
    )


def _signature(norm: str) -> tuple[frozenset[str], str]:
    words = norm.split()
    kinds = frozenset(w for w in words if w in _TYPE_WORDS)
    core = " ".join(
        w for w in words if w not in _TYPE_WORDS and w not in _GENERIC_WORDS and w not in _STATE_WORDS
    )
    return kinds, core


_STATE_WORDS = frozenset(w for s in STATES for w in s.name.lower().split()) | {"texas", "florida"}


def agency_similarity(a: str, b: str) -> float:
    """How alike two agency names are (0-100), on what distinguishes one agency from another."""
    return _similar(normalize_agency(a), normalize_agency(b))


def name_contained(a: str, b: str) -> bool:
    """Whether every word of the shorter agency name stands in the longer one ("Virginia State Police" in
    "Virginia Department of State Police"), and the shorter still has a word beyond kind and generic words
    (so "Department of Public Safety" alone is contained in no name)."""
    words_a = set(normalize_agency(a).split()) - _FILLER
    words_b = set(normalize_agency(b).split()) - _FILLER
    short, long = (words_a, words_b) if len(words_a) <= len(words_b) else (words_b, words_a)
    return bool(short) and short <= long and bool(short - _TYPE_WORDS - _GENERIC_WORDS)


def _similar(a: str, b: str) -> float:
    """How alike two normalised agency names are (0-100), on what distinguishes one agency from another."""
    if a == b:
        return 100.0
    kinds_a, core_a = _signature(a)
    kinds_b, core_b = _signature(b)
    if kinds_a and kinds_b and kinds_a != kinds_b and not (kinds_a <= kinds_b or kinds_b <= kinds_a):
        return 0.0
    if core_a and core_b:
        return float(fuzz.ratio(core_a, core_b))
    if core_a or core_b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, b))


Candidate = tuple[float, int, str]  # (score, row index, agreement id)


def _assign(
    rows: Sequence[SheetRow],
    norms: Sequence[str],
    open_rows: set[int],
    agreements: dict[str, TrackedAgreement],
    open_ids: set[str],
    score: Callable[[SheetRow, str, TrackedAgreement], float | None],
) -> list[tuple[int, str]]:
    """One-to-one assignment of open rows to open agreements, best score first."""
    by_state: dict[str, list[str]] = {}
    for agreement_id in open_ids:
        by_state.setdefault(agreements[agreement_id].state, []).append(agreement_id)
    candidates: list[Candidate] = []
    for index in open_rows:
        row = rows[index]
        for agreement_id in by_state.get(row.state, ()):
            value = score(row, norms[index], agreements[agreement_id])
            if value is not None:
                candidates.append((value, index, agreement_id))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    pairs: list[tuple[int, str]] = []
    for _, index, agreement_id in candidates:
        if index in open_rows and agreement_id in open_ids:
            open_rows.discard(index)
            open_ids.discard(agreement_id)
            pairs.append((index, agreement_id))
    return pairs


def _exact(row: SheetRow, norm: str, a: TrackedAgreement) -> float | None:
    return 100.0 if (row.kind, row.signed, norm) == (a.kind, a.signed, a.norm) else None


def _renamed(row: SheetRow, norm: str, a: TrackedAgreement) -> float | None:
    if (row.kind, row.signed) != (a.kind, a.signed):
        return None
    value = _similar(norm, a.norm)
    return value if value >= NAME_THRESHOLD else None


def _model_changed(row: SheetRow, norm: str, a: TrackedAgreement) -> float | None:
    if row.signed != a.signed or row.kind == a.kind:
        return None
    value = _similar(norm, a.norm)
    return value if value >= NAME_THRESHOLD else None


def _date_changed(row: SheetRow, norm: str, a: TrackedAgreement) -> float | None:
    if row.kind != a.kind or row.signed == a.signed:
        return None
    value = _similar(norm, a.norm)
    return value if value >= NAME_THRESHOLD else None


def _restored(row: SheetRow, norm: str, a: TrackedAgreement) -> float | None:
    if (row.kind, row.signed) != (a.kind, a.signed):
        return None
    value = _similar(norm, a.norm)
    return value if value >= NAME_THRESHOLD else None


def _apply_participating(history: History, sheet: Sheet) -> None:
    rows = sheet.rows
    norms = [normalize_agency(row.agency) for row in rows]
    agreements = history.agreements
    active = {a.id for a in agreements.values() if a.status is AgreementStatus.ACTIVE}
    open_rows = set(range(len(rows)))
    matched: dict[int, str] = {}

    for pass_score, _label in (
        (_exact, "exact"),
        (_renamed, "renamed"),
        (_model_changed, "model_changed"),
    ):
        for index, agreement_id in _assign(rows, norms, open_rows, agreements, active, pass_score):
            matched[index] = agreement_id

    resigned: list[tuple[int, str]] = []
    for index, agreement_id in _assign(rows, norms, open_rows, agreements, active, _date_changed):
        old = agreements[agreement_id]
        row = rows[index]
        if row.signed is not None and (
            old.signed is None or (row.signed - old.signed).days >= RESIGN_MIN_DAYS
        ):
            resigned.append((index, agreement_id))
        else:
            matched[index] = agreement_id

    removed = {a.id for a in agreements.values() if a.status is AgreementStatus.REMOVED}
    restored = _assign(rows, norms, open_rows, agreements, removed, _restored)

    for index, agreement_id in sorted(matched.items()):
        _continue(history, sheet, rows[index], norms[index], agreements[agreement_id])
    for index, agreement_id in restored:
        agreement = agreements[agreement_id]
        agreement.status = AgreementStatus.ACTIVE
        _record(history, agreement_id, EventKind.RESTORED, sheet, rows[index])
        _continue(history, sheet, rows[index], norms[index], agreement)
    for index, old_id in resigned:
        new = _add(history, sheet, rows[index], norms[index])
        _supersede(history, sheet, rows[index], agreements[old_id], new)
    for index in sorted(open_rows):
        new = _add(history, sheet, rows[index], norms[index])
        earlier = _earlier_same_model(history, new)
        if earlier is not None:
            _supersede(history, sheet, rows[index], earlier, new)

    seen = {m for m in matched.values()} | {a for _, a in restored} | {a for _, a in resigned}
    for agreement_id in sorted(active - seen):
        agreement = agreements[agreement_id]
        if agreement.status is AgreementStatus.ACTIVE:
            agreement.status = AgreementStatus.REMOVED
            _record(history, agreement_id, EventKind.REMOVED, sheet, None, last_seen=str(agreement.last_seen))


def _is_resigning(old: date | None, new: date | None) -> bool:
    return new is not None and (old is None or (new - old).days >= RESIGN_MIN_DAYS)


def _earlier_same_model(history: History, new: TrackedAgreement) -> TrackedAgreement | None:
    """A removed agreement of the same agency and model signed before `new`: re-signed after a gap."""
    best: TrackedAgreement | None = None
    for old in history.agreements.values():
        if (
            old.status is AgreementStatus.REMOVED
            and old.state == new.state
            and old.kind == new.kind
            and old.id != new.id
            and _is_resigning(old.signed, new.signed)
            and _similar(old.norm, new.norm) >= NAME_THRESHOLD
            and (best is None or old.last_seen > best.last_seen)
        ):
            best = old
    return best


def _supersede(
    history: History, sheet: Sheet, row: SheetRow, old: TrackedAgreement, new: TrackedAgreement
) -> None:
    old.status = AgreementStatus.SUPERSEDED
    old.superseded_by = new.id
    new.supersedes = old.id
    _record(history, old.id, EventKind.SUPERSEDED, sheet, row, by=new.id, signed=str(new.signed))
    _record(
        history, new.id, EventKind.RESIGNED, sheet, row, supersedes=old.id, previous_signed=str(old.signed)
    )


def _record(
    history: History, agreement_id: str, kind: EventKind, sheet: Sheet, row: SheetRow | None, **detail: object
) -> None:
    history.events.append(Event(agreement_id, kind, sheet.captured, _source(sheet, row), dict(detail)))


def _new_id(history: History, row: SheetRow) -> str:
    model = row.kind.value.removeprefix("287g-")
    signed = row.signed.strftime("%Y%m%d") if row.signed else "undated"
    base = f"{row.state.lower()}-{_slug(row.agency)}-{model}-{signed}"
    candidate, n = base, 2
    while candidate in history.agreements:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _add(history: History, sheet: Sheet, row: SheetRow, norm: str) -> TrackedAgreement:
    agreement = TrackedAgreement(
        id=_new_id(history, row),
        state=row.state,
        kind=row.kind,
        signed=row.signed,
        name=row.agency,
        norm=norm,
        first_seen=sheet.captured,
        last_seen=sheet.captured,
        agency_type=row.agency_type,
        county=row.county,
        moa_url=row.moa_url,
        addendum=row.addendum,
        addendum_url=row.addendum_url,
        names=[row.agency],
        source=_source(sheet, row),
        county_source=_source(sheet, row) if row.county else None,
    )
    history.agreements[agreement.id] = agreement
    _record(history, agreement.id, EventKind.ADDED, sheet, row, agency=row.agency, signed=str(row.signed))
    _remember(history, sheet, row, agreement)
    return agreement


def _continue(history: History, sheet: Sheet, row: SheetRow, norm: str, agreement: TrackedAgreement) -> None:
    changes: list[tuple[EventKind, object, object]] = []
    if norm != agreement.norm:
        changes.append((EventKind.RENAMED, agreement.name, row.agency))
    if row.kind != agreement.kind:
        changes.append((EventKind.MODEL_CHANGED, agreement.kind.value, row.kind.value))
    if row.signed != agreement.signed:
        changes.append((EventKind.SIGNED_CHANGED, str(agreement.signed), str(row.signed)))
    addendum = (row.addendum, row.addendum_url)
    if any(addendum) and addendum != (agreement.addendum, agreement.addendum_url):
        changes.append((EventKind.ADDENDUM, agreement.addendum, row.addendum_url or row.addendum))
    for kind, before, after in changes:
        _record(history, agreement.id, kind, sheet, row, **{"from": before, "to": after})
    agreement.kind, agreement.signed, agreement.norm = row.kind, row.signed, norm
    agreement.name = row.agency
    if row.agency not in agreement.names:
        agreement.names.append(row.agency)
    agreement.last_seen = sheet.captured
    agreement.agency_type = row.agency_type or agreement.agency_type
    agreement.county = row.county or agreement.county
    if row.county:
        agreement.county_source = _source(sheet, row)
    agreement.moa_url = row.moa_url or agreement.moa_url
    agreement.addendum = row.addendum or agreement.addendum
    agreement.addendum_url = row.addendum_url or agreement.addendum_url
    _remember(history, sheet, row, agreement)


def _remember(history: History, sheet: Sheet, row: SheetRow, agreement: TrackedAgreement) -> None:
    history.memberships.append(
        Membership(
            sheet.file, sheet.captured, row.row, agreement.id, row.state, row.kind, row.agency, row.signed
        )
    )


def _apply_pending(history: History, sheet: Sheet) -> None:
    rows = sheet.rows
    current = {p.id for p in history.pending.values() if p.outcome == "pending"}
    open_rows = set(range(len(rows)))
    candidates: list[tuple[float, int, str]] = []
    for index in open_rows:
        row = rows[index]
        norm = normalize_agency(row.agency)
        for pending_id in current:
            p = history.pending[pending_id]
            if p.state == row.state and p.kind == row.kind:
                value = _similar(norm, p.norm)
                if value >= NAME_THRESHOLD:
                    candidates.append((value, index, pending_id))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    seen: set[str] = set()
    for _, index, pending_id in candidates:
        if index in open_rows and pending_id not in seen:
            open_rows.discard(index)
            seen.add(pending_id)
            p = history.pending[pending_id]
            p.last_seen = sheet.captured
            p.name = rows[index].agency
            if p.name not in p.names:
                p.names.append(p.name)
    for index in sorted(open_rows):
        row = rows[index]
        model = row.kind.value.removeprefix("287g-")
        base = f"{row.state.lower()}-{_slug(row.agency)}-{model}-pending-{sheet.captured:%Y%m%d}"
        request = PendingRequest(
            id=base,
            state=row.state,
            kind=row.kind,
            name=row.agency,
            norm=normalize_agency(row.agency),
            first_seen=sheet.captured,
            last_seen=sheet.captured,
            agency_type=row.agency_type,
            county=row.county,
            names=[row.agency],
            county_source=_source(sheet, row) if row.county else None,
        )
        history.pending[request.id] = request
        seen.add(request.id)
    for pending_id in current - seen:
        history.pending[pending_id].outcome = "left_list"


def _settle_pending(history: History) -> None:
    """A pending request whose agency later signed the same model is `signed`; link the agreement."""
    latest_pending = max((s.captured for s in history.snapshots if s.list == "pending"), default=None)
    for request in history.pending.values():
        for agreement in history.agreements.values():
            if (
                agreement.state == request.state
                and agreement.kind == request.kind
                and agreement.first_seen >= request.first_seen
                and _similar(agreement.norm, request.norm) >= NAME_THRESHOLD
            ):
                request.outcome, request.agreement_id = "signed", agreement.id
                break
        else:
            if request.outcome == "pending" and latest_pending and request.last_seen < latest_pending:
                request.outcome = "left_list"


@dataclass(slots=True)
class TrackedAgency:
    """One agency as ICE's lists name it: every spelling of every agreement and request it made."""

    id: str
    state: str
    name: str  # latest spelling
    names: list[str]
    agency_type: str | None  # ICE's TYPE column, latest
    county: str | None  # ICE's COUNTY column, latest
    agreement_ids: list[str]
    pending_ids: list[str]
    last_seen: date
    county_source: Source | None = None  # the sheet row that printed `county`


def agencies_of(history: History) -> list[TrackedAgency]:
    """Group agreements and pending requests into agencies: one agency per state and normalised name,
    joined through every spelling an agreement carried over time."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(key: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: tuple[str, str], b: tuple[str, str]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    members: list[tuple[tuple[str, str], str, TrackedAgreement | PendingRequest]] = []
    for agreement in history.agreements.values():
        keys = [(agreement.state, normalize_agency(n)) for n in agreement.names]
        for key in keys[1:]:
            union(keys[0], key)
        find(keys[0])
        members.append((keys[0], "agreement", agreement))
    for request in history.pending.values():
        keys = [(request.state, normalize_agency(n)) for n in request.names]
        for key in keys[1:]:
            union(keys[0], key)
        find(keys[0])
        members.append((keys[0], "pending", request))

    groups: dict[tuple[str, str], list[tuple[str, TrackedAgreement | PendingRequest]]] = {}
    for key, role, item in members:
        groups.setdefault(find(key), []).append((role, item))
    agencies: list[TrackedAgency] = []
    used: set[str] = set()
    for root in sorted(groups):
        items = groups[root]
        latest = max(items, key=lambda pair: (pair[1].last_seen, pair[0] == "agreement"))[1]
        first = min(items, key=lambda pair: (pair[1].first_seen, pair[1].id))[1]
        base = f"{root[0].lower()}-{_slug(first.names[0])}"
        agency_id, n = base, 2
        while agency_id in used:
            agency_id, n = f"{base}-{n}", n + 1
        used.add(agency_id)
        names: list[str] = []
        for _, item in sorted(items, key=lambda pair: pair[1].first_seen):
            names.extend(name for name in item.names if name not in names)
        agencies.append(
            TrackedAgency(
                id=agency_id,
                state=root[0],
                name=latest.name,
                names=names,
                agency_type=latest.agency_type,
                county=latest.county,
                agreement_ids=sorted(item.id for role, item in items if role == "agreement"),
                pending_ids=sorted(item.id for role, item in items if role == "pending"),
                last_seen=latest.last_seen,
                county_source=latest.county_source,
            )
        )
    return agencies
