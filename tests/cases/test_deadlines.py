"""The stored SLA deadlines of a case (SLA-1, SLA-2, SLA-3) at the calendar's
boundaries (BH-1): a weekend, a holiday, a lunch break, a case opened outside
business hours, a DST change, 48 against 72 hours. Plus one property."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.clocks import ClockState, case_clocks
from cases.services import open_case
from pae_ops.business_hours import business_hours_between
from pae_ops.models import BusinessCalendar, WorkingInterval
from pae_ops.selectors import load_calendar_spec
from tests.cases.factories import mx
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def _open(agent, opened_at):
    client = ClientFactory(assigned_agent=agent)
    return open_case(actor=agent, client_id=client.pk, subject="Duda", opened_at=opened_at)


def test_first_response_due_8_business_hours_later_same_day(clock, team):
    """RULES: SLA-1, SLA-4. Monday 10:00: due 18:00, warning at 75 % (16:00)."""
    case = _open(team["agent"], mx(2026, 11, 9, 10))
    assert case.first_response_hours == Decimal("8")
    assert case.first_response_due_at == mx(2026, 11, 9, 18)
    assert case.first_response_warn_at == mx(2026, 11, 9, 16)


def test_first_response_across_a_weekend_and_a_holiday(clock, team):
    """RULES: SLA-1, BH-1. Friday 13 Nov 15:00: 3 h on Friday, the weekend and
    Monday 16 Nov (Revolution Day) skipped, 5 h on Tuesday: 14:00."""
    clock.set(mx(2026, 11, 13, 16))
    case = _open(team["agent"], mx(2026, 11, 13, 15))
    assert case.first_response_due_at == mx(2026, 11, 17, 14)


def test_first_response_across_a_lunch_break(clock, team):
    """RULES: SLA-1, BH-1. With 09:00-14:00 and 15:00-18:00, Monday 12:00 + 8 h
    counts 2 h before lunch, 3 h after, and 3 h on Tuesday: Tuesday 12:00."""
    calendar = BusinessCalendar.objects.get(is_default=True)
    WorkingInterval.objects.filter(calendar=calendar).delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start_time=start, end_time=end)
        for day in range(5)
        for start, end in ((time(9), time(14)), (time(15), time(18)))
    )
    clock.set(mx(2026, 11, 9, 13))
    case = _open(team["agent"], mx(2026, 11, 9, 12))
    assert case.first_response_due_at == mx(2026, 11, 10, 12)


def test_case_opened_outside_business_hours_counts_from_the_next_opening(clock, team):
    """RULES: SLA-1, BH-1. Saturday 11:00: counting starts Monday 09:00, due 17:00."""
    clock.set(mx(2026, 11, 7, 12))
    case = _open(team["agent"], mx(2026, 11, 7, 11))
    assert case.first_response_due_at == mx(2026, 11, 9, 17)
    assert case.first_response_warn_at == mx(2026, 11, 9, 15)


def test_first_response_across_a_dst_change(clock, team):
    """RULES: SLA-1, BH-1. A New York calendar: Friday 6 March 2026 15:00 EST
    + 8 h = Monday 9 March 14:00 EDT (18:00 UTC, not the 19:00 UTC that
    counting in UTC across the spring-forward Sunday would give)."""
    BusinessCalendar.objects.update(is_default=False)
    calendar = BusinessCalendar.objects.create(
        name="New York", time_zone="America/New_York", holiday_country="US", is_default=True
    )
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start_time=time(9), end_time=time(18))
        for day in range(5)
    )
    clock.set(datetime(2026, 3, 6, 21, tzinfo=UTC))
    case = _open(team["agent"], datetime(2026, 3, 6, 15, tzinfo=NY))
    assert case.first_response_due_at == datetime(2026, 3, 9, 14, tzinfo=NY)
    assert case.first_response_due_at == datetime(2026, 3, 9, 18, tzinfo=UTC)
    assert case.calendar_name == "New York"


def test_resolution_target_48_and_limit_72_business_hours(clock, team):
    """RULES: SLA-2, SLA-3. Monday 9 Nov 10:00: the target (48 h) is Tuesday
    17 Nov 13:00 (Monday 16 is a holiday), the limit (72 h) Friday 20 Nov
    10:00, the warning at 75 % of the 72 h window (54 h) Wednesday 10:00."""
    case = _open(team["agent"], mx(2026, 11, 9, 10))
    spec = load_calendar_spec()
    assert case.resolution_target_at == mx(2026, 11, 17, 13)
    assert case.resolution_due_at == mx(2026, 11, 20, 10)
    assert case.resolution_warn_at == mx(2026, 11, 18, 10)
    assert business_hours_between(case.opened_at, case.resolution_target_at, spec) == 48
    assert business_hours_between(case.opened_at, case.resolution_due_at, spec) == 72


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (mx(2026, 11, 17, 12, 59), ClockState.RUNNING),
        (mx(2026, 11, 17, 13), ClockState.AT_RISK),  # 48 h: at risk, not breached
        (mx(2026, 11, 20, 9, 59), ClockState.AT_RISK),
        (mx(2026, 11, 20, 10), ClockState.BREACHED),  # 72 h: breached
    ],
)
def test_between_48_and_72_the_case_is_at_risk_past_72_breached(clock, team, now, state):
    """RULES: SLA-2"""
    case = _open(team["agent"], mx(2026, 11, 9, 10))
    case.first_responded_at = mx(2026, 11, 9, 11)
    clocks = {c.key: c for c in case_clocks(case, now=now, spec=load_calendar_spec())}
    assert clocks["resolution_limit"].state == state


def test_stored_deadlines_are_not_recomputed_when_the_calendar_changes(clock, team):
    """RULES: SLA-3. Stored when the case opens; a later closure changes the
    explanation but not the deadline (the page says so)."""
    case = _open(team["agent"], mx(2026, 11, 9, 10))
    calendar = BusinessCalendar.objects.get(is_default=True)
    calendar.closures.create(date=date(2026, 11, 9), reason="Inventario")
    case.refresh_from_db()
    assert case.first_response_due_at == mx(2026, 11, 9, 18)
    clocks = case_clocks(case, now=clock.now, spec=load_calendar_spec(), explain=True)
    assert clocks[0].explanation_differs


def test_open_case_refuses_a_future_opening(clock, team):
    """RULES: SLA-1"""
    from pae_ops.errors import DomainError

    with pytest.raises(DomainError) as excinfo:
        _open(team["agent"], clock.now + timedelta(minutes=1))
    assert excinfo.value.rule == "SLA-1"


# One property at the case level ---------------------------------------------

# Hypothesis takes naive bounds and attaches the zone itself.
OPENINGS = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(opened_at=OPENINGS)
def test_property_stored_first_response_deadline_is_8_business_hours_after_opening(
    clock, team, opened_at
):
    """RULES: SLA-1, BH-1. Whenever a case opens (inside or outside business
    hours, any day), business_hours_between(opened_at, stored deadline) == 8,
    and the warning is 6 of them."""
    clock.set(mx(2028, 1, 1))
    client = ClientFactory(assigned_agent=team["agent"])
    case = open_case(
        actor=team["agent"], client_id=client.pk, subject="Propiedad", opened_at=opened_at
    )
    spec = load_calendar_spec()
    assert business_hours_between(case.opened_at, case.first_response_due_at, spec) == 8
    assert business_hours_between(case.opened_at, case.first_response_warn_at, spec) == 6
