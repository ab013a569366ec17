"""The navigation bar: which entries each role sees.

Each app adds its entries here as it grows; an entry is shown when the user
holds one of its roles. The same role sets guard the views (ROLE-1), so the
bar never offers a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pae_ops.roles import Role, user_roles


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[Role]


ALL_STAFF = frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN})

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("my-work", _("My work"), "my-work", frozenset({Role.AGENT, Role.LEADER})),
    NavItem(
        "clients", _("Clients"), "clients:list", frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR})
    ),
    NavItem("team", _("My team"), "team", frozenset({Role.LEADER})),
    NavItem("board", _("Team board"), "cases:board", frozenset({Role.LEADER})),
    # COM-3: the weekly review of the team's survey answers.
    NavItem("feedback", _("Feedback"), "cases:feedback-review", frozenset({Role.LEADER})),
    # COM-4: notices of service and price changes to clients.
    NavItem("notices", _("Change notices"), "cases:notices", frozenset({Role.LEADER})),
    # REF-5, REF-6: duplicated credits and refunds awaiting a leader.
    NavItem("refund-approvals", _("Approvals"), "refunds:leader-queue", frozenset({Role.LEADER})),
    NavItem("direction", _("Direction"), "direction", frozenset({Role.DIRECTOR})),
    # KPI-1..KPI-8: the dashboard (a leader's counts their team); the team view.
    NavItem("kpis", _("KPIs"), "kpis:dashboard", frozenset({Role.LEADER, Role.DIRECTOR})),
    NavItem("team-kpis", _("Team KPIs"), "kpis:team", frozenset({Role.LEADER, Role.DIRECTOR})),
    # REF-3, REF-8: frequent-refund and outside-terms requests.
    NavItem(
        "director-queue", _("Director queue"), "refunds:director-queue", frozenset({Role.DIRECTOR})
    ),
    NavItem(
        "partners",
        _("Partners"),
        "partners:directory",
        frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN}),
    ),
    NavItem(
        "partner-approvals",
        _("My approvals"),
        "partner-approvals",
        frozenset({Role.PARTNER_APPROVER}),
    ),
    NavItem("health", _("System health"), "health", frozenset({Role.ADMIN})),
    NavItem("admin", _("Administration"), "admin:index", frozenset({Role.ADMIN})),
)


def nav_for(user) -> list[dict[str, str]]:
    roles = user_roles(user)
    return [
        {"key": item.key, "label": str(item.label), "url": reverse(item.url_name)}
        for item in NAV_ITEMS
        if roles & item.roles
    ]
