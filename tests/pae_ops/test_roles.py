import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied

from pae_ops.roles import Role, has_role, primary_role, require_role, user_roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_data_migration_creates_every_role_group():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_admin_role_carries_the_admin_site_permissions():
    admin_group = Group.objects.get(name=Role.ADMIN.value)
    codenames = set(admin_group.permissions.values_list("codename", flat=True))
    assert {"change_user", "change_periodictask", "view_notification"} <= codenames


def test_user_roles_reads_groups_and_caches_them(django_assert_num_queries):
    user = UserFactory(leader=True)
    with django_assert_num_queries(1):
        assert user_roles(user) == {Role.LEADER}
        assert has_role(user, Role.LEADER, Role.DIRECTOR)


def test_anonymous_and_inactive_users_hold_no_role():
    user = UserFactory(agent=True, is_active=False)
    assert user_roles(AnonymousUser()) == frozenset()
    assert user_roles(user) == frozenset()


def test_superuser_holds_staff_roles_but_not_partner_approver():
    user = UserFactory(is_superuser=True)
    assert Role.ADMIN in user_roles(user)
    assert Role.PARTNER_APPROVER not in user_roles(user)


def test_require_role_refuses_other_roles():
    """RULES: ROLE-1"""
    approver = UserFactory(partner_approver=True)
    with pytest.raises(PermissionDenied):
        require_role(approver, Role.AGENT, Role.LEADER)


def test_primary_role_prefers_the_most_senior():
    user = UserFactory(roles=[Role.AGENT, Role.LEADER])
    assert primary_role(user) == Role.LEADER
