"""The cost of an agreement to the locality and to the federal side, line by line, in exact decimals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from disentangle.costs._regimes import PER_DIEM, Regime, load_defaults, load_regimes
from disentangle.errors import InputError

CENT = Decimal("0.01")
SHARE = Decimal("0.0001")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, float):
        # Floats carry binary error into money: read them through their shortest decimal repr.
        value = repr(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InputError(f"cost input {name!r} is not a number: {value!r}") from exc
    if not number.is_finite() or number < 0:
        raise InputError(f"cost input {name!r} must be a finite number of at least 0, not {value!r}")
    return number


def _default(name: str) -> Decimal:
    return load_defaults()[0][name].value


@dataclass(frozen=True, slots=True)
class CostInputs:
    """What one agreement commits: officers and their pay, detainer holds, jail beds. Money is per year."""

    officers: int = 0
    base_salary: Decimal = Decimal(0)  # annual base salary per officer
    # Defaults marked (k) come from knowledge/costs/defaults.yaml, with their sources.
    benefit_load: Decimal = field(
        default_factory=lambda: _default("benefit_load")
    )  # (k) share of base salary
    payroll_tax: Decimal = field(
        default_factory=lambda: _default("payroll_tax")
    )  # (k) share of base + overtime
    overtime_hours: Decimal = Decimal(0)  # per officer per year
    overtime_multiplier: Decimal = field(default_factory=lambda: _default("overtime_multiplier"))  # (k)
    months: Decimal = Decimal(12)  # how long the agreement runs in the estimate
    hours_per_year: Decimal = field(default_factory=lambda: _default("hours_per_year"))  # (k)
    share_of_time: Decimal = field(default_factory=lambda: _default("share_of_time"))  # (k) share assigned
    detainer_holds: int = 0  # holds per year
    hold_hours: Decimal = field(default_factory=lambda: _default("hold_hours"))  # (k) hours held past release
    jail_daily_cost: Decimal = Decimal(0)  # cost of one person-day in the jail
    bed_days: int = 0  # IGSA bed-days per year
    per_diem: Decimal = Decimal(0)  # IGSA rate per bed-day
    marginal_bed_cost: Decimal = Decimal(0)  # the jail's marginal cost of one more bed-day
    success_rate: Decimal | None = None  # 287(g) performance-award success rate, 0..1

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base: CostInputs | None = None) -> CostInputs:
        """Inputs from plain values (numbers or numeric strings); unknown names are an InputError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown cost inputs {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in ("officers", "detainer_holds", "bed_days"):
                if isinstance(value, bool) or int(_number(value, name)) != _number(value, name):
                    raise InputError(f"cost input {name!r} must be a whole number, not {value!r}")
                values[name] = int(_number(value, name))
            elif name == "success_rate" and value is None:
                values[name] = None
            else:
                values[name] = _number(value, name)
        inputs = replace(base or cls(), **values)
        inputs.check()
        return inputs

    def check(self) -> None:
        if self.share_of_time > 1:
            raise InputError("share_of_time is a share of each officer's time: at most 1")
        if self.success_rate is not None and not Decimal(0) <= self.success_rate <= Decimal(1):
            raise InputError("success_rate is a share between 0 and 1")
        if self.officers and self.hours_per_year == 0:
            raise InputError("hours_per_year must be above 0 to price overtime")

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class CostLine:
    label: str
    total: Decimal
    federal: Decimal
    basis: str

    @property
    def local(self) -> Decimal:
        return self.total - self.federal

    def to_dict(self) -> dict[str, str]:
        return {
            "label": self.label,
            "total": str(self.total),
            "federal": str(self.federal),
            "local": str(self.local),
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Who pays what under one regime: lines, totals, shares, per officer and per agreement."""

    regime: Regime
    inputs: CostInputs
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def federal(self) -> Decimal:
        return sum((line.federal for line in self.lines), Decimal(0))

    @property
    def local(self) -> Decimal:
        return self.total - self.federal

    @property
    def federal_share(self) -> Decimal | None:
        """Federal payments over total cost (None when nothing costs); above 1 with awards or per diem."""
        return (self.federal / self.total).quantize(SHARE, rounding=ROUND_HALF_UP) if self.total else None

    @property
    def local_share(self) -> Decimal | None:
        share = self.federal_share
        return Decimal(1) - share if share is not None else None

    def per_officer(self) -> dict[str, Decimal] | None:
        if not self.inputs.officers:
            return None
        n = Decimal(self.inputs.officers)
        return {
            "total": _money(self.total / n),
            "federal": _money(self.federal / n),
            "local": _money(self.local / n),
        }

    def to_dict(self) -> dict[str, Any]:
        per_officer = self.per_officer()
        return {
            "regime": {"id": self.regime.id, "label": self.regime.label},
            "inputs": self.inputs.to_dict(),
            "lines": [line.to_dict() for line in self.lines],
            "per_agreement": {
                "total": str(self.total),
                "federal": str(self.federal),
                "local": str(self.local),
            },
            "per_officer": {k: str(v) for k, v in per_officer.items()} if per_officer else None,
            "federal_share": str(self.federal_share) if self.federal_share is not None else None,
            "local_share": str(self.local_share) if self.local_share is not None else None,
            "notes": list(self.regime.notes),
            "federal_in_kind": self.regime.federal_in_kind,
            "sources": [
                {"claim": s.claim, "citation": s.citation, "quote": s.quote, "url": s.url}
                for s in self.regime.sources
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_table(self) -> str:
        """A plain-text table for a terminal or a letter appendix."""
        rows = [("", "total", "federal", "local")]
        rows += [(line.label, _usd(line.total), _usd(line.federal), _usd(line.local)) for line in self.lines]
        rows.append(("per agreement", _usd(self.total), _usd(self.federal), _usd(self.local)))
        per_officer = self.per_officer()
        if per_officer:
            rows.append(
                (
                    "per officer",
                    _usd(per_officer["total"]),
                    _usd(per_officer["federal"]),
                    _usd(per_officer["local"]),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [f"{self.regime.label} — {self.inputs.months} months"]
        for number, row in enumerate(rows):
            lines.append(
                "  ".join(
                    [
                        row[0].ljust(widths[0]),
                        *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)),
                    ]
                )
            )
            if number == 0 or number == len(self.lines):
                lines.append("  ".join("-" * w for w in widths))
        if self.federal_share is not None and self.local_share is not None:
            lines.append(
                f"federal share {_percent(self.federal_share)}, local share {_percent(self.local_share)}"
            )
        return "\n".join(lines) + "\n"


def _usd(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def regime(regime_id: str) -> Regime:
    regimes = load_regimes()
    if regime_id not in regimes:
        raise InputError(f"unknown cost regime {regime_id!r}; known: {sorted(regimes)}")
    return regimes[regime_id]


def _line(label: str, total: Decimal, fraction: Decimal | str, basis: str) -> CostLine:
    share = fraction if isinstance(fraction, Decimal) else Decimal(0)
    money = _money(total)
    return CostLine(label, money, _money(money * share), basis)


def estimate(regime_id: str, inputs: CostInputs | dict[str, Any]) -> CostEstimate:
    """Price one agreement under a regime: officer pay lines, detainer holds, jail beds and awards."""
    chosen = regime(regime_id)
    given = inputs if isinstance(inputs, CostInputs) else CostInputs.from_mapping(inputs)
    given.check()
    years = given.months / Decimal(12)
    officers = Decimal(given.officers)
    lines: list[CostLine] = []
    if given.officers:
        base = given.base_salary * given.share_of_time * officers * years
        hourly = given.base_salary / given.hours_per_year
        overtime = given.overtime_hours * hourly * given.overtime_multiplier * officers * years
        lines.append(
            _line("base salary", base, chosen.pays("base_salary"), "salary x share of time x officers")
        )
        lines.append(
            _line(
                "benefits",
                base * given.benefit_load,
                chosen.pays("benefits"),
                f"{given.benefit_load} of base salary",
            )
        )
        overtime_line = _line(
            "overtime",
            overtime,
            chosen.pays("overtime"),
            f"{given.overtime_hours} h x {given.overtime_multiplier} x hourly rate",
        )
        if chosen.overtime_cap_share_of_salary is not None:
            cap = _money(chosen.overtime_cap_share_of_salary * given.base_salary * officers * years)
            if overtime_line.federal > cap:
                overtime_line = replace(
                    overtime_line,
                    federal=cap,
                    basis=overtime_line.basis
                    + f"; federal part capped at {chosen.overtime_cap_share_of_salary} of salary",
                )
        lines.append(overtime_line)
        lines.append(
            _line(
                "payroll taxes",
                (base + overtime) * given.payroll_tax,
                chosen.pays("payroll_taxes"),
                f"{given.payroll_tax} of base and overtime pay",
            )
        )
        quarters = int(given.months // 3)
        award = chosen.award_for(given.success_rate)
        if award and quarters:
            lines.append(
                CostLine(
                    "performance awards",
                    Decimal("0.00"),
                    _money(award * officers * quarters),
                    f"${award} per officer per quarter x {quarters} quarters "
                    f"at success rate {given.success_rate}",
                )
            )
    if given.detainer_holds:
        jail_days = Decimal(given.detainer_holds) * given.hold_hours / Decimal(24) * years
        lines.append(
            _line(
                "detainer holds",
                jail_days * given.jail_daily_cost,
                chosen.pays("detainer_holds"),
                f"{given.detainer_holds} holds x {given.hold_hours} h at ${given.jail_daily_cost} a jail-day",
            )
        )
    if given.bed_days:
        bed_days = Decimal(given.bed_days) * years
        revenue = (
            _money(bed_days * given.per_diem) if chosen.pays("bed_days") == PER_DIEM else Decimal("0.00")
        )
        lines.append(
            CostLine(
                "jail bed-days",
                _money(bed_days * given.marginal_bed_cost),
                revenue,
                f"{given.bed_days} bed-days at ${given.marginal_bed_cost} marginal cost; "
                f"per diem ${given.per_diem}",
            )
        )
    return CostEstimate(chosen, given, tuple(lines))


def default_inputs(size: str = "medium", **changes: Any) -> tuple[CostInputs, list[str]]:
    """Inputs for an agency of a size (knowledge/costs/defaults.yaml) and the assumptions they rest on."""
    values, sizes = load_defaults()
    if size not in sizes:
        raise InputError(f"unknown agency size {size!r}; known: {sorted(sizes)}")
    agency = sizes[size]
    data: dict[str, Any] = {"officers": agency.officers, "base_salary": agency.base_salary}
    data.update(
        {name: default.value for name, default in values.items() if name in CostInputs.__dataclass_fields__}
    )
    data.update(changes)
    assumptions = [
        f"{name} = {default.value}: {default.label}"
        + (" (assumption)" if default.assumption else f" ({default.source})")
        for name, default in values.items()
        if name not in changes
    ]
    if "officers" not in changes or "base_salary" not in changes:
        assumptions.append(
            f"{size} agency ({agency.label}): {agency.officers} officer(s) "
            f"at ${agency.base_salary} base salary" + (" (assumption)" if agency.assumption else "")
        )
    return CostInputs.from_mapping(data), assumptions


# ------------------------------------------------------------------------------------------ sensitivity
def with_overtime_share(inputs: CostInputs, share: Decimal) -> CostInputs:
    """The same inputs with overtime pay set to `share` of base salary (hours derived from the rate)."""
    hours = share * inputs.hours_per_year / inputs.overtime_multiplier
    return replace(inputs, overtime_hours=hours)


@dataclass(frozen=True, slots=True)
class SensitivityTable:
    """Local share of cost over benefit loads (rows) and overtime shares of base salary (columns)."""

    regime: Regime
    benefit_loads: tuple[Decimal, ...]
    overtime_shares: tuple[Decimal, ...]
    local_shares: tuple[tuple[Decimal | None, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "regime": self.regime.id,
            "benefit_loads": [str(b) for b in self.benefit_loads],
            "overtime_shares": [str(o) for o in self.overtime_shares],
            "local_shares": [[str(c) if c is not None else None for c in row] for row in self.local_shares],
        }

    def to_table(self) -> str:
        head = ["benefits \\ overtime"] + [_percent(o) for o in self.overtime_shares]
        rows = [head] + [
            [_percent(b)] + [_percent(c) if c is not None else "-" for c in row]
            for b, row in zip(self.benefit_loads, self.local_shares, strict=True)
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [f"Local share of cost — {self.regime.label}"]
        lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
        return "\n".join(lines) + "\n"


def sensitivity(
    regime_id: str,
    inputs: CostInputs,
    benefit_loads: Sequence[Decimal | str] = ("0.30", "0.40", "0.50", "0.60", "0.70", "0.80"),
    overtime_shares: Sequence[Decimal | str] = ("0", "0.10", "0.25", "0.50", "0.75", "1.00"),
) -> SensitivityTable:
    """Local share of the cost as the benefit load and the overtime share of salary vary."""
    loads = tuple(_number(b, "benefit_load") for b in benefit_loads)
    shares = tuple(_number(o, "overtime_share") for o in overtime_shares)
    grid = tuple(
        tuple(
            estimate(regime_id, with_overtime_share(replace(inputs, benefit_load=load), share)).local_share
            for share in shares
        )
        for load in loads
    )
    return SensitivityTable(regime(regime_id), loads, shares, grid)


def _exact_federal_share(regime_id: str, inputs: CostInputs) -> Decimal:
    """Federal share before rounding to cents, so a break-even search is not stepped by rounding."""
    chosen = regime(regime_id)
    base = inputs.base_salary * inputs.share_of_time
    overtime = inputs.overtime_hours * inputs.base_salary / inputs.hours_per_year * inputs.overtime_multiplier
    parts = {
        "base_salary": base,
        "benefits": base * inputs.benefit_load,
        "overtime": overtime,
        "payroll_taxes": (base + overtime) * inputs.payroll_tax,
    }
    total = sum(parts.values(), Decimal(0))
    federal = Decimal(0)
    for line, amount in parts.items():
        fraction = chosen.pays(line)
        paid = amount * fraction if isinstance(fraction, Decimal) else Decimal(0)
        if line == "overtime" and chosen.overtime_cap_share_of_salary is not None:
            paid = min(paid, chosen.overtime_cap_share_of_salary * inputs.base_salary)
        federal += paid
    return federal / total


def break_even_overtime_share(
    regime_id: str,
    benefit_load: Decimal | str,
    payroll_tax: Decimal | str = "0",
    target_federal_share: Decimal | str = "0.40",
    *,
    upper: Decimal | str = "10",
) -> Decimal | None:
    """Overtime pay as a share of base salary at which the federal share of an officer's cost hits the target.

    Below it the federal side pays less than the target share. None when no overtime share up to `upper`
    reaches the target (or the target is already met with no overtime: then 0). Found by bisection on the
    exact (unrounded) shares; for an overtime-only regime it equals t(1+b+p) / (1 - t(1+p)).
    """
    target = _number(target_federal_share, "target_federal_share")
    probe = CostInputs(
        officers=1,
        base_salary=Decimal(100000),
        benefit_load=_number(benefit_load, "benefit_load"),
        payroll_tax=_number(payroll_tax, "payroll_tax"),
    )

    def share_at(s: Decimal) -> Decimal:
        return _exact_federal_share(regime_id, with_overtime_share(probe, s))

    low, high = Decimal(0), _number(upper, "upper")
    if share_at(low) >= target:
        return Decimal(0)
    if share_at(high) < target:
        return None
    for _ in range(80):
        middle = (low + high) / 2
        if share_at(middle) < target:
            low = middle
        else:
            high = middle
    return high.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
