"""Small filters for the portal's own templates."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(value: timedelta | float | None) -> int:
    """A duration (a ``timedelta``, or hours as a number) in whole minutes, at least 1."""
    if value is None or value == "":
        return 0
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) * 3600
    return max(1, round(seconds / 60))
