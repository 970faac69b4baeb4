"""The extractor against the real corpus and its labels (bench/extract_eval.py), with the project's targets.

Skipped when ../shared (the corpus) is absent. Text-layer PDFs always run (about half a minute; a few broken
text layers are OCRed once and cached under /tmp); the image-only scans need OCR of 36 PDFs (~30 minutes
uncached), so they run only with DISENTANGLE_EVAL_SCANS=1.

Targets the extractor does not reach yet are listed in KNOWN_GAPS / HAND_GAPS with the floor measured now: the
test fails below the floor (a regression) and xfails between floor and target, naming the gap; once a metric
reaches its target it passes, and its entry should be removed so the target is enforced.

The registry rows (state with the registry, right agreement found) join every document to the registry built
from the bundled data (the session `registry` fixture) — what the product answers when the document alone
cannot: they measure the join, never the document's own fields.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import pytest

SHARED = Path(__file__).parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "moa"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not (CORPUS / "labels.csv").exists(), reason=f"{CORPUS} (the shared corpus) is absent"
    ),
]
sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

# (group, metric): (target, floor measured on this corpus). Metrics at or above target are not listed.
TARGETS = {
    ("text", "model"): 0.99,
    ("text", "state"): 0.99,
    ("text", "agency"): 0.95,
    ("scan", "model"): 0.95,
    ("scan", "state"): 0.99,
    ("scan", "agency"): 0.95,
}
KNOWN_GAPS: dict[tuple[str, str], float] = {
    ("text", "state"): 0.96,  # 6 agreements show no state or an ambiguous one (docs/extraction.md)
    ("scan", "state"): 0.80,  # 2025 forms whose LEA contact blocks were left blank (docs/extraction.md)
}
# The join to the registry: the state the product reports, and whether it found ICE's own agreement.
REGISTRY_TARGETS = {
    ("text", "state_with_registry"): 0.99,
    ("text", "right_agreement"): 0.95,
    ("scan", "state_with_registry"): 0.99,
    ("scan", "right_agreement"): 0.95,
}
# Text: both met since the Calhoun TX and Duplin NC readings (100 % and 95.5 %), so enforced. Scans: Jackson
# County's WSO has no legible state or date, and Jackson County MN and MI both have one (docs/extraction.md).
REGISTRY_GAPS: dict[tuple[str, str], float] = {
    ("scan", "state_with_registry"): 0.97,
    ("scan", "right_agreement"): 0.94,
}
HAND_TARGET = 0.95
HAND_GAPS: dict[str, float] = {
    "signatory.date": 0.40,  # most signature dates are handwritten: in no text layer
    "signatory.name": 0.72,  # 39 labelled agreements since 1656582 (was 0.75 on 32)
    "signatory.title": 0.85,
}


@cache
def report(scans: bool):  # type: ignore[no-untyped-def]
    from extract_eval import evaluate

    return evaluate(CORPUS, scans=scans)


_WITH_REGISTRY: dict[str, object] = {}


def report_with_registry(workspace, scans: bool = False):  # type: ignore[no-untyped-def]
    from extract_eval import evaluate

    key = "scan" if scans else "text"
    if key not in _WITH_REGISTRY:
        _WITH_REGISTRY[key] = evaluate(CORPUS, scans=scans, registry=workspace)
    return _WITH_REGISTRY[key]


def _check(value: float, target: float, floor: float | None) -> None:
    if floor is not None:
        assert value >= floor, f"regressed below the measured floor {floor:.1%}: {value:.1%}"
        if value < target:
            pytest.xfail(f"{value:.1%} is below the target {target:.0%} (known gap, see docs/extraction.md)")
    assert value >= target, f"{value:.1%} below the target {target:.0%}"


@pytest.mark.parametrize(("group", "metric"), [k for k in TARGETS if k[0] == "text"])
def test_text_layer_against_ice_labels(group: str, metric: str) -> None:
    score = report(False).groups[group]
    assert score.docs >= 170
    _check(score.rate(metric), TARGETS[(group, metric)], KNOWN_GAPS.get((group, metric)))


@pytest.mark.parametrize(("group", "metric"), [k for k in REGISTRY_TARGETS if k[0] == "text"])
def test_text_layer_joined_to_the_registry(registry, group: str, metric: str) -> None:  # type: ignore[no-untyped-def]
    score = report_with_registry(registry).groups[group]
    assert score.docs >= 170
    # The join never lowers what the document itself shows.
    assert score.rate("state_with_registry") >= score.rate("state")
    _check(score.rate(metric), REGISTRY_TARGETS[(group, metric)], REGISTRY_GAPS.get((group, metric)))


needs_scans = pytest.mark.skipif(
    os.environ.get("DISENTANGLE_EVAL_SCANS") != "1", reason="set DISENTANGLE_EVAL_SCANS=1 (OCR)"
)


@needs_scans
@pytest.mark.parametrize(("group", "metric"), [k for k in TARGETS if k[0] == "scan"])
def test_scans_against_ice_labels(group: str, metric: str) -> None:
    score = report(True).groups[group]
    assert score.docs >= 30
    _check(score.rate(metric), TARGETS[(group, metric)], KNOWN_GAPS.get((group, metric)))


@needs_scans
@pytest.mark.parametrize(("group", "metric"), [k for k in REGISTRY_TARGETS if k[0] == "scan"])
def test_scans_joined_to_the_registry(registry, group: str, metric: str) -> None:  # type: ignore[no-untyped-def]
    score = report_with_registry(registry, scans=True).groups[group]
    assert score.docs >= 30
    assert score.rate("state_with_registry") >= score.rate("state")
    _check(score.rate(metric), REGISTRY_TARGETS[(group, metric)], REGISTRY_GAPS.get((group, metric)))


@pytest.mark.parametrize(
    "field",
    [
        "agency.name",
        "agency.state",
        "functions (each)",
        "functions (set)",
        "signatory (no extra blocks)",
        "signatory.date",
        "signatory.date (shown in text)",
        "signatory.name",
        "signatory.name (shown in text)",
        "signatory.title",
        "signatory.title (shown in text)",
        "termination.by_ice",
        "termination.by_lea",
        "termination.ice_notice_days",
        "termination.lea_in_writing",
        "termination.lea_notice_days",
    ],
)
def test_hand_labels(field: str) -> None:
    hand = report(False).hand
    assert hand.docs >= 25 and hand.total[field] > 0
    _check(hand.rate(field), HAND_TARGET, HAND_GAPS.get(field))


def test_review_states_never_guess_in_cross_validation() -> None:
    """Issue 14's target on the text layers (the scans run with DISENTANGLE_EVAL_SCANS=1): every value the
    reader calls read is right at least 99 % of the time on folds its thresholds were not chosen on, and no
    labelled field is silently missing (neither read nor waiting for a person)."""
    import review_cv
    from extract_eval import cv_records

    scans = os.environ.get("DISENTANGLE_EVAL_SCANS") == "1"
    # Each fold read with the ICE signer list of its training folds only (bench/extract_eval.py cv_records).
    rows = review_cv.cross_validate(report(scans).records, 5, cv_records(report(scans), 5))
    assert {kind for kind, _ in rows} >= {
        "kind",
        "agency.name",
        "agency.state",
        "signatory.date",
        "signed_date",
    }
    for (kind, group), row in rows.items():
        assert row.missing == 0, (kind, group)
        if row.given:
            assert row.right / row.given >= 0.99, (kind, group, row.as_json())
    text_dates = rows[("signatory.date", "text")]
    assert text_dates.given >= 30  # the typed and stamped dates are still read, not all left to a person
