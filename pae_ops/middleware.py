"""Activate each user's own language.

Spanish is the portal's default whatever the browser asks for (the team
works in Spanish); a signed-in user's profile language wins, and before
login the language cookie set by the selector on the login page is used.
Runs after ``AuthenticationMiddleware``; ``LocaleMiddleware`` before it
still sets ``Content-Language`` and ``Vary`` on the response.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from pae_ops.models import Profile

SESSION_KEY = "pae_ops_language"


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _language_for(request) -> str:
        available = {code for code, _name in settings.LANGUAGES}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # The profile is read once per session and kept there; the
            # language selector updates both.
            language = request.session.get(SESSION_KEY)
            if language not in available:
                language = (
                    Profile.objects.filter(user=user).values_list("language", flat=True).first()
                    or settings.LANGUAGE_CODE
                )
                request.session[SESSION_KEY] = language
            return language
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        return language if language in available else settings.LANGUAGE_CODE
