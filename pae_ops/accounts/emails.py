"""Account emails (invitation, password reset): queued, rendered when sent.

``queue_account_email`` is the one place these emails leave from. The link
each carries is made by the renderer at send time (``tokens``), never
stored; the renderer runs in the recipient's language and time zone and
returns nothing when the link would already be dead (an invitation replaced
before its email went out), so no stale link is mailed.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

User = get_user_model()


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


def queue_account_email(*, kind: str, user, object_id: int) -> None:
    """Queue the ``kind`` email for ``user`` (after the caller's commit)."""
    transaction.on_commit(partial(_deliver, kind, user.pk, object_id))


def _deliver(kind: str, user_id: int, object_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    email = render_account_email(kind, user=user, object_id=object_id)
    if email is None:
        return
    try:
        send_mail(email.subject, email.body, None, [user.email])
    except Exception:  # an SMTP outage must not break the page that queued it
        logger.exception("Could not send the %s email.", kind)


def render_account_email(kind: str, *, user, object_id: int) -> RenderedEmail | None:
    """The subject and text of an account email, or None when it must not go."""
    renderer = _RENDERERS[kind]
    language, zone = _preferences(user)
    with translation.override(language), timezone.override(zone):
        return renderer(user, object_id)


def _preferences(user) -> tuple[str, zoneinfo.ZoneInfo]:
    from pae_ops.models import Profile

    row = Profile.objects.filter(user=user).values_list("language", "time_zone").first()
    language = (row[0] if row else "") or settings.LANGUAGE_CODE
    try:
        zone = zoneinfo.ZoneInfo(row[1]) if row and row[1] else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return language, zone


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _render_invitation(user, invitation_id: int) -> RenderedEmail | None:
    from pae_ops.accounts.models import Invitation
    from pae_ops.accounts.tokens import invitation_path

    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or not user.is_active:
        return None
    if invitation.expires_at <= timezone.now():
        return None
    context = {
        "user": user,
        "link": _absolute(invitation_path(invitation)),
        "expires_at": invitation.expires_at,
        "zone": timezone.get_current_timezone_name(),
    }
    return RenderedEmail(
        subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
        body=render_to_string("accounts/email/invitation.txt", context),
    )


def _render_password_reset(user, _object_id: int) -> RenderedEmail | None:
    from datetime import timedelta

    from pae_ops.accounts.tokens import password_reset_path

    if not user.is_active or not user.has_usable_password():
        return None
    context = {
        "user": user,
        "link": _absolute(password_reset_path(user)),
        "expires_at": timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        "zone": timezone.get_current_timezone_name(),
    }
    return RenderedEmail(
        subject=render_to_string("accounts/email/password_reset_subject.txt", context).strip(),
        body=render_to_string("accounts/email/password_reset.txt", context),
    )


_RENDERERS = {"invitation": _render_invitation, "password_reset": _render_password_reset}
