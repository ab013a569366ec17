"""The navigation bar's entries: menus, their order, the current page (pae_ops.navigation)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pae_ops.navigation import NAV_GROUPS, NAV_ITEMS, nav_for
from pae_ops.roles import Role
from tests.factories import UserFactory
from tests.pae_ops.test_views import make_user

pytestmark = pytest.mark.django_db


def keys(entries) -> list[str]:
    """The entry keys in the bar's order, a menu's entries in place."""
    out: list[str] = []
    for entry in entries:
        out += [item["key"] for item in entry["items"]] if "group" in entry else [entry["key"]]
    return out


def test_groups_are_named_and_their_entries_stay_together():
    groups = [item.group for item in NAV_ITEMS if item.group]
    assert set(groups) <= set(NAV_GROUPS)
    # Each group's entries are next to each other, so the bar keeps NAV_ITEMS' order.
    runs = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    assert len(runs) == len(set(runs)), runs


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_entries_in_order_with_menus(role):
    """RULES: ROLE-1. The bar offers exactly the role's entries, menus included."""
    entries = nav_for(make_user(role))
    assert keys(entries) == [item.key for item in NAV_ITEMS if role in item.roles]
    for entry in entries:
        if "group" in entry:
            assert len(entry["items"]) > 1, entry  # a menu around one entry is a plain link


def test_the_leaders_bar_has_the_team_and_kpi_menus():
    leader = UserFactory(leader=True)
    entries = nav_for(leader, reverse("cases:board"))
    menus = {entry["group"]: entry for entry in entries if "group" in entry}
    assert set(menus) == {"team", "kpis"}
    assert [item["key"] for item in menus["team"]["items"]] == [
        "team",
        "board",
        "feedback",
        "notices",
    ]
    # The current page marks its entry and its menu.
    assert menus["team"]["active"] is True
    assert menus["kpis"]["active"] is False
    board = next(item for item in menus["team"]["items"] if item["key"] == "board")
    assert board["active"] is True


def test_the_current_page_is_marked_in_the_html(client):
    leader = UserFactory(leader=True)
    client.force_login(leader)
    page = client.get(reverse("cases:board")).content.decode()
    assert f'aria-current="page" href="{reverse("cases:board")}" data-nav="board"' in page
    # The menus open with Bootstrap's bundle (a static file: no inline script under the CSP).
    assert 'data-bs-toggle="dropdown" aria-expanded="false" data-nav-group="team"' in page
    assert "<script>" not in page
