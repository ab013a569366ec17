"""Fault drills on the real parts: gunicorn, Celery workers and beats, a Redis of
the test's own, PostgreSQL, and a real SMTP server. Each drill starts and
stops what it uses."""

from __future__ import annotations

import http.client
import os
import re
import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from cases.survey_links import survey_path
from pae_ops.models import Notification, OutboxEmail
from tests import fault_rig as rig
from tests.smtp_sink import SinkServer

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

Status = OutboxEmail.Status


@pytest.fixture
def own_redis(tmp_path):
    redis = rig.OwnRedis(tmp_path / "redis.log")
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def smtp():
    with SinkServer() as server:
        yield server


def _email_env(smtp) -> dict[str, str]:
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "EMAIL_TIMEOUT": "5"}


class Browser:
    """A signed-in client of the real server, over plain HTTP/1.1."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port, self.cookies = port, dict([cookie.split("=", 1)]) if cookie else {}

    def _headers(self) -> dict[str, str]:
        jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": jar, "Host": "127.0.0.1"} if jar else {"Host": "127.0.0.1"}

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = self._headers()
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.monotonic()
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        elapsed = time.monotonic() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, rest = value.split("=", 1)
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text, elapsed

    def post_form(self, page: str, action: str, fields: dict[str, str]) -> tuple[int, str, float]:
        _status, html, _t = self.request("GET", page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        from urllib.parse import urlencode

        return self.request("POST", action, urlencode({"csrfmiddlewaretoken": token, **fields}))


def _awaiting_leader():
    """A partial refund the partner approved: the leader's approval executes it."""
    from refunds import services
    from refunds.models import RefundRequest
    from tests.cases.factories import ensure_default_calendar
    from tests.refunds.factories import refund_request_at

    ensure_default_calendar()
    request = refund_request_at(RefundRequest.Status.AWAITING_APPROVAL)
    services.approve_refund_request(actor=request.cast.approver, request_id=request.pk)
    return RefundRequest.objects.get(pk=request.pk), request.cast


# Redis stopped or hung -------------------------------------------------------------


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_pages_answer_without_redis_and_the_email_goes_once_it_returns(
    fault, own_redis, smtp, test_database_url, role_groups, tmp_path
):
    """An approval and a survey link answer in under 1 s with Redis stopped or
    hung; the approval commits; its notification is emailed exactly once after
    Redis returns."""
    from django.urls import reverse

    from refunds.models import RefundApproval
    from tests.cases.factories import SurveyFactory

    # given: the portal on its own Redis, a request for the leader, a survey link
    request, cast = _awaiting_leader()
    survey = SurveyFactory(kind="csat")
    env = rig.app_env(test_database_url, own_redis.url, **_email_env(smtp))
    port = rig.free_port()
    web = rig.gunicorn(env, port, tmp_path / "web.log")
    try:
        leader = Browser(port, rig.session_cookie(cast.leader))
        detail = reverse("refunds:request-detail", args=[request.pk])
        approve = reverse("refunds:request-approve", args=[request.pk])
        leader.request("GET", detail)  # warm the worker up
        before = set(OutboxEmail.objects.values_list("pk", flat=True))
        # when: Redis fails
        own_redis.stop() if fault == "stopped" else own_redis.hang()
        status, _html, elapsed = leader.post_form(detail, approve, {"approve-comment": "ok"})
        survey_status, survey_html, survey_elapsed = Browser(port).request(
            "GET", survey_path(survey.pk)
        )
        # then: both answer at once, and the approval committed
        assert (status, survey_status) == (302, 200), (status, survey_status)
        assert elapsed < 1, f"the approval took {elapsed:.2f} s"
        assert survey_elapsed < 1, f"the survey link took {survey_elapsed:.2f} s"
        assert 'name="score"' in survey_html
        assert RefundApproval.objects.filter(request=request, approver=cast.leader).exists()
        new = OutboxEmail.objects.exclude(pk__in=before).filter(kind="notification")
        assert new.exists()
        wanted = set(new.values_list("pk", flat=True))
    finally:
        rig.stop(web)
    # when: Redis returns and a worker relays (beat's periodic relay)
    if fault == "stopped":
        own_redis.start()
    else:
        own_redis.resume()
    work = rig.worker(env, tmp_path / "worker.log")
    try:
        rig.publish(
            own_redis.url, env["CELERY_TASK_DEFAULT_QUEUE"], "pae_ops.tasks.relay_outbox_task"
        )
        rig.wait_for(
            lambda: (
                not OutboxEmail.objects.filter(pk__in=wanted).exclude(status=Status.SENT).exists()
            ),
            60,
            [tmp_path / "worker.log"],
            "the approval's emails to be sent",
        )
    finally:
        rig.stop(work)
    # then: each exactly once
    sent = Counter(smtp.sink.message_ids())
    ids = set(OutboxEmail.objects.filter(pk__in=wanted).values_list("message_id", flat=True))
    assert all(sent[message_id] == 1 for message_id in ids), sent


