"""The cost of an agreement to the locality and to the federal side, line by line, in exact decimals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from disentangle.costs._regimes import PER_DIEM, AgencySize, Regime, load_defaults, load_regimes
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


HOURS_IN_A_YEAR = Decimal(366 * 24)
WHOLE_INPUTS = ("officers", "detainer_holds", "bed_days")
# The range each input must fall in, and what it is, for the message that refuses a value outside it.
_RANGES: dict[str, tuple[Decimal, Decimal | None, str]] = {
    "benefit_load": (Decimal(0), Decimal(1), "a fraction of base salary between 0 and 1 (0.5 for 50%)"),
    "payroll_tax": (Decimal(0), Decimal(1), "a fraction of pay between 0 and 1 (0.0765 for 7.65%)"),
    "share_of_time": (Decimal(0), Decimal(1), "a share of each officer's time between 0 and 1"),
    "success_rate": (Decimal(0), Decimal(1), "a share between 0 and 1 (0.85 for 85%)"),
    "hours_per_year": (
        Decimal(1),
        HOURS_IN_A_YEAR,
        "paid hours in a year: from 1 to 8,784 (366 days of 24 hours)",
    ),
    "overtime_hours": (Decimal(0), HOURS_IN_A_YEAR, "hours in a year: from 0 to 8,784"),
    "hold_hours": (Decimal(0), HOURS_IN_A_YEAR, "hours held past release: from 0 to 8,784, a year"),
    "overtime_multiplier": (
        Decimal(1),
        Decimal(10),
        "a multiple of the regular hourly rate from 1 to 10 (1.5 for time and a half)",
    ),
}


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
            if name in WHOLE_INPUTS:
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
        """Refuse a value outside its range, naming the input, what it is and the value given."""
        for name, (low, high, what) in _RANGES.items():
            value = getattr(self, name)
            if value is not None and (value < low or (high is not None and value > high)):
                raise InputError(f"cost input {name!r} is {what}, not {value}")
        if self.overtime_hours + self.hours_per_year > HOURS_IN_A_YEAR:
            raise InputError(
                f"cost inputs 'hours_per_year' ({self.hours_per_year}) and 'overtime_hours' "
                f"({self.overtime_hours}) add up to more than the 8,784 hours in a year"
            )

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
class Sizing:
    """How an estimate sized the agency, as values a page words in its own language: its sworn officers
    and where that count comes from (None: not on file, so `band` is the fallback), the band of
    knowledge/costs/defaults.yaml it falls in, and the officers and base salary assumed for it."""

    agency: str
    sworn: int | None
    source: str
    band: str
    min_sworn: int
    max_sworn: int | None
    assigned: int
    base_salary: Decimal
    assumption: bool  # the band's figures are placeholders for the agency's own payroll

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "sworn": self.sworn,
            "source": self.source,
            "band": self.band,
            "min_sworn": self.min_sworn,
            "max_sworn": self.max_sworn,
            "assigned": self.assigned,
            "base_salary": str(self.base_salary),
            "base_salary_words": _money_words(self.base_salary),
            "assumption": self.assumption,
        }


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Who pays what under one regime: lines, totals, shares, per officer and per agreement."""

    regime: Regime
    inputs: CostInputs
    lines: tuple[CostLine, ...]
    assumptions: tuple[
        str, ...
    ] = ()  # every figure not given by the user: what it is and where it comes from
    sizing: Sizing | None = None  # how the agency's own size chose the officers and salary, if it did

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
            "regime": {
                "id": self.regime.id,
                "label": self.regime.label,
                "translations": self.regime.translations,
            },
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
            "assumptions": list(self.assumptions),
            "sizing": self.sizing.to_dict() if self.sizing else None,
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
        lines += [f"assumes {assumption}" for assumption in self.assumptions]
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


def estimate(
    regime_id: str,
    inputs: CostInputs | dict[str, Any],
    assumptions: Sequence[str] = (),
    sizing: Sizing | None = None,
) -> CostEstimate:
    """Price one agreement under a regime: officer pay lines, detainer holds, jail beds and awards.

    `assumptions` say where every figure the user did not give comes from (default_inputs, agency_inputs);
    the estimate carries them wherever it is shown."""
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
    return CostEstimate(chosen, given, tuple(lines), tuple(assumptions), sizing)


def _money_words(value: Decimal) -> str:
    return f"${value:,.0f}" if value == value.to_integral_value() else f"${value:,.2f}"


def default_inputs(size: str = "medium", **changes: Any) -> tuple[CostInputs, list[str]]:
    """Inputs for an agency of a size (knowledge/costs/defaults.yaml) and the assumptions they rest on;
    `changes` are the user's own figures, which replace the defaults and need no assumption."""
    sizes = load_defaults()[1]
    if size not in sizes:
        raise InputError(f"unknown agency size {size!r}; known: {sorted(sizes)}")
    agency = sizes[size]
    return _inputs(agency, agency.officers, f"a {size} agency ({agency.label})", changes)


