"""How a figure's value reads on the pages, in the charts' labels and in the CSV files."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from kpis.figures import Unit
from pae_ops.formatting import money, number, percent


def format_value(value: Decimal | int | None, unit: str, *, language: str | None = None) -> str:
    """``12,345.67`` · ``93.5 %`` · ``20.0`` · ``5.00 h`` · ``12``; "no data" (KPI-8).

    In the active language's way (``pae_ops.formatting``): the same on every page.
    ``language``: the active language, for a page of many values.
    """
    if value is None:
        return _("no data")
    if unit == Unit.MONEY:
        return money(value, language=language)
    if unit == Unit.PERCENT:
        return percent(value, 1, language=language)
    if unit == Unit.HOURS:
        return f"{number(value, 2, language=language)} h"
    if unit == Unit.COUNT:
        return number(value, language=language)
    return number(value, 1, language=language)


def format_change(value: Decimal | int | None, unit: str) -> str:
    """The difference with the year before: ``+1,234.00``, ``−2.5 pts``; "—" without one."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    magnitude = abs(value)
    if unit == Unit.MONEY:
        return f"{sign}{money(magnitude)}"
    if unit == Unit.PERCENT:
        return _("%(sign)s%(value)s pts") % {"sign": sign, "value": number(magnitude, 1)}
    if unit == Unit.HOURS:
        return f"{sign}{number(magnitude, 2)} h"
    if unit == Unit.COUNT:
        return f"{sign}{number(magnitude)}"
    return f"{sign}{number(magnitude, 1)}"


def csv_value(value: Decimal | int | None) -> object:
    """A number for a CSV cell, or the words "no data"."""
    return _("no data") if value is None else value
