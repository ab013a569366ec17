"""Template filters of the case pages (formatting only)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def bhours(value: Decimal | int | float | None) -> str:
    """Business hours as ``5 h 30 min`` (the absolute value; pages say "overdue")."""
    if value is None or value == "":
        return ""
    try:
        minutes = int((abs(Decimal(value)) * 60).to_integral_value(ROUND_HALF_UP))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


@register.filter
def is_negative(value: Decimal | int | None) -> bool:
    return value is not None and value < 0
