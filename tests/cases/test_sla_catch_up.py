"""SLA-4 catch-up: a case answered, resolved or closed after its deadline while
the sweep was down still gets its breach (at the deadline), its notices, and
no escalation once it is no longer open."""

from __future__ import annotations

import pytest

from cases.models import Case, Escalation, SlaEvent
from cases.services import close_case, log_interaction, open_case, resolve_case, sweep_sla
from pae_ops.models import Notification
from tests.cases.factories import mx
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = mx(2026, 11, 9, 10)  # first response due Monday 18:00


def _case(team):
    client = ClientFactory(assigned_agent=team["agent"])
    return open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)


def _answer(team, case, clock, at):
    clock.set(at)
    log_interaction(
        actor=team["agent"],
        client_id=case.client_id,
        case_id=case.pk,
        channel="email",
        direction="outbound",
        summary="Respuesta",
    )


def test_sweep_records_the_breach_of_a_case_answered_and_resolved_late_while_down(clock, team):
    """RULES: SLA-4, SLA-1. Answered Tuesday 11:00 and resolved at 12:00, after
    Monday's 18:00 deadline, with no sweep in between: the next sweep records
    the breach at 18:00 and notifies the assignee and the leader once; the
    resolved case is not escalated."""
    # given
    case = _case(team)
    _answer(team, case, clock, mx(2026, 11, 10, 11))
    clock.set(mx(2026, 11, 10, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)
    history = case.history.count()

    # when
    report = sweep_sla(now=mx(2026, 11, 11, 9))

    # then
    event = SlaEvent.objects.get(case=case)
    assert (event.window, event.kind, event.occurred_at) == (
        "first_response",
        "breach",
        mx(2026, 11, 9, 18),
    )
    assert report.as_dict()["first_response_breach"] == 1
    breaches = Notification.objects.filter(kind="sla-breach")
    assert sorted(n.recipient.username for n in breaches) == ["agente-casos", "lider-casos"]
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert not Escalation.objects.filter(case=case).exists()
    assert case.history.count() == history  # no escalation row either


def test_sweep_records_the_resolution_breach_of_a_case_resolved_after_the_limit(clock, team):
    """RULES: SLA-4, SLA-2. Answered in time, resolved a day after the 72-hour
    limit while the sweep was down: one resolution breach at the limit."""
    case = _case(team)
    _answer(team, case, clock, mx(2026, 11, 9, 11))
    clock.set(mx(2026, 11, 23, 12))  # the limit was Friday 20 November 10:00
    resolve_case(actor=team["agent"], case_id=case.pk)

    sweep_sla(now=mx(2026, 11, 24, 9))

    events = SlaEvent.objects.filter(case=case).values_list("window", "kind", "occurred_at")
    assert list(events) == [("resolution", "breach", case.resolution_due_at)]
    assert not Escalation.objects.filter(case=case).exists()


def test_sweep_records_the_breach_of_a_case_closed_unresolved_after_its_deadline(clock, team):
    """RULES: SLA-4. Closed without an answer on Tuesday: it was open at
    Monday's deadline, so it breached then."""
    case = _case(team)
    clock.set(mx(2026, 11, 10, 9))
    close_case(actor=team["agent"], case_id=case.pk, note="Duplicado")

    sweep_sla(now=mx(2026, 11, 10, 10))

    assert SlaEvent.objects.get(case=case).occurred_at == mx(2026, 11, 9, 18)


def test_a_case_resolved_before_its_deadline_unanswered_gets_no_breach(clock, team):
    """RULES: SLA-4, SLA-1. Resolved at 17:00, before the 18:00 deadline: it was
    not open when the deadline passed."""
    case = _case(team)
    clock.set(mx(2026, 11, 9, 17))
    resolve_case(actor=team["agent"], case_id=case.pk)

    sweep_sla(now=mx(2026, 11, 30))

    assert not SlaEvent.objects.filter(case=case).exists()


def test_catch_up_of_a_settled_case_run_twice_notifies_once(clock, team):
    """RULES: SLA-4. The second sweep writes nothing more."""
    case = _case(team)
    _answer(team, case, clock, mx(2026, 11, 10, 11))
    resolve_case(actor=team["agent"], case_id=case.pk)
    now = mx(2026, 11, 11, 9)

    first, second = sweep_sla(now=now), sweep_sla(now=now)

    assert (first.total, second.total) == (1, 0)
    assert Notification.objects.filter(kind="sla-breach").count() == 2
    assert SlaEvent.objects.filter(case=case).count() == 1


def test_catch_up_still_escalates_an_open_case_answered_late(clock, team):
    """RULES: SLA-4. Answered late but still open: breached and escalated,
    the escalation dated at the deadline."""
    case = _case(team)
    _answer(team, case, clock, mx(2026, 11, 10, 11))

    sweep_sla(now=mx(2026, 11, 10, 12))

    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    assert Escalation.objects.get(case=case).created_at == mx(2026, 11, 9, 18)


def test_the_migration_records_earlier_late_endings_without_notices(clock, team):
    """RULES: SLA-4. Cases that ended after a deadline before the sweep read
    them get their breach records from the data migration, silently; the next
    sweep then sends nothing about them."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("cases.migrations.0011_backfill_breaches_of_cases_ended_late")
    case = _case(team)
    _answer(team, case, clock, mx(2026, 11, 10, 11))
    resolve_case(actor=team["agent"], case_id=case.pk)
    open_one = _case(team)  # still open: the sweep's, with its notices

    class SchemaEditor:
        pass

    editor = SchemaEditor()
    editor.connection = connection
    migration.backfill(apps, editor)

    assert list(SlaEvent.objects.values_list("case_id", "window", "occurred_at")) == [
        (case.pk, "first_response", mx(2026, 11, 9, 18))
    ]
    assert not Notification.objects.filter(kind="sla-breach").exists()
    report = sweep_sla(now=mx(2026, 11, 10, 12))
    assert report.as_dict()["first_response_breach"] == 1  # the open one only
    assert SlaEvent.objects.get(case=open_one).window == "first_response"


def test_catch_up_of_many_settled_cases_goes_in_batches_with_a_fixed_number_of_queries(team):
    """RULES: SLA-4. 10 and 40 cases resolved unanswered after their deadline,
    batches of 7: every breach once, the same queries per batch, none per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.cases.factories import CaseFactory

    per_size = []
    for size in (10, 40):
        SlaEvent.objects.all().delete()
        Notification.objects.all().delete()
        Case.objects.all().delete()
        client = ClientFactory(assigned_agent=team["agent"])
        for _ in range(size):
            CaseFactory(
                client=client,
                opened_at=MONDAY_10,
                status=Case.Status.RESOLVED,
                resolved_at=mx(2026, 11, 10, 12),
            )
        with CaptureQueriesContext(connection) as queries:
            report = sweep_sla(now=mx(2026, 11, 11, 9), batch_size=7)
        assert report.as_dict()["first_response_breach"] == size
        assert sweep_sla(now=mx(2026, 11, 11, 9), batch_size=7).total == 0
        batches = -(-size // 7)
        # savepoint, lock, the batch's statement (no escalation: not open),
        # release
        per_size.append(len(queries) - 4 * batches)
    assert per_size[0] == per_size[1]
    assert not Escalation.objects.exists()