def size_of(sworn: int) -> AgencySize:
    """The size band of an agency with `sworn` sworn officers."""
    for band in load_defaults()[1].values():
        if band.holds(sworn):
            return band
    raise InputError(f"no agency size in knowledge/costs/defaults.yaml holds {sworn} sworn officers")


def agency_sizing(agency: str, sworn: int | None, source: str, *, fallback: str = "medium") -> Sizing:
    """How a named agency is sized: by its `sworn` officers as `source` reports them (the FBI roster), or,
    when that is unknown, as an agency of the `fallback` size. The officers assigned never exceed the
    agency's own."""
    if sworn is None:
        sizes = load_defaults()[1]
        if fallback not in sizes:
            raise InputError(f"unknown agency size {fallback!r}; known: {sorted(sizes)}")
        band, assigned = sizes[fallback], sizes[fallback].officers
    else:
        band = size_of(sworn)
        assigned = max(1, min(band.officers, sworn)) if sworn else band.officers
    return Sizing(
        agency,
        sworn,
        source,
        band.id,
        band.min_sworn,
        band.max_sworn,
        assigned,
        band.base_salary,
        band.assumption,
    )


def agency_inputs(
    agency: str, sworn: int | None, source: str, *, fallback: str = "medium", **changes: Any
) -> tuple[CostInputs, list[str]]:
    """Inputs for a named agency from its own size (`agency_sizing`). An agency whose size is unknown
    gets the `fallback` size, and the assumption says so."""
    sizing = agency_sizing(agency, sworn, source, fallback=fallback)
    band = load_defaults()[1][sizing.band]
    if sworn is None:
        basis = f"{agency}: no sworn-officer count on file, so a {band.id} agency's figures ({band.label})"
    else:
        basis = f"{agency}: {sworn} sworn officers ({source}), a {band.id} agency ({band.label})"
    return _inputs(band, sizing.assigned, basis, changes)


def _inputs(
    band: AgencySize, assigned: int, basis: str, changes: dict[str, Any]
) -> tuple[CostInputs, list[str]]:
    values = load_defaults()[0]
    data: dict[str, Any] = {"officers": assigned, "base_salary": band.base_salary}
    data.update({name: d.value for name, d in values.items() if name in CostInputs.__dataclass_fields__})
    data.update(changes)
    assumptions = [
        f"{name} = {default.value}: {default.label}"
        + (" (assumption)" if default.assumption else f" ({default.source})")
        for name, default in values.items()
        if name not in changes
    ]
    officers, salary = "officers" not in changes, "base_salary" not in changes
    if officers or salary:
        parts = ([f"{assigned} officer(s) assigned to the agreement"] if officers else []) + (
            [f"{_money_words(band.base_salary)} base salary each"] if salary else []
        )
        assumptions.append(
            f"{basis}: "
            + " at ".join(parts)
            + (" (assumption: use the agency's payroll)" if band.assumption else "")
        )
    return CostInputs.from_mapping(data), assumptions


@dataclass(frozen=True, slots=True)
class CostInput:
    """One input of a cost estimate, with its default and where that default comes from."""

    name: str
    label: str
    default: str  # "" when the input has no default
    source: str
    whole: bool  # a count, not an amount
    basis: str = "source"  # source (cited) | assumption | size (of the agency band `band`) | yours
    band: str | None = None


_LABELS = {
    "officers": "officers assigned to the agreement",
    "base_salary": "annual base salary ($)",
    "months": "months the agreement runs in the estimate",
    "detainer_holds": "detainer holds per year",
    "jail_daily_cost": "cost of one person-day in the jail ($)",
    "bed_days": "IGSA bed-days per year",
    "per_diem": "IGSA per diem per bed-day ($)",
    "marginal_bed_cost": "marginal cost of one more bed-day ($)",
    "success_rate": "287(g) success rate for performance awards (0 to 1)",
}


def input_defaults(size: str = "medium") -> list[CostInput]:
    """Every input of an estimate with the default an estimate takes when it is not given (an agency of
    `size`) and the source or assumption behind it: the calculator's form and the CLI show the same."""
    values, sizes = load_defaults()
    band = sizes[size] if size in sizes else sizes["medium"]
    defaults = default_inputs(band.id)[0].to_dict()
    result = []
    for item in fields(CostInputs):
        name = item.name
        known = values.get(name)
        whole = name in WHOLE_INPUTS
        if known is not None:
            source = "assumption: change it to your figure" if known.assumption else str(known.source)
            basis = "assumption" if known.assumption else "source"
            result.append(CostInput(name, known.label, str(known.value), source, whole, basis))
        elif name in ("officers", "base_salary"):
            source = f"assumption for a {band.id} agency ({band.label})"
            result.append(CostInput(name, _LABELS[name], str(defaults[name]), source, whole, "size", band.id))
        else:
            default = defaults[name]
            shown = "" if default is None else str(default)
            label = _LABELS.get(name, name.replace("_", " "))
            result.append(CostInput(name, label, shown, "enter yours", whole, "yours"))
    return result


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
