"""Template filters of the clients pages (formatting only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def usd(value: Decimal | int | str | None) -> str:
    """An amount as ``6,720.00``: the same figures as the services' messages
    (PAY-1's "5,000.00 USD"), whatever the page's language."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
