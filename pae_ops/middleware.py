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
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


class RejectNulBytesMiddleware:
    """Answer 400 with a message when the URL carries a NUL byte.

    PostgreSQL text cannot hold NUL (0x00): a query-string value that reaches
    the ORM unchecked (a filter, a search box, an admin change list's field
    lookups) would end in a ``DataError`` and a 500. Form fields refuse NUL on
    their own (Django's ``CharField`` validator, tested for every form in
    ``tests/pae_ops/test_nul_bytes.py``) and show the message beside the field,
    so POST bodies are left to the forms; the CSV import checks every cell.
    Runs after ``UserLanguageMiddleware`` so that the page is in the user's
    language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = _(
                "The address contains a null character, which no field accepts. "
                "Remove it and try again."
            )
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
