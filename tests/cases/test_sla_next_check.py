"""SLA-4 at scale: each case's "next SLA check at", kept by the services and the
sweep; the sweep reads only what is due, in bounded statements; one digest
per person per sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, SlaCheck, SlaDigest, SlaEvent, SlaSettings
from cases.services import (
    close_case,
    log_interaction,
    open_case,
    reopen_case,
    resolve_case,
    resume_case,
    sweep_sla,
    wait_on_client,
)
from cases.services.sla_next import next_check_of, refresh_next_sla_check
from cases.services.sla_writes import DIGEST_LINES, ORPHAN_DIGEST_AGE
from pae_ops.models import Notification, OutboxEmail
from tests.cases.factories import mx, store_checks, stored_deadlines
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = mx(2026, 11, 9, 10)


def _case(team):
    client = ClientFactory(assigned_agent=team["agent"])
    return open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)


def _log(team, case, clock, at, direction):
    clock.set(max(clock.now, at))
    return log_interaction(
        actor=team["agent"],
        client_id=case.client_id,
        case_id=case.pk,
        channel="phone",
        direction=direction,
        summary="Llamada",
        occurred_at=at,
    )


def _next(case):
    return next_check_of(case)


def _bulk_cases(team, count, *, opened_at=MONDAY_10):
    """``count`` new cases of the agent, stored as ``open_case`` stores them."""
    client = ClientFactory(assigned_agent=team["agent"])
    Case.objects.bulk_create(
        Case(
            client=client,
            assignee=team["agent"],
            subject=f"Caso {i}",
            **{
                "opened_at": opened_at,
                **stored_deadlines(opened_at),
            },
        )
        for i in range(count)
    )
    store_checks()


# The services keep it ---------------------------------------------------------------


def test_opening_a_case_checks_it_first_at_its_first_response_warning(clock, team):
    """RULES: SLA-4. Nothing can happen before 75 % of the first response."""
    case = _case(team)
    assert _next(case) == case.first_response_warn_at


def test_an_answer_in_time_moves_the_check_to_the_resolution_warning(clock, team):
    """RULES: SLA-4, SLA-1. Answered before its warning: the first response is
    settled, the resolution warning is next."""
    case = _case(team)
    _log(team, case, clock, mx(2026, 11, 9, 11), "outbound")
    case.refresh_from_db()
    assert _next(case) == case.resolution_warn_at


def test_an_answer_after_the_deadline_keeps_the_breach_to_check(clock, team):
    """RULES: SLA-4, SLA-1. Answered late while the sweep was down: the
    breach is still to record, at the deadline (the check is in the past)."""
    case = _case(team)
    _log(team, case, clock, mx(2026, 11, 10, 11), "outbound")
    assert _next(case) == case.first_response_due_at
    sweep_sla(now=clock.now)
    assert SlaEvent.objects.get(case=case, kind="breach").occurred_at == case.first_response_due_at
    case.refresh_from_db()
    assert _next(case) == case.resolution_warn_at


def test_a_later_contact_checks_its_own_warning(clock, team):
    """RULES: SLA-4, SLA-1. A contact after the answer waits 8 hours: its
    warning (Tuesday 12:00) comes before the resolution warning."""
    case = _case(team)
    _log(team, case, clock, mx(2026, 11, 9, 11), "outbound")
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    assert _next(case) == case.response_clocks.get().warn_at == mx(2026, 11, 10, 12)


def test_pausing_holds_every_check_after_the_pause_and_resuming_moves_it(clock, team):
    """RULES: SLA-4, SLA-3. Paused at 11:00, before the 16:00 warning: nothing
    left to check until the wait ends; then the moved warning."""
    SlaSettings.objects.filter(pk=SlaSettings.SINGLETON_PK).update(pause_while_waiting=True)
    case = _case(team)
    clock.set(mx(2026, 11, 9, 11))
    wait_on_client(actor=team["agent"], case_id=case.pk)
    assert _next(case) is None
    clock.set(mx(2026, 11, 9, 13))
    resume_case(actor=team["agent"], case_id=case.pk)
    case.refresh_from_db()
    assert case.first_response_warn_at == mx(2026, 11, 9, 18)  # two hours later
    assert _next(case) == case.first_response_warn_at


def test_resolving_or_closing_in_time_clears_the_check(clock, team):
    """RULES: SLA-4, SLA-2. Nothing left to check on a case settled in time."""
    resolved, closed = _case(team), _case(team)
    clock.set(mx(2026, 11, 9, 12))
    resolve_case(actor=team["agent"], case_id=resolved.pk)
    close_case(actor=team["agent"], case_id=closed.pk, note="Duplicado")
    assert _next(resolved) is None
    assert _next(closed) is None
    assert not SlaCheck.objects.filter(case__in=[resolved, closed]).exists()


def test_resolving_after_a_deadline_keeps_its_breach_to_check(clock, team):
    """RULES: SLA-4. Resolved Tuesday unanswered, after Monday 18:00, while the
    sweep was down: the breach is still to record (catch-up)."""
    case = _case(team)
    clock.set(mx(2026, 11, 10, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)
    assert _next(case) == case.first_response_due_at
    sweep_sla(now=clock.now)
    assert _next(case) is None
    assert SlaEvent.objects.filter(case=case, window="first_response", kind="breach").count() == 1


def test_reopening_checks_the_new_resolution_window(clock, team):
    """RULES: SLA-4, SLA-3. A new cycle from the reopening: its warning."""
    case = _case(team)
    _log(team, case, clock, mx(2026, 11, 9, 11), "outbound")
    clock.set(mx(2026, 11, 9, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)
    assert _next(case) is None
    clock.set(mx(2026, 11, 23, 9))
    case = reopen_case(actor=team["agent"], case_id=case.pk, reason="Volvió a escribir")
    assert _next(case) == case.resolution_warn_at


def test_the_sweep_moves_the_check_past_what_it_recorded(clock, team):
    """RULES: SLA-4. After the 16:00 warning the deadline (18:00) is next;
    after both breaches nothing is left on the open case."""
    case = _case(team)
    sweep_sla(now=mx(2026, 11, 9, 16))
    assert _next(case) == case.first_response_due_at
    sweep_sla(now=mx(2026, 11, 30, 12))
    assert _next(case) is None


def test_a_case_the_sweep_leaves_with_nothing_to_check_loses_its_row(clock, team):
    """RULES: SLA-4. The sweep deletes the check of a case with nothing left
    (the due index never held it); reopening the case stores one again."""
    case = _case(team)
    clock.set(mx(2026, 11, 10, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)
    assert SlaCheck.objects.filter(case=case, at=case.first_response_due_at).exists()
    sweep_sla(now=clock.now)
    assert not SlaCheck.objects.filter(case=case).exists()
    clock.set(mx(2026, 11, 23, 9))
    case = reopen_case(actor=team["agent"], case_id=case.pk, reason="Volvió a escribir")
    assert SlaCheck.objects.get(case=case).at == case.resolution_warn_at


def test_refreshing_existing_cases_stores_what_can_still_happen(clock, team):
    """RULES: SLA-4. Many cases at once (as the rescue sweep does): an open
    case and one resolved late get theirs; one resolved in time and one
    whose breach is recorded get none."""
    fresh, late, in_time, recorded = (_case(team) for _ in range(4))
    Case.objects.filter(pk=late.pk).update(
        status=Case.Status.RESOLVED, resolved_at=mx(2026, 11, 10, 12)
    )
    Case.objects.filter(pk=in_time.pk).update(
        status=Case.Status.RESOLVED, resolved_at=mx(2026, 11, 9, 12)
    )
    Case.objects.filter(pk=recorded.pk).update(
        status=Case.Status.RESOLVED, resolved_at=mx(2026, 11, 10, 12)
    )
    SlaEvent.objects.create(
        case=recorded,
        window="first_response",
        kind="breach",
        cycle=1,
        occurred_at=recorded.first_response_due_at,
        recorded_at=clock.now,
    )
    SlaCheck.objects.all().delete()
    refresh_next_sla_check([fresh.pk, late.pk, in_time.pk, recorded.pk])
    assert _next(fresh) == fresh.first_response_warn_at
    assert _next(late) == late.first_response_due_at
    assert _next(in_time) is None
    assert _next(recorded) is None


# Bounded statements ------------------------------------------------------------------


def _sweep_queries(now, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        report = sweep_sla(now=now, **kwargs)
    return report, len(queries)


def test_sweep_statements_depend_on_the_batches_only(team):
    """RULES: SLA-4. 40 cases in batches of 10 and 80 in batches of 20: the
    same four batches, the same statements (4 per batch, 3 for the empty
    one, 4 for the emails); 10 and 200 cases in one batch: equal too."""
    counts = []
    for size, batch in ((40, 10), (80, 20), (10, 1000), (200, 1000)):
        Notification.objects.all().delete()
        Case.objects.all().delete()
        _bulk_cases(team, size)
        report, queries = _sweep_queries(mx(2026, 11, 9, 18), batch_size=batch)
        assert report.as_dict()["first_response_breach"] == size
        counts.append(queries)
    assert counts == [4 * 4 + 3 + 4] * 2 + [4 + 3 + 4] * 2


def test_a_re_run_reads_nothing_and_takes_the_same_few_statements(team):
    """RULES: SLA-4. After a sweep of 10 and of 150 cases past every deadline,
    the re-run is the empty lock and the emails step: 7 statements, 0 events,
    0 cases read, nothing written."""
    counts = []
    for size in (10, 150):
        Notification.objects.all().delete()
        Case.objects.all().delete()
        _bulk_cases(team, size, opened_at=mx(2026, 10, 5, 10))
        now = mx(2026, 11, 30, 12)
        sweep_sla(now=now)
        assert not SlaCheck.objects.filter(at__isnull=False).exists()
        before = (SlaEvent.objects.count(), Notification.objects.count(), Case.history.count())
        report, queries = _sweep_queries(now + timedelta(minutes=5))
        assert (report.total, report.cases) == (0, 0)
        assert (
            SlaEvent.objects.count(),
            Notification.objects.count(),
            Case.history.count(),
        ) == before
        counts.append(queries)
    assert counts == [7, 7]


# The digest ---------------------------------------------------------------------------


def test_one_digest_per_person_per_sweep_lists_every_case_once(team):
    """RULES: SLA-4, SEG-7. 30 cases breached in batches of 7: the agent and
    the leader get one notification each, listing the 30 cases (the body the
    first 20), each breach recorded once at its deadline; a later sweep's new
    breaches are a new digest."""
    _bulk_cases(team, 30)
    now = mx(2026, 11, 9, 18)
    sweep_sla(now=now, batch_size=7)

    cases = sorted(Case.objects.values_list("pk", flat=True))
    for person in (team["agent"], team["leader"]):
        note = Notification.objects.get(recipient=person)
        assert note.kind == "sla-breach"
        assert sorted(note.sla_digest.case_ids) == cases
        assert note.sla_digest.case_count == 30
        # one part per batch (7, 7, 7, 7, 2), each written once: the list
        # grows by rows, never by rewriting the earlier batches' cases
        assert [len(p.case_ids) for p in note.sla_digest.parts.order_by("pk")] == [7, 7, 7, 7, 2]
        assert note.title == "Alertas de SLA en tus casos: 30"
        assert len(note.body.splitlines()) == DIGEST_LINES
        assert note.url == ""  # many cases: the body lists them
    events = SlaEvent.objects.filter(window="first_response", kind="breach")
    assert events.count() == 30
    assert set(events.values_list("occurred_at", flat=True)) == {
        stored_deadlines(MONDAY_10)["first_response_due_at"]
    }
    assert set(events.values_list("recorded_at", flat=True)) == {now}
    # emailed once the sweep ended: one email per digest, the breach first
    assert OutboxEmail.objects.filter(priority=OutboxEmail.Priority.HIGH).count() == 2

    sweep_sla(now=mx(2026, 11, 30, 12), batch_size=7)  # the resolution limits
    assert Notification.objects.filter(recipient=team["agent"]).count() == 2
    latest = Notification.objects.filter(recipient=team["agent"]).order_by("-id").first()
    assert latest.title == "Alertas de SLA en tus casos: 30"
    assert "límite de resolución superado" in latest.body
    assert SlaEvent.objects.count() == 60


def test_a_digest_body_lists_the_first_cases_of_a_batch_by_number(team):
    """RULES: SLA-4. One batch of 30 breaches: the body has a line for each of
    the first 20 cases, in case order, with the client and what happened;
    the title and the digest count all 30."""
    _bulk_cases(team, 30)
    sweep_sla(now=mx(2026, 11, 9, 18), batch_size=100)

    cases = sorted(Case.objects.values_list("pk", flat=True))
    client = Case.objects.get(pk=cases[0]).client
    note = Notification.objects.get(recipient=team["agent"])
    assert note.sla_digest.case_count == 30
    assert note.title == "Alertas de SLA en tus casos: 30"
    assert note.body.splitlines() == [
        f"#{pk} · {client.name}: primera respuesta vencida" for pk in cases[:DIGEST_LINES]
    ]


def test_warnings_and_breaches_of_one_sweep_share_the_digest(clock, team):
    """RULES: SLA-4. A warning of one case and a breach of another in one
    sweep: one notification for the agent, of the breach's kind."""
    early = _case(team)
    clock.set(mx(2026, 11, 9, 12))
    late = open_case(
        actor=team["agent"],
        client_id=early.client_id,
        subject="Otro",
        opened_at=mx(2026, 11, 9, 12),
    )
    sweep_sla(now=mx(2026, 11, 10, 10))  # early breached (18:00), late warned (Tue 9:00)
    note = Notification.objects.get(recipient=team["agent"])
    assert note.kind == "sla-breach"
    assert sorted(note.sla_digest.case_ids) == sorted([early.pk, late.pk])
    assert f"#{late.pk} · {late.client.name}: primera respuesta por vencer" in note.body


def test_a_digest_whose_sweep_died_is_emailed_by_a_later_sweep(clock, team):
    """RULES: SLA-4. A sweep killed after its batches, before emailing: the
    next sweep (15 minutes on) emails that digest, once."""
    _bulk_cases(team, 3)
    now = mx(2026, 11, 9, 18)
    sweep_sla(now=now)
    SlaDigest.objects.update(emailed_at=None)
    OutboxEmail.objects.all().delete()  # as if that sweep died before its last step

    sweep_sla(now=now + timedelta(minutes=5))
    assert not OutboxEmail.objects.exists()  # maybe still running: not yet
    sweep_sla(now=now + ORPHAN_DIGEST_AGE + timedelta(seconds=1))
    sweep_sla(now=now + ORPHAN_DIGEST_AGE + timedelta(minutes=5))
    assert OutboxEmail.objects.count() == 2  # the agent's and the leader's, once
