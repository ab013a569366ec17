"""What the portal keeps about sign-ins: recovery codes (hashed), invitations,
open sessions and the security audit.

The TOTP factor itself is django-otp's ``TOTPDevice``; the recovery codes are
a django-otp device of ours because django-otp's static device stores its
codes in clear text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

# Recovery codes: 10 characters of an alphabet without look-alikes
# (no 0/o, 1/l/i), about 50 bits each: a fast salted hash is enough.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 10


def normalise_recovery_code(value: str) -> str:
    """``"ABCDE-FGHJK "`` → ``"abcdefghjk"``: what a person may type."""
    return "".join(ch for ch in str(value).lower() if ch.isalnum())


def hash_recovery_code(code: str, *, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{normalise_recovery_code(code)}".encode()).hexdigest()
    return f"{salt}${digest}"


def recovery_code_matches(code: str, stored: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return hmac.compare_digest(hash_recovery_code(code, salt=salt), stored)


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A user's set of single-use recovery codes, stored hashed.

    A code works once: ``verify_token`` marks it used under the device's row
    lock (django-otp loads the device ``select_for_update``). Wrong codes are
    throttled like TOTP codes (exponential back-off).
    """

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        allowed, _data = self.verify_is_allowed()
        if not allowed:
            return False
        code = normalise_recovery_code(token or "")
        if len(code) == RECOVERY_LENGTH:
            for row in self.codes.filter(used_at__isnull=True):
                if recovery_code_matches(code, row.code_hash):
                    row.used_at = timezone.now()
                    row.save(update_fields=["used_at"])
                    self.throttle_reset(commit=True)
                    return True
        self.throttle_increment(commit=True)
        return False

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(
        RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes", verbose_name=_("device")
    )
    code_hash = models.CharField(_("code hash"), max_length=100)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.pk}"


class Invitation(models.Model):
    """An invitation to set a first password through a single-use link.

    The link is derived from the row when the email is sent (never stored);
    it stops working once accepted, once a newer invitation supersedes it,
    once it expires, or when the user is deactivated.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("user"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Re-sending supersedes the previous invitation: one open at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(accepted_at__isnull=True, superseded_at__isnull=True),
                name="accounts_invitation_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.superseded_at is None


class UserSession(models.Model):
    """One signed-in session of a user: what the account page lists and what
    "log out everywhere else", deactivation and a password change end."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_in_sessions",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("open session")
        verbose_name_plural = _("open sessions")
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class SecurityEvent(models.Model):
    """The security audit: append-only, one row per sign-in or account act."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in with the password")
        SECOND_FACTOR_VERIFIED = "second_factor_verified", _("Second factor verified")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong second-factor code")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        FACTOR_ENROLLED = "factor_enrolled", _("Second factor enrolled")
        FACTOR_RESET = "factor_reset", _("Second factor reset by an administrator")
        FACTOR_REMOVED = "factor_removed", _("Second factor removed")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("New recovery codes")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        PASSWORD_RESET = "password_reset", _("Password reset through the emailed link")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        SESSIONS_ENDED = "sessions_ended", _("Other sessions ended")
        SESSION_IDLE = "session_idle", _("Session ended after inactivity")
        DEACTIVATED = "deactivated", _("Account deactivated")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="security_events",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("event"), max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "kind", "-created_at"], name="accounts_event_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"
