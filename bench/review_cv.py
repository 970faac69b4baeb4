"""Cross-validation of the review states (imported by extract_eval.py --cv): is a field the reader calls
`read` right, on documents whose thresholds were chosen without them?

Every field an agreement should show becomes one record per document: its kind (kind, agency.name,
agency.state, signatory.name/title/date, signed_date), the document's group (text layer or scan), the page
method it was read from, the machine's value, whether a plausibility or consistency check doubted it, how
much the reading is trusted, and whether the value is right against the labels (ICE's sheet for kind, agency
and state on all 215 agreements; the hand labels for signatures on 39). The documents are split into k folds
by a hash of their id; for each fold, the thresholds are chosen on the other folds (the lowest trust, per
kind of field and page method, at which the training readings are right at least TARGET of the time) and
the fold is scored with them. Precision is of the values given as read; coverage is the share of labelled
fields given as read; recall the share right; flagged the share left for a person; missing the labelled
fields neither given nor flagged (must be 0)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from disentangle.extract._review import FIELD_KINDS

TARGET = 0.995
GRID = (*(round(x / 100, 2) for x in range(0, 101, 5)), 1.01)  # 1.01: nothing of it is ever read


@dataclass(frozen=True, slots=True)
class Record:
    doc: str
    group: str  # text | scan
    kind: str  # a FIELD_KINDS value, or signed_date
    method: str  # text | ocr
    value: str | None  # what the machine read
    doubted: bool  # a check doubted it (implausible, conflicting, not found, no value)
    trust: float
    correct: bool | None  # None: no label to score it against
    labelled: bool  # the label holds a value (a blank label expects none)
    reviewed: bool = True  # the review list has the field (False: it would be silently missing)

    def read(self, limit: float) -> bool:
        return self.value is not None and not self.doubted and self.trust >= limit


def fold_of(doc: str, k: int) -> int:
    return int(hashlib.sha256(doc.encode()).hexdigest(), 16) % k


def choose(records: list[Record], target: float = TARGET) -> dict[str, dict[str, float]]:
    """Per kind of field and method, the lowest threshold whose readings are right >= target."""
    chosen: dict[str, dict[str, float]] = {}
    for kind in (*FIELD_KINDS, "signed_date"):
        chosen[kind] = {}
        for method in ("text", "ocr"):
            mine = [r for r in records if r.kind == kind and r.method == method and r.correct is not None]
            for limit in GRID:
                given = [r for r in mine if r.read(limit)]
                if not given or sum(bool(r.correct) for r in given) >= target * len(given):
                    chosen[kind][method] = limit
                    break
            else:
                chosen[kind][method] = GRID[-1]
    return chosen


@dataclass
class Row:
    labelled: int = 0  # fields with a label to score against
    with_value: int = 0  # of them, labels that hold a value
    given: int = 0
    right: int = 0
    flagged: int = 0
    missing: int = 0
    before_given: int = 0
    before_right: int = 0

    def as_json(self) -> dict[str, Any]:
        def rate(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "labelled": self.labelled,
            "given": self.given,
            "right": self.right,
            "flagged": self.flagged,
            "missing": self.missing,
            "precision": rate(self.right, self.given),
            "coverage": rate(self.given, self.labelled),
            "recall": rate(self.right, self.with_value),
            "before_precision": rate(self.before_right, self.before_given),
            "before_recall": rate(self.before_right, self.with_value),
        }


def cross_validate(
    records: list[Record], k: int = 5, fold_records: dict[int, list[Record]] | None = None
) -> dict[tuple[str, str], Row]:
    """`fold_records`: per fold, the records of every document read with what was learnt from the other
    folds only (the ICE signer list); thresholds are chosen on its training documents, its own are scored."""
    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    for fold in range(k):
        mine = fold_records[fold] if fold_records is not None else records
        train = [r for r in mine if fold_of(r.doc, k) != fold]
        limits = choose(train)
        for r in mine:
            if fold_of(r.doc, k) != fold or r.correct is None:
                continue
            row = rows[(r.kind, r.group)]
            row.labelled += 1
            row.with_value += r.labelled
            if r.value is not None:
                row.before_given += 1
                row.before_right += bool(r.correct)
            if r.read(limits[r.kind][r.method]):
                row.given += 1
                row.right += bool(r.correct)
            elif r.reviewed:
                row.flagged += 1
            else:
                row.missing += 1
    return rows


def table(rows: dict[tuple[str, str], Row]) -> str:
    lines = [
        "| field | documents | labelled | precision before (all given) | precision of values read | coverage "
        "| recall before | recall | needs review | missing |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = [*FIELD_KINDS, "signed_date"]
    for (kind, group), row in sorted(rows.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        j = row.as_json()

        def pct(v: float | None) -> str:
            return "—" if v is None else f"{v:.1%}"

        lines.append(
            f"| {kind} | {'text layer' if group == 'text' else 'scans'} | {row.labelled} | "
            f"{pct(j['before_precision'])} | {pct(j['precision'])} ({row.right}/{row.given}) | "
            f"{pct(j['coverage'])} | {pct(j['before_recall'])} | {pct(j['recall'])} | {row.flagged} | "
            f"{row.missing} |"
        )
    return "\n".join(lines)