# A worker SIGKILLed ------------------------------------------------------------------


def test_a_relay_killed_mid_batch_never_sends_an_email_twice_nor_loses_one(
    smtp, own_redis, test_database_url, role_groups, tmp_path
):
    """The worker is SIGKILLed right after the SMTP server accepted the 10th
    email (before the relay saw the 250): after a restart every email reached
    the server exactly once; the one in doubt is kept as unconfirmed."""
    from pae_ops.services import notify
    from tests.factories import UserFactory

    people = [UserFactory(email=f"person{n}@example.com") for n in range(30)]
    notify(recipients=people, kind="drill", title="Simulacro")
    env = rig.app_env(
        test_database_url,
        own_redis.url,
        **_email_env(smtp),
        OUTBOX_RELAY_BATCH="7",
        OUTBOX_CLAIM_SECONDS="2",
    )
    log = tmp_path / "worker.log"
    first = rig.worker(env, log)
    killed = threading.Event()

    def kill_at_the_tenth(server, item):
        if len(smtp.sink.received) == 9 and not killed.is_set():
            os.kill(first.pid, signal.SIGKILL)
            killed.set()

    smtp.sink.on_data = kill_at_the_tenth
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    try:
        rig.publish(own_redis.url, queue, "pae_ops.tasks.relay_outbox_task")
        rig.wait_for(killed.is_set, 60, [log], "the kill at the 10th email")
        first.wait(timeout=10)
        smtp.sink.on_data = None
        # when: a new worker runs the relay (beat would, every minute)
        second = rig.worker(env, log)
        try:
            waiting = OutboxEmail.objects.filter(
                status__in=[Status.PENDING, Status.CLAIMED, Status.SENDING]
            )

            last = [0.0]

            def settled() -> bool:
                if not waiting.exists():
                    return True
                # beat's job: a relay run now and then until the leases ran out
                if time.monotonic() - last[0] > 1:
                    rig.publish(own_redis.url, queue, "pae_ops.tasks.relay_outbox_task")
                    last[0] = time.monotonic()
                return False

            rig.wait_for(settled, 90, [log], "every email to be settled")
        finally:
            rig.stop(second)
    finally:
        rig.stop(first)
    # then: 30 emails reached the server, each once
    sent = Counter(smtp.sink.message_ids())
    assert len(sent) == 30
    assert set(sent.values()) == {1}
    statuses = Counter(OutboxEmail.objects.values_list("status", flat=True))
    assert statuses == {Status.SENT: 29, Status.UNCONFIRMED: 1}
    unsure = OutboxEmail.objects.get(status=Status.UNCONFIRMED)
    assert sent[unsure.message_id] == 1  # the server had it: not sent again


