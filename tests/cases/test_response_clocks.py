"""SLA-1 for later contacts: every inbound contact on an open case that waits
for our answer gets 8 business hours to the next outbound one, one clock per
wait, warned and breached once each by the sweep (SLA-4)."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Escalation, Interaction, ResponseClock, SlaEvent
from cases.services import log_interaction, open_case, resolve_case, sweep_sla
from pae_ops.models import Notification
from tests.cases.factories import CaseFactory, InteractionFactory, mx
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = mx(2026, 11, 9, 10)


def _answered_case(team, clock):
    """A case opened Monday 10:00 and first answered at 11:00."""
    client = ClientFactory(assigned_agent=team["agent"])
    case = open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)
    _log(team, case, clock, mx(2026, 11, 9, 11), "outbound")
    return case


def _log(team, case, clock, at, direction, **kwargs):
    clock.set(max(clock.now, at))
    return log_interaction(
        actor=team["agent"],
        client_id=case.client_id,
        case_id=case.pk,
        channel="whatsapp",
        direction=direction,
        summary="Mensaje",
        occurred_at=at,
        **kwargs,
    )


def test_a_later_inbound_contact_gets_8_business_hours_to_the_next_answer(clock, team):
    """RULES: SLA-1, BH-1. Monday 15:00 after the first answer: due Tuesday
    14:00 (3 h Monday + 5 h Tuesday), warned at 75 % (Tuesday 12:00)."""
    case = _answered_case(team, clock)

    contact = _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")

    clock_row = ResponseClock.objects.get(case=case)
    assert (clock_row.number, clock_row.contact_id, clock_row.started_at) == (
        1,
        contact.pk,
        mx(2026, 11, 9, 15),
    )
    assert clock_row.due_at == mx(2026, 11, 10, 14)
    assert clock_row.warn_at == mx(2026, 11, 10, 12)
    assert clock_row.answered_at is None


def test_a_second_contact_while_waiting_starts_no_other_clock(clock, team):
    """RULES: SLA-1. One clock per wait: the earlier contact's deadline holds."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 9, 16), "inbound")
    assert ResponseClock.objects.filter(case=case).count() == 1


def test_the_database_refuses_a_second_clock_waiting_on_one_case(clock, team):
    """RULES: SLA-1. One clock per wait, as a constraint: the lists join the
    clock a case waits on and count on finding one row at most."""
    from django.db import IntegrityError, transaction

    case = _answered_case(team, clock)
    contact = _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    waiting = ResponseClock.objects.get(case=case)
    second = {
        "case": case,
        "number": 2,
        "contact": contact,
        "started_at": mx(2026, 11, 9, 16),
        "hours": waiting.hours,
        "warn_at": waiting.warn_at,
        "due_at": waiting.due_at,
    }

    with pytest.raises(IntegrityError, match="cases_respclock_one_pending"), transaction.atomic():
        ResponseClock.objects.create(**second)
    # Answered or stopped, another clock of the case is no second wait.
    ResponseClock.objects.create(**second, answered_at=mx(2026, 11, 9, 17))
    ResponseClock.objects.create(**{**second, "number": 3}, stopped_at=mx(2026, 11, 9, 17))


def test_the_next_outbound_answers_the_clock_and_a_new_contact_starts_another(clock, team):
    """RULES: SLA-1"""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 9, 17), "outbound")
    _log(team, case, clock, mx(2026, 11, 10, 9), "inbound")

    first, second = ResponseClock.objects.filter(case=case).order_by("number")
    assert first.answered_at == mx(2026, 11, 9, 17)
    assert (second.number, second.started_at, second.answered_at) == (
        2,
        mx(2026, 11, 10, 9),
        None,
    )


def test_contacts_before_the_first_response_have_the_cases_clock(clock, team):
    """RULES: SLA-1. Until the first answer the opening's clock covers every contact."""
    client = ClientFactory(assigned_agent=team["agent"])
    case = open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)
    _log(team, case, clock, mx(2026, 11, 9, 12), "inbound")
    assert not ResponseClock.objects.filter(case=case).exists()


def test_a_contact_logged_late_is_answered_by_the_outbound_after_it(clock, team):
    """RULES: SLA-1. Logged on Tuesday for Monday 12:00, with an answer at
    16:00 already logged: its clock exists, answered at 16:00 (in time)."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 16), "outbound")
    clock.set(mx(2026, 11, 10, 10))

    _log(team, case, clock, mx(2026, 11, 9, 12), "inbound")

    row = ResponseClock.objects.get(case=case)
    assert (row.started_at, row.answered_at) == (mx(2026, 11, 9, 12), mx(2026, 11, 9, 16))


def test_a_contact_logged_late_before_the_waiting_one_moves_its_start_back(clock, team):
    """RULES: SLA-1. Same wait (no answer between): the clock starts at the
    earlier contact, and its deadline moves with it."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 16), "inbound")
    earlier = _log(team, case, clock, mx(2026, 11, 9, 13), "inbound")

    row = ResponseClock.objects.get(case=case)
    assert (row.contact_id, row.started_at, row.due_at) == (
        earlier.pk,
        mx(2026, 11, 9, 13),
        mx(2026, 11, 10, 12),
    )


