"""The chart of 287(g) agreements on ICE's published lists over time, stacked by model, as inline SVG."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from disentangle.web._i18n import gettext_

SERIES = (("287g-jem", "JEM", "s-jem"), ("287g-wso", "WSO", "s-wso"), ("287g-tfm", "TFM", "s-tfm"))


@dataclass(frozen=True, slots=True)
class Frame:
    width: int = 760
    height: int = 280
    left: int = 52
    right: int = 12
    top: int = 12
    bottom: int = 28


def nice_ceiling(value: float) -> tuple[int, int]:
    """A round upper bound for the axis and the step between its ticks (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 10, 2
    rough = value / 5
    power = 10 ** max(len(str(int(rough))) - 1, 0)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    top = -(-int(value) // step) * step
    return max(top, step), step


def value_axis(frame: Frame, top: int, step: int, y: Callable[[float], float]) -> list[str]:
    """The horizontal grid lines of a value axis, each with its number."""
    lines = []
    for tick in range(0, top + 1, step):
        ty = y(tick)
        lines.append(
            f'<line class="grid" x1="{frame.left}" x2="{frame.width - frame.right}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}"/><text class="tick" x="{frame.left - 6}" y="{ty + 4:.1f}" '
            f'text-anchor="end">{tick:,}</text>'
        )
    return lines


def _month(row: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(row["captured"]))


def render_chart(rows: Sequence[Mapping[str, Any]], frame: Frame | None = None) -> Markup:
    """Stacked areas (JEM, WSO, TFM) per published sheet, with axes and a hover title per sheet."""
    frame = frame or Frame()
    if not rows:
        empty = gettext_("No published ICE list has been imported yet.")
        return Markup('<p class="empty">{}</p>').format(empty)
    points = sorted(rows, key=_month)
    first, last = _month(points[0]), _month(points[-1])
    span = max((last - first).days, 1)
    inner_w = frame.width - frame.left - frame.right
    inner_h = frame.height - frame.top - frame.bottom
    top, step = nice_ceiling(max(int(r.get("total") or 0) for r in points))

    def x(day: date) -> float:
        return frame.left + inner_w * (day - first).days / span

    def y(value: float) -> float:
        return frame.top + inner_h * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        'aria-labelledby="chart-title chart-description">'
    ]
    parts.extend(value_axis(frame, top, step, y))
    for year in range(first.year + 1, last.year + 1):
        tx = x(date(year, 1, 1))
        parts.append(
            f'<line class="axis" x1="{tx:.1f}" x2="{tx:.1f}" y1="{frame.height - frame.bottom}" '
            f'y2="{frame.height - frame.bottom + 5}"/><text class="tick" x="{tx:.1f}" '
            f'y="{frame.height - 8}" text-anchor="middle">{year}</text>'
        )
    below = [0.0] * len(points)
    for key, _short, css in SERIES:
        above = [b + float(r.get(key) or 0) for b, r in zip(below, points, strict=True)]
        upper = " ".join(f"{x(_month(r)):.1f},{y(v):.1f}" for r, v in zip(points, above, strict=True))
        lower = " ".join(
            f"{x(_month(r)):.1f},{y(v):.1f}" for r, v in reversed(list(zip(points, below, strict=True)))
        )
        parts.append(f'<polygon class="{css}" points="{upper} {lower}"/>')
        below = above
    parts.append(
        f'<line class="axis" x1="{frame.left}" x2="{frame.width - frame.right}" '
        f'y1="{frame.height - frame.bottom}" y2="{frame.height - frame.bottom}"/>'
    )
    # A transparent column per published sheet carries its numbers as hover text.
    for index, row in enumerate(points):
        left = x(_month(points[index - 1])) if index else x(first)
        right = x(_month(points[index + 1])) if index + 1 < len(points) else x(last)
        cx = x(_month(row))
        x0, x1 = (left + cx) / 2 if index else cx, (cx + right) / 2 if index + 1 < len(points) else cx
        counts = ", ".join(f"{short} {int(row.get(key) or 0):,}" for key, short, _css in SERIES)
        title = escape(f"List of {row['captured']}: {int(row.get('total') or 0):,} agreements ({counts})")
        parts.append(
            f'<rect class="hover" x="{x0:.1f}" y="{frame.top}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{inner_h}"><title>{title}</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