def test_a_sweep_of_a_killed_worker_runs_again_within_the_visibility_timeout(
    own_redis, test_database_url, role_groups, tmp_path
):
    """The worker is SIGKILLed mid-sweep; its task, left unacknowledged in
    Redis, is redelivered to a new worker after CELERY_VISIBILITY_TIMEOUT
    (no new publish), and every SLA event is recorded once."""
    from cases.models import Case, SlaDigest, SlaEvent
    from tests.cases.factories import ensure_default_calendar, mx, store_checks, stored_deadlines
    from tests.clients.factories import ClientFactory
    from tests.factories import UserFactory

    ensure_default_calendar()
    # No addresses: no emails, so the new worker's queue holds only what Redis
    # gives back (it restores unacknowledged tasks when it is idle).
    leader = UserFactory(leader=True, email="")
    agent = UserFactory(agent=True, profile__leader=leader, email="")
    client = ClientFactory(assigned_agent=agent)
    opened = mx(2026, 10, 5, 10)
    Case.objects.bulk_create(
        Case(
            client=client,
            assignee=agent,
            subject=f"Caso {i}",
            opened_at=opened,
            **stored_deadlines(opened),
        )
        for i in range(3000)
    )
    store_checks()
    # Small batches: the sweep is still running when the worker is killed.
    env = rig.app_env(
        test_database_url, own_redis.url, CELERY_VISIBILITY_TIMEOUT="3", SLA_SWEEP_BATCH_SIZE="50"
    )
    log = tmp_path / "worker.log"
    first = rig.worker(env, log)
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    try:
        rig.publish(own_redis.url, queue, "cases.tasks.sweep_sla_task")
        rig.wait_for(lambda: SlaEvent.objects.exists(), 90, [log], "the first batch")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = SlaEvent.objects.count()
        assert at_kill < 6000, "the sweep ended before the kill"
        # when: a new worker starts; nothing is published again
        received = log.read_text().count("Task cases.tasks.sweep_sla_task[")
        started = time.monotonic()
        second = rig.worker(env, log)
        try:
            rig.wait_for(
                lambda: log.read_text().count("Task cases.tasks.sweep_sla_task[") > received,
                90,
                [log],
                "the sweep to be redelivered",
            )
            took = time.monotonic() - started
            rig.wait_for(
                lambda: SlaEvent.objects.count() == 6000, 240, [log], "the redelivered sweep"
            )
        finally:
            rig.stop(second)
    finally:
        rig.stop(first)
    # then: the task ran again soon after the visibility timeout, each event once
    assert took < 60, f"redelivered after {took:.0f} s"  # visibility timeout: 3 s
    keys = Counter(SlaEvent.objects.values_list("case_id", "window", "kind", "cycle"))
    assert set(keys.values()) == {1}
    notes = Counter(Notification.objects.values_list("recipient_id", "dedupe_key"))
    assert set(notes.values()) == {1}
    # one digest per sweep (the killed one's and the redelivered one's): every
    # case in exactly one of them, the killed sweep's emailed by a later one
    listed = Counter(
        case_id
        for digest in SlaDigest.objects.filter(notification__recipient=leader)
        for case_id in digest.case_ids
    )
    assert set(listed) == set(Case.objects.values_list("pk", flat=True))
    assert set(listed.values()) == {1}


# Two beats -------------------------------------------------------------------------------


