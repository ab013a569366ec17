"""Times in the user's zone, with the calendar's zone named where it differs.

``{% deadline value %}`` shows an SLA deadline on the viewer's clock (the
zone the middleware activated) and, when the business calendar's clock
reads differently at that instant, the calendar's time and zone beside it:
deadlines are counted in business hours of the calendar (BH-1), so both
matter to someone working from another zone.
"""

from __future__ import annotations

import zoneinfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from pae_ops.timezones import portal_zone

register = template.Library()


@register.simple_tag
def deadline(value, calendar_zone: str = "", fmt: str = "SHORT_DATETIME_FORMAT"):
    if not value:
        return "—"
    try:
        calendar = zoneinfo.ZoneInfo(calendar_zone) if calendar_zone else portal_zone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        calendar = portal_zone()
    viewer = timezone.localtime(value)
    on_calendar = timezone.localtime(value, calendar)
    shown = date_format(viewer, fmt)
    if viewer.utcoffset() == on_calendar.utcoffset():
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), shown)
    return format_html(
        '<time datetime="{}">{}</time> <small class="text-secondary" data-calendar-time>'
        "({} {})</small>",
        value.isoformat(),
        shown,
        date_format(on_calendar, fmt),
        calendar.key,
    )
