import pytest
from django.urls import reverse

from pae_ops.models import Notification, Profile
from pae_ops.roles import Role
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}

# Which role may open which page (ROLE-1); everyone else gets 403.
PAGE_ROLES = {
    "my-work": {Role.AGENT, Role.LEADER},
    # The director reads every team (RULES, Roles).
    "team": {Role.LEADER, Role.DIRECTOR},
    "direction": {Role.DIRECTOR},
    "partner-approvals": {Role.PARTNER_APPROVER},
    "health": {Role.ADMIN},
}

HOMES = {
    Role.AGENT: "my-work",
    Role.LEADER: "team",
    Role.DIRECTOR: "direction",
    Role.ADMIN: "health",
    Role.PARTNER_APPROVER: "partner-approvals",
}


def make_user(role: Role):
    return UserFactory(**{ROLE_TRAITS[role]: True})


@pytest.mark.parametrize("url_name", ["home", *PAGE_ROLES, "notifications"])
def test_every_page_requires_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_open_and_in_spanish_by_default(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()
    assert "Iniciar sesión" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url_name", list(PAGE_ROLES))
def test_role_matrix(client, role, url_name):
    """RULES: ROLE-1. Each page answers 200 to its roles and 403 to the others."""
    client.force_login(make_user(role))
    response = client.get(reverse(url_name))
    expected = 200 if role in PAGE_ROLES[url_name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role", list(Role))
def test_landing_page_sends_each_role_home(client, role):
    client.force_login(make_user(role))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(HOMES[role])


def test_landing_page_refuses_a_user_without_role(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "No puede abrir esta página" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_each_role_its_own_entries(client, role):
    from pae_ops.navigation import NAV_ITEMS

    client.force_login(make_user(role))
    page = client.get(reverse(HOMES[role])).content.decode()
    for item in NAV_ITEMS:
        shown = f'data-nav="{item.key}"' in page
        assert shown == (role in item.roles), item.key


def test_partner_approver_cannot_open_the_admin(client):
    """RULES: ROLE-1"""
    client.force_login(make_user(Role.PARTNER_APPROVER))
    response = client.get("/admin/")
    assert response.status_code == 302  # to the admin login: not staff


def test_team_page_lists_only_the_leaders_team(client, django_assert_max_num_queries):
    leader, other_leader = make_user(Role.LEADER), make_user(Role.LEADER)
    mine = UserFactory(agent=True, profile__leader=leader)
    theirs = UserFactory(agent=True, profile__leader=other_leader)
    client.force_login(leader)
    with django_assert_max_num_queries(16):  # the board's budget (kpis.homes)
        page = client.get(reverse("team")).content.decode()
    assert mine.username in page
    assert theirs.username not in page


def test_team_page_query_count_does_not_grow_with_the_team(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = make_user(Role.LEADER)
    client.force_login(leader)
    client.get(reverse("team"))  # warm-up: the first request writes the session

    counts = []
    for size in (3, 30):
        while leader.team_profiles.count() < size:
            UserFactory(agent=True, profile__leader=leader)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("team")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 16


def test_the_director_reads_every_team_on_the_team_page(client, django_assert_max_num_queries):
    """RULES: ROLE-1. The director reads everything: every leader's team,
    in a fixed number of queries, each linking to its board."""
    leaders = [make_user(Role.LEADER), make_user(Role.LEADER)]
    members = [UserFactory(agent=True, profile__leader=leader) for leader in leaders]
    client.force_login(make_user(Role.DIRECTOR))
    client.get(reverse("team"))  # warm-up: the first request writes the session
    with django_assert_max_num_queries(9):
        page = client.get(reverse("team")).content.decode()
    for leader, member in zip(leaders, members, strict=True):
        assert f'data-leader="{leader.pk}"' in page
        assert member.username in page
        assert f"/cases/board/?leader={leader.pk}" in page


def test_direction_page_counts_each_team(client):
    leader = make_user(Role.LEADER)
    UserFactory.create_batch(2, agent=True, profile__leader=leader)
    client.force_login(make_user(Role.DIRECTOR))
    response = client.get(reverse("direction"))
    teams = {team.leader.pk: team.size for team in response.context["home"].teams}
    assert teams[leader.pk] == 2


def test_language_switch_keeps_the_choice_on_the_profile(client):
    user = make_user(Role.AGENT)
    client.force_login(user)
    response = client.post(reverse("set-language"), {"language": "en", "next": "/my-work/"})
    assert response.status_code == 302
    assert Profile.objects.get(user=user).language == "en"
    page = client.get(reverse("my-work")).content.decode()
    assert 'lang="en"' in page
    assert "My work" in page


def test_language_switch_refuses_an_unknown_language_and_changes_nothing(client):
    user = make_user(Role.AGENT)
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "xx"})
    assert Profile.objects.get(user=user).language == "es"


def test_language_switch_ignores_an_offsite_next(client):
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("set-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_language_switch_works_before_login(client):
    response = client.post(reverse("set-language"), {"language": "en", "next": "/login/"})
    assert response.cookies["pae_ops_language"].value == "en"
    assert 'lang="en"' in client.get(reverse("login")).content.decode()


def test_the_users_language_wins_over_the_cookie(client):
    user = UserFactory(agent=True, profile__language="en")
    client.cookies["pae_ops_language"] = "es"
    client.force_login(user)
    assert 'lang="en"' in client.get(reverse("my-work")).content.decode()


@pytest.mark.parametrize(
    ("language", "text"), [("es", "Página no encontrada"), ("en", "Page not found")]
)
def test_404_page_in_both_languages(client, language, text):
    client.force_login(UserFactory(agent=True, profile__language=language))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


def test_500_page_renders_without_the_database(rf):
    from pae_ops.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert b"500" in response.content


def test_bell_shows_the_unread_count_and_marking_read_clears_it(client):
    user = make_user(Role.AGENT)
    NotificationFactory.create_batch(2, recipient=user)
    client.force_login(user)
    page = client.get(reverse("notifications")).content.decode()
    assert 'text-bg-danger">2' in page
    client.post(reverse("notifications-read"))
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


@pytest.mark.parametrize("value", ["abc", "", "1.5", "-3", "9" * 30])
def test_marking_a_bad_notification_id_read_answers_400_and_changes_nothing(client, value):
    """A bad id never falls back to "mark all": 400 with a message, all unread."""
    user = make_user(Role.AGENT)
    NotificationFactory.create_batch(2, recipient=user)
    client.force_login(user)
    response = client.post(reverse("notifications-read"), {"id": value})
    assert response.status_code == 400
    assert 'data-testid="bad-request-message"' in response.content.decode()
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 2


def test_marking_someone_elses_notification_read_answers_400(client):
    user, other = make_user(Role.AGENT), make_user(Role.AGENT)
    mine = NotificationFactory(recipient=user)
    theirs = NotificationFactory(recipient=other)
    client.force_login(user)
    response = client.post(reverse("notifications-read"), {"id": [mine.pk, theirs.pk]})
    assert response.status_code == 400
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_marking_one_notification_read_leaves_the_others(client):
    user = make_user(Role.AGENT)
    first, second = NotificationFactory.create_batch(2, recipient=user)
    client.force_login(user)
    response = client.post(reverse("notifications-read"), {"id": first.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_notifications_are_paginated(client):
    user = make_user(Role.AGENT)
    NotificationFactory.create_batch(30, recipient=user)
    client.force_login(user)
    response = client.get(reverse("notifications"))
    assert len(response.context["page_obj"].object_list) == 25
    assert response.context["page_obj"].paginator.num_pages == 2


def test_health_page_shows_the_heartbeat(client):
    from pae_ops.services import record_heartbeat

    record_heartbeat(name="heartbeat", hostname="worker-1")
    client.force_login(make_user(Role.ADMIN))
    page = client.get(reverse("health")).content.decode()
    assert "worker-1" in page


def test_login_is_throttled_after_repeated_failures(client):
    user = make_user(Role.AGENT)
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pae-demo-2026"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_pages_send_a_content_security_policy(client):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
