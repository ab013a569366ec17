"""Numbers and dates as the active language writes them (``pae_ops.formats``).

Every hand-made figure (a template filter, a KPI value, a service's message)
goes through these, so a page, an email and an export say ``1,234.50``,
``50.0 %`` and ``02/12/2026`` the same way in Spanish (Mexico) and
``1,234.50``, ``50.0 %`` and ``12/02/2026`` in English. See docs/i18n.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, numberformat
from django.utils.translation import get_language


def number(value: Decimal | int | float, places: int | None = None) -> str:
    """``value`` with the language's separators and thousands grouping.

    Exactly what Django's ``formats.number_format(value, places,
    use_l10n=True, force_grouping=True)`` writes (tested over random values
    in Spanish, English and German): decimals cut, not rounded, and a value too small for
    the places shown written as zero. Faster: the language's separators are
    read once per language, and integers and decimals of ordinary size in
    groups of three are written by Python's own formatting (a KPI dashboard
    writes ~1,000 numbers; Django's way costs ~12 µs each).
    """
    decimal_sep, grouping, thousand_sep = _separators(get_language())
    if grouping == 3 and type(value) in (int, Decimal):
        written = _grouped_by_three(value, places)
        if written is not None:
            if decimal_sep != "." or thousand_sep != ",":
                written = written.translate({ord(","): thousand_sep, ord("."): decimal_sep})
            return written
    return numberformat.format(
        value, decimal_sep, places, grouping, thousand_sep, force_grouping=True, use_l10n=True
    )


@lru_cache(maxsize=16)
def _separators(language: str | None) -> tuple[str, object, str]:
    return (
        formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        formats.get_format("NUMBER_GROUPING", language, use_l10n=True),
        formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
    )


@receiver(setting_changed)
def _forget_separators(*, setting: str, **kwargs) -> None:
    # As Django forgets its own format cache when a test changes these.
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "FORMAT_MODULE_PATH", "USE_THOUSAND_SEPARATOR"}:
        _separators.cache_clear()


def _grouped_by_three(value: Decimal | int, places: int | None) -> str | None:
    """``value`` as ``1,234.50`` (Python's separators), or None to leave a
    value out of the ordinary (not finite, or with more digits than the
    decimal context's 28) to Django's own way."""
    if type(value) is int:
        if places is None:
            return f"{value:,}"
        value = Decimal(value)
    if not value.is_finite():
        return None
    _sign, digits, exponent = value.as_tuple()
    if len(digits) + abs(exponent) + (places or 0) > 26:
        return None
    if places is None:
        return f"{value:,f}"
    # Django's cut-off: a value that would show no digit is zero (no "-0.00").
    if abs(value) < Decimal("0." + "1".rjust(places, "0")):
        value = Decimal(0)
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):,.{places}f}"


def money(value: Decimal | int) -> str:
    """An amount with two places: ``1,234.50`` (the currency is said beside it)."""
    return number(Decimal(value), 2)


def percent(value: Decimal | int | float, places: int = 1) -> str:
    """``93.5 %`` (a space before the sign, as both languages' style guides write it)."""
    return f"{number(value, places)} %"


def short_date(value: date | datetime) -> str:
    """``02/12/2026`` in Spanish, ``12/02/2026`` in English."""
    return formats.date_format(value, "SHORT_DATE_FORMAT")
