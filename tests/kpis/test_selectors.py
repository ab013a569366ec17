"""Each KPI rule on a small hand-computed data set, read live and through the roll-up.

Every test runs twice (``source``): reading the live tables only, and after
the roll-up task ran (so the past days come from the roll-up and today's
from the live tables). Both must give the hand-computed figures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cases.models import Case, Interaction, Survey
from clients.models import CreditEntry, Offer
from kpis import selectors
from kpis.queries import KpiFilters
from kpis.services import refresh_kpi_rollups
from refunds.models import RefundRequest
from tests.cases.factories import mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.kpis import factories as build
from tests.kpis.conftest import NOW
from tests.partners.factories import ActivePartnerFactory

pytestmark = pytest.mark.django_db


JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
JAN_END, FEB_END, MAR_END = date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)
Status = RefundRequest.Status
Resolution = RefundRequest.Resolution
Proposal = RefundRequest.Proposal


@pytest.fixture(params=["live", "rollup"])
def source(request):
    """How the selectors read: ``live`` only, or after the roll-up task ran."""
    return request.param


def read(source: str):
    """Keyword arguments of the selectors for ``source`` (refreshing the roll-up)."""
    if source == "rollup":
        refresh_kpi_rollups(now=NOW)
        return {"now": NOW, "use_rollups": True}
    return {"now": NOW, "use_rollups": False}


# KPI-1 ---------------------------------------------------------------------------------


def test_sales_revenue_counts_sold_received_and_financed_across_the_month_end(source):
    """RULES: KPI-1. A 6,000.00 sale on a 2-installment plan (6,720.00) in
    January, its second installment paid in February; a sale of 31 January
    paid on 1 February; a sale of 1 February unpaid."""
    # given
    plan_sale = build.purchase(on=date(2026, 1, 20), price="6000.00")
    first, second = build.plan(
        plan_sale, installments=[(date(2026, 1, 20), "3360.00"), (date(2026, 2, 20), "3360.00")]
    )
    build.pay_installment(plan_sale, first, on=date(2026, 1, 20))
    build.pay_installment(plan_sale, second, on=date(2026, 2, 18))
    late_paid = build.purchase(on=date(2026, 1, 31), price="1000.00")
    build.pay(late_paid, on=date(2026, 2, 1), amount="1000.00")
    build.purchase(on=date(2026, 2, 1), price="2000.00")

    # when
    kwargs = read(source)
    january = selectors.sales_revenue(start=JAN, end=JAN_END, **kwargs)
    february = selectors.sales_revenue(start=FEB, end=FEB_END, **kwargs)

    # then: January sold 7,000.00, received the first installment, and
    # still owed the second at the end of January.
    assert january.sold == Decimal("7000.00")
    assert january.purchases == 2
    assert january.received == Decimal("3360.00")
    assert january.financed == Decimal("3360.00")
    # February: one sale, both February payments, no plan sold (no data).
    assert february.sold == Decimal("2000.00")
    assert february.received == Decimal("4360.00")
    assert february.financed is None


def test_financed_is_zero_when_the_plan_is_paid_within_the_month(source):
    """RULES: KPI-1. A plan paid off in its month leaves 0.00 financed (data, not "no data")."""
    sale = build.purchase(on=date(2026, 2, 2), price="6000.00")
    for installment in build.plan(
        sale, installments=[(date(2026, 2, 2), "3360.00"), (date(2026, 2, 20), "3360.00")]
    ):
        build.pay_installment(sale, installment, on=installment.due_on)

    revenue = selectors.sales_revenue(start=FEB, end=FEB_END, **read(source))

    assert revenue.financed == Decimal("0.00")
    assert revenue.received == Decimal("6720.00")


# KPI-2 ---------------------------------------------------------------------------------


def test_sales_growth_compares_with_the_same_month_a_year_before(source):
    """RULES: KPI-2. 1,250.00 sold in March 2026 against 1,000.00 in March 2025: +25.0 %."""
    build.purchase(on=date(2025, 3, 10), price="1000.00")
    build.purchase(on=date(2026, 3, 2), price="500.00")
    build.purchase(on=date(2026, 3, 15), price="750.00")  # today: read live

    growth = selectors.sales_growth(month=MAR, **read(source))

    assert growth.sold == Decimal("1250.00")
    assert growth.year_ago_sold == Decimal("1000.00")
    assert growth.growth == Decimal("25.0")


def test_sales_growth_has_no_data_against_a_month_without_sales(source):
    """RULES: KPI-2, KPI-8. Nothing sold in February 2025: no growth figure, no
    division error; nothing sold now but something a year before: −100.0 %."""
    build.purchase(on=date(2026, 2, 10), price="900.00")
    build.purchase(on=date(2025, 1, 10), price="400.00")
    kwargs = read(source)

    february = selectors.sales_growth(month=FEB, **kwargs)
    january = selectors.sales_growth(month=JAN, **kwargs)

    assert february.year_ago_sold is None
    assert february.growth is None
    assert january.sold is None
    assert january.growth == Decimal("-100.0")


# KPI-3 ---------------------------------------------------------------------------------


def test_upsell_acceptance_leaves_pending_offers_out(source):
    """RULES: KPI-3. 3 accepted and 1 declined in February, 2 still pending: 75.0 %."""
    for day in (3, 10, 17):
        build.offer(outcome=Offer.Outcome.ACCEPTED, decided=build.at(date(2026, 2, day)))
    build.offer(outcome=Offer.Outcome.DECLINED, decided=build.at(date(2026, 2, 20)))
    build.offer(outcome=Offer.Outcome.PENDING, decided=None)
    build.offer(outcome=Offer.Outcome.PENDING, decided=None)
    # decided in January: another period
    build.offer(outcome=Offer.Outcome.DECLINED, decided=build.at(date(2026, 1, 30)))

    rate = selectors.upsell_acceptance(start=FEB, end=FEB_END, **read(source))

    assert (rate.part, rate.whole, rate.rate) == (3, 4, Decimal("75.0"))


# KPI-4 ---------------------------------------------------------------------------------


def test_csat_counts_four_stars_and_not_three(source):
    """RULES: KPI-4. A 3-star and a 4-star answer: 50.0 %; unanswered surveys and
    other kinds don't count."""
    build.answer(kind=Survey.Kind.CSAT, score=3, when=build.at(date(2026, 2, 5)))
    build.answer(kind=Survey.Kind.CSAT, score=4, when=build.at(date(2026, 2, 6)))
    build.answer(kind=Survey.Kind.NPS, score=10, when=build.at(date(2026, 2, 6)))
    from tests.cases.factories import SurveyFactory

    SurveyFactory(kind=Survey.Kind.CSAT, sent_at=build.at(date(2026, 2, 7)))  # never answered

    rate = selectors.csat(start=FEB, end=FEB_END, **read(source))

    assert (rate.part, rate.whole, rate.rate) == (1, 2, Decimal("50.0"))


