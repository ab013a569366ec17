"""The one email outbox: queueing, the relay, reconciliation, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from pae_ops import outbox, services
from pae_ops.models import Notification, OutboxEmail
from pae_ops.outbox import relay as relay_module
from pae_ops.outbox.renderers import _KINDS, SkipEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status
Priority = OutboxEmail.Priority


@pytest.fixture
def test_kind():
    """A renderer for the tests' own kind; ``skip`` makes it skip."""
    state = {"skip": False, "rendered": 0}

    def render(row):
        state["rendered"] += 1
        if state["skip"]:
            raise SkipEmail("not any more")
        return f"Subject {row.context.get('n', '')}", "Body"

    outbox.register_renderer("test-kind", render)
    yield state
    _KINDS.pop("test-kind", None)


def _queue(n: int = 1, **kwargs) -> list[OutboxEmail]:
    kwargs.setdefault("to_address", "client@example.com")
    return [outbox.queue_email(kind="test-kind", context={"n": i}, **kwargs) for i in range(n)]


# queue_email ------------------------------------------------------------------


def test_queue_email_writes_once_by_dedupe_key_and_nudges_after_commit(
    test_kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = outbox.queue_email(kind="test-kind", to_address="a@example.com", dedupe_key="k1")
    with django_capture_on_commit_callbacks() as again:
        second = outbox.queue_email(kind="test-kind", to_address="a@example.com", dedupe_key="k1")
    assert first.pk == second.pk
    assert OutboxEmail.objects.count() == 1
    assert (len(callbacks), len(again)) == (1, 0)


def test_queue_email_refuses_an_unknown_kind_or_no_recipient(test_kind):
    with pytest.raises(ValueError, match="renderer"):
        outbox.queue_email(kind="no-such-kind", to_address="a@example.com")
    with pytest.raises(ValueError, match="to_user or to_address"):
        outbox.queue_email(kind="test-kind")
    assert not OutboxEmail.objects.exists()


def test_outbox_row_needs_a_recipient_in_the_database():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        OutboxEmail.objects.create(kind="x")


def test_notify_writes_the_notification_and_its_email_in_the_outbox():
    with_address, without = UserFactory(email="a@example.com"), UserFactory(email="")
    services.notify(recipients=[with_address, without], kind="test", title="Hola")
    note = Notification.objects.get(recipient=with_address)
    email = OutboxEmail.objects.get()
    assert (email.kind, email.to_user_id, email.notification_id) == (
        "notification",
        with_address.pk,
        note.pk,
    )
    assert Notification.objects.filter(recipient=without).exists()


def test_notify_with_email_false_writes_no_email():
    services.notify(recipients=[UserFactory()], kind="test", title="x", email=False)
    assert Notification.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_notify_with_dedupe_key_emails_once_however_often_it_runs():
    user = UserFactory()
    for _run in range(2):
        services.notify(recipients=[user], kind="sla", title="x", dedupe_key="case-1")
    assert OutboxEmail.objects.count() == 1


# The relay ----------------------------------------------------------------------


def test_relay_sends_each_email_once_and_records_its_message_id(test_kind):
    rows = _queue(3)
    report = outbox.relay_outbox()
    assert report.sent == 3
    assert outbox.relay_outbox().sent == 0
    assert len(mail.outbox) == 3
    for row in rows:
        row.refresh_from_db()
        assert row.status == Status.SENT
        assert row.sent_at is not None
        assert row.attempts == 1
        assert row.message_id.startswith("<outbox.")
    sent_ids = {message.extra_headers["Message-ID"] for message in mail.outbox}
    assert sent_ids == {row.message_id for row in rows}


def test_relay_sends_a_notification_in_its_recipients_words():
    user = UserFactory(email="boss@example.com")
    services.notify(recipients=[user], kind="test", title="Aprobación", url="/refunds/1/")
    outbox.relay_outbox()
    (message,) = mail.outbox
    assert message.to == ["boss@example.com"]
    assert message.subject == "Aprobación"
    assert message.body.endswith("/refunds/1/")


def test_relay_sends_urgent_mail_before_a_storm(test_kind):
    """An approval waiting is not stuck behind thousands of bulk emails."""
    _queue(5, priority=Priority.BULK)
    urgent = outbox.queue_email(
        kind="test-kind", to_address="boss@example.com", priority=Priority.URGENT
    )
    high = outbox.queue_email(kind="test-kind", to_address="lead@example.com", priority=1)
    outbox.relay_outbox(batch_size=2)
    assert [m.to[0] for m in mail.outbox[:2]] == ["boss@example.com", "lead@example.com"]
    assert {urgent.pk, high.pk} <= set(OutboxEmail.objects.values_list("pk", flat=True))


def test_relay_stops_after_its_time_budget_and_releases_the_rest(test_kind):
    _queue(3)
    report = outbox.relay_outbox(budget_seconds=0)
    assert report.sent == 0
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {Status.PENDING}


def test_relay_retries_a_refused_email_later_then_marks_it_failed(test_kind, settings):
    settings.EMAIL_BACKEND = "tests.pae_ops.failing_email.FailingBackend"
    (row,) = _queue(1)
    outbox.relay_outbox()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "SMTP down" in row.last_error
    assert row.next_attempt_at > timezone.now()
    # when: the backoff has not passed, nothing is tried
    assert outbox.relay_outbox().retried == 0
    # when: the last attempt fails too
    settings.OUTBOX_MAX_ATTEMPTS = 2
    OutboxEmail.objects.update(next_attempt_at=timezone.now())
    outbox.relay_outbox()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 2)


