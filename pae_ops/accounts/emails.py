"""Account emails (invitation, password reset) through the portal's one outbox.

``queue_account_email`` writes the email into ``pae_ops.outbox`` in the
caller's transaction; the relay sends it (a broker outage delays it, never
loses it). The link each carries is made by the renderer at send time
(``tokens``), never stored; the renderer runs in the recipient's language
(the relay activates it) and time zone, and skips the email when its link
would already be dead (an invitation replaced before it went out).
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from pae_ops.outbox import Priority, SkipEmail, queue_email, register_renderer

INVITATION = "accounts.invitation"
PASSWORD_RESET = "accounts.password_reset"  # noqa: S105 (an outbox kind)
_KINDS = {"invitation": INVITATION, "password_reset": PASSWORD_RESET}


def queue_account_email(*, kind: str, user, object_id: int) -> None:
    """Queue the ``kind`` email for ``user``; someone is waiting for it (urgent)."""
    outbox_kind = _KINDS[kind]
    queue_email(
        kind=outbox_kind,
        to_user=user,
        context={"object_id": object_id},
        priority=Priority.URGENT,
        # One email per invitation; every reset request gets its own.
        dedupe_key=f"{outbox_kind}:{object_id}" if kind == "invitation" else "",
    )


def register_account_renderers() -> None:
    """Called from ``AccountsConfig.ready``."""
    register_renderer(INVITATION, render_invitation)
    register_renderer(PASSWORD_RESET, render_password_reset)


def _zone(user) -> zoneinfo.ZoneInfo:
    profile = getattr(user, "profile", None)
    name = getattr(profile, "time_zone", "") if profile is not None else ""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _render(template: str, user, context: dict) -> tuple[str, str]:
    with timezone.override(_zone(user)):
        context = {**context, "user": user, "zone": timezone.get_current_timezone_name()}
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        return subject, render_to_string(f"accounts/email/{template}.txt", context)


def render_invitation(row) -> tuple[str, str]:
    from pae_ops.accounts.models import Invitation
    from pae_ops.accounts.tokens import invitation_path

    user = row.to_user
    invitation = (
        Invitation.objects.select_related("user").filter(pk=row.context.get("object_id")).first()
    )
    if invitation is None or not invitation.is_open:
        raise SkipEmail("The invitation was accepted or replaced.")
    if not user.is_active:
        raise SkipEmail("The user is deactivated.")
    if invitation.expires_at <= timezone.now():
        raise SkipEmail("The invitation expired before it was sent.")
    return _render(
        "invitation",
        user,
        {"link": _absolute(invitation_path(invitation)), "expires_at": invitation.expires_at},
    )


def render_password_reset(row) -> tuple[str, str]:
    from pae_ops.accounts.tokens import password_reset_path

    user = row.to_user
    if not user.is_active or not user.has_usable_password():
        raise SkipEmail("The user cannot reset a password.")
    expires_at = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return _render(
        "password_reset",
        user,
        {"link": _absolute(password_reset_path(user)), "expires_at": expires_at},
    )
