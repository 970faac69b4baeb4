"""Detainer charts as inline SVG, drawn on the server: stacked bars per year (or month), where a year without
data is marked "no data" and never drawn as a zero."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from disentangle.assess import DetainerSeries, DetainerYear, outcome_groups
from disentangle.web._chart import Frame, nice_ceiling, value_axis
from disentangle.web._i18n import current, gettext_, ngettext_


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    css: str


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under the bar: "2013", or "" for most months
    segments: tuple[tuple[str, int], ...]  # (series key, count), stacked bottom up
    title: str  # hover text
    no_data: bool = False


def outcome_series() -> tuple[Series, ...]:
    """The outcome groups (each in the page's language: their translations are data) and the series of
    counts without a breakdown."""
    language = current()
    groups = [
        Series(g.id, (g.translations.get(language) or {}).get("label") or g.label, f"d-{g.id}")
        for g in outcome_groups()
    ]
    return (
        *groups,
        Series("no_reason", gettext_("No lift reason recorded"), "d-none"),
        Series("unsplit", gettext_("Outcomes other than declined, not broken down"), "d-unsplit"),
        Series("total", gettext_("Detainers (no breakdown)"), "d-total"),
    )


def _detainers(count: int) -> str:
    return ngettext_("%(num)s detainer", "%(num)s detainers", count) % {"num": f"{count:,}"}


def _no_data(year: int) -> str:
    return gettext_("%(year)s: no data") % {"year": year}


def _year_segments(item: DetainerYear) -> tuple[tuple[str, int], ...]:
    segments = [(g.id, item.outcomes[g.id] or 0) for g in outcome_groups() if item.outcomes.get(g.id)]
    if item.no_reason:
        segments.append(("no_reason", item.no_reason))
    if item.other_outcomes:
        segments.append(("unsplit", item.other_outcomes))
    if not segments and item.total:
        segments.append(("total", item.total))
    return tuple(segments)


def outcome_bars(series: DetainerSeries) -> list[Bar]:
    """One bar per year: its outcomes stacked, or "no data"."""
    bars = []
    labels = {s.key: s.label for s in outcome_series()}
    for item in series.years:
        if not item.has_data:
            bars.append(Bar(str(item.year), (), _no_data(item.year), no_data=True))
            continue
        segments = _year_segments(item)
        parts = ", ".join(f"{labels[key]} {count:,}" for key, count in segments)
        total = _detainers(item.total) if item.total is not None else gettext_("total not in the data")
        title = gettext_("%(year)s: %(total)s; %(outcomes)s") % {
            "year": item.year,
            "total": total,
            "outcomes": parts or gettext_("no outcome recorded"),
        }
        bars.append(Bar(str(item.year), segments, title))
    return bars


def citizen_bars(series: DetainerSeries) -> list[Bar]:
    """The "United States Citizen Interviewed" lifts per year; a year without the breakdown is "no data"."""
    bars = []
    for item in series.years:
        count = item.outcome("us_citizen") if item.has_data else None
        if count is None:
            bars.append(Bar(str(item.year), (), _no_data(item.year), no_data=True))
        else:
            lifted = ngettext_(
                "%(year)s: %(num)s lifted as a U.S. citizen",
                "%(year)s: %(num)s lifted as U.S. citizens",
                count,
            ) % {"year": item.year, "num": f"{count:,}"}
            bars.append(Bar(str(item.year), (("us_citizen", count),), lifted))
    return bars


def month_bars(series: DetainerSeries) -> list[Bar]:
    """Detainers per month where the data are monthly; months of a year without monthly data are left out."""
    bars: list[Bar] = []
    for item in series.years:
        for month in sorted(item.months):
            count = item.months[month]
            label = str(item.year) if month == 1 else ""
            bars.append(Bar(label, (("total", count),), f"{item.year}-{month:02d}: {_detainers(count)}"))
    return bars


def form_bars(series: DetainerSeries) -> tuple[list[Bar], list[Series]]:
    """Detainers per year by the form ICE used, for the years whose records name it."""
    forms = sorted({form for item in series.years for form in item.forms})
    palette = [Series(form, form, f"f-{index % 7}") for index, form in enumerate(forms)]
    bars = []
    for item in series.years:
        if not item.forms:
            continue
        segments = tuple((form, item.forms[form]) for form in forms if item.forms.get(form))
        parts = ", ".join(f"{form} {count:,}" for form, count in segments)
        bars.append(Bar(str(item.year), segments, f"{item.year}: {parts}"))
    return bars, palette


def render_bars(
    bars: Sequence[Bar], series: Sequence[Series], *, title: str, frame: Frame | None = None
) -> Markup:
    """Stacked bars with a y axis, the bar labels under them and a hover title per bar."""
    frame = frame or Frame(height=240)
    if not bars:
        return Markup('<p class="empty">{}</p>').format(gettext_("No counts to draw."))
    css = {s.key: s.css for s in series}
    tallest = max((sum(count for _, count in bar.segments) for bar in bars), default=0)
    top, step = nice_ceiling(max(tallest, 1))
    inner_w = frame.width - frame.left - frame.right
    inner_h = frame.height - frame.top - frame.bottom
    slot = inner_w / len(bars)
    width = max(min(slot * 0.7, 48), 1.0)
    base = frame.height - frame.bottom

    def y(value: float) -> float:
        return frame.top + inner_h * (1 - value / top)

    parts: list[Any] = [
        f'<svg class="chart detainer-chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    parts.extend(value_axis(frame, top, step, y))
    for index, bar in enumerate(bars):
        x = frame.left + slot * index + (slot - width) / 2
        below = 0.0
        parts.append(f"<g><title>{escape(bar.title)}</title>")
        if bar.no_data:
            parts.append(
                f'<rect class="no-data" x="{x:.1f}" y="{frame.top}" width="{width:.1f}" height="{inner_h}"/>'
                f'<text class="no-data-label" x="{x + width / 2:.1f}" y="{base - 8}" '
                f'transform="rotate(-90 {x + width / 2:.1f} {base - 8})">no data</text>'
            )
        for key, count in bar.segments:
            upper = below + count
            parts.append(
                f'<rect class="{css.get(key, "d-total")}" x="{x:.1f}" y="{y(upper):.1f}" width="{width:.1f}" '
                f'height="{max(y(below) - y(upper), 0):.1f}"/>'
            )
            below = upper
        parts.append(
            f'<rect class="hover" x="{frame.left + slot * index:.1f}" y="{frame.top}" width="{slot:.1f}" '
            f'height="{inner_h}"/></g>'
        )
        if bar.label:
            parts.append(
                f'<text class="tick" x="{frame.left + slot * index + slot / 2:.1f}" y="{frame.height - 8}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.width - frame.right}" '
        f'y1="{base}" y2="{base}"/></svg>'
    )
    return Markup("".join(parts))


def legend(series: Sequence[Series], used: Sequence[Bar]) -> list[Series]:
    """The series that appear in the bars, in legend order."""
    keys = {key for bar in used for key, _ in bar.segments}
    return [s for s in series if s.key in keys]
