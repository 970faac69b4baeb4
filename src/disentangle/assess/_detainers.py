"""A place's detainers year by year: counts grouped by outcome and form from knowledge/detainers/, with
the source of every number, and "no data" (never zero) for a year no dataset covers."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.knowledge._translations import LANGUAGES, translated, translations

DECLINED_REASON = "Detainer Declined by LEA"


class Coverage(StrEnum):
    """What a dataset's silence means: only a dataset of every detainer can say zero."""

    ALL = "all-detainers"  # every detainer ICE recorded in the months it spans: a month without one is zero
    LISTED = "listed"  # counts for the facility-periods it lists; any other period is no data
    NATIONAL = "national"  # national totals only
    DECLINED_ONLY = "declined-only"  # facility-years with at least one declined detainer (NPR)


# Which dataset answers a year when several do: the most complete first.
_PRECEDENCE = {Coverage.ALL: 0, Coverage.LISTED: 1, Coverage.NATIONAL: 2, Coverage.DECLINED_ONLY: 3}


@dataclass(frozen=True, slots=True)
class OutcomeGroup:
    id: str
    label: str
    description: str
    reasons: tuple[str, ...]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: {"es": {"label": ...}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "lift_reasons": list(self.reasons),
            "translations": self.translations,
        }


@dataclass(frozen=True, slots=True)
class DetainerForm:
    id: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    introduced: str | None
    retired: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    id: str
    label: str
    publisher: str
    url: str | None
    coverage: Coverage
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: label, publisher


@dataclass(frozen=True, slots=True)
class DetainerNote:
    """An explanatory note the detainer pages show (detainers/datasets.yaml `notes`)."""

    id: str
    text: str
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: {"es": {"text": ...}}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "translations": self.translations}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@cache
def outcome_groups() -> tuple[OutcomeGroup, ...]:
    """The outcome groups of knowledge/detainers/outcomes.yaml, in the order pages show them."""
    doc = load_yaml("detainers/outcomes.yaml")
    groups = doc.get("groups") or {}
    order = doc.get("order") or []
    if sorted(order) != sorted(groups) or "other" not in groups:
        raise KnowledgeError("detainers/outcomes.yaml: 'order' must list every group, 'other' included")
    seen: dict[str, str] = {}
    built = []
    for group_id in order:
        entry = groups[group_id]
        if not entry.get("label") or not entry.get("description"):
            raise KnowledgeError(
                f"detainers/outcomes.yaml: group {group_id!r} needs a label and a description"
            )
        for reason in entry.get("reasons") or []:
            if _key(reason) in seen:
                raise KnowledgeError(f"detainers/outcomes.yaml: {reason!r} is in two groups")
            seen[_key(reason)] = group_id
        found = translations(entry, ("label", "description"), "detainers/outcomes.yaml", f"groups.{group_id}")
        built.append(
            OutcomeGroup(
                group_id, entry["label"], entry["description"], tuple(entry.get("reasons") or ()), found
            )
        )
    return tuple(built)


@cache
def _reason_groups() -> dict[str, str]:
    return {_key(reason): group.id for group in outcome_groups() for reason in group.reasons}


def outcome_of(reason: str | None) -> str | None:
    """The group of a printed lift reason; None for a blank reason; 'other' for an unlisted one."""
    if reason is None or not reason.strip():
        return None
    return _reason_groups().get(_key(reason), "other")


def is_mapped(reason: str) -> bool:
    return _key(reason) in _reason_groups()


