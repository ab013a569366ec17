"""Template filters of the clients pages (formatting only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from pae_ops.formatting import money

register = template.Library()


@register.filter
def usd(value: Decimal | int | str | None) -> str:
    """An amount as ``6,720.00``: the same figures as the services' messages
    (PAY-1's "5,000.00 USD"), in the language's way (``pae_ops.formatting``)."""
    if value is None or value == "":
        return ""
    try:
        return money(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def segment_strategies(segment: str) -> list:
    """SEG-6: the strategy hints of a segment (``client.segment|segment_strategies``)."""
    from clients.selectors import SEGMENT_STRATEGIES

    return SEGMENT_STRATEGIES.get(segment, [])
