"""The two time zones of the portal: the user's, and the calendar's.

Pages and emails show times in the user's zone (the profile's time zone,
activated per request by ``pae_ops.middleware``). Business rules that count
days — "today" for a payment date or a refund window, a month of typing
compliance, a week of survey answers, a KPI day — use the calendar's zone
(``TIME_ZONE``, America/Mexico_City by default, the zone of the default
business calendar), whoever is signed in, so that a rule never changes with
the viewer. Use :func:`portal_today` instead of ``timezone.localdate()`` in
such code.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.functional import lazy


def portal_zone() -> zoneinfo.ZoneInfo:
    """The zone days are counted in: ``settings.TIME_ZONE``."""
    return timezone.get_default_timezone()


def portal_today(now: datetime | None = None) -> date:
    """Today's date (or ``now``'s) in the calendar's zone, never the viewer's."""
    return timezone.localdate(now or timezone.now(), portal_zone())


def portal_localtime(value: datetime | None = None) -> datetime:
    """``value`` (default: now) on the calendar's wall clock."""
    return timezone.localtime(value or timezone.now(), portal_zone())


def user_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone a profile names; the portal's when blank or unknown."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return portal_zone()


def _shown(value: datetime, fmt: str) -> str:
    return formats.date_format(timezone.localtime(value), fmt)


# For notification texts: formatted when the text is rendered for its
# recipient (``notify`` renders each row in the recipient's language and
# zone), so a time in a notification or its email reads on their clock.
local_datetime_lazy = lazy(lambda value, fmt="SHORT_DATETIME_FORMAT": _shown(value, fmt), str)
