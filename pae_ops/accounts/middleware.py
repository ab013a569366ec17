"""Sessions and the second factor, checked on every request.

``SessionActivityMiddleware`` (after ``AuthenticationMiddleware``) ends a
session that was idle longer than ``SESSION_IDLE_MINUTES`` and one whose
user was deactivated, and keeps the account page's "last seen" fresh (a
write at most once a minute).

``SecondFactorMiddleware`` (after django-otp's ``OTPMiddleware``) lets a
user who must use a second factor, or who enrolled one, reach nothing but
the enrolment and code pages (and logout, the language switch and the pages
that need no login) until this session is verified.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_SEEN_SESSION_KEY = "accounts_last_seen"
# Seconds between two writes of "last seen" for one session.
TOUCH_EVERY_SECONDS = 60

# Pages a signed-in user whose session still lacks the second factor may open.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:two-factor-setup",
        "accounts:two-factor-verify",
        "logout",
        "set-language",
    }
)


class SessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            ended = self._idle(request)
            if ended is not None:
                return ended
        elif SESSION_KEY in request.session:
            # The session names a user the backend refused: deactivated (or
            # deleted). End it now rather than keep a dead session around.
            request.session.flush()
        return self.get_response(request)

    @staticmethod
    def _idle(request):
        from pae_ops.accounts.models import SecurityEvent
        from pae_ops.accounts.services import record_event, touch_session

        now = int(timezone.now().timestamp())
        last = request.session.get(LAST_SEEN_SESSION_KEY)
        idle_seconds = settings.SESSION_IDLE_MINUTES * 60
        if isinstance(last, int) and idle_seconds > 0 and now - last > idle_seconds:
            user = request.user
            record_event(user=user, kind=SecurityEvent.Kind.SESSION_IDLE, request=request)
            logout(request)
            messages.info(
                request,
                _("Your session ended after %(minutes)d minutes without activity: sign in again.")
                % {"minutes": settings.SESSION_IDLE_MINUTES},
            )
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if not isinstance(last, int) or now - last >= TOUCH_EVERY_SECONDS:
            request.session[LAST_SEEN_SESSION_KEY] = now
            touch_session(session_key=request.session.session_key)
        return None


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from pae_ops.accounts.services import ENROLLED_SESSION_KEY, requires_second_factor

        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        enrolled = request.session.get(ENROLLED_SESSION_KEY)
        if enrolled is None:
            from pae_ops.accounts.services import remember_enrolment

            enrolled = remember_enrolment(request=request)
        if not enrolled and not requires_second_factor(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not getattr(view_func, "login_required", True):
            # Pages that need no login (survey links, password reset) stay open.
            return None
        target = reverse("accounts:two-factor-verify" if enrolled else "accounts:two-factor-setup")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
