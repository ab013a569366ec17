"""The second factor: TOTP enrolment, verification at sign-in, recovery codes,
and the admins' reset.

Who must use it (``requires_second_factor``): Admins, Directors, Leaders and
Partner approvers — the roles that approve money or change settings — while
``TWO_FACTOR_REQUIRED`` is on (always in production), and agents too when
``TWO_FACTOR_REQUIRED_FOR_AGENTS`` is on. Anyone who enrolled is asked for a
code at every sign-in. Wrong codes are throttled twice: the device backs off
exponentially (django-otp), and each wrong code counts as a failed sign-in
for django-axes, which locks the login like wrong passwords do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from pae_ops.accounts.models import (
    RECOVERY_ALPHABET,
    RECOVERY_LENGTH,
    RecoveryCode,
    RecoveryCodeDevice,
    SecurityEvent,
    hash_recovery_code,
)
from pae_ops.accounts.services.audit import record_event
from pae_ops.accounts.services.sessions import end_sessions
from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, require_role

User = get_user_model()

# Session flag: does this session's user have a confirmed TOTP factor? Set at
# login and at enrolment, so that the middleware asks no query per request.
ENROLLED_SESSION_KEY = "accounts_otp_enrolled"
MONEY_AND_SETTINGS_ROLES = (Role.ADMIN, Role.DIRECTOR, Role.LEADER, Role.PARTNER_APPROVER)


class SignInLockedError(Exception):
    """Too many failed sign-ins (password or codes): django-axes locked the login."""


def requires_second_factor(user: AbstractBaseUser) -> bool:
    """True when ``user``'s roles must sign in with a second factor (settings)."""
    if not user.is_authenticated:
        return False
    if settings.TWO_FACTOR_REQUIRED and has_role(user, *MONEY_AND_SETTINGS_ROLES):
        return True
    return bool(settings.TWO_FACTOR_REQUIRED_FOR_AGENTS) and has_role(user, Role.AGENT)


def has_confirmed_totp(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remember_enrolment(*, request: HttpRequest) -> bool:
    """Store in the session whether the signed-in user has a factor (at login)."""
    enrolled = has_confirmed_totp(request.user)
    request.session[ENROLLED_SESSION_KEY] = enrolled
    return enrolled


@transaction.atomic
def start_totp_enrolment(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed TOTP device whose secret the enrolment page shows.

    The same device is offered until it is confirmed, so reloading the page
    keeps the QR code the person may already have scanned.
    """
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk")
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=str(_("Authenticator app")), confirmed=False
        )
    return device


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def confirm_totp_enrolment(*, request: HttpRequest, token: str) -> Enrolment:
    """Confirm the pending TOTP device with a first code from the app.

    On success the device replaces any earlier one, fresh recovery codes are
    issued (shown once, stored hashed), and this session counts as verified.
    Raises DomainError for a wrong code.
    """
    user = request.user
    with transaction.atomic():
        # Lock the pending device: two submissions of one code confirm once.
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise DomainError(_("Start the enrolment again: the page had expired."))
        if not _clean_digits(token) or not device.verify_token(_clean_digits(token)):
            raise DomainError(
                _("That code is not right. Check your phone's clock and type the current code.")
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _issue_recovery_codes(user)
        record_event(
            user=user, kind=SecurityEvent.Kind.FACTOR_ENROLLED, request=request, actor=user
        )
    django_otp.login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    return Enrolment(device=device, recovery_codes=codes)


def renew_recovery_codes(*, request: HttpRequest) -> list[str]:
    """Issue a new set of recovery codes; the old ones stop working."""
    user = request.user
    if not request.user.is_verified():
        raise DomainError(_("Sign in with your second factor first."))
    with transaction.atomic():
        codes = _issue_recovery_codes(user)
        record_event(
            user=user, kind=SecurityEvent.Kind.RECOVERY_CODES_RENEWED, request=request, actor=user
        )
    return codes


def _issue_recovery_codes(user: AbstractBaseUser) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=str(_("Recovery codes")))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(settings.RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=hash_recovery_code(code)) for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _clean_digits(token: str) -> str:
    value = "".join(str(token or "").split())
    return value if value.isdigit() and len(value) in (6, 8) else ""


def verify_second_factor(*, request: HttpRequest, token: str) -> Device:
    """Check a TOTP code (or a recovery code) and mark the session verified.

    A code works once (a TOTP code only at a later time step than the last
    accepted one; a recovery code is spent). Raises DomainError for a wrong
    or throttled code and SignInLockedError when django-axes locked the login (the
    session is then ended).
    """
    user = request.user
    digits = _clean_digits(token)
    device_model: type[Device] = TOTPDevice if digits else RecoveryCodeDevice
    candidate = device_model.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if candidate is None:
        _failed(request, detail="no device")
        raise DomainError(_("That code is not right."))
    allowed, _data = candidate.verify_is_allowed()
    if not allowed:
        _failed(request, detail="throttled")
        raise DomainError(_("Too many wrong codes: wait a minute, then type the current code."))
    # django_otp.verify_token locks the device row while it checks the code.
    device = django_otp.verify_token(user, candidate.persistent_id, digits or token)
    if device is None:
        _failed(request, detail=device_model.__name__)
        raise DomainError(_("That code is not right."))
    django_otp.login(request, device)
    kind = (
        SecurityEvent.Kind.RECOVERY_CODE_USED
        if isinstance(device, RecoveryCodeDevice)
        else SecurityEvent.Kind.SECOND_FACTOR_VERIFIED
    )
    record_event(user=user, kind=kind, request=request, actor=user)
    return device


def _failed(request: HttpRequest, *, detail: str) -> None:
    """A wrong code: audit it, count it as a failed sign-in (axes), lock if due."""
    from axes.handlers.proxy import AxesProxyHandler

    user = request.user
    record_event(
        user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, request=request, detail=detail
    )
    credentials = {"username": user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False) or AxesProxyHandler.is_locked(
        request, credentials
    ):
        logout(request)
        raise SignInLockedError


@transaction.atomic
def remove_second_factor(*, request: HttpRequest) -> None:
    """An agent who needs no second factor removes theirs. Raises DomainError otherwise."""
    user = request.user
    if requires_second_factor(user):
        raise DomainError(_("Your role must sign in with a second factor."))
    if has_confirmed_totp(user) and not user.is_verified():
        raise DomainError(_("Sign in with your second factor first."))
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    request.session[ENROLLED_SESSION_KEY] = False
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    record_event(user=user, kind=SecurityEvent.Kind.FACTOR_REMOVED, request=request, actor=user)


@transaction.atomic
def reset_second_factor(
    *, actor: AbstractBaseUser, user_id: int, request: HttpRequest | None = None
) -> AbstractBaseUser:
    """An admin resets a user's lost factor: the devices and recovery codes go,
    every session of the user ends, and the user enrols again at their next
    sign-in. Audited with the admin's name. Rules: ROLE-1 (admins only).
    """
    require_role(actor, Role.ADMIN)
    # Lock the user: a concurrent enrolment finishes before or after, whole.
    user = User.objects.select_for_update().get(pk=user_id)
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    end_sessions(user=user)
    record_event(user=user, kind=SecurityEvent.Kind.FACTOR_RESET, request=request, actor=actor)
    return user