@cache
def detainer_forms() -> tuple[DetainerForm, ...]:
    forms = []
    for index, entry in enumerate(load_yaml("detainers/forms.yaml").get("forms") or []):
        if not entry.get("id") or not entry.get("label") or not entry.get("patterns"):
            raise KnowledgeError(f"detainers/forms.yaml: forms[{index}] needs id, label and patterns")
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in entry["patterns"])
        except re.error as exc:
            raise KnowledgeError(f"detainers/forms.yaml: forms[{index}] has a bad pattern: {exc}") from exc
        source = entry.get("source") or {}
        if not source.get("title"):
            raise KnowledgeError(f"detainers/forms.yaml: {entry['id']} needs a source title")
        forms.append(
            DetainerForm(
                entry["id"],
                entry["label"],
                patterns,
                _text(entry.get("introduced")),
                _text(entry.get("retired")),
                source["title"] + (f" <{source['url']}>" if source.get("url") else ""),
            )
        )
    return tuple(forms)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def form_of(printed: str | None) -> str | None:
    """The form a printed detainer type names (I-247A, I-247D, ...); None when no pattern matches."""
    if not printed:
        return None
    for form in detainer_forms():
        if any(pattern.search(printed) for pattern in form.patterns):
            return form.id
    return None


DATASETS_FILE = "detainers/datasets.yaml"


@cache
def detainer_datasets() -> dict[str, DatasetInfo]:
    out = {}
    for key, entry in (_datasets_doc().get("datasets") or {}).items():
        try:
            coverage = Coverage(entry.get("coverage"))
        except ValueError as exc:
            raise KnowledgeError(f"{DATASETS_FILE}: {key} has an unknown coverage") from exc
        found = translations(entry, ("label", "publisher"), DATASETS_FILE, f"datasets.{key}")
        out[key] = DatasetInfo(key, entry["label"], entry["publisher"], entry.get("url"), coverage, found)
    return out


def _datasets_doc() -> dict[str, Any]:
    doc = load_yaml(DATASETS_FILE)
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{DATASETS_FILE}: expected a mapping at the top")
    return doc


@cache
def detainer_notes() -> dict[str, DetainerNote]:
    """The explanatory notes of detainers/datasets.yaml by id, each with its translations."""
    out = {}
    for key, entry in (_datasets_doc().get("notes") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
            raise KnowledgeError(f"{DATASETS_FILE}: notes.{key} needs a text")
        text = " ".join(entry["text"].split())
        out[str(key)] = DetainerNote(
            str(key), text, translations(entry, ("text",), DATASETS_FILE, f"notes.{key}")
        )
    return out


def detainer_note(key: str) -> str:
    """The English text of one note of detainers/datasets.yaml."""
    note = detainer_notes().get(key)
    if note is None:
        raise KnowledgeError(f"{DATASETS_FILE}: no note {key!r}")
    return note.text


def note_translations(text: str) -> dict[str, dict[str, str]]:
    """The translations of a note shown on a detainer page, found by its English text; none for a text
    that is not one of datasets.yaml's notes."""
    for note in detainer_notes().values():
        if note.text == text:
            return note.translations
    return {}


@cache
def _source_phrases() -> dict[str, dict[str, str]]:
    """The words of a one-line source description, by language (datasets.yaml `source_phrases`)."""
    given = _datasets_doc().get("source_phrases") or {}
    english = given.get("en") if isinstance(given, dict) else None
    if not isinstance(english, dict) or set(english) != set(_PHRASES):
        raise KnowledgeError(f"{DATASETS_FILE}: source_phrases.en must give {', '.join(_PHRASES)}")
    out = {"en": {k: str(v) for k, v in english.items()}}
    for language, text in translations(given, _PHRASES, DATASETS_FILE, "source_phrases").items():
        out[language] = {**out["en"], **text}
    return out


_PHRASES = ("row", "rows", "counted_from")


# ------------------------------------------------------------------------------------------ counts in
@dataclass(frozen=True, slots=True)
class CountSource:
    """Where a number comes from: the dataset, the file, its row when one row gives it, who published."""

    dataset: str
    file: str
    row: int | None
    label: str
    url: str | None
    rows_counted: int | None = None  # for a count made from a row-per-detainer file

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "file": self.file,
            "row": self.row,
            "label": self.label,
            "url": self.url,
            "rows_counted": self.rows_counted,
        }

    def text(self) -> str:
        return describe_sources([self])