def test_csat_counts_five_stars_and_reads_today_live(source):
    """RULES: KPI-4. A 5-star answer today and a 2-star one last week: 50.0 %."""
    build.answer(kind=Survey.Kind.CSAT, score=2, when=build.at(date(2026, 3, 9)))
    build.answer(kind=Survey.Kind.CSAT, score=5, when=mx(2026, 3, 15, 9))

    rate = selectors.csat(start=MAR, end=MAR_END, **read(source))

    assert rate.rate == Decimal("50.0")


# KPI-5 ---------------------------------------------------------------------------------


def test_nps_with_six_seven_eight_and_nine(source):
    """RULES: KPI-5. 6 is a detractor, 7 and 8 passives, 9 a promoter: 25 − 25 = 0.0."""
    for day, score in enumerate((6, 7, 8, 9), start=2):
        build.answer(kind=Survey.Kind.NPS, score=score, when=build.at(date(2026, 2, day)))

    score = selectors.nps(start=FEB, end=FEB_END, **read(source))

    assert (score.answers, score.promoters, score.detractors) == (4, 1, 1)
    assert score.score == Decimal("0.0")


def test_nps_ranges_from_minus_100_to_100(source):
    """RULES: KPI-5. Only detractors: −100.0; a 10 added to 6/7/8/9: 40 − 20 = 20.0."""
    build.answer(kind=Survey.Kind.NPS, score=0, when=build.at(date(2026, 1, 5)))
    build.answer(kind=Survey.Kind.NPS, score=6, when=build.at(date(2026, 1, 6)))
    for day, score in enumerate((6, 7, 8, 9, 10), start=2):
        build.answer(kind=Survey.Kind.NPS, score=score, when=build.at(date(2026, 2, day)))
    kwargs = read(source)

    assert selectors.nps(start=JAN, end=JAN_END, **kwargs).score == Decimal("-100.0")
    assert selectors.nps(start=FEB, end=FEB_END, **kwargs).score == Decimal("20.0")


