"""Inactivity alerts, rescue cases and their protocol (RES-1, RES-2, RES-3,
RES-6, KPI-7's rescue outcome, SEG-7, ROLE-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from cases import services
from cases.models import Case, Escalation, Interaction, RescueStep
from clients.models import Attendance, Client, Segment
from pae_ops.errors import DomainError
from pae_ops.models import Notification
from tests.cases.factories import CaseFactory, TypingReasonFactory
from tests.clients.factories import AttendanceFactory, ClientFactory, LiveSessionFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


def silent_client(agent, clock, *, days, hours=0, **kwargs) -> Client:
    """A client of ``agent`` whose last answer was ``days`` days ago."""
    client = ClientFactory(assigned_agent=agent, **kwargs)
    answered = clock.now - timedelta(days=days, hours=hours)
    Client.objects.filter(pk=client.pk).update(
        last_answered_at=answered, created_at=answered - timedelta(days=60)
    )
    return client


def warnings_for(user):
    return Notification.objects.filter(recipient=user, kind="inactivity-warning")


def rescue_cases(client=None):
    cases = Case.objects.filter(kind=Case.Kind.RESCUE)
    return cases.filter(client=client) if client is not None else cases


@pytest.fixture
def steps():
    """The protocol's three typing reasons."""
    return {
        step: TypingReasonFactory(rescue_step=step, name_es=f"Paso {step}")
        for step in RescueStep.values
    }


# RES-1: 6 / 7 / 13 / 14 days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hours", "warned", "rescued"),
    [
        (6, 23, False, False),
        (7, 0, True, False),
        (13, 23, True, False),
        (14, 0, False, True),
        (30, 0, False, True),
    ],
)
def test_inactivity_sweep_warns_at_7_days_and_rescues_at_14(
    team, clock, days, hours, warned, rescued
):
    """RULES: RES-1. 6 days: nothing; 7–13: a warning to the agent; 14: a rescue case."""
    customer = silent_client(team["agent"], clock, days=days, hours=hours)

    report = services.sweep_inactivity()

    assert warnings_for(team["agent"]).exists() == warned
    assert rescue_cases(customer).exists() == rescued
    assert report.as_dict() == {"warnings": int(warned), "rescue_cases": int(rescued)}
    if rescued:
        case = rescue_cases(customer).get()
        assert (case.assignee, case.rescue_trigger, case.status) == (
            team["agent"],
            Case.RescueTrigger.SILENCE,
            Case.Status.NEW,
        )
        assert case.rescue_area == Case.RescueArea.EXPERIENCE  # the default until chosen
        assert case.first_response_due_at > case.opened_at  # the SLA clocks are stored
        assert case.history.count() == 1
        assert team["agent"].notifications.filter(kind="rescue-opened").exists()


def test_the_7_day_warning_is_sent_once_per_silence(team, clock):
    """RULES: RES-1. Day 7 and day 13 make one warning; a new silence another."""
    customer = silent_client(team["agent"], clock, days=7)
    services.sweep_inactivity()
    clock.advance(days=6)
    services.sweep_inactivity()
    assert warnings_for(team["agent"]).count() == 1

    Client.objects.filter(pk=customer.pk).update(last_answered_at=clock.now)
    clock.advance(days=7)
    services.sweep_inactivity()
    assert warnings_for(team["agent"]).count() == 2


def test_a_second_sweep_opens_no_second_rescue_case(team, clock):
    """RULES: RES-1. Never a second rescue case while one is open."""
    customer = silent_client(team["agent"], clock, days=20)
    services.sweep_inactivity()
    clock.advance(days=1)
    report = services.sweep_inactivity()

    assert report.rescue_cases == 0
    assert rescue_cases(customer).count() == 1
    assert team["agent"].notifications.filter(kind="rescue-opened").count() == 1


def test_a_rescue_case_by_hand_is_refused_while_one_is_open(team, clock):
    """RULES: RES-1. The service refuses; the partial unique constraint backs it."""
    customer = silent_client(team["agent"], clock, days=20)
    services.sweep_inactivity()
    with pytest.raises(DomainError) as excinfo:
        services.open_case(
            actor=team["agent"], client_id=customer.pk, subject="Rescate", kind="rescue"
        )
    assert excinfo.value.rule == "RES-1"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(client=customer, kind=Case.Kind.RESCUE)


