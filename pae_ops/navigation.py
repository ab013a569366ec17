"""The navigation bar: which entries each role sees.

Each app adds its entries here as it grows; an entry is shown when the user
holds one of its roles. The same role sets guard the views (ROLE-1), so the
bar never offers a page that would answer 403.

Entries that share a ``group`` are shown as one dropdown menu (``NAV_GROUPS``
names them), so that every role's bar fits on one line at 1280 px; a group
with a single entry for a role is shown as a plain link. A group's entries
stay next to each other in ``NAV_ITEMS`` (the bar keeps that order). The
``help`` group is the place for the policies page and other reference pages;
``docs/ui.md`` describes the bar.
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
    group: str = ""


# The dropdown menus of the bar, in no particular order (NAV_ITEMS orders them).
NAV_GROUPS: dict[str, str | Promise] = {
    "team": _("Team"),
    "kpis": _("KPIs"),
    "help": _("Help"),
}

ALL_STAFF = frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN})

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("my-work", _("My work"), "my-work", frozenset({Role.AGENT, Role.LEADER})),
    NavItem(
        "clients", _("Clients"), "clients:list", frozenset({Role.AGENT, Role.LEADER, Role.DIRECTOR})
    ),
    NavItem("team", _("My team"), "team", frozenset({Role.LEADER}), group="team"),
    NavItem("board", _("Team board"), "cases:board", frozenset({Role.LEADER}), group="team"),
    # COM-3: the weekly review of the team's survey answers.
    NavItem(
        "feedback", _("Feedback"), "cases:feedback-review", frozenset({Role.LEADER}), group="team"
    ),
    # COM-4: notices of service and price changes to clients.
    NavItem(
        "notices", _("Change notices"), "cases:notices", frozenset({Role.LEADER}), group="team"
    ),
    # REF-5, REF-6: duplicated credits and refunds awaiting a leader.
    NavItem("refund-approvals", _("Approvals"), "refunds:leader-queue", frozenset({Role.LEADER})),
    NavItem("direction", _("Direction"), "direction", frozenset({Role.DIRECTOR})),
    # KPI-1..KPI-8: the dashboard (a leader's counts their team); the team view.
    NavItem(
        "kpis",
        _("KPI dashboard"),
        "kpis:dashboard",
        frozenset({Role.LEADER, Role.DIRECTOR}),
        group="kpis",
    ),
    NavItem(
        "team-kpis",
        _("Team KPIs"),
        "kpis:team",
        frozenset({Role.LEADER, Role.DIRECTOR}),
        group="kpis",
    ),
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
    # The playbook's policies with the values in force (policies.views).
    NavItem("policies", _("Policies"), "policies:index", ALL_STAFF, group="help"),
)


def nav_for(user, path: str = "") -> list[dict[str, object]]:
    """The bar's entries for ``user``, in ``NAV_ITEMS`` order.

    Each entry is a link (``key``, ``label``, ``url``, ``active``) or a
    dropdown (``group``, ``label``, ``items``: links, ``active``); ``path`` is
    the current page's, which marks its link and group active.
    """
    roles = user_roles(user)
    entries: list[dict[str, object]] = []
    groups: dict[str, dict[str, object]] = {}
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        url = reverse(item.url_name)
        link = {"key": item.key, "label": str(item.label), "url": url, "active": url == path}
        if not item.group:
            entries.append(link)
            continue
        if item.group not in groups:
            groups[item.group] = {
                "group": item.group,
                "label": str(NAV_GROUPS[item.group]),
                "items": [],
                "active": False,
            }
            entries.append(groups[item.group])
        group = groups[item.group]
        group["items"].append(link)  # type: ignore[union-attr]
        group["active"] = group["active"] or link["active"]
    # A group of one is a plain link: a menu around one entry is a click for nothing.
    return [
        entry["items"][0] if "group" in entry and len(entry["items"]) == 1 else entry  # type: ignore[index, arg-type]
        for entry in entries
    ]