# KPI-6 ---------------------------------------------------------------------------------


def test_churn_counts_purchases_whose_guarantee_ended_in_the_period(source):
    """RULES: KPI-6. Five guarantees end in February; a cancellation before the
    end and a service change before the end churn; a full refund executed
    on the end day (after 00:00), a partial refund and a kept purchase don't:
    churn 40.0 %, retention 60.0 %."""
    thirty = build.product(guarantee_days=30)
    fourteen = build.product(guarantee_days=14)
    cancelled = build.purchase(on=date(2026, 1, 5), product_=thirty)  # ends 4 Feb
    refunded_late = build.purchase(on=date(2026, 1, 10), product_=thirty)  # ends 9 Feb
    partly_refunded = build.purchase(on=date(2026, 1, 15), product_=thirty)  # ends 14 Feb
    build.purchase(on=date(2026, 1, 20), product_=thirty)  # ends 19 Feb, kept
    changed = build.purchase(on=date(2026, 1, 25), product_=fourteen)  # ends 8 Feb
    build.purchase(on=date(2026, 2, 10), product_=thirty)  # ends 12 March: not February
    build.executed_request(
        cancelled, resolution=Resolution.CANCELLED, when=build.at(date(2026, 1, 20))
    )
    build.executed_request(
        refunded_late,
        resolution=Resolution.REFUNDED,
        proposal=Proposal.FULL_REFUND,
        amount="1000.00",
        when=mx(2026, 2, 9, 10),
    )
    build.executed_request(
        partly_refunded,
        resolution=Resolution.REFUNDED,
        proposal=Proposal.PARTIAL_REFUND,
        amount="300.00",
        when=build.at(date(2026, 1, 20)),
    )
    build.executed_request(changed, resolution=Resolution.CREDITED, when=mx(2026, 2, 7, 23, 59))

    churn = selectors.churn(start=FEB, end=FEB_END, **read(source))

    assert (churn.ended, churn.churned) == (5, 2)
    assert churn.churn == Decimal("40.0")
    assert churn.retention == Decimal("60.0")


def test_churn_does_not_count_a_guarantee_that_has_not_ended_yet(source):
    """RULES: KPI-6. Today is 15 March: a guarantee ending on the 20th is not over."""
    thirty = build.product(guarantee_days=30)
    build.purchase(on=date(2026, 2, 12), product_=thirty)  # ends 14 March
    build.purchase(on=date(2026, 2, 13), product_=thirty)  # ends 15 March (today, 00:00)
    build.purchase(on=date(2026, 2, 18), product_=thirty)  # ends 20 March

    churn = selectors.churn(start=MAR, end=MAR_END, **read(source))

    assert (churn.ended, churn.churned, churn.churn) == (2, 0, Decimal("0.0"))


# KPI-7 ---------------------------------------------------------------------------------


def test_service_levels_first_response_and_its_median_in_business_hours(source):
    """RULES: KPI-7, SLA-1. Opened Monday 9 February 10:00 (due 18:00): answered
    at 11:00 (1 h, met), answered Tuesday 10:00 (9 business hours, missed),
    never answered (missed at 18:00): 33.3 %, median of 1.0 and 9.0 = 5.0 h.
    (Monday 2 February is a public holiday in Mexico.)"""
    build.build_business_clock(date(2026, 3, 15))
    monday = mx(2026, 2, 9, 10)
    build.case(opened=monday, first_responded_at=mx(2026, 2, 9, 11))
    build.case(opened=monday, first_responded_at=mx(2026, 2, 10, 10))
    build.case(opened=monday)
    # Opened Friday 27 February 16:00: due in March, answered in March.
    build.case(opened=mx(2026, 2, 27, 16), first_responded_at=mx(2026, 3, 2, 9, 30))

    levels = selectors.service_levels(start=FEB, end=FEB_END, **read(source))

    assert (levels.first_response.part, levels.first_response.whole) == (1, 3)
    assert levels.first_response.rate == Decimal("33.3")
    assert levels.median_first_response_hours == Decimal("5.00")


