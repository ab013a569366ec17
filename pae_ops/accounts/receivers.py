"""Django's auth signals → the account records (sessions, audit).

Plumbing only: each receiver calls one service. ``force_login`` in tests
fires ``user_logged_in`` too, so the suite's sessions are recorded the same.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from pae_ops.accounts.middleware import LAST_SEEN_SESSION_KEY
from pae_ops.accounts.models import SecurityEvent
from pae_ops.accounts.services import (
    forget_session,
    record_event,
    record_session,
    remember_enrolment,
)


@receiver(user_logged_in, dispatch_uid="accounts_user_logged_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[LAST_SEEN_SESSION_KEY] = int(timezone.now().timestamp())
    record_session(request=request, user=user)
    # ``login()`` has set request.user already.
    request.user = user
    remember_enrolment(request=request)
    record_event(user=user, kind=SecurityEvent.Kind.SIGNED_IN, request=request)


@receiver(user_logged_out, dispatch_uid="accounts_user_logged_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        forget_session(session_key=request.session.session_key)