def test_an_answer_logged_late_moves_the_answer_back(clock, team):
    """RULES: SLA-1. Answered at 17:00 but logged after a 10:00 answer of the next day."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 10, 15), "outbound")
    _log(team, case, clock, mx(2026, 11, 9, 17), "outbound")
    assert ResponseClock.objects.get(case=case).answered_at == mx(2026, 11, 9, 17)


def test_a_contact_on_a_resolved_case_starts_no_clock_and_resolving_stops_one(clock, team):
    """RULES: SLA-1, SLA-4. Resolving stops the waiting clock: no breach later."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    clock.set(mx(2026, 11, 9, 16))
    resolve_case(actor=team["agent"], case_id=case.pk)
    _log(team, case, clock, mx(2026, 11, 9, 17), "inbound")

    row = ResponseClock.objects.get(case=case)
    assert row.stopped_at == mx(2026, 11, 9, 16)
    sweep_sla(now=mx(2026, 11, 30))
    assert not SlaEvent.objects.filter(case=case, window="response").exists()


# The sweep --------------------------------------------------------------------------


def test_sweep_warns_the_assignee_once_at_75_percent_of_a_later_contacts_clock(clock, team):
    """RULES: SLA-4, SLA-1"""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")

    first = sweep_sla(now=mx(2026, 11, 10, 12))
    second = sweep_sla(now=mx(2026, 11, 10, 13))

    event = SlaEvent.objects.get(case=case)
    assert (event.window, event.kind, event.cycle, event.occurred_at) == (
        "response",
        "warning",
        1,
        mx(2026, 11, 10, 12),
    )
    assert (first.as_dict()["response_warning"], second.total) == (1, 0)
    note = Notification.objects.get(kind="sla-warning")
    assert note.recipient == team["agent"]
    assert note.title == "Alertas de SLA en tus casos: 1"
    assert note.body == f"#{case.pk} · {case.client.name}: respuesta al cliente por vencer"


def test_sweep_breaches_an_unanswered_later_contact_once_and_escalates(clock, team):
    """RULES: SLA-4, SLA-1. At Tuesday 14:00: one breach, the assignee and the
    leader notified, the case escalated at the deadline; a re-run adds nothing."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    now = mx(2026, 11, 10, 14)

    first, second = sweep_sla(now=now), sweep_sla(now=now)

    assert (first.as_dict()["response_breach"], second.total) == (1, 0)
    event = SlaEvent.objects.get(case=case, kind="breach")
    assert (event.window, event.cycle, event.occurred_at) == ("response", 1, now)
    assert {n.recipient for n in Notification.objects.filter(kind="sla-breach")} == {
        team["agent"],
        team["leader"],
    }
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    escalation = Escalation.objects.get(case=case)
    assert escalation.created_at == now
    assert escalation.reason == "SLA de respuesta a un contacto posterior incumplido."


def test_each_clock_of_a_case_breaches_once_with_its_own_number(clock, team):
    """RULES: SLA-4, SLA-1. Two waits answered late while the sweep was down:
    two breaches (cycles 1 and 2), each notified once, one escalation."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 11, 9), "outbound")  # late
    _log(team, case, clock, mx(2026, 11, 11, 10), "inbound")
    _log(team, case, clock, mx(2026, 11, 13, 9), "outbound")  # late

    sweep_sla(now=mx(2026, 11, 13, 10))

    breaches = SlaEvent.objects.filter(case=case, window="response", kind="breach")
    assert sorted(breaches.values_list("cycle", flat=True)) == [1, 2]
    # one digest: the case once, both late answers on its line
    note = Notification.objects.get(recipient=team["agent"], kind="sla-breach")
    assert note.sla_digest.case_ids == [case.pk]
    assert note.body == f"#{case.pk} · {case.client.name}: respuesta al cliente vencida"
    assert Escalation.objects.filter(case=case).count() == 1


def test_an_answer_in_time_records_nothing(clock, team):
    """RULES: SLA-1, SLA-4"""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 9, 16), "outbound")
    sweep_sla(now=mx(2026, 11, 30))
    assert not SlaEvent.objects.filter(case=case, window="response").exists()


def _bulk_clocks(team, count):
    client = ClientFactory(assigned_agent=team["agent"])
    cases = [
        CaseFactory(client=client, opened_at=MONDAY_10, first_responded_at=mx(2026, 11, 9, 11))
        for _ in range(count)
    ]
    contacts = [
        InteractionFactory(client=client, case=case, occurred_at=mx(2026, 11, 9, 15))
        for case in cases
    ]
    ResponseClock.objects.bulk_create(
        ResponseClock(
            case=case,
            number=1,
            contact=contact,
            started_at=mx(2026, 11, 9, 15),
            hours=8,
            warn_at=mx(2026, 11, 10, 12),
            due_at=mx(2026, 11, 10, 14),
        )
        for case, contact in zip(cases, contacts, strict=True)
    )


