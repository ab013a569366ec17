"""The security audit: one append-only row per sign-in or account act."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from pae_ops.accounts.models import SecurityEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as django-axes resolves it (trusted proxies only)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def client_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


def record_event(
    *,
    user: AbstractBaseUser,
    kind: str,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Append one security event (who, what, when, from where)."""
    return SecurityEvent.objects.create(
        user=user,
        kind=kind,
        actor=actor,
        ip_address=client_ip(request),
        user_agent=client_agent(request),
        detail=detail[:300],
    )
