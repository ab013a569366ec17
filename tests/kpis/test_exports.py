"""The CSV guard against formula injection, the charts and the figure math."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpis.charts import bar_chart
from kpis.exports import csv_safe
from kpis.figures import Unit, median_hours, percent


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+34 600 000", "'+34 600 000"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1", "'\r=1"),
        ("\n@x", "'\n@x"),
        ("\x00nul", "'\x00nul"),
        ("Programa Élite", "Programa Élite"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_safe_prefixes_formula_and_control_characters(value, expected):
    """RULES: KPI-1. Exports are safe to open in a spreadsheet (DESIGN: CSV exports)."""
    assert csv_safe(value) == expected


def test_csv_safe_keeps_numbers_as_numbers():
    """A negative growth is a number, not a formula."""
    assert csv_safe(Decimal("-12.5")) == Decimal("-12.5")
    assert csv_safe(-3) == -3


def test_percent_rounds_half_up_and_has_no_data_without_a_whole():
    """RULES: KPI-8"""
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(0, 0) is None


def test_median_hours_of_an_even_and_an_odd_count():
    """RULES: KPI-7. Tenths of an hour per case: the middle one, or the mean of two."""
    assert median_hours({10: 1, 90: 1}) == Decimal("5.00")
    assert median_hours({10: 2, 90: 1}) == Decimal("1.00")
    assert median_hours({5: 1, 15: 2, 40: 1}) == Decimal("1.50")
    assert median_hours({}) is None


def test_bar_chart_marks_months_without_data_and_scales_percentages_to_100():
    """RULES: KPI-8. No bar for a month without data, and a tooltip saying so."""
    points = [
        (date(2026, month, 1), None if month == 2 else Decimal(month * 10)) for month in (1, 2, 3)
    ]
    chart = bar_chart(points, Unit.PERCENT)
    assert [bar.has_data for bar in chart.bars] == [True, False, True]
    assert chart.bars[1].height == 2.0
    assert chart.max_label == "100 %"
    assert chart.bars[2].height > chart.bars[0].height
    assert "sin datos" in chart.bars[1].text


def test_bar_chart_of_nps_has_a_negative_side():
    chart = bar_chart(
        [(date(2026, 1, 1), Decimal("-40")), (date(2026, 2, 1), Decimal("20"))], Unit.POINTS
    )
    negative, positive = chart.bars
    assert negative.y == chart.baseline
    assert positive.y + positive.height == chart.baseline
    assert chart.min_label == "-100"