def test_service_levels_resolution_against_target_and_limit(source):
    """RULES: KPI-7, SLA-2. Resolved in 10 business hours (target and limit met),
    in 60 (limit met, target missed), never (missed when the 72 h passed)."""
    opened = mx(2026, 2, 9, 9)  # Monday: 48 h = Mon 16 Feb 12:00, 72 h = Wed 18 Feb 18:00
    build.case(opened=opened, status=Case.Status.RESOLVED, resolved_at=mx(2026, 2, 10, 10))
    build.case(opened=opened, status=Case.Status.RESOLVED, resolved_at=mx(2026, 2, 17, 15))
    build.case(opened=opened)

    levels = selectors.service_levels(start=FEB, end=FEB_END, **read(source))

    assert (levels.resolution.part, levels.resolution.whole) == (2, 3)
    assert levels.resolution.rate == Decimal("66.7")
    assert levels.resolution_target.rate == Decimal("33.3")


def test_first_contact_resolution_needs_one_answer_and_no_reopening(source):
    """RULES: KPI-7. Resolved after one outbound answer: first contact; after two,
    or reopened once: not. A rescue case is not a client case."""
    agent = UserFactory(agent=True)
    resolved = {"status": Case.Status.RESOLVED, "resolved_at": mx(2026, 2, 4, 12)}
    one = build.case(opened=mx(2026, 2, 3, 10), assignee=agent, **resolved)
    two = build.case(opened=mx(2026, 2, 3, 10), assignee=agent, **resolved)
    build.case(opened=mx(2026, 2, 3, 10), assignee=agent, sla_cycle=2, **resolved)
    build.case(opened=mx(2026, 2, 3, 10), assignee=agent, kind=Case.Kind.RESCUE, **resolved)
    outbound = {"agent": agent, "direction": Interaction.Direction.OUTBOUND}
    build.interaction(when=mx(2026, 2, 3, 11), case=one, client=one.client, **outbound)
    build.interaction(when=mx(2026, 2, 3, 11), case=two, client=two.client, **outbound)
    build.interaction(when=mx(2026, 2, 4, 11), case=two, client=two.client, **outbound)

    levels = selectors.service_levels(start=FEB, end=FEB_END, **read(source))

    rate = levels.first_contact_resolution
    assert (rate.part, rate.whole, rate.rate) == (1, 3, Decimal("33.3"))


def test_typing_compliance_and_commission_adjustment_per_agent(source):
    """RULES: KPI-7, TYP-3, TYP-4. 9 of 10 typed: 90.0 %, commission −5.0 points;
    an agent with nothing logged has no figure."""
    agent, idle = UserFactory(agent=True), UserFactory(agent=True)
    for day in range(2, 12):
        build.interaction(when=build.at(date(2026, 2, day)), agent=agent, typed=day != 2)

    levels = selectors.service_levels(
        start=FEB, end=FEB_END, filters=KpiFilters(agent_ids=(agent.pk, idle.pk)), **read(source)
    )

    assert levels.typing[agent.pk].compliance == Decimal("90.0")
    assert levels.typing[agent.pk].commission_reduction == Decimal("5.0")
    assert levels.typing[idle.pk].compliance is None
    assert levels.typing[idle.pk].commission_reduction is None


def test_refunds_credits_rescue_defect_rate_and_ces(source):
    """RULES: KPI-7. Two refunds (300.00 + 1,000.00), a duplicated credit of
    200.00, rescue cases 2 retained of 3, 2 client cases for 4 purchases
    (a rescue case is not a defect), CES answers 2 and 5."""
    clients = [ClientFactory() for _ in range(4)]
    sales = [build.purchase(on=date(2026, 2, 2 + i), client=c) for i, c in enumerate(clients)]
    build.executed_request(
        sales[0],
        resolution=Resolution.REFUNDED,
        proposal=Proposal.PARTIAL_REFUND,
        amount="300.00",
        when=build.at(date(2026, 2, 10)),
    )
    build.executed_request(
        sales[1],
        resolution=Resolution.REFUNDED,
        proposal=Proposal.FULL_REFUND,
        amount="1000.00",
        when=build.at(date(2026, 2, 11)),
    )
    build.credit(
        clients[2],
        when=build.at(date(2026, 2, 12)),
        amount="200.00",
        purchase_=sales[2],
        kind=CreditEntry.Kind.DUPLICATED_CREDIT,
    )
    for outcome in ("retained", "retained", "lost"):
        build.case(
            opened=mx(2026, 1, 20, 10),
            kind=Case.Kind.RESCUE,
            status=Case.Status.RESOLVED,
            resolved_at=mx(2026, 2, 5, 10),
            rescue_outcome=outcome,
            rescue_outcome_at=mx(2026, 2, 5, 10),
        )
    build.case(opened=mx(2026, 2, 3, 10), client=clients[0])
    build.case(opened=mx(2026, 2, 4, 10), client=clients[1], kind=Case.Kind.COMPLAINT)
    build.answer(kind=Survey.Kind.CES, score=2, when=build.at(date(2026, 2, 6)))
    build.answer(kind=Survey.Kind.CES, score=5, when=build.at(date(2026, 2, 7)))

    levels = selectors.service_levels(start=FEB, end=FEB_END, **read(source))

    assert (levels.refunds_count, levels.refunds_amount) == (2, Decimal("1300.00"))
    assert (levels.credits_count, levels.credits_amount) == (1, Decimal("200.00"))
    assert levels.rescue_success.rate == Decimal("66.7")
    assert (levels.defect_rate.part, levels.defect_rate.whole) == (2, 4)
    assert levels.defect_rate.rate == Decimal("50.0")
    assert levels.ces_average == Decimal("3.5")


