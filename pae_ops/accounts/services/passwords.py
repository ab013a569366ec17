"""Password reset and change: what happens around Django's own views."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from pae_ops.accounts.emails import queue_account_email
from pae_ops.accounts.models import SecurityEvent
from pae_ops.accounts.services.audit import record_event
from pae_ops.accounts.services.sessions import end_sessions, rekey_session


def request_password_reset(*, user: AbstractBaseUser, request: HttpRequest | None = None) -> None:
    """Queue the reset email of one active user (the outbox sends it).

    The caller answers the same whether or not an account matched, so the
    page reveals nothing about which emails exist.
    """
    record_event(user=user, kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, request=request)
    queue_account_email(kind="password_reset", user=user, object_id=user.pk)


def password_was_reset(*, user: AbstractBaseUser, request: HttpRequest | None = None) -> None:
    """A reset link set a new password: every session of the user ends."""
    from axes.utils import reset as axes_reset

    end_sessions(user=user)
    # A lock from wrong passwords ends with the new one.
    axes_reset(username=user.get_username())
    record_event(user=user, kind=SecurityEvent.Kind.PASSWORD_RESET, request=request)


def password_was_changed(*, request: HttpRequest, old_session_key: str | None) -> None:
    """The user changed their password on the account page: this session
    stays (Django re-keyed it), every other one ends."""
    rekey_session(old_key=old_session_key, new_key=request.session.session_key)
    end_sessions(user=request.user, keep_session_key=request.session.session_key)
    record_event(
        user=request.user,
        kind=SecurityEvent.Kind.PASSWORD_CHANGED,
        request=request,
        actor=request.user,
    )
