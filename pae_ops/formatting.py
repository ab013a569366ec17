"""Numbers and dates as the active language writes them (``pae_ops.formats``).

Every hand-made figure (a template filter, a KPI value, a service's message)
goes through these, so a page, an email and an export say ``1,234.50``,
``50.0 %`` and ``02/12/2026`` the same way in Spanish (Mexico) and
``1,234.50``, ``50.0 %`` and ``12/02/2026`` in English. See docs/i18n.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import formats


def number(value: Decimal | int | float, places: int | None = None) -> str:
    """``value`` with the language's separators and thousands grouping."""
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def money(value: Decimal | int) -> str:
    """An amount with two places: ``1,234.50`` (the currency is said beside it)."""
    return number(Decimal(value), 2)


def percent(value: Decimal | int | float, places: int = 1) -> str:
    """``93.5 %`` (a space before the sign, as both languages' style guides write it)."""
    return f"{number(value, places)} %"


def short_date(value: date | datetime) -> str:
    """``02/12/2026`` in Spanish, ``12/02/2026`` in English."""
    return formats.date_format(value, "SHORT_DATE_FORMAT")