def test_relay_releases_the_batch_untouched_when_the_server_is_unreachable(test_kind, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    _queue(3)
    report = outbox.relay_outbox()
    assert report.released == 3
    assert set(OutboxEmail.objects.values_list("status", "attempts")) == {(Status.PENDING, 0)}


def test_relay_skips_what_the_renderer_refuses(test_kind):
    test_kind["skip"] = True
    (row,) = _queue(1)
    assert outbox.relay_outbox().skipped == 1
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Status.SKIPPED, "not any more")
    assert mail.outbox == []


def test_relay_skips_a_user_without_an_address(test_kind):
    user = UserFactory(email="")
    outbox.queue_email(kind="test-kind", to_user=user)
    assert outbox.relay_outbox().skipped == 1


def test_relay_reads_a_users_address_when_it_sends(test_kind):
    user = UserFactory(email="old@example.com")
    outbox.queue_email(kind="test-kind", to_user=user)
    type(user).objects.filter(pk=user.pk).update(email="new@example.com")
    outbox.relay_outbox()
    assert mail.outbox[0].to == ["new@example.com"]


def test_relay_never_sends_a_row_it_no_longer_holds(test_kind):
    """A relay whose lease ran out and whose row was reclaimed does not send it."""
    _queue(1)
    (row,) = relay_module._claim("relay-a", 10)
    # another relay reconciled and reclaimed it meanwhile
    OutboxEmail.objects.filter(pk=row.pk).update(claim_token="relay-b")
    relay_module._send_one(row, "relay-a", relay_module._Sender(), outbox.RelayReport())
    assert mail.outbox == []
    assert OutboxEmail.objects.get().status == Status.CLAIMED


def test_two_relays_claim_different_rows(test_kind):
    _queue(4)
    first = relay_module._claim("relay-a", 2)
    second = relay_module._claim("relay-b", 10)
    assert {r.pk for r in first}.isdisjoint({r.pk for r in second})
    assert len(first) + len(second) == 4


# Reconciliation ------------------------------------------------------------------


def _held(status: str, *, expired: bool = True) -> OutboxEmail:
    (row,) = _queue(1)
    until = timezone.now() + timedelta(seconds=-5 if expired else 300)
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=status, claim_token="dead-relay", claimed_until=until, message_id="<m@x>"
    )
    return row


def test_reconcile_puts_back_what_a_dead_relay_never_handed_over(test_kind):
    row = _held(Status.CLAIMED)
    assert outbox.reconcile_outbox() == 1
    row.refresh_from_db()
    assert (row.status, row.claim_token) == (Status.PENDING, "")


