"""Activate each user's own language.

Spanish is the portal's default whatever the browser asks for (the team
works in Spanish); a signed-in user's profile language wins, and before
login the language cookie set by the selector on the login page is used.
Runs after ``AuthenticationMiddleware``; ``LocaleMiddleware`` before it
still sets ``Content-Language`` and ``Vary`` on the response.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
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
            return render(request, "400.html", status=400)
        return self.get_response(request)
