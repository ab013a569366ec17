"""Invitations instead of admin-set passwords: single-use links, a newer
invitation kills the older link, deactivated users cannot use one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from pae_ops.accounts import services
from pae_ops.accounts.models import Invitation, SecurityEvent
from pae_ops.errors import DomainError
from tests.accounts.helpers import send_outbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Clave-de-socio-2027"


@pytest.fixture
def admin():
    return UserFactory(admin=True)


def invite(admin, user, _callbacks=None):
    invitation = services.send_invitation(actor=admin, user_id=user.pk)
    send_outbox()
    return invitation


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/account/invitation/\S+/)", message.body).group(1)


def open_link(link, browser=None):
    """Follow the emailed link: it moves the token into the session first."""
    browser = browser or Client()
    return browser, browser.get(link, follow=True)


def accept(link, password=PASSWORD):
    browser, page = open_link(link)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return browser, browser.post(form_url, {"new_password1": password, "new_password2": password})


def invited_user(**kwargs):
    user = UserFactory(partner_approver=True, **kwargs)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def test_the_invitation_link_sets_the_password_once(admin, django_capture_on_commit_callbacks):
    user = invited_user(email="socia@aliado.test")
    invite(admin, user, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["socia@aliado.test"]
    link = link_in(mail.outbox[0])

    _browser, page = open_link(link)
    assert page.status_code == 200
    assert "/set-password/" in page.redirect_chain[-1][0]
    browser, response = accept(link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The person is signed in right away.
    assert browser.get(reverse("partner-approvals")).status_code == 200
    assert SecurityEvent.objects.filter(user=user, kind="invitation_accepted").exists()
    assert Invitation.objects.get(user=user).accepted_at is not None

    # Once: the link is dead now.
    _browser, again = accept(link, password="Otra-clave-distinta-55")
    assert again.status_code == 410
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_second_invitation_kills_the_first_link(admin, django_capture_on_commit_callbacks):
    user = invited_user()
    first = invite(admin, user, django_capture_on_commit_callbacks)
    second = invite(admin, user, django_capture_on_commit_callbacks)
    old_link, new_link = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert (
        Invitation.objects.filter(user=user, accepted_at=None, superseded_at=None).get() == second
    )

    _browser, response = accept(old_link)
    assert response.status_code == 410
    user.refresh_from_db()
    assert not user.has_usable_password()
    _browser, response = accept(new_link)
    assert response.status_code == 302


def test_an_invitation_for_a_deactivated_user_does_not_work(
    admin, django_capture_on_commit_callbacks
):
    user = invited_user()
    invite(admin, user, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert open_link(link)[1].status_code == 410
    _browser, response = accept(link)
    assert response.status_code == 410
    user.refresh_from_db()
    assert not user.has_usable_password()
    # Nor can a new invitation be sent to them.
    with pytest.raises(DomainError):
        services.send_invitation(actor=admin, user_id=user.pk)


def test_an_expired_invitation_does_not_work(admin, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    user = invited_user()
    invitation = invite(admin, user, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert open_link(link)[1].status_code == 410


def test_a_tampered_token_does_not_work(admin, django_capture_on_commit_callbacks):
    user = invited_user()
    invite(admin, user, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    assert open_link(link[:-3] + "00/")[1].status_code == 410


def test_the_invitation_applies_the_password_validators(admin, django_capture_on_commit_callbacks):
    user = invited_user()
    invite(admin, user, django_capture_on_commit_callbacks)
    _browser, response = accept(link_in(mail.outbox[0]), password="123")
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_only_admins_send_invitations():
    """RULES: ROLE-1"""
    with pytest.raises(PermissionDenied):
        services.send_invitation(actor=UserFactory(leader=True), user_id=invited_user().pk)


def test_the_admin_creates_a_user_without_a_password_and_invites_them(
    client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(admin=True, is_superuser=True))
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "nueva.agente",
            "email": "nueva@pae-ops.test",
            "first_name": "Nueva",
            "last_name": "Agente",
            "send_invitation": "on",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-language": "es",
            "profile-0-time_zone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    send_outbox()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="nueva.agente")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert Invitation.objects.filter(user=user).exists()


def test_the_admin_cannot_set_a_password(client):
    target = UserFactory(agent=True)
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    client.post(url, {"password1": "Admin-puso-esta-1", "password2": "Admin-puso-esta-1"})
    target.refresh_from_db()
    assert not target.check_password("Admin-puso-esta-1")
    change_page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()
    assert 'name="password"' not in change_page


def test_the_admin_action_sends_invitations(client, django_capture_on_commit_callbacks):
    target = invited_user()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_invitations", "_selected_action": [target.pk]},
    )
    send_outbox()
    assert len(mail.outbox) == 1
    assert Invitation.objects.filter(user=target).count() == 1