@dataclass(frozen=True, slots=True)
class CountRow:
    """One stored count, as the facade reads it back for a place, a facility or the nation."""

    dataset_id: int
    dataset: str
    coverage: Coverage
    first_month: date | None
    last_month: date | None
    imported: int  # the order datasets were imported in: a later import wins a tie
    year: int
    month: int | None
    dimension: str
    label: str | None
    count: int
    note: str | None
    source: CountSource


def describe_sources(sources: Iterable[CountSource], language: str = "en") -> str:
    """Sources in one line, by publisher and file: "label <url>: file.csv rows 2-13, 16; other.csv row 2".

    In another language the dataset's label and the words come from detainers/datasets.yaml; file names,
    addresses and row numbers stay as they are."""
    words = _source_phrases().get(language) or _source_phrases()["en"]
    infos = detainer_datasets()
    files: dict[tuple[str, str | None], dict[str, list[int]]] = defaultdict(dict)
    made: dict[tuple[str, str | None], int | None] = {}
    for source in sources:
        info = infos.get(source.dataset)
        label = translated(source.label, info.translations, "label", language) if info else source.label
        key = (label, source.url)
        rows = files[key].setdefault(source.file.rsplit("/", 1)[-1] or source.file, [])
        if source.row is not None:
            rows.append(source.row)
        made[key] = source.rows_counted
    parts = []
    for (label, url), by_file in files.items():
        named = []
        for file, rows in by_file.items():
            unique = sorted(set(rows))
            named.append(
                file + (f" {words['rows' if len(unique) > 1 else 'row']} {_ranges(unique)}" if unique else "")
            )
        n = made[(label, url)]
        counted = ", " + words["counted_from"].format(n=f"{n:,}") if n else ""
        parts.append(f"{label}{f' <{url}>' if url else ''}: {'; '.join(named)}{counted}")
    return " | ".join(parts)


def _ranges(numbers: Sequence[int]) -> str:
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


# ------------------------------------------------------------------------------------------ years out
@dataclass(slots=True)
class DetainerYear:
    """One year of a place's detainers, from the one dataset that answers it best, or "no data"."""

    year: int
    has_data: bool = False
    dataset: str | None = None
    coverage: Coverage | None = None
    total: int | None = None
    outcomes: dict[str, int | None] = field(default_factory=dict)  # group id -> count (None: unknown)
    no_reason: int | None = None  # detainers without a lift reason (still open, or not recorded)
    other_outcomes: int | None = None  # NPR: every outcome but "declined", not broken down
    pooled: bool = False  # other_outcomes adds same-named facilities together
    reasons: dict[str, int] = field(default_factory=dict)  # raw lift reason -> count
    unmapped: tuple[str, ...] = ()  # reasons outcomes.yaml does not list (grouped "other")
    types: dict[str, int] = field(default_factory=dict)  # raw detainer type -> count
    forms: dict[str, int] = field(default_factory=dict)  # form id (or "unrecognised") -> count
    methods: dict[str, int] = field(default_factory=dict)
    months: dict[int, int] = field(default_factory=dict)  # month -> total, where the data are monthly
    months_covered: tuple[int, int] | None = None  # (first, last) month when the dataset covers part
    sources: list[CountSource] = field(default_factory=list)
    also: list[str] = field(default_factory=list)  # other datasets that count this year too

    def outcome(self, group: str) -> int | None:
        return self.outcomes.get(group)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"year": self.year, "data": self.has_data}
        if not self.has_data:
            data["note"] = "no data"
            return data
        data.update(
            {
                "total": self.total,
                **{group.id: self.outcomes.get(group.id) for group in outcome_groups()},
                "no_lift_reason": self.no_reason,
                "other_outcomes": self.other_outcomes,
                "other_outcomes_pooled": self.pooled,
                "months": [{"month": m, "total": n} for m, n in sorted(self.months.items())],
                "months_covered": list(self.months_covered) if self.months_covered else None,
                "types": dict(sorted(self.types.items())),
                "forms": dict(sorted(self.forms.items())),
                "lift_reasons": dict(sorted(self.reasons.items())),
                "unmapped_lift_reasons": list(self.unmapped),
                "apprehension_methods": dict(sorted(self.methods.items())),
                "dataset": self.dataset,
                "coverage": self.coverage.value if self.coverage else None,
                "sources": [source.to_dict() for source in self.sources],
                "source_text": describe_sources(self.sources),
                "translations": {
                    language: {"source_text": describe_sources(self.sources, language)}
                    for language in LANGUAGES
                },
                "also_counted_by": self.also,
            }
        )
        return data