# KPI-8 ---------------------------------------------------------------------------------


def test_every_figure_of_an_empty_period_is_no_data(source):
    """RULES: KPI-8. Nothing in January: every figure is None, never 0 or an error."""
    build.build_business_clock(date(2026, 3, 15))
    agent = UserFactory(agent=True)
    build.purchase(on=date(2026, 2, 3))  # data elsewhere
    kwargs = read(source)

    revenue = selectors.sales_revenue(start=JAN, end=JAN_END, **kwargs)
    levels = selectors.service_levels(
        start=JAN, end=JAN_END, filters=KpiFilters(agent_ids=(agent.pk,)), **kwargs
    )

    assert (revenue.sold, revenue.received, revenue.financed) == (None, None, None)
    assert selectors.sales_growth(month=JAN, **kwargs).growth is None
    assert selectors.upsell_acceptance(start=JAN, end=JAN_END, **kwargs).rate is None
    assert selectors.csat(start=JAN, end=JAN_END, **kwargs).rate is None
    assert selectors.nps(start=JAN, end=JAN_END, **kwargs).score is None
    churn = selectors.churn(start=JAN, end=JAN_END, **kwargs)
    assert (churn.churn, churn.retention) == (None, None)
    assert levels.first_response.rate is None
    assert levels.resolution.rate is None
    assert levels.resolution_target.rate is None
    assert levels.median_first_response_hours is None
    assert levels.first_contact_resolution.rate is None
    assert levels.typing[agent.pk].compliance is None
    assert levels.typing_overall.compliance is None
    assert (levels.refunds_count, levels.refunds_amount) == (None, None)
    assert (levels.credits_count, levels.credits_amount) == (None, None)
    assert levels.rescue_success.rate is None
    assert levels.defect_rate.rate is None
    assert levels.ces_average is None


def test_filters_narrow_sales_by_segment_partner_product_and_agent(source):
    """RULES: KPI-1. Each filter keeps only its purchases; service figures ignore
    partner and product (cases have none)."""
    partner = ActivePartnerFactory()
    ours = build.product(partner=partner)
    agent = UserFactory(agent=True)
    a_client = ClientFactory(assigned_agent=agent, computed_segment="A")
    b_client = ClientFactory(computed_segment="B", segment_override="A", override_reason="VIP")
    build.purchase(on=date(2026, 2, 3), price="100.00", client=a_client, product_=ours)
    build.purchase(on=date(2026, 2, 4), price="200.00", client=b_client)
    build.purchase(on=date(2026, 2, 5), price="400.00", client=ClientFactory())
    build.answer(kind=Survey.Kind.CSAT, score=5, when=build.at(date(2026, 2, 6)), client=a_client)
    kwargs = read(source)

    def sold(**filters):
        return selectors.sales_revenue(
            start=FEB, end=FEB_END, filters=KpiFilters(**filters), **kwargs
        ).sold

    assert sold() == Decimal("700.00")
    assert sold(segment="A") == Decimal("300.00")  # the override counts (SEG-5)
    assert sold(partner_id=partner.pk) == Decimal("100.00")
    assert sold(product_id=ours.pk, segment="B") is None
    assert sold(agent_ids=(agent.pk,)) == Decimal("100.00")
    csat = selectors.csat(
        start=FEB, end=FEB_END, filters=KpiFilters(partner_id=partner.pk + 999), **kwargs
    )
    assert csat.rate == Decimal("100.0")
