"""SLA-3: pausing the clocks while a case waits on the client (an admin
setting, off by default). Off: nothing pauses. On: the time waiting does not
count, the deadlines move when the case leaves that status, and BH-2's
explanation lists the paused intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases.clocks import ClockState, case_clocks, shift_for_pause
from cases.models import Case, CasePause, Escalation, ResponseClock, SlaEvent, SlaSettings
from cases.selectors import get_sla_settings, list_case_pauses
from cases.services import (
    escalate_case,
    log_interaction,
    open_case,
    resolve_case,
    resume_case,
    sweep_sla,
    wait_on_client,
)
from pae_ops.business_hours import add_business_hours, business_hours_between
from pae_ops.selectors import load_calendar_spec
from tests.cases.factories import DEFAULT_SPEC, mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = mx(2026, 11, 9, 10)
# Opened Monday 9 November 10:00: the 72-hour limit is Friday 20 November
# 10:00 (Monday 16 is a public holiday).
LIMIT = mx(2026, 11, 20, 10)


@pytest.fixture
def pausing(db):
    SlaSettings.objects.filter(pk=SlaSettings.SINGLETON_PK).update(pause_while_waiting=True)


def _case(team, clock, *, answered=True):
    client = ClientFactory(assigned_agent=team["agent"])
    case = open_case(actor=team["agent"], client_id=client.pk, subject="Pago", opened_at=MONDAY_10)
    if answered:
        _log(team, case, clock, mx(2026, 11, 9, 11), "outbound")
    return case


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


def _wait(team, case, clock, at):
    clock.set(at)
    return wait_on_client(actor=team["agent"], case_id=case.pk)


def _resume(team, case, clock, at):
    clock.set(at)
    return resume_case(actor=team["agent"], case_id=case.pk)


# Off (the default) ----------------------------------------------------------------


def test_pausing_is_off_by_default_and_waiting_moves_no_deadline(clock, team):
    """RULES: SLA-3. Default settings: waiting from Monday 12:00 to Wednesday
    12:00 leaves every deadline where it was, and records no pause."""
    assert get_sla_settings().pause_while_waiting is False
    case = _case(team, clock)
    before = Case.objects.values(
        "resolution_target_at", "resolution_warn_at", "resolution_due_at"
    ).get(pk=case.pk)

    case = _wait(team, case, clock, mx(2026, 11, 9, 12))
    assert case.sla_paused_at is None
    _resume(team, case, clock, mx(2026, 11, 11, 12))

    after = Case.objects.values(
        "resolution_target_at", "resolution_warn_at", "resolution_due_at"
    ).get(pk=case.pk)
    assert after == before
    assert not CasePause.objects.exists()


def test_with_pausing_off_a_waiting_case_breaches_at_its_stored_limit(clock, team):
    """RULES: SLA-3, SLA-4"""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    sweep_sla(now=LIMIT)
    assert SlaEvent.objects.filter(case=case, window="resolution", kind="breach").exists()


# On --------------------------------------------------------------------------------


def test_with_pausing_on_the_wait_does_not_count_and_the_deadlines_move(clock, team, pausing):
    """RULES: SLA-3, BH-2. Waiting from Monday 12:00 to Wednesday 12:00 is 18
    business hours (6 + 9 + 3): the limit moves from Friday 20 November 10:00
    to Tuesday 24 November 10:00, the target and the warning too; the first
    response, answered before the wait, stays."""
    # given
    case = _case(team, clock)
    first_response_due = case.first_response_due_at
    spec = load_calendar_spec()

    # when
    case = _wait(team, case, clock, mx(2026, 11, 9, 12))
    assert case.sla_paused_at == mx(2026, 11, 9, 12)
    case = _resume(team, case, clock, mx(2026, 11, 11, 12))

    # then
    case.refresh_from_db()
    assert case.sla_paused_at is None
    assert list_case_pauses(case) == [(mx(2026, 11, 9, 12), mx(2026, 11, 11, 12))]
    assert case.resolution_due_at == mx(2026, 11, 24, 10)
    assert business_hours_between(case.opened_at, case.resolution_due_at, spec) == 72 + 18
    assert business_hours_between(case.opened_at, case.resolution_target_at, spec) == 48 + 18
    assert business_hours_between(case.opened_at, case.resolution_warn_at, spec) == 54 + 18
    assert case.first_response_due_at == first_response_due

    limit = {
        c.key: c
        for c in case_clocks(
            case, now=clock.now, spec=spec, explain=True, pauses=list_case_pauses(case)
        )
    }["resolution_limit"]
    why = limit.explanation
    assert why.deadline == case.resolution_due_at  # BH-2: the page explains the stored one
    assert not limit.explanation_differs
    assert [(p.start, p.end, p.hours) for p in why.paused] == [
        (mx(2026, 11, 9, 12), mx(2026, 11, 11, 12), Decimal(18))
    ]


def test_a_paused_case_records_nothing_while_it_waits_and_breaches_after(clock, team, pausing):
    """RULES: SLA-3, SLA-4. Waiting past its stored limit: no breach, the page
    says paused; back in progress, the moved limit breaches once."""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))

    sweep_sla(now=mx(2026, 11, 23, 12))
    assert not SlaEvent.objects.filter(case=case).exists()
    case.refresh_from_db()
    states = {c.key: c for c in case_clocks(case, now=mx(2026, 11, 23, 12), spec=None)}
    assert states["resolution_limit"].state == ClockState.PAUSED
    assert states["first_response"].state == ClockState.MET

    case = _resume(team, case, clock, mx(2026, 11, 24, 9))
    case.refresh_from_db()
    assert case.resolution_due_at > mx(2026, 11, 24, 9)
    sweep_sla(now=case.resolution_due_at)
    event = SlaEvent.objects.get(case=case, window="resolution", kind="breach")
    assert event.occurred_at == case.resolution_due_at


def test_a_deadline_passed_before_the_pause_still_breaches_and_the_case_keeps_waiting(
    clock, team, pausing
):
    """RULES: SLA-3, SLA-4. Unanswered past Monday 18:00, waiting from Tuesday
    9:00 with the sweep down: the breach is recorded at 18:00 and notified;
    the case keeps waiting on the client (escalation level and record, not
    the status)."""
    case = _case(team, clock, answered=False)
    _wait(team, case, clock, mx(2026, 11, 10, 9))

    sweep_sla(now=mx(2026, 11, 10, 10))

    assert SlaEvent.objects.get(case=case).occurred_at == mx(2026, 11, 9, 18)
    case.refresh_from_db()
    assert case.status == Case.Status.WAITING_ON_CLIENT
    assert case.escalation_level == Case.EscalationLevel.LEADER
    assert Escalation.objects.get(case=case).created_at == mx(2026, 11, 9, 18)


def test_the_clients_reply_ends_the_pause_when_it_happened(clock, team, pausing):
    """RULES: SLA-3. The reply of Tuesday 12:00, logged on Wednesday, ends the
    wait at Tuesday 12:00 and puts the case back in progress."""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    clock.set(mx(2026, 11, 11, 10))
    _log(team, case, clock, mx(2026, 11, 10, 12), "inbound")

    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert list_case_pauses(case) == [(mx(2026, 11, 9, 12), mx(2026, 11, 10, 12))]
    spec = load_calendar_spec()
    assert business_hours_between(case.opened_at, case.resolution_due_at, spec) == 72 + 9


def test_resolving_a_waiting_case_past_its_stored_limit_meets_the_moved_one(clock, team, pausing):
    """RULES: SLA-3, SLA-2. Resolved while waiting, after the stored limit but
    within the limit once the wait is taken out: met, no breach."""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    clock.set(mx(2026, 11, 20, 12))
    resolve_case(actor=team["agent"], case_id=case.pk)

    case.refresh_from_db()
    assert case.resolved_at < case.resolution_due_at
    sweep_sla(now=mx(2026, 12, 31))
    assert not SlaEvent.objects.filter(case=case).exists()


def test_escalating_a_waiting_case_ends_the_pause(clock, team, pausing):
    """RULES: SLA-3, COM-1"""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    clock.set(mx(2026, 11, 10, 12))
    escalate_case(actor=team["agent"], case_id=case.pk, reason="Sin respuesta")
    case.refresh_from_db()
    assert case.sla_paused_at is None
    assert list_case_pauses(case) == [(mx(2026, 11, 9, 12), mx(2026, 11, 10, 12))]


def test_a_later_contacts_clock_waiting_moves_with_the_pause(clock, team, pausing):
    """RULES: SLA-3, SLA-1. The contact of Monday 15:00 (due Tuesday 14:00) had
    7 business hours left when the wait began at 16:00; resumed Tuesday
    16:00, it is due Wednesday 14:00."""
    case = _case(team, clock)
    _log(team, case, clock, mx(2026, 11, 9, 15), "inbound")
    _wait(team, case, clock, mx(2026, 11, 9, 16))
    _resume(team, case, clock, mx(2026, 11, 10, 16))
    row = ResponseClock.objects.get(case=case)
    assert row.due_at == mx(2026, 11, 11, 14)
    assert row.warn_at == mx(2026, 11, 11, 12)


def test_turning_pausing_off_ends_a_running_pause_as_usual(clock, team, pausing):
    """RULES: SLA-3. The switch applies to waits that begin afterwards: a
    pause that began while it was on ends (and counts) as it began."""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    SlaSettings.objects.filter(pk=SlaSettings.SINGLETON_PK).update(pause_while_waiting=False)
    _resume(team, case, clock, mx(2026, 11, 11, 12))
    case.refresh_from_db()
    assert case.resolution_due_at == mx(2026, 11, 24, 10)


def test_the_admin_turns_pausing_on(client, db):
    """RULES: SLA-3. The switch is on the SLA settings page of the admin."""
    client.force_login(UserFactory(admin=True))
    url = reverse("admin:cases_slasettings_change", args=[1])
    assert 'name="pause_while_waiting"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "first_response_hours": "8",
            "resolution_target_hours": "48",
            "resolution_limit_hours": "72",
            "warning_percent": "75",
            "no_follow_up_hours": "18",
            "pause_while_waiting": "on",
        },
    )
    assert response.status_code == 302
    assert get_sla_settings().pause_while_waiting is True


def test_the_case_page_shows_the_pause_and_the_paused_intervals(client, clock, team, pausing):
    """RULES: SLA-3, BH-2. While waiting the clocks say paused; afterwards the
    explanation lists the interval that did not count."""
    case = _case(team, clock)
    _wait(team, case, clock, mx(2026, 11, 9, 12))
    client.force_login(team["agent"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-state="paused"' in page
    assert 'data-testid="paused-resolution_limit"' in page

    _resume(team, case, clock, mx(2026, 11, 11, 12))
    client.force_login(team["agent"])  # the frozen clock moved past the session's age
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-state="paused"' not in page
    assert 'data-testid="paused-intervals-resolution_limit"' in page


def test_a_paused_rescue_case_escalated_to_its_area_ends_its_pause(clock, team, pausing):
    """RULES: SLA-3, RES-3. The area escalation takes the case out of waiting on
    the client: the pause ends then, and the deadlines move by it."""
    from cases.models import RescueStep
    from cases.services import sweep_rescue_escalations
    from tests.cases.factories import TypingReasonFactory

    call = TypingReasonFactory(rescue_step=RescueStep.CALL, name_es="Llamada del protocolo")
    client = ClientFactory(assigned_agent=team["agent"])
    case = open_case(actor=team["agent"], client_id=client.pk, subject="Rescate", kind="rescue")
    log_interaction(
        actor=team["agent"],
        client_id=client.pk,
        case_id=case.pk,
        channel="phone",
        direction="outbound",
        summary="Primera llamada",
        reason_id=call.pk,
    )
    _wait(team, case, clock, mx(2026, 11, 9, 11))
    due = Case.objects.get(pk=case.pk).resolution_due_at

    clock.set(mx(2026, 11, 12, 11))
    assert sweep_rescue_escalations() == 1

    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    assert case.sla_paused_at is None
    assert list_case_pauses(case) == [(mx(2026, 11, 9, 11), mx(2026, 11, 12, 11))]
    assert case.resolution_due_at > due


# Property: moving a stored instant equals counting again without the pause.

PAUSE_STARTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
PAUSE_LENGTHS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
HOURS = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
STARTS = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(DEFAULT_SPEC.tz),
)


@hypothesis_settings(max_examples=150, deadline=None)
@given(start=STARTS, hours=HOURS, after=PAUSE_STARTS, length=PAUSE_LENGTHS)
def test_property_shifting_for_a_pause_equals_counting_without_it(start, hours, after, length):
    """RULES: SLA-3, BH-2. The services move the stored instant
    (``shift_for_pause``); the case page explains it by counting from the start
    without the pause. Both give the same instant, so the explanation matches
    the stored deadline."""
    paused_at = start + after
    resumed_at = paused_at + length
    stored = add_business_hours(start, hours, DEFAULT_SPEC)
    moved = shift_for_pause(stored, paused_at=paused_at, resumed_at=resumed_at, spec=DEFAULT_SPEC)
    recounted = add_business_hours(start, hours, DEFAULT_SPEC, paused=[(paused_at, resumed_at)])
    assert moved.astimezone(UTC) == recounted.astimezone(UTC)