@dataclass(frozen=True, slots=True)
class DetainerSeries:
    """Detainers of one scope (a facility, an agency, a county, a state, the nation), year by year."""

    scope: str  # facility | agency | county | state | nation | place
    name: str
    years: tuple[DetainerYear, ...]

    def year(self, year: int) -> DetainerYear | None:
        return next((y for y in self.years if y.year == year), None)

    @property
    def has_data(self) -> bool:
        return any(y.has_data for y in self.years)

    def totals(self) -> dict[str, int]:
        """Sums over the years with data, of the figures every such year knows."""
        out: dict[str, int] = defaultdict(int)
        for item in self.years:
            if not item.has_data:
                continue
            if item.total is not None:
                out["total"] += item.total
            for group, count in item.outcomes.items():
                if count is not None:
                    out[group] += count
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": self.name,
            "years": [item.to_dict() for item in self.years],
            "outcome_groups": [g.to_dict() for g in outcome_groups()],
        }


def build_series(scope: str, name: str, rows: Iterable[CountRow]) -> DetainerSeries:
    """Year by year from every dataset's counts; a year takes the most complete dataset that has it.

    Datasets of every detainer are combined month by month: the latest import answers each month it
    covers, an earlier one only the months the later ones do not (releases overlap, and adding them would
    count the same detainers twice)."""
    by_dataset: dict[int, list[CountRow]] = defaultdict(list)
    for row in rows:
        by_dataset[row.dataset_id].append(row)
    candidates: dict[int, list[tuple[tuple[int, int], DetainerYear]]] = defaultdict(list)
    complete = sorted(
        (r for r in by_dataset.values() if r[0].coverage is Coverage.ALL), key=lambda r: -r[0].imported
    )
    for item in _monthly_years(complete):
        candidates[item.year].append(((_PRECEDENCE[Coverage.ALL], 0), item))
    for dataset_rows in by_dataset.values():
        first = dataset_rows[0]
        if first.coverage is Coverage.ALL:
            continue
        rank = (_PRECEDENCE[first.coverage], -first.imported)
        for item in _dataset_years(dataset_rows):
            candidates[item.year].append((rank, item))
    if not candidates:
        return DetainerSeries(scope, name, ())
    years = []
    for year in range(min(candidates), max(candidates) + 1):
        found = sorted(candidates.get(year, []), key=lambda pair: pair[0])
        if not found:
            years.append(DetainerYear(year))
            continue
        best = found[0][1]
        best.also = sorted(
            {item.dataset for _, item in found[1:] if item.dataset and item.dataset != best.dataset}
        )
        years.append(best)
    return DetainerSeries(scope, name, tuple(years))


def _span(first: date | None, last: date | None) -> set[tuple[int, int]]:
    if first is None or last is None:
        return set()
    months = set()
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _monthly_years(datasets: Sequence[Sequence[CountRow]]) -> list[DetainerYear]:
    """Years of the row-per-detainer datasets, newest import first, each month answered once."""
    claimed: set[tuple[int, int]] = set()
    kept: dict[int, list[CountRow]] = defaultdict(list)
    months: dict[int, set[int]] = defaultdict(set)
    sources: dict[int, list[CountSource]] = defaultdict(list)
    names: dict[int, set[str]] = defaultdict(set)
    for dataset_rows in datasets:
        first = dataset_rows[0]
        span = _span(first.first_month, first.last_month) - claimed
        claimed |= span
        for year, month in span:
            months[year].add(month)
            if first.source not in sources[year]:
                sources[year].append(first.source)
            names[year].add(first.dataset)
        kept_rows = (r for r in dataset_rows if (r.year, r.month or 0) in span)
        for row in kept_rows:
            kept[row.year].append(row)
    out = []
    for year in sorted(months):
        item = DetainerYear(year, has_data=True, dataset="+".join(sorted(names[year])), coverage=Coverage.ALL)
        _fill(item, kept[year], Coverage.ALL)
        covered = sorted(months[year])
        item.months_covered = None if covered == list(range(1, 13)) else (covered[0], covered[-1])
        item.sources = sources[year]
        out.append(item)
    return out


