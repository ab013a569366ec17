"""Selectors the pages and the KPIs reuse: typing compliance (TYP-3, TYP-4),
the boards' order (SLA-2), month bounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.filters import BoardFilter
from cases.models import Case, Interaction
from cases.selectors import (
    TypingCompliance,
    count_board_cases,
    list_board_cases,
    month_bounds,
    typing_compliance,
)
from tests.cases.factories import CaseFactory, TypingReasonFactory, mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOVEMBER = (mx(2026, 11, 1), mx(2026, 12, 1))


def _log(agent, *, typed: int, untyped: int, when=None) -> None:
    client = ClientFactory(assigned_agent=agent)
    reason = TypingReasonFactory()
    when = when or mx(2026, 11, 10, 12)
    Interaction.objects.bulk_create(
        [
            Interaction(
                client=client,
                channel="phone",
                direction="inbound",
                occurred_at=when,
                handled_by=agent,
                summary="x",
                category=reason.category if i < typed else None,
                reason=reason if i < typed else None,
            )
            for i in range(typed + untyped)
        ]
    )


@pytest.mark.parametrize(
    ("typed", "untyped", "compliance", "reduction"),
    [
        (949, 51, Decimal("94.9"), Decimal("0.1")),  # just below: reduced
        (950, 50, Decimal("95.0"), Decimal("0.0")),  # the boundary: nothing
        (9, 1, Decimal("90.0"), Decimal("5.0")),  # the playbook's example
        (1, 0, Decimal("100.0"), Decimal("0.0")),
        (0, 3, Decimal("0.0"), Decimal("95.0")),
    ],
)
def test_typing_compliance_and_commission_reduction(typed, untyped, compliance, reduction):
    """RULES: TYP-3, TYP-4. 94.9 % reduces 0.1 points; 95.0 % reduces nothing."""
    agent = UserFactory(agent=True)
    _log(agent, typed=typed, untyped=untyped)
    figure = typing_compliance(start=NOVEMBER[0], end=NOVEMBER[1], agent_ids=[agent.pk])[agent.pk]
    assert (figure.logged, figure.typed) == (typed + untyped, typed)
    assert figure.compliance == compliance
    assert figure.commission_reduction == reduction


@pytest.mark.parametrize(
    ("typed", "logged", "compliance", "reduction"),
    [
        (2374, 2500, Decimal("95.0"), Decimal("0.0")),  # 94.96 % rounds half-up to 95.0
        (1899, 2000, Decimal("95.0"), Decimal("0.0")),  # 94.95 %: the half goes up
        (1898, 2000, Decimal("94.9"), Decimal("0.1")),  # 94.90 %
        (2, 3, Decimal("66.7"), Decimal("28.3")),  # 66.66… %
    ],
)
def test_typing_compliance_rounds_half_up_to_one_decimal(typed, logged, compliance, reduction):
    """RULES: TYP-3, TYP-4. 94.96 % is 95.0 %: no reduction (rounding down would cut 0.1)."""
    figure = TypingCompliance(agent_id=1, logged=logged, typed=typed)
    assert figure.compliance == compliance
    assert figure.commission_reduction == reduction


def test_an_agent_with_no_interactions_has_no_figure():
    """RULES: TYP-3, TYP-4. Not 0 %, not 100 %: no figure and no reduction."""
    agent = UserFactory(agent=True)
    _log(agent, typed=5, untyped=0, when=mx(2026, 10, 31, 23, 59))  # October
    figure = typing_compliance(start=NOVEMBER[0], end=NOVEMBER[1], agent_ids=[agent.pk])[agent.pk]
    assert figure.logged == 0
    assert figure.compliance is None
    assert figure.commission_reduction is None


def test_typing_compliance_is_one_query_for_any_number_of_agents():
    """RULES: TYP-3. One aggregate query, each agent counted separately."""
    agents = [UserFactory(agent=True) for _ in range(3)]
    _log(agents[0], typed=1, untyped=1)
    _log(agents[1], typed=2, untyped=0)
    with CaptureQueriesContext(connection) as queries:
        result = typing_compliance(
            start=NOVEMBER[0], end=NOVEMBER[1], agent_ids=[a.pk for a in agents]
        )
    assert len(queries) == 1
    assert [result[a.pk].compliance for a in agents] == [Decimal("50.0"), Decimal("100.0"), None]
    everyone = typing_compliance(start=NOVEMBER[0], end=NOVEMBER[1])
    assert set(everyone) == {agents[0].pk, agents[1].pk}


def test_month_bounds_are_the_local_month():
    assert month_bounds(date(2026, 12, 15)) == (mx(2026, 12, 1), mx(2027, 1, 1))


def test_board_shows_breached_then_at_risk_then_on_time():
    """RULES: SLA-2. Past 72 h breached; past 48 h at risk; the rest by deadline."""
    agent = UserFactory(agent=True)
    client = ClientFactory(assigned_agent=agent)
    now = mx(2026, 11, 20, 12)
    on_time = CaseFactory(client=client, opened_at=mx(2026, 11, 19, 10), first_responded_at=now)
    at_risk = CaseFactory(client=client, opened_at=mx(2026, 11, 11, 10), first_responded_at=now)
    breached = CaseFactory(client=client, opened_at=mx(2026, 11, 2, 10), first_responded_at=now)
    resolved = CaseFactory(
        client=client, opened_at=mx(2026, 11, 2, 10), status=Case.Status.RESOLVED, resolved_at=now
    )
    rows = list(list_board_cases(assignee_ids=[agent.pk], now=now))
    assert rows == [breached, at_risk, on_time]
    assert [row.sla_rank for row in rows] == [0, 1, 2]
    assert resolved not in rows
    filters = BoardFilter({"state": "at_risk"}, now=now)
    assert list(list_board_cases(assignee_ids=[agent.pk], now=now, filters=filters)) == [at_risk]
    filters = BoardFilter({"status": "resolved"}, now=now)
    assert list(list_board_cases(assignee_ids=[agent.pk], now=now, filters=filters)) == [resolved]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "breached"},
        {"state": "at_risk"},
        {"state": "on_time"},
        {"state": "no_follow_up"},
        {"status": "resolved"},
        {"q": "zzz"},
        {"state": "bogus"},
    ],
)
def test_the_boards_count_is_its_rows_and_joins_the_clock_only_for_a_state(query):
    """RULES: SLA-2. The board's pages count what it lists; the count reads
    the SLA rank (and its join of the waiting response clock) only when an
    SLA state is chosen."""
    agent = UserFactory(agent=True)
    client = ClientFactory(assigned_agent=agent)
    now = mx(2026, 11, 20, 12)
    for opened in (mx(2026, 11, 19, 10), mx(2026, 11, 11, 10), mx(2026, 11, 2, 10)):
        CaseFactory(client=client, opened_at=opened, first_responded_at=now)
    CaseFactory(client=client, status=Case.Status.RESOLVED, resolved_at=now)
    filters = BoardFilter(query, now=now) if query else None

    with CaptureQueriesContext(connection) as queries:
        count = count_board_cases(assignee_ids=[agent.pk], now=now, filters=filters)
    rows = list(list_board_cases(assignee_ids=[agent.pk], now=now, filters=filters))

    assert count == len(rows)
    ranked = query.get("state") in BoardFilter.RANKED_STATES
    assert ("cases_responseclock" in queries.captured_queries[-1]["sql"]) == ranked
