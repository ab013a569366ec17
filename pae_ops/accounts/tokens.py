"""The secrets in the links that account emails carry.

Neither link is stored: each is derived when its email is rendered, from
rows that change when the link is used, so a used link stops working.
- Password reset: Django's ``default_token_generator`` (the password hash
  and the last login are in its hash; ``PASSWORD_RESET_TIMEOUT``).
- Invitation: an HMAC of the invitation row and the user's password hash
  and active flag; the row says whether it is still open and when it expires.
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pae_ops.accounts.models import Invitation

_INVITATION_SALT = "pae_ops.accounts.invitation"


def invitation_token(invitation: Invitation) -> str:
    user = invitation.user
    value = (
        f"{invitation.pk}:{user.pk}:{invitation.created_at.timestamp()}:"
        f"{user.password}:{user.is_active}:{invitation.accepted_at}:{invitation.superseded_at}"
    )
    return salted_hmac(_INVITATION_SALT, value, algorithm="sha256").hexdigest()[::2]


def invitation_token_matches(invitation: Invitation, token: str) -> bool:
    return constant_time_compare(invitation_token(invitation), token or "")


def invitation_path(invitation: Invitation) -> str:
    return reverse(
        "accounts:invitation-accept",
        kwargs={"invitation_id": invitation.pk, "token": invitation_token(invitation)},
    )


def password_reset_path(user) -> str:
    return reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
