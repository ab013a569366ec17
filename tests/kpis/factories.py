"""Builders of the rows the KPIs count, at chosen dates.

The KPIs read what the other apps' services write; these builders write the
same rows directly (with the factories of those apps) so that a test can
place each purchase, payment, case or answer on the day it needs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from cases.models import Case, Interaction, Survey
from clients.models import CreditEntry, Installment, Offer, Payment, PaymentPlan, Product
from kpis.models import KpiRollupState
from kpis.services import ensure_business_clock
from refunds.models import RefundRequest
from tests.cases.factories import CaseFactory, InteractionFactory, SurveyFactory, mx
from tests.clients.factories import (
    ClientFactory,
    OfferFactory,
    ProductFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory
from tests.refunds.factories import RefundRequestFactory


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An instant of a local day in Mexico City."""
    return mx(day.year, day.month, day.day, hour, minute)


def build_business_clock(today: date) -> None:
    """The business clock the median first-response time needs (the
    roll-up task builds it in production)."""
    state, _created = KpiRollupState.objects.get_or_create(pk=KpiRollupState.SINGLETON_PK)
    ensure_business_clock(state=state, today=today)


def product(*, guarantee_days: int = 30, partner=None, price: str = "1000.00", **kwargs) -> Product:
    extra = {"partner": partner} if partner is not None else {}
    return ProductFactory(
        list_price=Decimal(price), guarantee_period_days=guarantee_days, **extra, **kwargs
    )


def purchase(*, on: date, price: str = "1000.00", client=None, product_=None, **kwargs):
    product_ = product_ or product(price=price)
    client = client or ClientFactory()
    return PurchaseFactory(
        client=client, product=product_, price=Decimal(price), purchased_on=on, **kwargs
    )


def pay(purchase_, *, on: date, amount: str, installment=None) -> Payment:
    return Payment.objects.create(
        client=purchase_.client,
        purchase=purchase_,
        installment=installment,
        amount=Decimal(amount),
        received_on=on,
        recorded_by=purchase_.client.assigned_agent or UserFactory(agent=True),
    )


def plan(purchase_, *, installments: list[tuple[date, str]]) -> list[Installment]:
    """A surcharge plan whose installments are (due date, amount)."""
    total = sum(Decimal(amount) for _due, amount in installments)
    plan_ = PaymentPlan.objects.create(
        purchase=purchase_,
        kind=PaymentPlan.Kind.SURCHARGE,
        installment_count=len(installments),
        total=total,
        created_by=purchase_.client.assigned_agent or UserFactory(agent=True),
    )
    return [
        Installment.objects.create(plan=plan_, number=n, due_on=due, amount=Decimal(amount))
        for n, (due, amount) in enumerate(installments, start=1)
    ]


def pay_installment(purchase_, installment: Installment, *, on: date) -> Payment:
    payment = pay(purchase_, on=on, amount=str(installment.amount), installment=installment)
    Installment.objects.filter(pk=installment.pk).update(paid_amount=installment.amount, paid_on=on)
    return payment


def offer(*, outcome: str, decided: datetime | None, client=None, product_=None, agent=None):
    client = client or ClientFactory()
    product_ = product_ or product()
    extra = {}
    if outcome == Offer.Outcome.ACCEPTED:
        extra["purchase"] = purchase(on=decided.date(), client=client, product_=product_)
    return OfferFactory(
        client=client,
        product=product_,
        outcome=outcome,
        decided_at=decided,
        offered_by=agent or client.assigned_agent,
        **extra,
    )


def executed_request(
    purchase_, *, resolution: str, proposal: str = "", when: datetime, amount=None
):
    return RefundRequestFactory(
        purchase=purchase_,
        client=purchase_.client,
        status=RefundRequest.Status.EXECUTED,
        resolution=resolution,
        proposal=proposal,
        proposed_amount=Decimal(amount) if amount is not None else None,
        executed_at=when,
    )


def credit(client, *, when: datetime, amount: str, purchase_=None, kind=None) -> CreditEntry:
    entry = CreditEntry.objects.create(
        client=client,
        kind=kind or CreditEntry.Kind.RETENTION_INCENTIVE,
        amount=Decimal(amount),
        balance_after=Decimal(amount),
        purchase=purchase_,
        created_by=client.assigned_agent or UserFactory(agent=True),
    )
    CreditEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


def case(*, opened: datetime, client=None, **kwargs) -> Case:
    client = client or ClientFactory()
    return CaseFactory(client=client, opened_at=opened, **kwargs)


def interaction(*, when: datetime, agent, typed: bool = True, **kwargs) -> Interaction:
    return InteractionFactory(occurred_at=when, handled_by=agent, typed=typed, **kwargs)


def answer(*, kind: str, score: int, when: datetime, client=None, agent=None) -> Survey:
    client = client or ClientFactory()
    return SurveyFactory(
        client=client,
        agent=agent or client.assigned_agent,
        kind=kind,
        status=Survey.Status.ANSWERED,
        score=score,
        sent_at=when - timedelta(hours=2),
        answered_at=when,
        expires_at=when + timedelta(days=30),
    )