def _dataset_years(rows: Sequence[CountRow]) -> list[DetainerYear]:
    first = rows[0]
    coverage = first.coverage
    by_year: dict[int, list[CountRow]] = defaultdict(list)
    for row in rows:
        by_year[row.year].append(row)
    out = []
    for year, year_rows in sorted(by_year.items()):
        item = DetainerYear(year, has_data=True, dataset=first.dataset, coverage=coverage)
        _fill(item, year_rows, coverage)
        out.append(item)
    return out


def _fill(item: DetainerYear, rows: Sequence[CountRow], coverage: Coverage) -> None:
    reasons: dict[str, int] = defaultdict(int)
    types: dict[str, int] = defaultdict(int)
    methods: dict[str, int] = defaultdict(int)
    months: dict[int, int] = defaultdict(int)
    total = 0
    has_total = has_reasons = False
    no_reason = 0
    sources: dict[tuple[str, int | None], CountSource] = {}
    for row in rows:
        sources.setdefault((row.source.file, row.source.row), row.source)
        if row.note in ("other-than-declined", "pooled"):
            item.other_outcomes = (item.other_outcomes or 0) + row.count
            item.pooled = item.pooled or row.note == "pooled"
            continue
        if row.dimension == "total":
            if row.month is not None:
                months[row.month] += row.count
                if coverage is not Coverage.NATIONAL:
                    total += row.count
            else:
                total += row.count
            has_total = True
        elif row.dimension == "lift_reason":
            has_reasons = True
            if row.label is None:
                no_reason += row.count
            else:
                reasons[row.label] += row.count
        elif row.dimension == "type" and row.label is not None:
            types[row.label] += row.count
        elif row.dimension == "method" and row.label is not None:
            methods[row.label] += row.count
    if coverage is Coverage.NATIONAL and not has_total and months:
        total, has_total = sum(months.values()), True
    if coverage is Coverage.ALL:
        has_total = has_reasons = True  # a covered year without rows is a zero, not a gap
    item.total = total if has_total else None
    item.months = dict(months)
    item.reasons = dict(reasons)
    item.types = dict(types)
    item.methods = dict(methods)
    forms: dict[str, int] = defaultdict(int)
    for printed, count in types.items():
        forms[form_of(printed) or "unrecognised"] += count
    item.forms = dict(forms)
    item.unmapped = tuple(sorted(r for r in reasons if not is_mapped(r)))
    if has_reasons and coverage is not Coverage.DECLINED_ONLY:
        grouped: dict[str, int | None] = {group.id: 0 for group in outcome_groups()}
        for reason, count in reasons.items():
            group = outcome_of(reason) or "other"
            grouped[group] = (grouped[group] or 0) + count
        item.outcomes = grouped
        item.no_reason = no_reason
        if coverage is Coverage.NATIONAL and item.total is not None:
            # the national reason table leaves out detainers without a lift reason: the rest of the total
            item.no_reason = max(item.total - sum(reasons.values()), 0)
    else:
        # only the declines are known: every other group is unknown, not zero
        item.outcomes = {group.id: None for group in outcome_groups()}
        declined = sum(count for reason, count in reasons.items() if outcome_of(reason) == "declined")
        item.outcomes["declined"] = declined if reasons else None
    item.sources = list(sources.values())
