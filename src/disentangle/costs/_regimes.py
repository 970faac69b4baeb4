"""Reimbursement regimes and cost defaults, loaded and checked from knowledge/costs/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations
from disentangle.model import AGREEMENT_KINDS

REGIMES_FILE = KNOWLEDGE_DIR / "costs" / "regimes.yaml"
DEFAULTS_FILE = KNOWLEDGE_DIR / "costs" / "defaults.yaml"
COST_LINES = ("base_salary", "benefits", "overtime", "payroll_taxes", "detainer_holds", "bed_days")
PER_DIEM = "per_diem"  # the federal side pays the agreed per diem for this line


@dataclass(frozen=True, slots=True)
class SourcedClaim:
    claim: str
    citation: str
    quote: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class AwardTier:
    min_success: Decimal
    max_success: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Regime:
    """Who pays which cost line under one kind of agreement, with the source of every figure."""

    id: str
    label: str
    agreement_kinds: tuple[str, ...]
    federal_pays: dict[str, Decimal | str]  # fraction of the line, or PER_DIEM
    sources: tuple[SourcedClaim, ...]
    overtime_cap_share_of_salary: Decimal | None = None
    award_tiers: tuple[AwardTier, ...] = ()
    effective_from: date | None = None
    effective_until: date | None = None
    notes: tuple[str, ...] = ()
    federal_in_kind: str | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # ours: {"es": {"label": ...}}

    def pays(self, line: str) -> Decimal | str:
        return self.federal_pays.get(line, Decimal(0))

    def award_for(self, success_rate: Decimal | None) -> Decimal:
        """The quarterly award per officer at a success rate (0..1); zero below the lowest tier."""
        if success_rate is None:
            return Decimal(0)
        for tier in self.award_tiers:
            # Tiers are printed as whole percentages (80–89%): a rate of 0.895 belongs to the 80% tier.
            if tier.min_success <= success_rate < tier.max_success + Decimal("0.01"):
                return tier.amount
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class CostDefault:
    name: str
    value: Decimal
    label: str
    source: str | None
    assumption: bool


@dataclass(frozen=True, slots=True)
class AgencySize:
    """A band of agency sizes (sworn officers) and the assignment and salary assumed for an agency in it."""

    id: str
    label: str
    officers: int  # officers assumed assigned to one agreement
    base_salary: Decimal
    assumption: bool
    min_sworn: int = 0
    max_sworn: int | None = None  # None: no upper bound

    def holds(self, sworn: int) -> bool:
        return self.min_sworn <= sworn and (self.max_sworn is None or sworn <= self.max_sworn)


def _decimal(value: Any, origin: str, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise KnowledgeError(f"{origin}: {where} is not a number: {value!r}") from exc
    if not number.is_finite():
        raise KnowledgeError(f"{origin}: {where} is not a finite number")
    return number


def parse_regimes(doc: Any, origin: str) -> dict[str, Regime]:
    """Build the regimes of regimes.yaml; a fraction outside 0..1 or a claim without source is an error."""
    if not isinstance(doc, dict) or not isinstance(doc.get("regimes"), list):
        raise KnowledgeError(f"{origin}: expected a 'regimes' list")
    regimes: dict[str, Regime] = {}
    for index, entry in enumerate(doc["regimes"]):
        regime_id = entry.get("id") or f"regimes[{index}]"
        if regime_id in regimes:
            raise KnowledgeError(f"{origin}: duplicate regime id {regime_id!r}")
        if not entry.get("label"):
            raise KnowledgeError(f"{origin}: {regime_id} has no label")
        kinds = tuple(entry.get("agreement_kinds") or ())
        if not set(kinds) <= set(AGREEMENT_KINDS):
            raise KnowledgeError(f"{origin}: {regime_id} names unknown agreement kinds {list(kinds)}")
        pays: dict[str, Decimal | str] = {}
        for line, value in (entry.get("federal_pays") or {}).items():
            if line not in COST_LINES:
                raise KnowledgeError(f"{origin}: {regime_id} federal_pays names unknown cost line {line!r}")
            if value == PER_DIEM:
                pays[line] = PER_DIEM
                continue
            fraction = _decimal(value, origin, f"{regime_id} federal_pays.{line}")
            if not Decimal(0) <= fraction <= Decimal(1):
                raise KnowledgeError(f"{origin}: {regime_id} federal_pays.{line} must be between 0 and 1")
            pays[line] = fraction
        sources = []
        for number, claim in enumerate(entry.get("sources") or []):
            if not claim.get("claim") or not claim.get("citation"):
                raise KnowledgeError(f"{origin}: {regime_id} sources[{number}] needs a claim and a citation")
            sources.append(
                SourcedClaim(claim["claim"], claim["citation"], claim.get("quote"), claim.get("url"))
            )
        if not sources:
            raise KnowledgeError(f"{origin}: {regime_id} cites no source")
        cap = entry.get("overtime_cap_share_of_salary")
        tiers = []
        awards = entry.get("awards") or {}
        for number, tier in enumerate(awards.get("tiers") or []):
            where = f"{regime_id} awards.tiers[{number}]"
            tiers.append(
                AwardTier(
                    _decimal(tier.get("min_success"), origin, f"{where}.min_success"),
                    _decimal(tier.get("max_success"), origin, f"{where}.max_success"),
                    _decimal(tier.get("amount"), origin, f"{where}.amount"),
                )
            )
        regimes[regime_id] = Regime(
            id=regime_id,
            label=entry["label"],
            translations=translations(entry, ("label",), origin, f"regime {regime_id}"),
            agreement_kinds=kinds,
            federal_pays=pays,
            sources=tuple(sources),
            overtime_cap_share_of_salary=_decimal(cap, origin, f"{regime_id} cap")
            if cap is not None
            else None,
            award_tiers=tuple(sorted(tiers, key=lambda t: t.min_success, reverse=True)),
            effective_from=entry.get("from"),
            effective_until=entry.get("until"),
            notes=tuple(entry.get("notes") or ()),
            federal_in_kind=entry.get("federal_in_kind"),
        )
    return regimes


def parse_defaults(doc: Any, origin: str) -> tuple[dict[str, CostDefault], dict[str, AgencySize]]:
    """Build the defaults; each must be sourced or marked as an assumption."""
    if not isinstance(doc, dict):
        raise KnowledgeError(f"{origin}: expected 'values' and 'agency_sizes'")
    values = {}
    for name, entry in (doc.get("values") or {}).items():
        if not entry.get("source") and not entry.get("assumption"):
            raise KnowledgeError(f"{origin}: default {name!r} is neither sourced nor marked as an assumption")
        values[name] = CostDefault(
            name,
            _decimal(entry.get("value"), origin, f"values.{name}"),
            str(entry.get("label", name)),
            entry.get("source"),
            bool(entry.get("assumption")),
        )
    sizes = {}
    for size, entry in (doc.get("agency_sizes") or {}).items():
        if not entry.get("source") and not entry.get("assumption"):
            raise KnowledgeError(
                f"{origin}: agency size {size!r} is neither sourced nor marked as an assumption"
            )
        officers = entry.get("officers")
        if not isinstance(officers, int) or officers < 1:
            raise KnowledgeError(f"{origin}: agency size {size!r} officers must be a positive integer")
        sworn = entry.get("sworn") or {}
        low, high = sworn.get("min", 0), sworn.get("max")
        if not isinstance(low, int) or not (high is None or (isinstance(high, int) and high >= low)):
            raise KnowledgeError(f"{origin}: agency size {size!r} sworn must be {{min, max}} whole numbers")
        sizes[size] = AgencySize(
            size,
            str(entry.get("label", size)),
            officers,
            _decimal(entry.get("base_salary"), origin, f"agency_sizes.{size}.base_salary"),
            bool(entry.get("assumption")),
            low,
            high,
        )
    return values, sizes


@cache
def load_regimes() -> dict[str, Regime]:
    """The bundled reimbursement regimes, by id."""
    return parse_regimes(load_yaml("costs/regimes.yaml"), str(REGIMES_FILE))


@cache
def load_defaults() -> tuple[dict[str, CostDefault], dict[str, AgencySize]]:
    """The bundled default values and agency sizes."""
    return parse_defaults(load_yaml("costs/defaults.yaml"), str(DEFAULTS_FILE))


def regime_for(kind: str, on: date) -> str:
    """The regime that governs an agreement of `kind` for costs incurred on `on` (by the regimes' dates)."""
    for candidate in load_regimes().values():
        if kind not in candidate.agreement_kinds:
            continue
        if candidate.effective_from and on < candidate.effective_from:
            continue
        if candidate.effective_until and on > candidate.effective_until:
            continue
        return candidate.id
    raise KnowledgeError(f"no cost regime in knowledge/costs/regimes.yaml covers {kind} on {on.isoformat()}")
