"""Invitations: an admin creates a login, the person sets their own password
through a single-use link. The admin never sees or sets the password."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pae_ops.accounts.emails import queue_account_email
from pae_ops.accounts.models import Invitation, SecurityEvent
from pae_ops.accounts.services.audit import record_event
from pae_ops.accounts.services.sessions import end_sessions
from pae_ops.accounts.tokens import invitation_token_matches
from pae_ops.errors import DomainError
from pae_ops.roles import Role, require_role

User = get_user_model()


class InvitationLinkInvalidError(Exception):
    """The link was used, replaced, expired, or its user was deactivated."""


@transaction.atomic
def send_invitation(
    *, actor: AbstractBaseUser, user_id: int, request: HttpRequest | None = None
) -> Invitation:
    """Send (or send again) a user an invitation to set their password.

    A new invitation replaces the open one: the earlier link stops working.
    The email goes through the outbox after commit; its link is made when it
    is sent. Rules: ROLE-1 (admins only). Raises DomainError for a user who
    is deactivated or has no email address.
    """
    require_role(actor, Role.ADMIN)
    # Lock the user: two admins re-sending at once leave one open invitation.
    user = User.objects.select_for_update().get(pk=user_id)
    if not user.is_active:
        raise DomainError(_("%(user)s is deactivated: activate the login first.") % {"user": user})
    if not user.email:
        raise DomainError(_("%(user)s has no email address to send it to.") % {"user": user})
    now = timezone.now()
    Invitation.objects.filter(
        user=user, accepted_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=now)
    invitation = Invitation.objects.create(
        user=user,
        sent_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    record_event(user=user, kind=SecurityEvent.Kind.INVITATION_SENT, request=request, actor=actor)
    queue_account_email(kind="invitation", user=user, object_id=invitation.pk)
    return invitation


def get_valid_invitation(*, invitation_id: int, token: str) -> Invitation:
    """The invitation a link names, if the link still works.

    Raises InvitationLinkInvalidError when it was used or replaced, has expired,
    the token is wrong, or the user is deactivated.
    """
    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if (
        invitation is None
        or not invitation.is_open
        or invitation.expires_at <= timezone.now()
        or not invitation.user.is_active
        or not invitation_token_matches(invitation, token)
    ):
        raise InvitationLinkInvalidError
    return invitation


@transaction.atomic
def accept_invitation(
    *, invitation_id: int, token: str, password: str, request: HttpRequest | None = None
) -> AbstractBaseUser:
    """Set the invited user's first password; the link then stops working.

    ``password`` has passed the password validators (``SetPasswordForm``).
    Raises InvitationLinkInvalidError.
    """
    # Lock the invitation: the same link submitted twice sets one password.
    locked = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if locked is None:
        raise InvitationLinkInvalidError
    invitation = get_valid_invitation(invitation_id=invitation_id, token=token)
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    end_sessions(user=user)
    record_event(user=user, kind=SecurityEvent.Kind.INVITATION_ACCEPTED, request=request)
    return user