def test_two_beats_for_several_periods_raise_each_alert_once(
    own_redis, test_database_url, role_groups, tmp_path
):
    """Two beats (a mistake in a deployment) send every tick twice: each SLA
    alert is still recorded and notified once."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from cases.models import Case, SlaEvent
    from pae_ops.beat import install_beat_defaults
    from tests.cases.factories import ensure_default_calendar, mx, store_checks, stored_deadlines
    from tests.clients.factories import ClientFactory
    from tests.factories import UserFactory

    ensure_default_calendar()
    install_beat_defaults()
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.exclude(name="sla-sweep").update(enabled=False)
    PeriodicTask.objects.filter(name="sla-sweep").update(interval=every_second)
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    opened = mx(2026, 10, 5, 10)
    Case.objects.bulk_create(
        Case(
            client=ClientFactory(assigned_agent=agent),
            assignee=agent,
            subject=f"C{i}",
            opened_at=opened,
            **stored_deadlines(opened),
        )
        for i in range(20)
    )
    store_checks()
    env = rig.app_env(test_database_url, own_redis.url)
    logs = [tmp_path / "worker.log", tmp_path / "beat1.log", tmp_path / "beat2.log"]
    processes = [rig.worker(env, logs[0])]
    for n, log in enumerate(logs[1:]):
        processes.append(
            rig.celery(
                env, "beat", "--loglevel=INFO", f"--schedule={tmp_path / f'beat{n}'}", log=log
            )
        )
    try:

        def sent_by_each_beat() -> int:
            return min(log.read_text().count("Sending due task sla-sweep") for log in logs[1:])

        # several periods: both beats sent the sweep at least 5 times each
        rig.wait_for(lambda: sent_by_each_beat() >= 5, 90, logs, "5 sweeps from each beat")
        rig.wait_for(lambda: SlaEvent.objects.count() == 40, 60, logs, "the alerts")
    finally:
        for process in processes:
            rig.stop(process)
    assert set(Counter(SlaEvent.objects.values_list("case_id", "window", "kind")).values()) == {1}
    # one digest per person per sweep that recorded something; every case listed
    for person in (leader, agent):
        notes = Notification.objects.filter(recipient=person, kind="sla-breach")
        assert Counter(notes.values_list("dedupe_key", flat=True)).most_common(1)[0][1] == 1
        listed = {case_id for note in notes for case_id in note.sla_digest.case_ids}
        assert listed == set(Case.objects.values_list("pk", flat=True))


# The database connection killed mid-request ---------------------------------------------------


def test_a_backend_killed_mid_post_gives_the_500_page_writes_nothing_and_the_next_succeeds(
    own_redis, test_database_url, role_groups, tmp_path
):
    """pg_terminate_backend of the request's backend while it waits on a row lock."""
    import psycopg
    from django.urls import reverse

    from refunds.models import RefundApproval, RefundRequest

    request, cast = _awaiting_leader()
    env = rig.app_env(test_database_url, own_redis.url)
    port = rig.free_port()
    web = rig.gunicorn(env, port, tmp_path / "web.log")
    params = connection.settings_dict
    dsn = (
        f"host={params['HOST'] or '127.0.0.1'} port={params['PORT'] or 5432}"
        f" dbname={params['NAME']} user={params['USER'] or 'postgres'}"
    )
    try:
        leader = Browser(port, rig.session_cookie(cast.leader))
        detail = reverse("refunds:request-detail", args=[request.pk])
        approve = reverse("refunds:request-approve", args=[request.pk])
        result = {}
        with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as admin:
            # given: another transaction holds the request's row
            holder.execute(
                f"SELECT 1 FROM {RefundRequest._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
                [request.pk],
            )

            def post():
                result["answer"] = leader.post_form(detail, approve, {"approve-comment": "ok"})

            poster = threading.Thread(target=post)
            poster.start()
            # when: the request's backend waits on the lock, it is terminated
            waiting = []

            def blocked() -> bool:
                waiting[:] = admin.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = %s AND wait_event_type = 'Lock'",
                    [params["NAME"]],
                ).fetchall()
                return bool(waiting)

            rig.wait_for(blocked, 30, [tmp_path / "web.log"], "the POST to wait on the lock")
            admin.execute("SELECT pg_terminate_backend(%s)", [waiting[0][0]])
            poster.join(timeout=30)
            holder.rollback()
        status, html, _t = result["answer"]
        # then: the portal's 500 page, and nothing written
        assert status == 500
        assert "Algo salió mal" in html
        assert not RefundApproval.objects.filter(request=request, approver=cast.leader).exists()
        # and the next request succeeds on a new connection
        status, _html, _t = leader.post_form(detail, approve, {"approve-comment": "ok"})
        assert status == 302
        assert RefundApproval.objects.filter(request=request, approver=cast.leader).exists()
    finally:
        rig.stop(web)
