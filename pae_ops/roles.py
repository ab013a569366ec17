"""Roles and teams: the one place that views, services and tests read.

Roles are Django groups created by the ``pae_ops`` data migration. A user's
roles are read once per request and cached on the user object, so that the
navigation bar, the views and the services agree without extra queries.
Rules: ROLE-1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Role(StrEnum):
    """Group names; the values are stored in ``auth_group.name``."""

    AGENT = "Agent"
    LEADER = "Leader"
    DIRECTOR = "Director"
    ADMIN = "Admin"
    PARTNER_APPROVER = "Partner approver"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.AGENT: _("Agent"),
    Role.LEADER: _("Leader"),
    Role.DIRECTOR: _("Director"),
    Role.ADMIN: _("Admin"),
    Role.PARTNER_APPROVER: _("Partner approver"),
}

# Roles that work inside the portal (partner approvers only see their own
# pending approvals and nothing else).
STAFF_ROLES = frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN})
# Roles that may read every client and case.
READ_ALL_ROLES = frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR})

_CACHE_ATTR = "_pae_ops_roles"


def user_roles(user: AnyUser | None) -> frozenset[Role]:
    """Return the roles of ``user`` (empty for anonymous users).

    A superuser holds every staff role but never the partner approver one,
    which would narrow what they see.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    roles = frozenset(role for role in Role if role.value in names)
    if user.is_superuser:
        roles = roles | STAFF_ROLES
    setattr(user, _CACHE_ATTR, roles)
    return roles


def has_role(user: AnyUser | None, *roles: Role) -> bool:
    """True when ``user`` holds at least one of ``roles``."""
    return bool(user_roles(user) & set(roles))


def require_role(user: AnyUser | None, *roles: Role) -> None:
    """Raise ``PermissionDenied`` unless ``user`` holds one of ``roles``. Rules: ROLE-1."""
    if not has_role(user, *roles):
        raise PermissionDenied


def primary_role(user: AnyUser | None) -> Role | None:
    """The role whose home page the landing page opens, most senior first."""
    roles = user_roles(user)
    for role in (Role.DIRECTOR, Role.LEADER, Role.AGENT, Role.ADMIN, Role.PARTNER_APPROVER):
        if role in roles:
            return role
    return None


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: 403 unless the user holds one of ``roles``. Rules: ROLE-1."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request, *args: Any, **kwargs: Any):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RoleRequiredMixin:
    """Class-based view counterpart of :func:`role_required`."""

    required_roles: Iterable[Role] = ()

    def dispatch(self, request, *args: Any, **kwargs: Any):
        require_role(request.user, *self.required_roles)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
