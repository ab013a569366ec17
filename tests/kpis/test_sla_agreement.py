"""KPI-7's SLA compliance agrees with the sweep's breach records (SLA-4): after
a catch-up, every missed window is one breach, and every breach one missed
window; the later contacts' clocks (SLA-1) count with the first responses."""

from __future__ import annotations

from datetime import date

import pytest

from cases.models import SlaEvent
from cases.services import log_interaction, open_case, resolve_case, sweep_sla
from kpis import selectors
from kpis.services import refresh_kpi_rollups
from tests.cases.factories import mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.kpis.conftest import NOW

pytestmark = pytest.mark.django_db

FEB, FEB_END = date(2026, 2, 1), date(2026, 2, 28)
MONDAY_10 = mx(2026, 2, 9, 10)  # first response due 18:00, limit Thursday 19 Feb 10:00


@pytest.fixture(params=["live", "rollup"])
def source(request):
    return request.param


def _log(clock, agent, case, at, direction):
    clock.set(at)
    log_interaction(
        actor=agent,
        client_id=case.client_id,
        case_id=case.pk,
        channel="phone",
        direction=direction,
        summary="Llamada",
    )


def test_kpi_7_compliance_after_a_catch_up_counts_each_breach_as_a_miss(clock, source):
    """RULES: KPI-7, SLA-4, SLA-1. With no sweep in February:

    - A: answered at 11:00, the client's next contact (Tuesday 10:00, due
      18:00) answered on Wednesday; resolved Wednesday (in time);
    - B: answered Tuesday (late) and resolved after the 72-hour limit;
    - C: resolved at 17:00 unanswered, before its first-response deadline.

    The catch-up sweep records B's first-response and resolution breaches and
    A's later-contact breach. First response: 1 of 3 windows met (C's was
    never due); resolution: 2 of 3. Misses = breach records.
    """
    # given
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    cases = {}
    for name in "ABC":
        clock.set(MONDAY_10)
        client = ClientFactory(assigned_agent=agent)
        cases[name] = open_case(actor=agent, client_id=client.pk, subject=name)
    a, b, c = cases["A"], cases["B"], cases["C"]
    _log(clock, agent, a, mx(2026, 2, 9, 11), "outbound")
    _log(clock, agent, a, mx(2026, 2, 10, 10), "inbound")
    _log(clock, agent, a, mx(2026, 2, 11, 12), "outbound")
    resolve_case(actor=agent, case_id=a.pk)
    _log(clock, agent, b, mx(2026, 2, 10, 11), "outbound")
    clock.set(mx(2026, 2, 20, 12))
    resolve_case(actor=agent, case_id=b.pk)
    clock.set(mx(2026, 2, 9, 17))
    resolve_case(actor=agent, case_id=c.pk)

    # when: the sweep comes back in March
    clock.set(NOW)
    sweep_sla(now=NOW)

    # then: the records
    breaches = set(SlaEvent.objects.filter(kind="breach").values_list("case_id", "window", "cycle"))
    assert breaches == {
        (a.pk, "response", 1),
        (b.pk, "first_response", 1),
        (b.pk, "resolution", 1),
    }
    # and the figure
    if source == "rollup":
        refresh_kpi_rollups(now=NOW)
    levels = selectors.service_levels(
        start=FEB, end=FEB_END, now=NOW, use_rollups=source == "rollup"
    )
    first, resolution = levels.first_response, levels.resolution
    assert (first.part, first.whole) == (1, 3)
    assert (resolution.part, resolution.whole) == (2, 3)
    response_breaches = sum(1 for _case, window, _cycle in breaches if window != "resolution")
    assert first.whole - first.part == response_breaches
    assert resolution.whole - resolution.part == 1


def test_kpi_7_leaves_out_a_limit_held_by_a_pause(clock, source):
    """RULES: KPI-7, SLA-3. Pausing on: a case waiting on the client since
    9 February keeps its stored limit (19 February) until the wait ends, so
    that limit is not settled (the sweep records nothing for it either)."""
    from cases.models import SlaSettings
    from cases.services import wait_on_client

    SlaSettings.objects.filter(pk=SlaSettings.SINGLETON_PK).update(pause_while_waiting=True)
    agent = UserFactory(agent=True)
    clock.set(MONDAY_10)
    case = open_case(
        actor=agent, client_id=ClientFactory(assigned_agent=agent).pk, subject="Espera"
    )
    _log(clock, agent, case, mx(2026, 2, 9, 11), "outbound")
    clock.set(mx(2026, 2, 9, 12))
    wait_on_client(actor=agent, case_id=case.pk)
    clock.set(NOW)
    sweep_sla(now=NOW)

    if source == "rollup":
        refresh_kpi_rollups(now=NOW)
    levels = selectors.service_levels(
        start=FEB, end=FEB_END, now=NOW, use_rollups=source == "rollup"
    )
    assert (levels.first_response.part, levels.first_response.whole) == (1, 1)
    assert levels.resolution.whole == 0
    assert not SlaEvent.objects.filter(case=case).exists()
