"""The SLA sweep (SLA-4, SLA-3, SEG-7): warnings at 75 %, breaches, exactly once,
catch-up with the stored times, set-based in bounded batches."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Escalation, SlaCheck, SlaEvent
from cases.services import (
    log_interaction,
    open_case,
    reopen_case,
    resolve_case,
    sweep_sla,
    wait_on_client,
)
from cases.services import sla as sla_module
from cases.services.sla_next import next_check_of
from clients.models import Segment
from pae_ops.models import Notification, OutboxEmail
from tests.cases.factories import CaseFactory, mx, store_checks, stored_deadlines
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = mx(2026, 11, 9, 10)


def _case(team, **kwargs):
    client = ClientFactory(assigned_agent=team["agent"], **kwargs)
    return open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)


def _events(case, **kwargs):
    return SlaEvent.objects.filter(case=case, **kwargs)


def _notes(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind)


def test_sweep_sends_no_warning_before_75_percent(clock, team):
    """RULES: SLA-4. One microsecond before 6 of 8 hours: nothing."""
    case = _case(team)
    sweep_sla(now=case.first_response_warn_at - timedelta(microseconds=1))
    assert not _events(case).exists()


def test_sweep_warns_the_assignee_at_75_percent_of_the_first_response(clock, team):
    """RULES: SLA-4. At 16:00 (6 of 8 business hours) the assignee, and only
    they, get one warning; occurred_at is the stored warning instant."""
    case = _case(team)
    report = sweep_sla(now=mx(2026, 11, 9, 16))
    event = _events(case).get()
    assert (event.window, event.kind, event.occurred_at) == (
        "first_response",
        "warning",
        mx(2026, 11, 9, 16),
    )
    assert report.total == 1
    assert _notes(team["agent"], "sla-warning").count() == 1
    assert not _notes(team["leader"], "sla-warning").exists()
    case.refresh_from_db()
    assert case.status == Case.Status.NEW  # a warning does not escalate


def test_sweep_run_twice_sends_one_alert(clock, team):
    """RULES: SLA-4. The second run changes nothing: one event, one notice each."""
    case = _case(team)
    now = mx(2026, 11, 9, 18)  # the first-response deadline
    first = sweep_sla(now=now)
    second = sweep_sla(now=now)
    assert (first.total, second.total) == (1, 0)
    assert _events(case, kind="breach").count() == 1
    assert _notes(team["agent"], "sla-breach").count() == 1
    assert _notes(team["leader"], "sla-breach").count() == 1
    assert Escalation.objects.filter(case=case).count() == 1


def test_breach_notifies_assignee_and_leader_and_marks_the_case_escalated(clock, team):
    """RULES: SLA-4. The breach escalates the case to the assignee's leader,
    with a history row and an escalation record."""
    case = _case(team)
    sweep_sla(now=mx(2026, 11, 9, 18))
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    assert case.escalation_level == Case.EscalationLevel.LEADER
    assert case.history.first().status == Case.Status.ESCALATED  # audited, not a bare update
    escalation = Escalation.objects.get(case=case)
    assert escalation.source == Escalation.Source.SLA_BREACH
    assert escalation.escalated_to == team["leader"]
    assert {n.recipient for n in Notification.objects.filter(kind="sla-breach")} == {
        team["agent"],
        team["leader"],
    }


def _case_row_updates() -> tuple[int, int]:
    """This transaction's updates of case rows so far: (all, heap-only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = 'cases_case'"
        )
        return cursor.fetchone()


def test_escalating_a_breached_case_rewrites_no_index_of_the_case_table(clock, team):
    """RULES: SLA-4. Escalation moves a case between open statuses: every row
    the sweep writes is a heap-only update (no indexed value changes: the
    open cases' partial indexes read the generated ``status_is_open``; the
    page has room, fill factor 80), and it writes only the rows it
    escalates: not the one whose warning it records."""
    escalated = [_case(team) for _ in range(3)]
    clock.set(mx(2026, 11, 9, 11))
    client = ClientFactory(assigned_agent=team["agent"])
    warned = open_case(
        actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=mx(2026, 11, 9, 11)
    )
    before = _case_row_updates()

    report = sweep_sla(now=mx(2026, 11, 9, 18))

    updates, hot = (a - b for a, b in zip(_case_row_updates(), before, strict=True))
    assert report.counts[("first_response", "breach")] == len(escalated)
    assert report.counts[("first_response", "warning")] == 1
    assert _events(warned).count() == 1
    assert Case.objects.filter(status=Case.Status.ESCALATED).count() == len(escalated)
    assert (updates, hot) == (len(escalated), len(escalated))


