"""Change notices (COM-4) and their client emails through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import ChangeNotice
from pae_ops.errors import DomainError
from pae_ops.models import OutboxEmail
from pae_ops.outbox import relay_outbox, requeue_emails
from tests.cases.factories import ChangeNoticeFactory, SurveyFactory
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


def schedule(actor, clock, *, ahead, send_in=timedelta(0), **kwargs):
    send_at = clock.now + send_in
    return services.schedule_change_notice(
        actor=actor,
        kind=kwargs.pop("kind", "price"),
        title_es="Nuevo precio del programa",
        body_es="El programa cuesta 10 % más desde la fecha indicada.",
        title_en="New programme price",
        body_en="The programme costs 10 % more from the date below.",
        effective_at=send_at + ahead,
        scheduled_send_at=send_at,
        **kwargs,
    )


# COM-4: 7 days, or 24 hours for an emergency ------------------------------------------------


def test_a_notice_6_days_23_hours_ahead_is_refused(team, clock):
    """RULES: COM-4"""
    with pytest.raises(DomainError) as excinfo:
        schedule(team["leader"], clock, ahead=timedelta(days=6, hours=23))
    assert excinfo.value.rule == "COM-4"
    assert not ChangeNotice.objects.exists()


def test_a_notice_7_days_ahead_is_scheduled(team, clock):
    """RULES: COM-4"""
    notice = schedule(team["leader"], clock, ahead=timedelta(days=7), send_in=timedelta(days=2))
    assert (notice.status, notice.created_by, notice.emergency) == (
        "scheduled",
        team["leader"],
        False,
    )


def test_an_emergency_needs_24_hours_and_a_written_reason(team, clock):
    """RULES: COM-4. 23 h 59 min refused; 24 h accepted; no reason refused."""
    with pytest.raises(DomainError) as excinfo:
        schedule(
            team["leader"],
            clock,
            ahead=timedelta(hours=23, minutes=59),
            emergency=True,
            emergency_reason="El socio cerró el servicio.",
        )
    assert excinfo.value.rule == "COM-4"
    with pytest.raises(DomainError) as excinfo:
        schedule(team["leader"], clock, ahead=timedelta(hours=24), emergency=True)
    assert excinfo.value.rule == "COM-4"
    notice = schedule(
        team["leader"],
        clock,
        ahead=timedelta(hours=24),
        emergency=True,
        emergency_reason="El socio cerró el servicio.",
    )
    assert notice.emergency_reason == "El socio cerró el servicio."


def test_a_notice_cannot_be_scheduled_in_the_past(team, clock):
    """RULES: COM-4"""
    with pytest.raises(DomainError) as excinfo:
        schedule(team["leader"], clock, ahead=timedelta(days=8), send_in=timedelta(hours=-1))
    assert excinfo.value.rule == "COM-4"


@pytest.mark.parametrize("role", ["agent", "director", "admin", "partner_approver"])
def test_only_leaders_schedule_and_cancel_notices(clock, role):
    """RULES: ROLE-1"""
    actor = UserFactory(**{role: True})
    with pytest.raises(PermissionDenied):
        schedule(actor, clock, ahead=timedelta(days=8))
    notice = ChangeNoticeFactory()
    with pytest.raises(PermissionDenied):
        services.cancel_change_notice(actor=actor, notice_id=notice.pk)


# The sender: on its date, through the outbox, once -------------------------------------------


def test_a_due_notice_goes_to_the_products_clients_once(team, clock):
    """RULES: COM-4. The product's clients, each in their language, once."""
    product = ProductFactory()
    spanish = PurchaseFactory(product=product).client
    english = PurchaseFactory(product=product, client=ClientFactory(languages=["en"])).client
    PurchaseFactory(client=ClientFactory(email=""), product=product)  # no address
    PurchaseFactory()  # another product
    notice = schedule(
        team["leader"],
        clock,
        ahead=timedelta(days=7),
        send_in=timedelta(hours=1),
        product_id=product.pk,
    )

    assert services.send_due_change_notices() == 0  # not yet
    clock.advance(hours=1)
    assert services.send_due_change_notices() == 1
    assert services.send_due_change_notices() == 0  # once

    notice.refresh_from_db()
    assert (notice.status, notice.sent_at, notice.recipient_count) == ("sent", clock.now, 2)
    emails = {
        email.context["client_id"]: email
        for email in OutboxEmail.objects.filter(kind="change_notice", context__notice_id=notice.pk)
    }
    assert set(emails) == {spanish.pk, english.pk}
    assert (emails[spanish.pk].language, emails[english.pk].language) == ("es", "en")
    assert emails[spanish.pk].priority == OutboxEmail.Priority.BULK

    relay_outbox()
    by_to = {message.to[0]: message for message in mail.outbox}
    assert by_to[spanish.email].subject == "Nuevo precio del programa"
    assert "El programa cuesta 10 % más" in by_to[spanish.email].body
    assert by_to[english.email].subject == "New programme price"
    assert "This change takes effect on" in by_to[english.email].body


