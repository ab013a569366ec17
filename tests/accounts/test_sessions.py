"""Sessions: idle timeout, deactivation, "log out everywhere else", the
account page's sessions and sign-ins, and the admins' view of failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pae_ops.accounts import services
from pae_ops.accounts.models import SecurityEvent, UserSession
from tests.accounts.helpers import password_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def _signed_out(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_deactivating_a_user_ends_their_open_session_at_the_next_request(client):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    assert client.get(reverse("my-work")).status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert _signed_out(client.get(reverse("my-work")))
    # The dead session is gone from the store, not only refused.
    assert SESSION_KEY not in client.session


def test_deactivation_from_the_admin_ends_every_session_and_is_audited(client):
    admin = UserFactory(admin=True, is_superuser=True)
    agent = UserFactory(agent=True)
    browser = Client()
    browser.force_login(agent)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_and_sign_out", "_selected_action": [agent.pk]},
    )
    assert response.status_code == 302
    assert not UserSession.objects.filter(user=agent).exists()
    assert _signed_out(browser.get(reverse("my-work")))
    assert SecurityEvent.objects.filter(user=agent, kind="deactivated", actor=admin).exists()


def test_idle_timeout_ends_the_session(client, clock, settings):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    assert client.get(reverse("my-work")).status_code == 200
    clock.now += timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1)
    assert client.get(reverse("my-work")).status_code == 200  # activity keeps it alive
    clock.now += timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1)
    assert client.get(reverse("my-work")).status_code == 200
    clock.now += timedelta(minutes=settings.SESSION_IDLE_MINUTES + 1)
    response = client.get(reverse("my-work"))
    assert _signed_out(response)
    assert SESSION_KEY not in client.session
    assert SecurityEvent.objects.filter(user=agent, kind="session_idle").exists()


def test_log_out_everywhere_else_keeps_only_this_session(client):
    agent = UserFactory(agent=True)
    laptop, phone = Client(), Client()
    laptop.force_login(agent)
    phone.force_login(agent)
    client.force_login(agent)
    assert UserSession.objects.filter(user=agent).count() == 3
    response = client.post(reverse("accounts:sessions-end-others"))
    assert response.status_code == 302
    assert _signed_out(laptop.get(reverse("my-work")))
    assert _signed_out(phone.get(reverse("my-work")))
    assert client.get(reverse("my-work")).status_code == 200
    assert list(UserSession.objects.filter(user=agent).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(client):
    agent = UserFactory(agent=True)
    other = Client()
    password_login(other, agent)
    password_login(client, agent)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "pae-demo-2026",
            "new_password1": "Otra-clave-segura-91",
            "new_password2": "Otra-clave-segura-91",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("my-work")).status_code == 200
    assert _signed_out(other.get(reverse("my-work")))
    assert UserSession.objects.filter(user=agent).count() == 1
    assert SecurityEvent.objects.filter(user=agent, kind="password_changed").exists()


def test_password_change_applies_the_password_validators(client):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "pae-demo-2026", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password("pae-demo-2026")


def test_account_page_shows_last_login_sessions_and_recent_sign_ins(
    client, django_assert_max_num_queries
):
    agent = UserFactory(agent=True)
    password_login(Client(), agent)  # another browser
    password_login(client, agent)
    client.get(reverse("accounts:account"))  # warm-up: the first request writes the session
    with django_assert_max_num_queries(14):
        page = client.get(reverse("accounts:account")).content.decode()
    assert page.count('data-session="current"') == 1
    assert page.count('data-session="other"') == 1
    assert page.count('data-event="signed_in"') == 2
    agent.refresh_from_db()
    assert 'data-testid="last-login"' in page
    assert "Cerrar sesión en todos los demás" in page


def test_account_page_saves_the_time_zone(client):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    client.post(reverse("accounts:time-zone"), {"time_zone": "Europe/Madrid"})
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == "Europe/Madrid"
    client.post(reverse("accounts:time-zone"), {"time_zone": "Mars/Olympus"})
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone == "Europe/Madrid"


def test_failed_and_locked_sign_ins_are_visible_to_admins(client, settings):
    from axes.models import AccessAttempt, AccessFailureLog

    agent = UserFactory(agent=True)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        password_login(Client(), agent, password="wrong-password")
    assert (
        AccessFailureLog.objects.filter(username=agent.username).count()
        == settings.AXES_FAILURE_LIMIT
    )
    assert AccessAttempt.objects.filter(username=agent.username).exists()
    # An Admin (not a superuser: the role's own permissions) opens both lists.
    client.force_login(UserFactory(admin=True))
    assert client.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 200
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200
    assert agent.username in page.content.decode()
    assert client.get(reverse("admin:accounts_securityevent_changelist")).status_code == 200


def test_the_audit_cannot_be_edited_in_the_admin(client):
    agent = UserFactory(agent=True)
    event = services.record_event(user=agent, kind=SecurityEvent.Kind.SIGNED_IN)
    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.post(
        reverse("admin:accounts_securityevent_change", args=[event.pk]), {"kind": "deactivated"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.kind == "signed_in"
