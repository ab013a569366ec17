"""The roll-up gives exactly the live figures; its refresh is idempotent and incremental."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from cases.models import Case, Interaction, Survey
from clients.models import Offer
from kpis import selectors
from kpis.models import Grain, KpiRollup, KpiRollupState
from kpis.queries import KpiFilters
from kpis.services import ensure_business_clock, refresh_kpi_rollups
from kpis.tasks import refresh_kpi_rollups_task
from refunds.models import RefundRequest
from tests.cases.factories import mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.kpis import factories as build
from tests.kpis.conftest import NOW
from tests.partners.factories import ActivePartnerFactory

pytestmark = pytest.mark.django_db


TODAY = date(2026, 3, 15)


def _world(seed: int = 7) -> dict:
    """A few clients, agents, partners and products with every kind of row,
    spread from January 2025 to today (15 March 2026, 12:00)."""
    rng = random.Random(seed)  # noqa: S311
    build.build_business_clock(TODAY)
    partners = [ActivePartnerFactory(), ActivePartnerFactory()]
    products = [
        build.product(partner=partners[0], guarantee_days=14),
        build.product(partner=partners[0], guarantee_days=30, price="6000.00"),
        build.product(partner=partners[1], guarantee_days=45),
    ]
    leader = UserFactory(leader=True)
    agents = [UserFactory(agent=True, profile__leader=leader) for _ in range(3)]
    clients = [
        ClientFactory(assigned_agent=agents[i % 3], computed_segment="ABC"[i % 3]) for i in range(6)
    ]
    first = date(2025, 1, 2)
    span = (TODAY - first).days

    def day() -> date:
        return first + timedelta(days=rng.randint(0, span))

    for index in range(36):
        client, product = rng.choice(clients), rng.choice(products)
        on = TODAY if index % 9 == 0 else day()
        sale = build.purchase(on=on, client=client, product_=product, price=str(product.list_price))
        if product.list_price > 5000:
            installments = build.plan(
                sale,
                installments=[(on, "3360.00"), (on + timedelta(days=25), "3360.00")],
            )
            for installment in installments:
                if installment.due_on <= TODAY and rng.random() < 0.8:
                    build.pay_installment(sale, installment, on=installment.due_on)
        elif rng.random() < 0.8:
            build.pay(sale, on=min(on + timedelta(days=rng.randint(0, 5)), TODAY), amount="200.00")
        roll = rng.random()
        executed = build.at(min(on + timedelta(days=rng.randint(1, 40)), TODAY - timedelta(1)))
        if roll < 0.15:
            build.executed_request(
                sale, resolution=RefundRequest.Resolution.CANCELLED, when=executed
            )
        elif roll < 0.25:
            build.executed_request(
                sale,
                resolution=RefundRequest.Resolution.REFUNDED,
                proposal=RefundRequest.Proposal.FULL_REFUND,
                amount=str(product.list_price),
                when=executed,
            )
        elif roll < 0.3:
            build.credit(client, when=executed, amount="120.00", purchase_=sale)
    for index in range(12):
        outcome = (Offer.Outcome.ACCEPTED, Offer.Outcome.DECLINED, Offer.Outcome.PENDING)[index % 3]
        decided = None if outcome == Offer.Outcome.PENDING else build.at(day(), 11)
        build.offer(
            outcome=outcome, decided=decided, client=rng.choice(clients), product_=products[0]
        )
    for index in range(24):
        client = rng.choice(clients)
        opened = build.at(day(), rng.randint(8, 17))
        kind = (Case.Kind.REQUEST, Case.Kind.COMPLAINT, Case.Kind.RESCUE)[index % 3]
        extra = {}
        responded = opened + timedelta(hours=rng.choice((1, 5, 30)))
        if responded < NOW:
            extra["first_responded_at"] = responded
        resolved = opened + timedelta(hours=rng.choice((4, 50, 120)))
        if index % 4 and resolved < NOW:
            extra.update(status=Case.Status.RESOLVED, resolved_at=resolved)
            if kind == Case.Kind.RESCUE:
                extra.update(
                    rescue_outcome=rng.choice(("retained", "lost")), rescue_outcome_at=resolved
                )
        case = build.case(
            opened=opened, client=client, assignee=client.assigned_agent, kind=kind, **extra
        )
        for offset in (0, 2):
            when = opened + timedelta(hours=offset)
            if when < NOW:
                build.interaction(
                    when=when,
                    agent=client.assigned_agent,
                    client=client,
                    case=case,
                    typed=rng.random() < 0.8,
                    direction=Interaction.Direction.OUTBOUND
                    if offset
                    else Interaction.Direction.INBOUND,
                )
    for index in range(30):
        when = build.at(TODAY, 9) if index % 10 == 0 else build.at(day(), 15)
        kind = (Survey.Kind.CSAT, Survey.Kind.NPS, Survey.Kind.CES)[index % 3]
        top = {Survey.Kind.CSAT: 5, Survey.Kind.NPS: 10, Survey.Kind.CES: 7}[kind]
        bottom = 1 if kind == Survey.Kind.CES else 0
        build.answer(
            kind=kind, score=rng.randint(bottom, top), when=when, client=rng.choice(clients)
        )
    return {"partners": partners, "products": products, "agents": agents, "leader": leader}


def _snapshot(data) -> dict:
    return {
        "growth": data.growth,
        "summary": [(row.figure.key, row.value, row.year_ago) for row in data.summary],
        "trends": [(trend.figure.key, trend.points) for trend in data.trends],
        "breakdowns": [
            (b.name, [(row.key, row.label, row.values) for row in b.rows]) for b in data.breakdowns
        ],
    }


def test_rollups_give_exactly_the_live_figures():
    """RULES: KPI-1, KPI-2, KPI-3, KPI-4, KPI-5, KPI-6, KPI-7, KPI-8. For several
    months and every filter, the dashboard read from the roll-up (monthly rows,
    daily rows, today live) equals the dashboard read live."""
    # given
    world = _world()
    result = refresh_kpi_rollups(now=NOW)
    assert result.last_day == TODAY
    assert KpiRollup.objects.filter(grain=Grain.MONTH).exists()
    agent = world["agents"][0]
    filter_sets = [
        KpiFilters(),
        KpiFilters(segment="A"),
        KpiFilters(partner_id=world["partners"][0].pk),
        KpiFilters(product_id=world["products"][1].pk, segment="B"),
        KpiFilters(agent_ids=(agent.pk,)),
    ]

    for month in (date(2025, 6, 1), date(2026, 2, 1), date(2026, 3, 1)):
        for filters in filter_sets:
            # when
            rolled = selectors.director_dashboard(month=month, filters=filters, now=NOW)
            live = selectors.director_dashboard(
                month=month, filters=filters, now=NOW, use_rollups=False
            )
            # then
            assert _snapshot(rolled) == _snapshot(live), (month, filters)
    assert rolled.as_of == NOW
    assert rolled.live_days == 0  # read at the refresh's instant: nothing since


def test_rollups_equal_live_over_a_range_that_cuts_months():
    """RULES: KPI-7. 20 January to 15 March: daily rows, a monthly row and today."""
    world = _world(seed=11)
    refresh_kpi_rollups(now=NOW)
    kwargs = {"start": date(2026, 1, 20), "end": TODAY, "now": NOW}

    assert selectors.service_levels(**kwargs) == selectors.service_levels(
        **kwargs, use_rollups=False
    )
    assert selectors.sales_revenue(**kwargs) == selectors.sales_revenue(**kwargs, use_rollups=False)
    team = [(a.pk, a.username) for a in world["agents"]]
    rolled = selectors.team_view(month=date(2026, 3, 1), agents=team, now=NOW)
    live = selectors.team_view(month=date(2026, 3, 1), agents=team, now=NOW, use_rollups=False)
    assert [row.values for row in rolled.rows] == [row.values for row in live.rows]
    assert rolled.total.values == live.total.values


def _rows() -> list[tuple]:
    fields = [f.attname for f in KpiRollup._meta.concrete_fields if f.attname != "id"]
    return sorted(KpiRollup.objects.values_list(*fields), key=repr)


def test_refresh_is_idempotent():
    """Running the refresh twice (a second beat, a redelivered task) writes the same rows."""
    _world()
    refresh_kpi_rollups(now=NOW)
    first = _rows()

    refresh_kpi_rollups(now=NOW)
    refresh_kpi_rollups(since=date(2025, 1, 1), now=NOW)

    assert _rows() == first


def test_refresh_is_incremental():
    """The next day's refresh recomputes the current month and the last 7 days only;
    older changes wait for the nightly rebuild."""
    _world()
    refresh_kpi_rollups(now=NOW)
    january = set(KpiRollup.objects.filter(month=date(2026, 1, 1)).values_list("pk", flat=True))

    result = refresh_kpi_rollups(now=NOW + timedelta(days=1))

    assert (result.first_day, result.last_day) == (date(2026, 3, 1), TODAY + timedelta(days=1))
    assert set(KpiRollup.objects.filter(month=date(2026, 1, 1)).values_list("pk", flat=True)) == (
        january
    )
    state = KpiRollupState.objects.get()
    assert state.covered_through == TODAY + timedelta(days=1)
    assert state.covered_until == NOW + timedelta(days=1)
    assert state.covered_from <= date(2025, 1, 1)


def test_what_happens_after_the_refresh_is_read_live(clock):
    """RULES: KPI-1, KPI-4, KPI-7. The roll-up holds today up to 12:00; a sale, a
    payment, an answer and a typed interaction after it count once."""
    _world()
    refresh_kpi_rollups(now=NOW)
    clock.advance(minutes=20)
    later = clock.now
    agent = UserFactory(agent=True)
    sale = build.purchase(on=TODAY, price="555.00")
    build.pay(sale, on=TODAY, amount="55.00")
    build.answer(kind=Survey.Kind.CSAT, score=5, when=later - timedelta(minutes=5))
    build.interaction(when=later - timedelta(minutes=2), agent=agent)

    month = date(2026, 3, 1)
    rolled = selectors.director_dashboard(month=month, now=later)
    live = selectors.director_dashboard(month=month, now=later, use_rollups=False)

    assert _snapshot(rolled) == _snapshot(live)
    assert rolled.live_days == 1
    assert rolled.as_of == NOW


def test_the_rest_of_yesterday_is_read_live_until_the_next_refresh(clock):
    """The roll-up held yesterday up to 23:50; just after midnight, before the next
    refresh, what came after 23:50 is read live, and today too."""
    refresh_kpi_rollups(now=mx(2026, 3, 14, 23, 50))
    clock.set(mx(2026, 3, 14, 23, 55))
    build.purchase(on=date(2026, 3, 14), price="10.00")
    clock.set(mx(2026, 3, 15, 0, 5))
    build.purchase(on=TODAY, price="20.00")

    revenue = selectors.sales_revenue(start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert revenue.sold == Decimal("30.00")


def test_late_typing_within_the_trailing_days_reaches_the_rollup():
    """RULES: TYP-3. An interaction of 10 March typed on the 15th counts after the refresh."""
    agent = UserFactory(agent=True)
    interaction = build.interaction(when=build.at(date(2026, 3, 10)), agent=agent, typed=False)
    refresh_kpi_rollups(now=NOW)
    mine = KpiFilters(agent_ids=(agent.pk,))
    march = {"start": date(2026, 3, 1), "end": date(2026, 3, 31), "filters": mine}
    assert selectors.service_levels(**march, now=NOW).typing[agent.pk].compliance == 0

    typed = build.interaction(when=build.at(date(2026, 3, 1)), agent=UserFactory(agent=True))
    Interaction.objects.filter(pk=interaction.pk).update(
        reason=typed.reason, category=typed.category, typed_at=NOW
    )
    refresh_kpi_rollups(now=NOW + timedelta(minutes=15))

    levels = selectors.service_levels(**march, now=NOW + timedelta(minutes=15))
    assert levels.typing[agent.pk].compliance == 100


def test_todays_rows_are_read_live_after_a_refresh(clock):
    """RULES: KPI-1. A sale made after the refresh shows at once; one made before
    it is counted once."""
    build.purchase(on=TODAY, price="100.00")
    refresh_kpi_rollups(now=NOW)
    clock.advance(minutes=1)
    build.purchase(on=TODAY, price="321.00")

    revenue = selectors.sales_revenue(start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert revenue.sold == Decimal("421.00")


def test_business_clock_is_rebuilt_when_the_calendar_changes():
    """RULES: BH-1. A new closure changes business hours: the clock follows."""
    from pae_ops.models import BusinessCalendar, Closure

    state, _ = KpiRollupState.objects.get_or_create(pk=1)
    assert ensure_business_clock(state=state, today=TODAY) is True
    assert ensure_business_clock(state=state, today=TODAY) is False
    Closure.objects.create(
        calendar=BusinessCalendar.objects.get(is_default=True), date=TODAY, reason="Inventario"
    )
    assert ensure_business_clock(state=state, today=TODAY) is True


def _rollup_rows() -> list[tuple]:
    fields = [f.attname for f in KpiRollup._meta.concrete_fields if f.attname != "id"]
    return sorted(KpiRollup.objects.values_list(*fields), key=repr)


def test_refresh_task_runs_the_service_and_returns_the_rows_it_wrote():
    """RULES: KPI-1. The first run writes the day and month of a sale; a rebuild of
    the last 30 days rewrites only those, to the same figures."""
    build.purchase(on=date(2026, 1, 5))

    written = refresh_kpi_rollups_task()

    assert written == KpiRollup.objects.count()
    sale_days = KpiRollup.objects.filter(grain=Grain.DAY, period=date(2026, 1, 5))
    assert sum(row.sold_count for row in sale_days) == 1
    assert KpiRollupState.objects.get().refreshed_at == NOW
    before = _rollup_rows()

    rebuilt = refresh_kpi_rollups_task(rebuild_days=30)

    assert 0 < rebuilt < written  # from 13 February on, not January's sale
    assert _rollup_rows() == before
    assert rebuilt == refresh_kpi_rollups(since=TODAY - timedelta(days=30)).rows
    assert rebuilt != refresh_kpi_rollups().rows  # the incremental run covers less


def test_sources_compiled_once_give_the_sql_of_a_fresh_compile():
    """The cached SQL of each source, with this window's values swapped in."""
    from kpis.facts import SOURCES, Window, _source_sql, source_sql

    windows = [
        Window.of(TODAY, TODAY, now=NOW, since=NOW - timedelta(minutes=15)),
        Window.of(TODAY - timedelta(days=2), TODAY, now=NOW),
        Window.of(date(2026, 1, 1), TODAY, now=NOW),
    ]
    for window in windows:
        for source in SOURCES:
            assert source_sql(source, window) == _source_sql(source, window), source.name