def test_reconcile_never_resends_an_email_in_doubt(test_kind):
    """A relay killed after handing the email over: it may have been accepted."""
    row = _held(Status.SENDING)
    outbox.relay_outbox()
    row.refresh_from_db()
    assert row.status == Status.UNCONFIRMED
    assert "<m@x>" in row.last_error
    assert mail.outbox == []


def test_reconcile_leaves_live_claims_alone(test_kind):
    row = _held(Status.SENDING, expired=False)
    assert outbox.reconcile_outbox() == 0
    row.refresh_from_db()
    assert row.status == Status.SENDING


@pytest.mark.parametrize(("answer", "status"), [(True, Status.SENT), (False, Status.PENDING)])
def test_reconcile_asks_the_reconciler_about_an_email_in_doubt(
    test_kind, settings, monkeypatch, answer, status
):
    monkeypatch.setattr(
        "tests.pae_ops.test_outbox.provider_says", lambda row: answer, raising=False
    )
    settings.OUTBOX_RECONCILER = "tests.pae_ops.test_outbox.provider_says"
    row = _held(Status.SENDING)
    outbox.reconcile_outbox()
    row.refresh_from_db()
    assert row.status == status


# Admin acts and retention -----------------------------------------------------------


def test_requeue_and_confirm_are_for_admins_only(test_kind):
    failed, unsure = _queue(2)
    OutboxEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED, attempts=5)
    OutboxEmail.objects.filter(pk=unsure.pk).update(
        status=Status.UNCONFIRMED, claim_token="x", claimed_until=None
    )
    agent, admin = UserFactory(agent=True), UserFactory(admin=True)
    with pytest.raises(PermissionDenied):
        outbox.requeue_emails(actor=agent, email_ids=[failed.pk])
    with pytest.raises(PermissionDenied):
        outbox.confirm_emails_sent(actor=agent, email_ids=[unsure.pk])
    assert outbox.requeue_emails(actor=admin, email_ids=[failed.pk]) == 1
    assert outbox.confirm_emails_sent(actor=admin, email_ids=[unsure.pk, failed.pk]) == 1
    failed.refresh_from_db()
    unsure.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert unsure.status == Status.SENT


def test_purge_deletes_only_old_sent_and_skipped_emails(test_kind, settings):
    settings.OUTBOX_RETENTION_DAYS = 90
    old_sent, old_skipped, old_failed, new_sent = _queue(4)
    long_ago = timezone.now() - timedelta(days=91)
    OutboxEmail.objects.filter(pk__in=[old_sent.pk, new_sent.pk]).update(
        status=Status.SENT, sent_at=timezone.now()
    )
    OutboxEmail.objects.filter(pk=old_skipped.pk).update(status=Status.SKIPPED)
    OutboxEmail.objects.filter(pk=old_failed.pk).update(status=Status.FAILED)
    OutboxEmail.objects.exclude(pk=new_sent.pk).update(created_at=long_ago)
    assert outbox.purge_sent_emails() == 2
    assert set(OutboxEmail.objects.values_list("pk", flat=True)) == {old_failed.pk, new_sent.pk}


def test_outbox_status_counts_waiting_and_problem_rows(test_kind):
    _a, b, c = _queue(3)
    OutboxEmail.objects.filter(pk=b.pk).update(status=Status.FAILED)
    OutboxEmail.objects.filter(pk=c.pk).update(status=Status.UNCONFIRMED)
    status = outbox.outbox_status()
    assert (status.pending, status.failed, status.unconfirmed) == (1, 1, 1)
    assert status.oldest_pending_minutes == 0


def test_relay_claims_in_a_bounded_number_of_queries(test_kind, django_assert_max_num_queries):
    """Per email: the record before and the mark after; per batch: a constant few."""
    _queue(20)
    connection.queries_log.clear()
    with django_assert_max_num_queries(2 * 20 + 12):
        assert outbox.relay_outbox(batch_size=50).sent == 20