def test_after_a_rescue_case_ends_the_silence_counts_from_its_end(team, clock):
    """RULES: RES-1. A closed rescue does not reopen the next morning."""
    customer = silent_client(team["agent"], clock, days=20)
    services.sweep_inactivity()
    case = rescue_cases(customer).get()
    services.close_case(
        actor=team["agent"], case_id=case.pk, note="No contesta.", rescue_outcome="lost"
    )
    clock.advance(days=1)
    assert services.sweep_inactivity().rescue_cases == 0
    clock.advance(days=13)
    assert services.sweep_inactivity().rescue_cases == 1


def test_a_client_without_an_agent_warns_their_leader(team, clock):
    """RULES: RES-1"""
    silent_client(None, clock, days=8, leader=team["leader"])
    services.sweep_inactivity()
    assert warnings_for(team["leader"]).count() == 1


# RES-1: two missed live sessions, three unanswered emails --------------------------------


def attend(client, clock, *statuses):
    """Attendances, oldest first, one day apart, ending yesterday."""
    for offset, status in enumerate(reversed(statuses), start=1):
        session = LiveSessionFactory(starts_at=clock.now - timedelta(days=offset))
        AttendanceFactory(session=session, client=client, status=status)


@pytest.mark.parametrize(
    ("statuses", "rescued"),
    [
        (["attended", "missed"], False),
        (["missed", "attended"], False),
        (["missed", "attended", "missed"], False),
        (["attended", "missed", "missed"], True),
        (["missed", "missed", "scheduled"], True),
    ],
)
def test_two_missed_live_sessions_in_a_row_open_a_rescue_case(team, clock, statuses, rescued):
    """RULES: RES-1. The last two recorded attendances both missed."""
    customer = silent_client(team["agent"], clock, days=1)
    attend(customer, clock, *statuses)
    services.sweep_inactivity()
    assert rescue_cases(customer).exists() == rescued
    if rescued:
        assert rescue_cases(customer).get().rescue_trigger == Case.RescueTrigger.MISSED_SESSIONS


def log_email(actor, client, clock, days_ago):
    return services.log_interaction(
        actor=actor,
        client_id=client.pk,
        channel="email",
        direction="outbound",
        occurred_at=clock.now - timedelta(days=days_ago),
        summary="Te comparto los recursos de la semana.",
    )


def test_three_unanswered_emails_in_a_row_open_a_rescue_case(team, clock):
    """RULES: RES-1. Two are not enough; the third is."""
    customer = silent_client(team["agent"], clock, days=5)
    log_email(team["agent"], customer, clock, 4)
    log_email(team["agent"], customer, clock, 3)
    services.sweep_inactivity()
    assert not rescue_cases(customer).exists()

    log_email(team["agent"], customer, clock, 2)
    services.sweep_inactivity()
    case = rescue_cases(customer).get()
    assert case.rescue_trigger == Case.RescueTrigger.UNANSWERED_EMAILS


def test_an_answer_between_emails_breaks_the_run(team, clock):
    """RULES: RES-1. An inbound interaction marks the earlier emails answered."""
    customer = silent_client(team["agent"], clock, days=5)
    first = log_email(team["agent"], customer, clock, 4)
    second = log_email(team["agent"], customer, clock, 3)
    services.log_interaction(
        actor=team["agent"],
        client_id=customer.pk,
        channel="whatsapp",
        direction="inbound",
        occurred_at=clock.now - timedelta(days=2, hours=12),
        summary="Gracias, los reviso.",
    )
    log_email(team["agent"], customer, clock, 2)
    log_email(team["agent"], customer, clock, 1)

    services.sweep_inactivity()

    assert not rescue_cases(customer).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.answered_at == second.answered_at == clock.now - timedelta(days=2, hours=12)
    unanswered = Interaction.objects.filter(
        client=customer, direction="outbound", channel="email", answered_at__isnull=True
    )
    assert unanswered.count() == 2


def test_an_email_logged_late_before_the_clients_answer_is_answered(team, clock):
    """RULES: RES-1"""
    customer = silent_client(team["agent"], clock, days=1)
    email = log_email(team["agent"], customer, clock, 3)
    assert email.answered_at == clock.now - timedelta(days=1)


def test_an_a_clients_rescue_case_is_watched_by_their_leader(team, clock):
    """RULES: RES-1, SEG-7"""
    customer = silent_client(
        team["agent"],
        clock,
        days=15,
        leader=team["leader"],
        segment_override=Segment.A,
        override_reason="Cliente clave",
    )
    services.sweep_inactivity()
    case = rescue_cases(customer).get()
    assert list(case.watchers.all()) == [team["leader"]]
    assert team["leader"].notifications.filter(kind="rescue-opened").exists()