def test_sweep_of_later_contacts_takes_the_same_queries_for_10_and_60_clocks(team):
    """RULES: SLA-4. Set-based: no query per clock (batches of 25)."""
    counts = []
    for size in (10, 60):
        SlaEvent.objects.all().delete()
        Notification.objects.all().delete()
        Escalation.objects.all().delete()
        ResponseClock.objects.all().delete()
        Interaction.objects.all().delete()
        Case.objects.all().delete()
        _bulk_clocks(team, size)
        with CaptureQueriesContext(connection) as queries:
            report = sweep_sla(now=mx(2026, 11, 10, 14), batch_size=25)
        assert report.as_dict()["response_breach"] == size
        batches = math.ceil(size / 25)
        # per batch: savepoint, lock, the batch's statement, release
        counts.append(len(queries) - 4 * batches)
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_breach_each_later_contact_once(role_groups):
    """RULES: SLA-4. Two real threads sweep 120 breached later-contact clocks
    in small batches at the same moment: each event, notice and escalation
    exists once."""
    import threading

    from django.db import connections

    from tests.factories import UserFactory

    leader = UserFactory(leader=True, username="lider-hilos")
    agent = UserFactory(agent=True, username="agente-hilos", profile__leader=leader)
    _bulk_clocks({"agent": agent}, 120)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            sweep_sla(now=mx(2026, 11, 10, 14), batch_size=20)
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
    response = SlaEvent.objects.filter(window="response")
    assert response.count() == 120
    assert Escalation.objects.count() == 120
    # one digest each (both sweeps share the instant), every case once
    for person in (agent, leader):
        note = Notification.objects.get(kind="sla-breach", recipient=person)
        assert sorted(note.sla_digest.case_ids) == sorted(Case.objects.values_list("pk", flat=True))


# Where the agent sees it ------------------------------------------------------------


def test_a_case_with_answered_clocks_is_one_row_ranked_by_the_one_it_waits_on(client, clock, team):
    """RULES: SLA-1, SLA-2. Two answered waits and a third one waiting: the
    queue and the board list the case once, with the waiting clock's deadline."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _log(team, case, clock, mx(2026, 11, 9, 16), "outbound")
    _log(team, case, clock, mx(2026, 11, 9, 17), "inbound")
    _log(team, case, clock, mx(2026, 11, 10, 9), "outbound")
    _log(team, case, clock, mx(2026, 11, 10, 10), "inbound")
    assert ResponseClock.objects.filter(case=case).count() == 3
    waiting = ResponseClock.objects.get(case=case, answered_at=None)

    client.force_login(team["agent"])
    rows = [r for r in client.get(reverse("my-work")).context["page_obj"] if r.pk == case.pk]
    assert [(r.next_due_window, r.next_due_at) for r in rows] == [("response", waiting.due_at)]

    clock.set(waiting.due_at)
    client.force_login(team["leader"])
    response = client.get(reverse("cases:board"))
    rows = [r for r in response.context["page_obj"] if r.pk == case.pk]
    assert [(r.next_due_window, r.sla_rank) for r in rows] == [("response", 0)]
    assert response.context["page_obj"].paginator.count == len(response.context["page_obj"])


def test_the_case_page_shows_the_later_contacts_clock(client, clock, team):
    """RULES: SLA-1, BH-2. A fourth clock: the contact's answer, with its why."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    clock.set(mx(2026, 11, 10, 12, 30))  # past the 75 % warning
    client.force_login(team["agent"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-clock="response" data-state="warning"' in page
    assert 'data-testid="why-response"' in page


def test_the_queue_and_the_board_show_the_later_contacts_deadline_first(client, clock, team):
    """RULES: SLA-1, SLA-2. Answered case, a contact waiting: its answer (due
    Tuesday 14:00) is the next deadline, before the 72-hour limit; past it
    the board ranks the case breached."""
    case = _answered_case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    client.force_login(team["agent"])

    row = next(r for r in client.get(reverse("my-work")).context["page_obj"] if r.pk == case.pk)
    assert (row.next_due_window, row.next_due_at) == ("response", mx(2026, 11, 10, 14))
    assert row.sla_rank == 2

    clock.set(mx(2026, 11, 10, 15))
    client.force_login(team["leader"])
    response = client.get(reverse("cases:board"))
    row = next(r for r in response.context["page_obj"] if r.pk == case.pk)
    assert (row.next_due_window, row.sla_rank) == ("response", 0)
    assert 'data-window="response"' in response.content.decode()
