"""Any amount, any entry point: one validator (``pae_ops.money.parse_amount``)
and every service that takes money answering a DomainError for a bad amount,
with nothing changed (never a 500, ``InvalidOperation`` or a database error)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import services as client_services
from clients.models import Client, CreditEntry, Installment, Offer, Payment, PaymentPlan, Purchase
from pae_ops.errors import DomainError
from pae_ops.money import MAX_AMOUNT, parse_amount
from refunds import services as refund_services
from refunds.models import RefundOffer, RefundRequest
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
from tests.factories import UserFactory
from tests.refunds.factories import paid_purchase, refund_request_at

pytestmark = pytest.mark.django_db

D = Decimal
CENT = D("0.01")

# The review's list, and its neighbours.
NAMED_BAD = [
    D("NaN"),
    D("-NaN"),
    D("sNaN"),
    D("Infinity"),
    D("-Infinity"),
    D("0"),
    D("0.00"),
    D("-0"),
    D("-0.01"),
    D("-5"),
    D("10.001"),
    D("0.005"),
    D("1E-1000000"),
    D("1E+30"),
    D("1E+10"),
    D("9999999999.991"),
    D("10000000000.00"),
    "NaN",
    "sNaN",
    "-Infinity",
    "1E+30",
    "1e400000000",
    "12,50",
    "abc",
    "",
    "  ",
    0,
    -3,
    10**30,
    1.5,
    float("nan"),
    True,
    [],
]


def bad_amounts() -> st.SearchStrategy:
    """Values that are not a positive amount of at most two decimals a column holds."""
    return st.one_of(
        st.sampled_from(NAMED_BAD),
        st.decimals(max_value=D("0"), allow_nan=False, allow_infinity=False),
        st.decimals(min_value=MAX_AMOUNT + CENT, allow_nan=False, allow_infinity=False),
        st.decimals(min_value=D("0.001"), max_value=D("100000"), allow_nan=False, places=3).filter(
            lambda d: d != d.quantize(CENT)
        ),
        st.floats(),
        st.integers(max_value=0),
        st.integers(min_value=10**10),
    )


# The validator -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", NAMED_BAD, ids=repr)
def test_parse_amount_refuses_with_a_domain_error(value):
    """RULES: PAY-5, REF-6. Never InvalidOperation, never a quiet rounding."""
    with pytest.raises(DomainError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("0.01", D("0.01")),
        (D("12.5"), D("12.50")),
        (7, D("7.00")),
        (" 100.00 ", D("100.00")),
        (D("1.000"), D("1.00")),
        (D("9999999999.99"), MAX_AMOUNT),
    ],
)
def test_parse_amount_gives_two_places(value, amount):
    result = parse_amount(value)
    assert result == amount
    assert result.as_tuple().exponent == -2


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(st.decimals(), st.text(max_size=20), st.integers(), st.floats()))
def test_parse_amount_accepts_exactly_the_amounts_a_money_column_holds(value):
    """Property: a DomainError, or the same value with two places in (0, MAX]."""
    try:
        amount = parse_amount(value)
    except DomainError:
        return
    assert isinstance(value, Decimal | int | str)
    assert not isinstance(value, bool)
    assert D("0") < amount <= MAX_AMOUNT
    assert amount.as_tuple().exponent == -2
    assert amount == D(value.strip() if isinstance(value, str) else value)


# Every entry point -------------------------------------------------------------------------


class Money:
    """A world with something to pay, refund, credit, redeem, decide and propose."""

    def __init__(self):
        self.agent = UserFactory(agent=True)
        self.leader = UserFactory(leader=True)
        self.client = ClientFactory(assigned_agent=self.agent)
        self.purchase = PurchaseFactory(client=self.client, product=ProductFactory())
        plan_purchase = PurchaseFactory(client=self.client)
        plan = client_services.create_payment_plan(
            actor=self.agent,
            purchase_id=plan_purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=2,
            first_due_on=plan_purchase.purchased_on,
        )
        self.plan_purchase = plan_purchase
        self.installment = plan.installments.get(number=1)
        self.paid = paid_purchase(client=self.client, price="1000.00", actor=self.agent)
        client_services.apply_credit(
            client_id=self.client.pk,
            amount=D("300.00"),
            kind=CreditEntry.Kind.RETENTION_INCENTIVE,
            created_by=self.agent,
        )
        self.offer = client_services.record_offer(
            actor=self.agent,
            client_id=self.client.pk,
            product_id=ProductFactory().pk,
            kind=Offer.Kind.UPSELL,
        )
        # A request in the offers step with a declined offer: ready for a proposal.
        self.proposable = refund_request_at(RefundRequest.Status.PROPOSAL)
        RefundRequest.objects.filter(pk=self.proposable.pk).update(
            status=RefundRequest.Status.OFFERS
        )
        self.offering = refund_request_at(RefundRequest.Status.OFFERS)

    def state(self) -> tuple:
        """Everything a money service could have written."""
        return (
            Purchase.objects.count(),
            list(Purchase.objects.order_by("pk").values_list("refunded_amount", "status")),
            Payment.objects.count(),
            list(Installment.objects.order_by("pk").values_list("paid_amount", "paid_on")),
            list(Client.objects.order_by("pk").values_list("net_paid", "credit_balance")),
            CreditEntry.objects.count(),
            list(Offer.objects.order_by("pk").values_list("outcome", "purchase_id")),
            list(RefundRequest.objects.order_by("pk").values_list("status", "proposed_amount")),
            RefundOffer.objects.count(),
        )


ENTRY_POINTS: dict[str, Callable[[Money, object], object]] = {
    "create_purchase": lambda w, amount: client_services.create_purchase(
        actor=w.agent,
        client_id=w.client.pk,
        product_id=w.purchase.product_id,
        purchased_on=timezone.localdate(),
        price=amount,
    ),
    "record_payment": lambda w, amount: client_services.record_payment(
        actor=w.agent, purchase_id=w.purchase.pk, amount=amount, received_on=timezone.localdate()
    ),
    "record_payment on an installment": lambda w, amount: client_services.record_payment(
        actor=w.agent,
        purchase_id=w.plan_purchase.pk,
        installment_id=w.installment.pk,
        amount=amount,
        received_on=timezone.localdate(),
    ),
    "record_refund_against_purchase": lambda w, amount: (
        client_services.record_refund_against_purchase(
            purchase_id=w.paid.pk, amount=amount, full=False, source_key="refund:bad"
        )
    ),
    "add_credit": lambda w, amount: client_services.add_credit(
        actor=w.leader,
        client_id=w.client.pk,
        amount=amount,
        kind=CreditEntry.Kind.DUPLICATED_CREDIT,
    ),
    "apply_credit": lambda w, amount: client_services.apply_credit(
        client_id=w.client.pk,
        amount=amount,
        kind=CreditEntry.Kind.RETENTION_INCENTIVE,
        created_by=w.agent,
    ),
    "redeem_credit": lambda w, amount: client_services.redeem_credit(
        actor=w.agent, client_id=w.client.pk, amount=amount
    ),
    "decide_offer": lambda w, amount: client_services.decide_offer(
        actor=w.agent, offer_id=w.offer.pk, accepted=True, price=amount
    ),
    "propose_refund": lambda w, amount: refund_services.propose_refund(
        actor=w.proposable.cast.agent,
        request_id=w.proposable.pk,
        proposal=RefundRequest.Proposal.PARTIAL_REFUND,
        amount=amount,
    ),
    "propose_refund (duplicated credit)": lambda w, amount: refund_services.propose_refund(
        actor=w.proposable.cast.agent,
        request_id=w.proposable.pk,
        proposal=RefundRequest.Proposal.DUPLICATED_CREDIT,
        amount=amount,
        minor_issue=True,
    ),
    "offer_resolution (retention incentive)": lambda w, amount: refund_services.offer_resolution(
        actor=w.offering.cast.agent,
        request_id=w.offering.pk,
        kind=RefundOffer.Kind.RETENTION_INCENTIVE,
        description="Bono",
        amount=amount,
    ),
}


@pytest.fixture
def money(db) -> Money:
    return Money()


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_money_service_refuses_a_bad_amount_and_changes_nothing(money, entry_point):
    """RULES: PAY-5, REF-5, REF-6, SAL-1. NaN, sNaN, ±Infinity, zero, negatives,
    more than two decimals, absurdly large: a DomainError, nothing written."""
    call = ENTRY_POINTS[entry_point]
    before = money.state()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(amount=bad_amounts())
    def refuses(amount):
        with pytest.raises(DomainError):
            call(money, amount)
        assert money.state() == before

    for amount in NAMED_BAD:
        with pytest.raises(DomainError):
            call(money, amount)
    assert money.state() == before
    refuses()


def test_a_good_amount_still_goes_through_every_money_service(money):
    """The walk above is not passing on a broken world: a valid amount is accepted."""
    before = money.state()
    for name in ["record_payment", "apply_credit", "redeem_credit", "propose_refund"]:
        ENTRY_POINTS[name](money, D("10.00"))
    ENTRY_POINTS["offer_resolution (retention incentive)"](money, D("49.90"))
    assert money.state() != before
    assert RefundOffer.objects.get(kind=RefundOffer.Kind.RETENTION_INCENTIVE, amount=D("49.90"))


def test_a_rescue_session_carries_no_amount(money):
    """RULES: RES-4"""
    with pytest.raises(DomainError) as excinfo:
        refund_services.offer_resolution(
            actor=money.offering.cast.agent,
            request_id=money.offering.pk,
            kind=RefundOffer.Kind.RESCUE_SESSION,
            amount=D("100.00"),
        )
    assert excinfo.value.rule == "RES-4"
