"""Password reset by email: through the outbox, a link that works once and
expires, the same answer for unknown emails, other sessions end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pae_ops.accounts.models import SecurityEvent
from tests.accounts.helpers import password_login, send_outbox
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nueva-clave-segura-73"


def ask_for_reset(client, email, _callbacks=None):
    response = client.post(reverse("accounts:password-reset"), {"email": email})
    send_outbox()
    return response


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/account/reset/\S+/)", message.body).group(1)


def test_reset_sends_one_email_and_the_link_sets_the_password_once(
    client, django_capture_on_commit_callbacks
):
    from pae_ops.models import OutboxEmail

    user = UserFactory(agent=True, email="ana@pae-ops.test")
    response = client.post(reverse("accounts:password-reset"), {"email": "ANA@pae-ops.test"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-reset-done")
    # A row in the outbox first (a broker outage delays it, never loses it)...
    queued = OutboxEmail.objects.get(kind="accounts.password_reset", to_user=user)
    assert mail.outbox == []
    # ...which the relay sends once, however often it runs.
    assert send_outbox() == 1
    assert send_outbox() == 0
    queued.refresh_from_db()
    assert queued.status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@pae-ops.test"]
    assert "contraseña" in mail.outbox[0].subject.lower()
    link = link_in(mail.outbox[0])

    # The link opens the form (Django moves the token into the session).
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert SecurityEvent.objects.filter(user=user, kind="password_reset").exists()

    # Used once: the same link now answers the kind "no longer works" page.
    again = Client().get(link, follow=True)
    assert again.status_code == 410
    assert 'data-testid="link-invalid"' in again.content.decode()


def test_an_expired_link_answers_the_kind_page(
    client, django_capture_on_commit_callbacks, settings
):
    UserFactory(agent=True, email="eva@pae-ops.test")
    ask_for_reset(client, "eva@pae-ops.test", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    from unittest import mock

    with mock.patch(
        "django.contrib.auth.tokens.PasswordResetTokenGenerator._now",
        return_value=later.replace(tzinfo=None),
    ):
        response = client.get(link, follow=True)
    assert response.status_code == 410
    assert "ya no funciona" in response.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_email(
    client, django_capture_on_commit_callbacks
):
    UserFactory(agent=True, email="known@pae-ops.test")
    known = ask_for_reset(Client(), "known@pae-ops.test", django_capture_on_commit_callbacks)
    unknown = ask_for_reset(Client(), "nobody@pae-ops.test", django_capture_on_commit_callbacks)
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1

    def page(url):
        html = Client().get(url).content.decode()
        return re.sub(r"[A-Za-z0-9]{64}", "<csrf>", html)

    assert page(known.url) == page(unknown.url)


def test_a_deactivated_user_gets_no_reset_email(client, django_capture_on_commit_callbacks):
    UserFactory(agent=True, email="gone@pae-ops.test", is_active=False)
    response = ask_for_reset(client, "gone@pae-ops.test", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert mail.outbox == []


def test_after_a_reset_the_new_password_logs_in_the_old_does_not_and_other_sessions_end(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(agent=True, email="luz@pae-ops.test")
    elsewhere = Client()
    password_login(elsewhere, user)
    assert elsewhere.get(reverse("my-work")).status_code == 200
    ask_for_reset(client, "luz@pae-ops.test", django_capture_on_commit_callbacks)
    page = client.get(link_in(mail.outbox[0]), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    # Every session ended: gone from the store, not only refused by Django's
    # session-hash check.
    from django.contrib.sessions.models import Session

    from pae_ops.accounts.models import UserSession

    assert not UserSession.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=elsewhere.session.session_key).exists()
    signed_out = elsewhere.get(reverse("my-work"))
    assert signed_out.status_code == 302
    assert signed_out.url.startswith(reverse("login"))
    old = Client()
    password_login(old, user, password=DEMO_PASSWORD)
    assert SESSION_KEY not in old.session
    new = Client()
    password_login(new, user, password=NEW_PASSWORD)
    assert new.get(reverse("my-work")).status_code == 200


def test_the_reset_form_applies_the_password_validators(client, django_capture_on_commit_callbacks):
    user = UserFactory(agent=True, email="rosa@pae-ops.test")
    ask_for_reset(client, "rosa@pae-ops.test", django_capture_on_commit_callbacks)
    page = client.get(link_in(mail.outbox[0]), follow=True)
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "rosa", "new_password2": "rosa"}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_the_reset_email_is_in_the_users_language(client, django_capture_on_commit_callbacks):
    UserFactory(agent=True, email="john@pae-ops.test", profile__language="en")
    ask_for_reset(client, "john@pae-ops.test", django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject == "Choose a new PAE Ops password"


def test_reset_links_never_reach_the_logs():
    from pae_ops.log_redaction import redact_secret_paths

    line = 'GET /account/reset/MTI/c9x-7f1e2d3a4b5c6d/ HTTP/1.1" 410'
    assert redact_secret_paths(line) == 'GET /account/reset/[redacted] HTTP/1.1" 410'
    assert "c9x" not in redact_secret_paths("Gone: /account/invitation/12/c9xabc/")
