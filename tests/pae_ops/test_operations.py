"""Health probes, error reports (scrubbed), request ids, task time limits."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from pae_ops.error_reports import scrub, scrub_data
from pae_ops.models import OutboxEmail
from pae_ops.outbox import relay_outbox
from pae_ops.services import record_heartbeat

pytestmark = pytest.mark.django_db


# Health probes ------------------------------------------------------------------


def test_liveness_answers_without_login_whatever_the_host(client):
    response = client.get("/health/live/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readiness_checks_the_database_and_the_migrations(client):
    body = client.get("/health/ready/", HTTP_HOST="127.0.0.1:8000").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"Database(alias='default')", "MigrationsApplied()"}


def test_readiness_fails_when_a_migration_is_not_applied(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert "not applied" in response.json()["checks"]["MigrationsApplied()"]


def test_jobs_probe_reports_a_stale_heartbeat(client, settings):
    from pae_ops.models import Heartbeat

    assert client.get("/health/jobs/").status_code == 503  # never ran
    record_heartbeat(name="heartbeat")
    assert client.get("/health/jobs/").status_code == 200
    Heartbeat.objects.update(last_run_at=timezone.now() - timedelta(minutes=16))
    response = client.get("/health/jobs/")
    assert response.status_code == 503
    assert "16 min old" in response.json()["checks"]["BeatHeartbeat()"]


def test_a_failing_probe_is_not_reported_as_an_error(client, settings, caplog):
    settings.ADMINS = [("Ops", "ops@example.com")]
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/health/jobs/").status_code == 503
    assert not caplog.records
    assert not OutboxEmail.objects.filter(kind="error-report").exists()


# Error reports ------------------------------------------------------------------------


def test_scrub_removes_survey_tokens_emails_and_phones():
    text = "GET /s/eyJ0b2tlbg:abc/ by ana.perez@example.com, tel. +52 55 1234 5678, case 123"
    assert scrub(text) == "GET /s/[redacted]/ by [email], tel. [phone], case 123"
    assert scrub_data({"a": ["x@y.io", 5], "b": "ok"}) == {"a": ["[email]", 5], "b": "ok"}


def _raise_500(client, path="/boom/"):
    from django.test import override_settings
    from django.urls import path as url

    def boom(request):
        raise RuntimeError("client ana.perez@example.com, phone 55 1234 5678")

    urlpatterns = [url("boom/", boom)]
    module = type("urls", (), {"urlpatterns": urlpatterns})
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=module):
        return client.get(path)


def test_a_500_is_mailed_to_the_admins_once_an_hour_scrubbed(client, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    user_client = client
    from tests.factories import UserFactory

    user_client.force_login(UserFactory())
    for _ in range(3):
        assert _raise_500(user_client).status_code == 500
    (report,) = OutboxEmail.objects.filter(kind="error-report")
    assert (report.to_address, report.priority) == ("ops@example.com", OutboxEmail.Priority.URGENT)
    relay_outbox()
    (message,) = mail.outbox
    assert message.to == ["ops@example.com"]
    assert "RuntimeError" in message.body
    assert "ana.perez@example.com" not in message.body + message.subject
    assert "1234 5678" not in message.body
    assert "[email]" in message.body


def test_without_admins_nothing_is_mailed(client, settings):
    settings.ADMINS = []
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert _raise_500(client).status_code == 500
    assert not OutboxEmail.objects.exists()


def test_sentry_gets_scrubbed_events():
    import sentry_sdk

    from pae_ops.error_reports import sentry_before_breadcrumb, sentry_before_send

    events = []
    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",
        transport=lambda envelope: events.append(envelope),
        before_send=sentry_before_send,
        before_breadcrumb=sentry_before_breadcrumb,
        send_default_pii=False,
    )
    try:
        try:
            raise ValueError("survey /s/abc:def/ for lola@example.com")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()
    import json

    raw = json.dumps(events, default=str)
    assert "ValueError" in raw
    assert "lola@example.com" not in raw
    assert "abc:def" not in raw


# Request and task ids ------------------------------------------------------------------------


def test_each_request_has_an_id_in_its_header_and_its_log_lines(client, caplog):
    response = client.get("/login/", HTTP_X_REQUEST_ID="proxy-1234abcd")
    assert response["X-Request-ID"] == "proxy-1234abcd"
    generated = client.get("/login/", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"]
    assert len(generated) == 32

    from pae_ops.log_context import ContextFilter, RequestIdMiddleware

    seen = []

    def view(request):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hi", (), None)
        ContextFilter().filter(record)
        seen.append((record.request_id, record.task_id))
        from django.http import HttpResponse

        return HttpResponse()

    request = type("R", (), {"META": {"HTTP_X_REQUEST_ID": "abcdefgh1"}})()
    RequestIdMiddleware(view)(request)
    assert seen == [("abcdefgh1", "-")]


def test_the_log_format_prints_request_and_task_ids():
    assert "%(request_id)s" in django_settings.LOGGING["formatters"]["plain"]["format"]
    assert "%(task_id)s" in django_settings.LOGGING["formatters"]["plain"]["format"]


# Task time limits ---------------------------------------------------------------------------


def test_every_hard_time_limit_is_below_the_visibility_timeout():
    """A task still running must never be handed to a second worker."""
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    limits = [django_settings.CELERY_TASK_TIME_LIMIT] + [
        a["time_limit"] for a in django_settings.CELERY_TASK_ANNOTATIONS.values()
    ]
    assert max(limits) < visibility
    for annotation in django_settings.CELERY_TASK_ANNOTATIONS.values():
        assert annotation["soft_time_limit"] < annotation["time_limit"]
    relay = django_settings.CELERY_TASK_ANNOTATIONS["pae_ops.tasks.relay_outbox_task"]
    assert relay["soft_time_limit"] > django_settings.OUTBOX_RELAY_SECONDS


def test_the_limits_reach_the_celery_tasks():
    import cases.tasks  # noqa: F401 (registers the tasks)
    from pae_ops.celery import app

    task = app.tasks["cases.tasks.sweep_sla_task"]
    assert (task.soft_time_limit, task.time_limit) == (540, 600)
