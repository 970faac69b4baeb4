"""Which instrument a document is (kind) and which standard text it was written on (template family)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from disentangle.extract._extraction import TemplateInfo
from disentangle.extract._knowledge import Pattern, families, templates
from disentangle.extract._match import FUZZY_CUTOFF, Match, find
from disentangle.extract._text import DocumentView

UNKNOWN = "unknown"
OTHER = "other"
MIN_READABILITY = 0.35  # below this the text layer is garbage (broken font encoding): do not guess


@dataclass(frozen=True, slots=True)
class Vote:
    """The indicators one candidate collected."""

    candidate: str
    score: float
    matches: tuple[Match, ...]


def _score(view: DocumentView, indicators: tuple[Pattern, ...]) -> tuple[float, list[Match]]:
    score = 0.0
    evidence: list[Match] = []
    for pattern in indicators:
        # Indicators only add weight (a kind still needs threshold and margin), so short title phrases may
        # match damaged text at the ordinary cutoff.
        matches = find(view, pattern, fuzzy=True, short_cutoff=FUZZY_CUTOFF)
        if matches:
            best = max(matches, key=lambda m: m.score)
            score += pattern.weight * best.score / 100.0
            evidence.append(best)
    return score, evidence


def _decide(votes: list[Vote], threshold: float, margin: float) -> tuple[Vote | None, float]:
    ranked = sorted(votes, key=lambda v: v.score, reverse=True)
    if not ranked or ranked[0].score < threshold:
        return None, 0.0
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if ranked[0].score - runner_up < margin:
        return None, 0.0
    # Confidence grows with the lead over the runner-up, saturating at twice the margin plus the threshold.
    lead = ranked[0].score - runner_up
    confidence = min(
        1.0, 0.5 + 0.5 * min(ranked[0].score / (threshold * 2), 1.0) * min(lead / (margin * 2), 1.0)
    )
    return ranked[0], confidence


def classify_kind(view: DocumentView) -> tuple[str, float, list[Match]]:
    """(kind, confidence, the indicator matches that decided it). "unknown" when nothing decides."""
    rules = families()
    if view.readability < MIN_READABILITY:
        return UNKNOWN, 0.0, []
    votes = []
    for rule in rules.kinds:
        score, matches = _score(view, rule.indicators)
        votes.append(Vote(rule.kind, score, tuple(matches)))
    winner, confidence = _decide(votes, rules.threshold, rules.margin)
    if winner is not None:
        return winner.candidate, confidence, list(winner.matches)
    markers = [m for p in rules.agreement_markers for m in find(view, p)]
    if markers:
        return OTHER, 0.5, markers[:1]
    return UNKNOWN, 0.0, []


def _revision(view: DocumentView, kind: str) -> tuple[str | None, str | None, bool | None, list[Match]]:
    """The footer revision most pages print: (ISO date, marker as printed, known?, matches)."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, Match]] = {}
    config = templates()
    for revision in config.revisions:
        if revision.kinds and kind not in revision.kinds:
            continue
        for regex, printed in zip(revision.regexes, revision.printed, strict=True):
            pattern = Pattern(id=f"template.revision.{revision.revision}", regex=regex, confidence=0.95)
            for match in find(view, pattern):
                counts[revision.revision] += 1
                first.setdefault(revision.revision, (printed, match))
    if counts:
        best, _ = counts.most_common(1)[0]
        printed, match = first[best]
        return best, printed, True, [match]
    # A footer no revision lists: report it as printed, if it parses as a date.
    unknown = re.compile(r"\bRev(?:ised|\.)?\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
    for page in view.pages:
        m = unknown.search(page.text)
        if m:
            month, day, year = int(m[1]), int(m[2]), int(m[3])
            year = year + 2000 if year < 100 else year
            if 1 <= month <= 12 and 1 <= day <= 31:
                pattern = Pattern(id="template.revision.unlisted", regex=unknown, confidence=0.7)
                match = Match(pattern, page, m.start(), m.end(), {}, {})
                return f"{year:04d}-{month:02d}-{day:02d}", m.group(), False, [match]
    return None, None, None, []


def classify_template(view: DocumentView, kind: str) -> tuple[TemplateInfo | None, list[Match]]:
    """The template family (kind + era) and footer revision; None when the kind has no known template."""
    config = templates()
    candidates = [f for f in config.families if kind in f.kinds]
    if not candidates:
        return None, []
    votes = []
    for family in candidates:
        score, matches = _score(view, family.indicators)
        votes.append(Vote(family.era, score, tuple(matches)))
    winner, confidence = _decide(votes, config.threshold, config.margin)
    if winner is None:
        fallback = next((u for u in config.unmarked if kind in u.kinds), None)
        if fallback is None or any(v.score > 0 and v.candidate != fallback.era for v in votes):
            return None, []
        winner = next(v for v in votes if v.candidate == fallback.era)
        confidence = fallback.confidence
    revision: str | None = None
    marker: str | None = None
    known: bool | None = None
    revision_matches: list[Match] = []
    if winner.candidate == "2025":
        revision, marker, known, revision_matches = _revision(view, kind)
    info = TemplateInfo(
        family=f"{kind}-{winner.candidate}",
        era=winner.candidate,
        revision=revision,
        marker=marker,
        known_revision=known,
        confidence=confidence,
    )
    return info, list(winner.matches) + revision_matches
