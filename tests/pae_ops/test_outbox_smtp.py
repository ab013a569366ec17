"""The outbox relay against a real SMTP server: one connection, the record
before the server can accept, and an email in doubt never sent twice."""

from __future__ import annotations

import pytest
from django.db import connections

from pae_ops import outbox
from pae_ops.models import OutboxEmail
from pae_ops.outbox.renderers import _KINDS
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


@pytest.fixture
def smtp(settings):
    with SinkServer() as server:
        settings.EMAIL_BACKEND = "pae_ops.outbox.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield server.sink


@pytest.fixture
def kind():
    outbox.register_renderer("smtp-test", lambda row: ("Hola", "Cuerpo"))
    yield "smtp-test"
    _KINDS.pop("smtp-test", None)


def _queue(kind: str, n: int) -> list[OutboxEmail]:
    return [outbox.queue_email(kind=kind, to_address=f"c{i}@example.com") for i in range(n)]


def test_relay_sends_a_batch_on_one_reused_connection(smtp, kind):
    rows = _queue(kind, 5)
    assert outbox.relay_outbox().sent == 5
    assert len(smtp.sessions) == 1
    assert sorted(smtp.message_ids()) == sorted(
        OutboxEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list("message_id", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_the_row_is_recorded_sending_before_the_server_gets_the_end_of_data(smtp, kind):
    """Record before: when the final dot reaches the server, the row says so
    (read on another connection: it is committed)."""
    (row,) = _queue(kind, 1)
    seen = []

    def look(server, item):
        try:
            seen.append(OutboxEmail.objects.values_list("status", "message_id").get(pk=row.pk))
        finally:
            connections.close_all()

    smtp.on_data = look
    outbox.relay_outbox()
    ((status, message_id),) = seen
    assert status == Status.SENDING
    assert message_id == smtp.received[0].message_id
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_refusal_after_the_data_is_retried_later(smtp, kind):
    (row,) = _queue(kind, 1)
    smtp.on_data = lambda server, item: "554 no thanks"
    report = outbox.relay_outbox()
    row.refresh_from_db()
    assert (report.retried, row.status, row.attempts) == (1, Status.PENDING, 1)
    assert "554" in row.last_error


def test_a_connection_lost_after_the_dot_leaves_the_email_unconfirmed(smtp, kind):
    """The server may have accepted it: it is kept, shown, and not re-sent."""
    first, second = _queue(kind, 2)

    def accept_then_hang_up(server, item):
        server.transport.close()  # the client never reads the 250

    smtp.on_data = accept_then_hang_up
    report = outbox.relay_outbox()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.UNCONFIRMED
    assert first.message_id in first.last_error
    # the run stopped and gave the rest back untouched
    assert (second.status, second.attempts) == (Status.PENDING, 0)
    assert (report.unconfirmed, report.released) == (1, 1)
    smtp.on_data = None
    outbox.relay_outbox()
    first.refresh_from_db()
    assert first.status == Status.UNCONFIRMED
    assert smtp.message_ids().count(first.message_id) == 1
