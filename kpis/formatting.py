"""How a figure's value reads on the pages, in the charts' labels and in the CSV files."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from kpis.figures import Unit


def format_value(value: Decimal | int | None, unit: str) -> str:
    """``12,345.67`` · ``93.5 %`` · ``20.0`` · ``5.00 h`` · ``12``; "no data" (KPI-8)."""
    if value is None:
        return _("no data")
    if unit == Unit.MONEY:
        return f"{value:,.2f}"
    if unit == Unit.PERCENT:
        return f"{value:.1f} %"
    if unit == Unit.HOURS:
        return f"{value:.2f} h"
    if unit == Unit.COUNT:
        return f"{value:,}"
    return f"{value:.1f}"


def format_change(value: Decimal | int | None, unit: str) -> str:
    """The difference with the year before: ``+1,234.00``, ``−2.5 pts``; "—" without one."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    magnitude = abs(value)
    if unit == Unit.MONEY:
        return f"{sign}{magnitude:,.2f}"
    if unit == Unit.PERCENT:
        return _("%(sign)s%(value)s pts") % {"sign": sign, "value": f"{magnitude:.1f}"}
    if unit == Unit.HOURS:
        return f"{sign}{magnitude:.2f} h"
    if unit == Unit.COUNT:
        return f"{sign}{magnitude:,}"
    return f"{sign}{magnitude:.1f}"


def csv_value(value: Decimal | int | None) -> object:
    """A number for a CSV cell, or the words "no data"."""
    return _("no data") if value is None else value