# RES-2, RES-6: the protocol checklist -----------------------------------------------------


def protocol_contact(actor, case, clock, reason, *, channel="phone", direction="outbound"):
    return services.log_interaction(
        actor=actor,
        client_id=case.client_id,
        case_id=case.pk,
        channel=channel,
        direction=direction,
        occurred_at=clock.now,
        summary="Contacto del protocolo de rescate.",
        reason_id=reason.pk if reason else None,
    )


@pytest.fixture
def rescue(team, clock):
    customer = silent_client(team["agent"], clock, days=15)
    services.sweep_inactivity()
    return rescue_cases(customer).get()


def test_logging_typed_protocol_contacts_ticks_the_checklist(team, clock, rescue, steps):
    """RULES: RES-2, RES-6. Each step is an interaction typed like any other."""
    from cases.selectors import rescue_checklist

    assert [item.done for item in rescue_checklist(rescue)] == [False, False, False]
    call = protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL])
    clock.advance(hours=1)
    protocol_contact(
        team["agent"], rescue, clock, steps[RescueStep.RESOURCES_EMAIL], channel="email"
    )

    checklist = {item.step: item for item in rescue_checklist(rescue)}
    assert checklist["call"].interaction == call
    assert call.reason is not None
    assert call.category is not None
    assert checklist["resources_email"].done
    assert not checklist["survey"].done


def test_untyped_or_inbound_contacts_tick_nothing(team, clock, rescue, steps):
    """RULES: RES-2, RES-6. Typing it afterwards ticks the step."""
    from cases.selectors import rescue_checklist

    untyped = protocol_contact(team["agent"], rescue, clock, None)
    protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL], direction="inbound")
    assert not any(item.done for item in rescue_checklist(rescue))
    rescue.refresh_from_db()
    assert rescue.rescue_first_contact_at is None

    clock.advance(hours=2)
    services.type_interaction(
        actor=team["agent"], interaction_id=untyped.pk, reason_id=steps[RescueStep.CALL].pk
    )
    assert rescue_checklist(rescue)[0].done
    rescue.refresh_from_db()
    assert rescue.rescue_first_contact_at == untyped.occurred_at


def test_the_first_protocol_contact_stores_when_the_case_escalates(team, clock, rescue, steps):
    """RULES: RES-3. First contact + 3 days, stored once."""
    first = protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL])
    clock.advance(days=1)
    protocol_contact(team["agent"], rescue, clock, steps[RescueStep.RESOURCES_EMAIL])
    rescue.refresh_from_db()
    assert rescue.rescue_first_contact_at == first.occurred_at
    assert rescue.rescue_escalate_at == first.occurred_at + timedelta(days=3)


# RES-3: 2 vs 3 days after the first protocol contact ------------------------------------------


@pytest.fixture
def sales(db):
    group = Group.objects.get(name="Sales area")
    people = [UserFactory(agent=True), UserFactory(leader=True)]
    for person in people:
        person.groups.add(group)
    return people


def test_a_silent_rescue_case_escalates_to_its_area_at_3_days(team, clock, rescue, steps, sales):
    """RULES: RES-3. 2 days after the first contact: nothing; 3 days: the Sales
    area chosen on the case is notified and follows it."""
    services.set_rescue_area(actor=team["agent"], case_id=rescue.pk, area="sales")
    contact = protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL])

    clock.advance(days=2)
    assert services.sweep_rescue_escalations() == 0
    rescue.refresh_from_db()
    assert rescue.rescue_escalated_at is None

    clock.advance(days=1)
    assert services.sweep_rescue_escalations() == 1
    rescue.refresh_from_db()
    assert rescue.status == Case.Status.ESCALATED
    assert rescue.rescue_escalated_at == contact.occurred_at + timedelta(days=3)
    escalation = Escalation.objects.get(case=rescue)
    assert escalation.source == Escalation.Source.RESCUE_AREA
    assert set(rescue.watchers.all()) == set(sales)
    for person in [*sales, team["agent"]]:
        assert person.notifications.filter(kind="rescue-escalated").count() == 1
    # Once: a second run changes nothing.
    clock.advance(hours=1)
    assert services.sweep_rescue_escalations() == 0
    assert Escalation.objects.filter(case=rescue).count() == 1


def test_a_sweep_that_was_down_escalates_at_the_stored_instant(team, clock, rescue, steps):
    """RULES: RES-3"""
    contact = protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL])
    clock.advance(days=10)
    services.sweep_rescue_escalations()
    assert Escalation.objects.get(case=rescue).created_at == contact.occurred_at + timedelta(days=3)