def test_the_generated_open_flag_is_the_open_statuses(team):
    """``Case.status_is_open`` (computed by PostgreSQL) says what
    ``Case.OPEN_STATUSES`` says, for every status."""
    case = _case(team)
    for status in Case.Status.values:
        Case.objects.filter(pk=case.pk).update(
            status=status, resolved_at=case.opened_at, closed_at=case.opened_at
        )
        stored = Case.objects.values_list("status_is_open", flat=True).get(pk=case.pk)
        assert stored is (status in Case.OPEN_STATUSES), status


def test_sweep_after_a_long_gap_catches_up_with_the_stored_breach_times(clock, team):
    """RULES: SLA-4. Down for two weeks: the breaches are recorded at the
    stored deadlines (not when the sweep ran), and the stale warnings are
    not sent (the breach says more)."""
    case = _case(team)
    late = mx(2026, 11, 30, 12)
    sweep_sla(now=late)
    breaches = {e.window: e.occurred_at for e in _events(case, kind="breach")}
    assert breaches == {
        "first_response": case.first_response_due_at,
        "resolution": case.resolution_due_at,
    }
    assert not _events(case, kind="warning").exists()
    assert all(e.recorded_at == late for e in _events(case))
    escalation = Escalation.objects.get(case=case)
    assert escalation.created_at == case.first_response_due_at


def test_a_late_answer_logged_while_the_sweep_was_down_still_breaches(clock, team):
    """RULES: SLA-4, SLA-1. Answered Tuesday, after Monday 18:00: one breach."""
    case = _case(team)
    clock.set(mx(2026, 11, 10, 11))
    log_interaction(
        actor=team["agent"],
        client_id=case.client_id,
        case_id=case.pk,
        channel="email",
        direction="outbound",
        summary="Respuesta",
    )
    sweep_sla(now=clock.now)
    assert _events(case, window="first_response", kind="breach").get().occurred_at == (
        mx(2026, 11, 9, 18)
    )


def test_an_answer_in_time_stops_the_first_response_clock(clock, team):
    """RULES: SLA-1, SLA-4"""
    case = _case(team)
    clock.set(mx(2026, 11, 9, 11))
    log_interaction(
        actor=team["agent"],
        client_id=case.client_id,
        case_id=case.pk,
        channel="phone",
        direction="outbound",
        summary="Llamada de respuesta",
    )
    sweep_sla(now=mx(2026, 11, 10, 12))
    assert not _events(case, window="first_response").exists()


def test_waiting_on_client_does_not_pause_the_clocks(clock, team):
    """RULES: SLA-3. A case waiting on the client still breaches at its stored deadline."""
    case = _case(team)
    wait_on_client(actor=team["agent"], case_id=case.pk)
    sweep_sla(now=case.first_response_due_at)
    assert _events(case, window="first_response", kind="breach").exists()


