"""Reads of the account page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from pae_ops.accounts.models import RecoveryCode, SecurityEvent, UserSession

SIGN_IN_KINDS = (
    SecurityEvent.Kind.SIGNED_IN,
    SecurityEvent.Kind.SECOND_FACTOR_VERIFIED,
    SecurityEvent.Kind.RECOVERY_CODE_USED,
    SecurityEvent.Kind.SECOND_FACTOR_FAILED,
)


@dataclass(frozen=True)
class FactorStatus:
    enrolled: bool
    since: datetime | None
    recovery_codes_left: int


def second_factor_status(user: AbstractBaseUser) -> FactorStatus:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    left = RecoveryCode.objects.filter(device__user=user, used_at__isnull=True).count()
    return FactorStatus(
        enrolled=device is not None,
        since=device.created_at if device is not None else None,
        recovery_codes_left=left,
    )


def list_sessions(user: AbstractBaseUser) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).order_by("-last_seen_at")[:20]


def recent_sign_ins(user: AbstractBaseUser, limit: int = 10) -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.filter(user=user, kind__in=SIGN_IN_KINDS).order_by(
        "-created_at", "-id"
    )[:limit]
