"""Practice against policy: a place whose policy says it declines (or limits) ICE detainers, set beside
the detainer records of its jails for the years that policy was in force — both pieces of evidence side by
side, and a verdict per year by the rules of knowledge/detainers/practice.yaml."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from disentangle.assess._detainers import DetainerSeries, DetainerYear, describe_sources
from disentangle.assess._statelaw import StateLaw
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml

KNOWLEDGE = "detainers/practice.yaml"
LOCAL_POLICIES = "detainers/local_policies.yaml"


class Verdict(StrEnum):
    """What the records say about one year (or all years) of a policy."""

    AGREES = "agrees"  # declines are recorded and nothing recorded goes against the policy
    CONTRADICTS = "contradicts"  # the records show what the policy says does not happen
    UNCLEAR = "unclear"  # the records cannot tell (pooled counts, a limiting policy with holds): needs review
    NO_DATA = "no data"  # no dataset counts this year for these jails
    BEFORE = "before"  # the policy was not (wholly) in force this year: shown for comparison only


@dataclass(frozen=True, slots=True)
class PolicyClaim:
    """A policy that says the place declines or limits detainers, with its words and where they are."""

    origin: str  # state-law | local-policy | policy-text
    label: str
    citation: str
    meaning: str  # satisfies (declines) | partial (limits)
    quote: str | None  # verbatim, from `source`
    summary: str | None  # ours, where there is no quote
    source: str | None
    in_force_from: date | None
    in_force_source: str | None

    @property
    def stance(self) -> str:
        return str(_knowledge()["meanings"].get(self.meaning, self.meaning))

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "label": self.label,
            "citation": self.citation,
            "stance": self.stance,
            "quote": self.quote,
            "summary": self.summary,
            "source": self.source,
            "in_force_from": self.in_force_from.isoformat() if self.in_force_from else None,
            "in_force_source": self.in_force_source,
        }


@dataclass(frozen=True, slots=True)
class YearJudgement:
    year: int
    verdict: Verdict
    strength: str | None  # direct | indirect, for a contradiction or an agreement
    reason: str
    record: DetainerYear

    def to_dict(self) -> dict[str, Any]:
        record = self.record
        return {
            "year": self.year,
            "verdict": self.verdict.value,
            "strength": self.strength,
            "reason": self.reason,
            "total": record.total,
            "declined": record.outcome("declined"),
            "booked": record.outcome("booked"),
            "other_outcomes": record.other_outcomes,
            "other_outcomes_pooled": record.pooled,
            "sources": [s.to_dict() for s in record.sources],
            "source_text": describe_sources(record.sources),
        }


@dataclass(frozen=True, slots=True)
class PracticeComparison:
    place: str
    place_id: str | None
    policy: PolicyClaim
    years: tuple[YearJudgement, ...]

    @property
    def verdict(self) -> Verdict:
        judged = [y.verdict for y in self.years if y.verdict is not Verdict.BEFORE]
        for verdict in (Verdict.CONTRADICTS, Verdict.AGREES, Verdict.UNCLEAR):
            if verdict in judged:
                return verdict
        return Verdict.NO_DATA

    @property
    def contradicting(self) -> tuple[YearJudgement, ...]:
        return tuple(y for y in self.years if y.verdict is Verdict.CONTRADICTS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place,
            "place_id": self.place_id,
            "verdict": self.verdict.value,
            "policy": self.policy.to_dict(),
            "years": [y.to_dict() for y in self.years],
        }


@cache
def _knowledge() -> dict[str, Any]:
    doc = load_yaml(KNOWLEDGE)
    if not isinstance(doc, dict) or "declined_share" not in doc or not doc.get("meanings"):
        raise KnowledgeError(f"{KNOWLEDGE}: needs 'meanings' and 'declined_share'")
    share = float(doc["declined_share"])
    if not 0 < share <= 1:
        raise KnowledgeError(f"{KNOWLEDGE}: declined_share must be in (0, 1]")
    return dict(doc)


def claims_from_state_law(laws: Iterable[StateLaw]) -> list[PolicyClaim]:
    """The inherited state laws whose effect on the `detainers` criterion declines or limits holds."""
    knowledge = _knowledge()
    in_force = knowledge.get("state_laws_in_force") or {}
    claims = []
    for law in laws:
        for effect in law.effects:
            if effect.criterion != "detainers" or effect.meaning.value not in knowledge["meanings"]:
                continue
            when = in_force.get(law.id) or {}
            claims.append(
                PolicyClaim(
                    origin="state-law",
                    label=law.label,
                    citation=f"{law.citation}, {effect.provision}",
                    meaning=effect.meaning.value,
                    quote=effect.quote,
                    summary=effect.summary,
                    source=effect.source or law.url,
                    in_force_from=when.get("from") if isinstance(when.get("from"), date) else None,
                    in_force_source=when.get("source"),
                )
            )
    return claims


@cache
def _local_policies() -> tuple[dict[str, Any], ...]:
    entries = tuple(load_yaml(LOCAL_POLICIES).get("policies") or ())
    for entry in entries:
        missing = [
            k
            for k in ("id", "place_fips", "label", "citation", "meaning", "quote", "source")
            if not entry.get(k)
        ]
        if missing or not isinstance(entry.get("in_force_from"), date):
            raise KnowledgeError(
                f"{LOCAL_POLICIES}: {entry.get('id')!r} lacks {missing or ['in_force_from']}"
            )
    return entries


def claims_from_local_policies(fips: str | None) -> list[PolicyClaim]:
    """The place's own detainer policies recorded in knowledge/detainers/local_policies.yaml."""
    return [
        PolicyClaim(
            origin="local-policy",
            label=entry["label"],
            citation=entry["citation"],
            meaning=entry["meaning"],
            quote=entry["quote"],
            summary=entry.get("summary"),
            source=entry["source"],
            in_force_from=entry["in_force_from"],
            in_force_source=entry.get("enactment") or entry["source"],
        )
        for entry in _local_policies()
        if fips and entry["place_fips"] == fips
    ]