def test_resolved_cases_are_not_swept(clock, team):
    """RULES: SLA-2, SLA-4"""
    case = _case(team)
    clock.set(mx(2026, 11, 9, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)
    sweep_sla(now=mx(2026, 11, 30))
    assert not _events(case).exists()


def test_reopen_recomputes_the_resolution_deadline_and_warns_again(clock, team):
    """RULES: SLA-2, SLA-3, SLA-4. Reopening starts a new resolution window
    (a new cycle) from the reopening; the sweep breaches it once more."""
    case = _case(team)
    sweep_sla(now=mx(2026, 11, 20, 10))  # the first cycle breaches
    clock.set(mx(2026, 11, 20, 11))
    resolve_case(actor=team["agent"], case_id=case.pk)
    clock.set(mx(2026, 11, 23, 9))  # Monday
    case = reopen_case(actor=team["agent"], case_id=case.pk, reason="El cliente volvió a escribir")
    assert case.sla_cycle == 2
    assert case.resolution_started_at == mx(2026, 11, 23, 9)
    assert case.resolution_due_at == stored_deadlines(mx(2026, 11, 23, 9))["resolution_due_at"]
    sweep_sla(now=case.resolution_due_at)
    assert _events(case, window="resolution", kind="breach").count() == 2
    assert set(_events(case, window="resolution").values_list("cycle", flat=True)) == {1, 2}


def test_breach_of_an_a_client_case_notifies_the_clients_leader(clock, team):
    """RULES: SEG-7, SLA-4. The A client's leader watches and hears of the breach."""
    client_leader = UserFactory(leader=True)
    case = _case(team, leader=client_leader, segment_override=Segment.A, override_reason="VIP")
    sweep_sla(now=case.first_response_due_at)
    assert _notes(client_leader, "sla-breach").count() == 1


def test_a_sweep_whose_event_another_sweep_committed_skips_it(clock, team):
    """RULES: SLA-4. Two sweeps racing: the other one committed the breach
    after this one read the case as due; the unique constraint drops it, so
    nothing is sent or escalated twice, and the case's next check moves on."""
    case = _case(team)
    SlaEvent.objects.create(
        case=case,
        window="first_response",
        kind="breach",
        cycle=1,
        occurred_at=case.first_response_due_at,
        recorded_at=clock.now,
    )
    # What this sweep read before the other one committed: the case is due.
    SlaCheck.objects.filter(case=case).update(at=case.first_response_warn_at)
    report = sweep_sla(now=case.first_response_due_at)
    assert report.total == 0
    assert not Notification.objects.exists()
    case.refresh_from_db()
    assert case.status == Case.Status.NEW
    assert next_check_of(case) == case.resolution_warn_at


def test_sweep_over_5000_open_cases_runs_in_a_bounded_number_of_queries(team):
    """RULES: SLA-4. 5,000 breached cases, batches of 1,000: a fixed number of
    queries per batch (no per-row query); a second run changes nothing."""
    # given: 5,000 cases opened four weeks ago, past both deadlines
    agents = [team["agent"], team["other"]]
    clients = [ClientFactory(assigned_agent=agent) for agent in agents]
    opened_at = mx(2026, 10, 5, 10)
    deadlines = stored_deadlines(opened_at)
    Case.objects.bulk_create(
        Case(
            client=clients[i % 2],
            assignee=agents[i % 2],
            subject=f"Caso {i}",
            opened_at=opened_at,
            **deadlines,
        )
        for i in range(5000)
    )
    store_checks()
    now = mx(2026, 11, 2, 12)

    # when
    with CaptureQueriesContext(connection) as queries:
        report = sweep_sla(now=now)

    # then: two breach passes of 5 batches each, plus the empty batches
    assert report.as_dict() == {
        "first_response_breach": 5000,
        "resolution_breach": 5000,
        "response_breach": 0,
        "first_response_warning": 0,
        "resolution_warning": 0,
        "response_warning": 0,
    }
    batches = math.ceil(5000 / sla_module.BATCH_SIZE)
    # per batch: savepoint, lock, the batch's statement (events, next checks,
    # escalations and history, digests), release; then the empty batch (3)
    # and the emails (4)
    assert len(queries) == batches * 4 + 3 + 4
    assert SlaEvent.objects.count() == 10000
    assert Escalation.objects.count() == 5000
    assert Case.objects.filter(status=Case.Status.ESCALATED).count() == 5000
    # one digest per person for the sweep: both agents and their leader
    assert Notification.objects.count() == 3
    assert not SlaCheck.objects.filter(at__isnull=False).exists()

    counts = (SlaEvent.objects.count(), Notification.objects.count(), Escalation.objects.count())
    history = Case.history.count()
    with CaptureQueriesContext(connection) as again:
        second = sweep_sla(now=now)
    assert second.total == 0
    assert second.cases == 0  # it read no case
    assert len(again) == 3 + 4  # one empty lock in its savepoint, the emails step
    assert (
        SlaEvent.objects.count(),
        Notification.objects.count(),
        Escalation.objects.count(),
    ) == counts
    assert Case.history.count() == history


def test_sweep_batch_query_count_does_not_grow_with_the_batch(team):
    """RULES: SLA-4. A batch of 10 and a batch of 200 take the same queries."""
    counts = []
    for size in (10, 200):
        SlaEvent.objects.all().delete()
        Case.objects.all().delete()
        client = ClientFactory(assigned_agent=team["agent"])
        Case.objects.bulk_create(
            Case(
                client=client,
                assignee=team["agent"],
                subject="x",
                opened_at=MONDAY_10,
                **stored_deadlines(MONDAY_10),
            )
            for _ in range(size)
        )
        store_checks()
        with CaptureQueriesContext(connection) as queries:
            sweep_sla(now=mx(2026, 11, 9, 18), batch_size=1000)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_cases_without_an_assignee_breach_without_notices(clock, team):
    """RULES: SLA-4"""
    case = CaseFactory(assignee=None, opened_by=None, opened_at=MONDAY_10)
    sweep_sla(now=case.first_response_due_at)
    assert _events(case, kind="breach").exists()


def _team_with_new_cases(count: int):
    """A leader, their agent and ``count`` new cases of the agent opened
    Monday 10:00, stored as ``open_case`` stores them."""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    customer = ClientFactory(assigned_agent=agent)
    Case.objects.bulk_create(
        Case(
            client=customer,
            assignee=agent,
            subject=f"Caso {i}",
            opened_at=MONDAY_10,
            **stored_deadlines(MONDAY_10),
        )
        for i in range(count)
    )
    store_checks()
    return leader, agent


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_running_at_once_record_and_notify_each_breach_once(role_groups):
    """RULES: SLA-4. Two real threads (two connections) sweep the same 300
    breached cases at the same moment, in small batches: every event,
    notification and escalation exists exactly once."""
    import threading

    from django.db import connections

    leader, agent = _team_with_new_cases(300)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            sweep_sla(now=mx(2026, 12, 1, 12), batch_size=50)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert SlaEvent.objects.count() == 600  # two windows x 300, once each
    assert Escalation.objects.count() == 300
    # one digest each for this sweep instant, every case listed once
    for person in (agent, leader):
        note = Notification.objects.get(kind="sla-breach", recipient=person)
        assert sorted(note.sla_digest.case_ids) == sorted(Case.objects.values_list("pk", flat=True))
        assert note.title == "Alertas de SLA en tus casos: 300"


@pytest.mark.django_db(transaction=True)
def test_a_storm_is_swept_by_helper_connections_each_breach_once(role_groups, monkeypatch):
    """RULES: SLA-4. 400 breached cases in batches of 40 with three workers:
    the first batch is full, so two helper threads (their own connections)
    sweep beside the caller; every case is read once, every event, history
    row and escalation exists once, one digest per person lists every case,
    and the report adds up what the three recorded."""
    threads_started = []
    real_start = sla_module.threading.Thread.start

    def counted_start(thread):
        threads_started.append(thread)
        real_start(thread)

    monkeypatch.setattr(sla_module.threading.Thread, "start", counted_start)
    leader, agent = _team_with_new_cases(400)

    report = sweep_sla(now=mx(2026, 12, 1, 12), batch_size=40, workers=3)

    assert len(threads_started) == 2
    assert report.cases == 400
    assert report.as_dict()["first_response_breach"] == 400
    assert report.as_dict()["resolution_breach"] == 400
    assert SlaEvent.objects.count() == 800
    assert Escalation.objects.count() == 400
    assert Case.history.filter(status=Case.Status.ESCALATED).count() == 400
    for person in (agent, leader):
        note = Notification.objects.get(kind="sla-breach", recipient=person)
        assert sorted(note.sla_digest.case_ids) == sorted(Case.objects.values_list("pk", flat=True))
        assert note.title == "Alertas de SLA en tus casos: 400"
    assert sweep_sla(now=mx(2026, 12, 1, 12), batch_size=40, workers=3).total == 0


def test_a_sweep_that_fits_one_batch_starts_no_helper(clock, team, monkeypatch):
    """A sweep whose first batch is not full has nothing for a helper."""
    monkeypatch.setattr(sla_module.threading, "Thread", None)  # would fail if used
    _case(team)
    report = sweep_sla(now=mx(2026, 11, 9, 18), batch_size=40, workers=3)
    assert report.cases == 1


def test_breach_digests_speak_each_recipients_language_and_link_the_case(clock, team):
    """RULES: SLA-4. The digests are written in SQL: each in its recipient's
    language, the client's name kept as typed (braces and % included), one
    case linked, email pending only for a person with an address; the
    history row says why and the escalation keeps the stored breach instant."""
    team["leader"].profile.language = "en"
    team["leader"].profile.save()
    team["agent"].email = ""
    team["agent"].save()
    case = _case(team, name="Ana {number} 100% <b>")
    due = case.first_response_due_at

    sweep_sla(now=mx(2026, 11, 9, 18))

    agent_note = _notes(team["agent"], "sla-breach").get()
    leader_note = _notes(team["leader"], "sla-breach").get()
    assert agent_note.title == "Alertas de SLA en tus casos: 1"
    assert agent_note.body == f"#{case.pk} · Ana {{number}} 100% <b>: primera respuesta vencida"
    assert leader_note.title == "SLA alerts on your cases: 1"
    assert leader_note.body == f"#{case.pk} · Ana {{number}} 100% <b>: first response overdue"
    assert agent_note.url == leader_note.url == f"/cases/{case.pk}/"
    assert agent_note.dedupe_key == f"sla-digest:{mx(2026, 11, 9, 18).isoformat()}"
    assert agent_note.sla_digest.case_ids == [case.pk]
    # the agent has no address: no email; the leader's breach email goes first
    assert not agent_note.emails.exists()
    assert leader_note.emails.get().priority == OutboxEmail.Priority.HIGH
    record = case.history.first()
    assert (record.history_type, record.history_change_reason) == (
        "~",
        "SLA de primera respuesta incumplido.",
    )
    assert Escalation.objects.get(case=case).created_at == due
