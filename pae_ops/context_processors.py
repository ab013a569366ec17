"""Context every page needs: navigation, roles, the notification bell."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from pae_ops.navigation import nav_for
from pae_ops.roles import STAFF_ROLES, user_roles
from pae_ops.selectors import count_unread_notifications


def portal(request) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": SimpleLazyObject(lambda: nav_for(user)),
        "user_role_names": SimpleLazyObject(
            lambda: sorted(role.label for role in user_roles(user))
        ),
        "unread_notifications": SimpleLazyObject(lambda: count_unread_notifications(user)),
        # The navigation bar's search box (every staff role; cases.search).
        "can_search": SimpleLazyObject(lambda: bool(user_roles(user) & STAFF_ROLES)),
        # The Políticas page's link beside the user's name (policies.views).
        "can_read_policies": SimpleLazyObject(lambda: bool(user_roles(user) & STAFF_ROLES)),
    }