def local_policy_places() -> list[str]:
    return sorted({str(entry["place_fips"]) for entry in _local_policies()})


def compare_practice(
    place: str, place_id: str | None, claims: Sequence[PolicyClaim], series: DetainerSeries
) -> list[PracticeComparison]:
    """One comparison per policy claim, every year of the series judged against it."""
    return [
        PracticeComparison(place, place_id, claim, tuple(_judge(claim, year) for year in series.years))
        for claim in claims
    ]


def _judge(claim: PolicyClaim, record: DetainerYear) -> YearJudgement:
    year = record.year
    start = claim.in_force_from
    if start is None:
        return YearJudgement(year, Verdict.BEFORE, None, "the policy's start is not recorded", record)
    if year < start.year or (year == start.year and (start.month, start.day) != (1, 1)):
        return YearJudgement(year, Verdict.BEFORE, None, f"before the policy was in force ({start})", record)
    if not record.has_data:
        return YearJudgement(
            year, Verdict.NO_DATA, None, "no dataset counts this year for these jails", record
        )
    declined = record.outcome("declined")
    booked = record.outcome("booked")
    threshold = float(_knowledge()["declined_share"])
    if claim.meaning == "satisfies":
        if booked is not None:
            if booked > 0:
                return YearJudgement(
                    year,
                    Verdict.CONTRADICTS,
                    "direct",
                    f"{booked:,} detainers ended with the person booked into ICE custody",
                    record,
                )
            return YearJudgement(year, Verdict.AGREES, "direct", "no detainer ended in ICE custody", record)
        if declined is None:
            return YearJudgement(year, Verdict.UNCLEAR, None, "the records give no outcome", record)
        if record.pooled:
            return YearJudgement(
                year,
                Verdict.UNCLEAR,
                None,
                f"{declined:,} declined; the other outcomes add same-named facilities together",
                record,
            )
        other = record.other_outcomes or 0
        share = declined / (declined + other) if declined + other else 0.0
        words = f"{declined:,} declined of {declined + other:,} recorded outcomes ({share:.0%})"
        if share >= threshold:
            return YearJudgement(year, Verdict.AGREES, "indirect", words, record)
        return YearJudgement(
            year,
            Verdict.CONTRADICTS,
            "indirect",
            words + "; the other outcomes are not broken down",
            record,
        )
    if declined:
        return YearJudgement(year, Verdict.AGREES, "indirect", f"{declined:,} declined", record)
    return YearJudgement(
        year, Verdict.UNCLEAR, None, "no declines recorded; a limiting policy allows some holds", record
    )
