"""Server-side SVG bar charts: geometry computed here, drawn by a template.

No chart library and no script: the SVG is part of the page, its colours come
from ``static/css/portal.css`` classes (the content-security policy allows no
inline styles), each bar carries a ``<title>`` with its value, and the page
puts the same numbers in a table behind the chart (accessibility).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format

from kpis.figures import Unit
from kpis.formatting import format_value

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 52, 6, 10, 22


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    text: str
    has_data: bool
    month: date


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    top: int
    baseline: float
    bottom: float
    bars: list[Bar]
    max_label: str
    min_label: str
    baseline_label: str
    label_y: float


def _scale(values: list[Decimal], unit: str) -> tuple[Decimal, Decimal]:
    if unit == Unit.PERCENT:
        low = min([Decimal(0), *values])
        return low, max([Decimal(100), *values])
    if unit == Unit.POINTS:
        return Decimal(-100), Decimal(100)
    high = max(values, default=Decimal(0))
    low = min([Decimal(0), *values])
    if high <= 0:
        high = Decimal(1)
    return low, high


def bar_chart(
    points: list[tuple[date, Decimal | int | None]],
    unit: str,
    *,
    labels: dict[date, tuple[str, str]] | None = None,
    language: str | None = None,
) -> Chart:
    """One bar per month; a month without data gets a marker and no bar.

    ``labels``: each month's short and long name, and ``language``, the active
    language, when the caller has them.
    """
    labels = labels or {}
    values = [Decimal(v) for _month, v in points if v is not None]
    low, high = _scale(values, unit)
    span = high - low or Decimal(1)
    plot_width = WIDTH - LEFT - RIGHT
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    slot = plot_width / max(len(points), 1)

    def y_of(value: Decimal) -> float:
        return TOP + float((high - value) / span) * plot_height

    baseline = y_of(Decimal(0))
    bars = []
    for index, (month, value) in enumerate(points):
        x = LEFT + index * slot + slot * 0.15
        width = slot * 0.7
        if value is None:
            top, height = baseline - 1, 2.0
        else:
            y = y_of(Decimal(value))
            top, height = min(y, baseline), max(abs(baseline - y), 1.0)
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top, 1),
                width=round(width, 1),
                height=round(height, 1),
                label=labels[month][0] if month in labels else date_format(month, "M"),
                label_x=round(x + width / 2, 1),
                text=f"{labels[month][1] if month in labels else date_format(month, 'F Y')}: "
                f"{format_value(value, unit, language=language)}",
                has_data=value is not None,
                month=month,
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        top=TOP,
        baseline=round(baseline, 1),
        bottom=plot_bottom,
        bars=bars,
        max_label=_axis(high, unit),
        min_label=_axis(low, unit) if low < 0 else "",
        baseline_label="0",
        label_y=HEIGHT - 6,
    )


def _axis(value: Decimal, unit: str) -> str:
    if unit == Unit.MONEY:
        if value >= 1_000_000:
            return f"{value / 1_000_000:.1f}M"
        if value >= 1_000:
            return f"{value / 1_000:.0f}k"
    if unit == Unit.PERCENT:
        return f"{value:.0f} %"
    return f"{value:.0f}"