def test_a_cancelled_notice_is_never_sent(team, clock):
    """RULES: COM-4"""
    PurchaseFactory()
    notice = schedule(team["leader"], clock, ahead=timedelta(days=7))
    services.cancel_change_notice(actor=team["leader"], notice_id=notice.pk)
    assert services.send_due_change_notices() == 0
    assert not OutboxEmail.objects.exists()
    with pytest.raises(DomainError):
        services.cancel_change_notice(actor=team["leader"], notice_id=notice.pk)


def test_a_notice_without_product_goes_to_every_client_with_a_purchase(team, clock):
    """RULES: COM-4"""
    buyers = [PurchaseFactory().client for _ in range(3)]
    ClientFactory()  # never bought
    schedule(team["leader"], clock, ahead=timedelta(days=7))
    services.send_due_change_notices()
    assert set(OutboxEmail.objects.values_list("context__client_id", flat=True)) == {
        c.pk for c in buyers
    }


# Pages ----------------------------------------------------------------------------------------


def test_the_leader_schedules_a_notice_from_the_form(client, team, clock):
    """RULES: COM-4. The form shows the service's refusal next to it."""
    client.force_login(team["leader"])
    url = reverse("cases:notice-new")
    data = {
        "kind": "service",
        "product": "",
        "title_es": "Cambio de plataforma",
        "body_es": "Las sesiones pasan a otra plataforma.",
        "effective_at": (clock.now + timedelta(days=6, hours=23)).strftime("%Y-%m-%dT%H:%M"),
        "scheduled_send_at": clock.now.strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'data-testid="notice-errors"' in response.content.decode()
    assert not ChangeNotice.objects.exists()

    data["effective_at"] = (clock.now + timedelta(days=7, minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    assert response.status_code == 302
    assert ChangeNotice.objects.get().title_es == "Cambio de plataforma"
    page = client.get(reverse("cases:notices")).content.decode()
    assert "Cambio de plataforma" in page


@pytest.mark.parametrize("role", ["agent", "director"])
def test_only_leaders_open_the_notice_form(client, role):
    """RULES: ROLE-1. The director reads the list (RULES, Roles), agents don't."""
    client.force_login(UserFactory(**{role: True}))
    expected = 200 if role == "director" else 403
    assert client.get(reverse("cases:notices")).status_code == expected
    assert client.get(reverse("cases:notice-new")).status_code == 403


# Client emails through the outbox --------------------------------------------------------------


def _survey_email(survey):
    from cases.services.outbox import queue_survey_email

    return queue_survey_email(survey=survey, client=survey.client)


def test_the_relay_retries_then_marks_a_failed_email(settings):
    """RULES: COM-2. Transient SMTP errors are retried; the last try marks it failed."""
    settings.EMAIL_BACKEND = "tests.pae_ops.failing_email.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = _survey_email(SurveyFactory())
    assert relay_outbox().sent == 0
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert "SMTP down" in email.last_error
    OutboxEmail.objects.update(next_attempt_at=timezone.now())
    relay_outbox()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 2)


def test_the_relay_skips_what_can_no_longer_be_answered(clock):
    """RULES: COM-2. An expired survey's email is not sent."""
    survey = SurveyFactory()
    email = _survey_email(survey)
    clock.advance(days=31)
    assert relay_outbox().skipped == 1
    email.refresh_from_db()
    assert email.status == "skipped"
    assert mail.outbox == []


def test_a_cancelled_notices_queued_emails_are_skipped(team, clock):
    """RULES: COM-4"""
    PurchaseFactory()
    notice = schedule(team["leader"], clock, ahead=timedelta(days=7))
    services.send_due_change_notices()
    ChangeNotice.objects.filter(pk=notice.pk).update(status=ChangeNotice.Status.CANCELLED)
    assert relay_outbox().skipped == 1
    assert mail.outbox == []


def test_failed_client_emails_are_queued_again_by_an_admin_only():
    """RULES: ROLE-1"""
    email = _survey_email(SurveyFactory())
    OutboxEmail.objects.filter(pk=email.pk).update(status="failed", attempts=5)
    with pytest.raises(PermissionDenied):
        requeue_emails(actor=UserFactory(leader=True), email_ids=[email.pk])
    assert requeue_emails(actor=UserFactory(admin=True), email_ids=[email.pk]) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 0)
