"""Signed-in sessions: recorded at login, ended by "log out everywhere else",
a password change or reset, a deactivation, a factor reset, or idleness."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pae_ops.accounts.models import SecurityEvent, UserSession
from pae_ops.accounts.services.audit import client_agent, client_ip, record_event
from pae_ops.roles import Role, require_role

User = get_user_model()


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def record_session(*, request: HttpRequest, user: AbstractBaseUser) -> UserSession | None:
    """Keep the session that ``login()`` just opened for the account page."""
    key = request.session.session_key
    if not key:
        return None
    now = timezone.now()
    row, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip_address": client_ip(request),
            "user_agent": client_agent(request),
        },
    )
    return row


def forget_session(*, session_key: str | None) -> None:
    """The session ended (logout, idleness): drop its row."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def rekey_session(*, old_key: str | None, new_key: str | None) -> None:
    """Django cycled the session key (password change): keep the same row."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def touch_session(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).update(last_seen_at=timezone.now())


@transaction.atomic
def end_sessions(*, user: AbstractBaseUser, keep_session_key: str | None = None) -> int:
    """End every session of ``user`` but ``keep_session_key``; return how many.

    Each session is deleted from the session store, so the browser holding
    it is signed out at its next request (whatever else Django checks).
    """
    rows = UserSession.objects.select_for_update().filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def end_other_sessions(*, request: HttpRequest) -> int:
    """ "Log out everywhere else": end the user's sessions but this one."""
    count = end_sessions(user=request.user, keep_session_key=request.session.session_key)
    record_event(
        user=request.user,
        kind=SecurityEvent.Kind.SESSIONS_ENDED,
        request=request,
        actor=request.user,
        detail=str(count),
    )
    return count


@transaction.atomic
def deactivate_user(
    *, actor: AbstractBaseUser, user_id: int, request: HttpRequest | None = None
) -> AbstractBaseUser:
    """Deactivate a login and end all its sessions at once. Rules: ROLE-1 (admins)."""
    require_role(actor, Role.ADMIN)
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    end_sessions(user=user)
    record_event(user=user, kind=SecurityEvent.Kind.DEACTIVATED, request=request, actor=actor)
    return user


def user_deactivated(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, request: HttpRequest | None = None
) -> None:
    """The admin form just saved ``is_active=False``: end the sessions, audit it."""
    end_sessions(user=user)
    record_event(user=user, kind=SecurityEvent.Kind.DEACTIVATED, request=request, actor=actor)
