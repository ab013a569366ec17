"""Activate each user's own language and time zone.

Spanish is the portal's default whatever the browser asks for (the team
works in Spanish); a signed-in user's profile language wins, and before
login the language cookie set by the selector on the login page is used.
The profile's time zone (blank: the portal's ``TIME_ZONE``) is activated for
the request, so every time a page shows is in the user's zone; business
rules that count days use the calendar's zone explicitly
(``pae_ops.timezones``). Runs after ``AuthenticationMiddleware``;
``LocaleMiddleware`` before it still sets ``Content-Language`` and ``Vary``.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from pae_ops.models import Profile

SESSION_KEY = "pae_ops_language"
TIME_ZONE_SESSION_KEY = "pae_ops_time_zone"


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language, zone = self._preferences_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _preferences_for(request) -> tuple[str, zoneinfo.ZoneInfo | None]:
        available = {code for code, _name in settings.LANGUAGES}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # The profile is read once per session and kept there; the
            # language selector and the account page update both.
            language = request.session.get(SESSION_KEY)
            zone_name = request.session.get(TIME_ZONE_SESSION_KEY)
            if language not in available or zone_name is None:
                row = Profile.objects.filter(user=user).values_list("language", "time_zone").first()
                language = (row[0] if row else "") or settings.LANGUAGE_CODE
                zone_name = row[1] if row else ""
                request.session[SESSION_KEY] = language
                request.session[TIME_ZONE_SESSION_KEY] = zone_name
            return language, _zone(zone_name)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        return (language if language in available else settings.LANGUAGE_CODE), None


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