def test_a_client_who_answers_within_3_days_stops_the_escalation(team, clock, rescue, steps):
    """RULES: RES-3. An inbound interaction (or a survey answer) is an answer."""
    protocol_contact(team["agent"], rescue, clock, steps[RescueStep.CALL])
    clock.advance(days=2)
    services.log_interaction(
        actor=team["agent"],
        client_id=rescue.client_id,
        case_id=rescue.pk,
        channel="phone",
        direction="inbound",
        summary="Me devolvió la llamada.",
    )
    clock.advance(days=2)
    assert services.sweep_rescue_escalations() == 0


def test_a_rescue_case_without_protocol_contact_never_escalates(team, clock, rescue):
    """RULES: RES-3. The 3 days run from the first protocol contact."""
    clock.advance(days=30)
    assert services.sweep_rescue_escalations() == 0


def test_the_area_is_chosen_on_a_rescue_case_only(team, clock, rescue):
    """RULES: RES-3, ROLE-1"""
    other = CaseFactory(client=ClientFactory(), kind=Case.Kind.REQUEST)
    with pytest.raises(PermissionDenied):
        services.set_rescue_area(actor=team["other"], case_id=rescue.pk, area="sales")
    with pytest.raises(DomainError) as excinfo:
        services.set_rescue_area(actor=team["leader"], case_id=other.pk, area="sales")
    assert excinfo.value.rule == "RES-3"
    with pytest.raises(DomainError):
        services.set_rescue_area(actor=team["agent"], case_id=rescue.pk, area="marketing")
    services.set_rescue_area(actor=team["agent"], case_id=rescue.pk, area="sales")
    rescue.refresh_from_db()
    assert rescue.rescue_area == "sales"


# KPI-7: the rescue outcome ----------------------------------------------------------------


def test_a_rescue_case_ends_with_its_outcome(team, clock, rescue):
    """RULES: RES-2 (KPI-7). Resolving needs retained or lost; reopening clears it."""
    with pytest.raises(DomainError):
        services.resolve_case(actor=team["agent"], case_id=rescue.pk)
    services.resolve_case(actor=team["agent"], case_id=rescue.pk, rescue_outcome="retained")
    rescue.refresh_from_db()
    assert (rescue.rescue_outcome, rescue.rescue_outcome_at) == ("retained", clock.now)

    services.reopen_case(actor=team["agent"], case_id=rescue.pk, reason="Volvió a desaparecer")
    rescue.refresh_from_db()
    assert (rescue.rescue_outcome, rescue.rescue_outcome_at) == ("", None)
    services.close_case(
        actor=team["agent"], case_id=rescue.pk, note="Canceló.", rescue_outcome="lost"
    )
    rescue.refresh_from_db()
    assert rescue.rescue_outcome == "lost"


def test_other_cases_need_no_outcome(team):
    """RULES: RES-2"""
    case = CaseFactory(client=ClientFactory(assigned_agent=team["agent"]), assignee=team["agent"])
    services.resolve_case(actor=team["agent"], case_id=case.pk, rescue_outcome="retained")
    case.refresh_from_db()
    assert case.rescue_outcome == ""


def test_the_inactivity_sweep_ignores_attendance_still_scheduled(team, clock):
    """RULES: RES-1"""
    customer = silent_client(team["agent"], clock, days=1)
    attend(customer, clock, "missed", "scheduled", "scheduled")
    services.sweep_inactivity()
    assert not rescue_cases(customer).exists()
    assert Attendance.objects.filter(client=customer).count() == 3


def test_interactions_typed_in_the_case_page_form_keep_rescue_steps(team, clock, rescue, steps):
    """RULES: RES-6. The form posts the reason like any other typing."""
    from django.test import Client as HttpClient
    from django.urls import reverse

    browser = HttpClient()
    browser.force_login(team["agent"])
    response = browser.post(
        reverse("cases:interaction-log", args=[rescue.client_id]) + f"?case={rescue.pk}",
        {
            "case": rescue.pk,
            "direction": "outbound",
            "channel": "phone",
            "summary": "Llamada personalizada.",
            "reason": steps[RescueStep.CALL].pk,
        },
    )
    assert response.status_code == 302
    page = browser.get(rescue.get_absolute_url()).content.decode()
    assert 'data-step="call" data-done="true"' in page
    assert 'data-step="survey" data-done="false"' in page
