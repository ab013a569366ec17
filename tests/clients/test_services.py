import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from clients import services
from clients.models import (
    Attendance,
    Client,
    CreditEntry,
    Installment,
    Offer,
    PaymentPlan,
    Product,
    Purchase,
    Segment,
    Tier,
)
from clients.segmentation import engagement_tier, segment_for, value_tier
from pae_ops.errors import DomainError
from pae_ops.models import Notification
from partners.models import Partner, PartnerStatus, Stage
from tests.clients.factories import (
    AttendanceFactory,
    ClientFactory,
    InstallmentFactory,
    PaymentPlanFactory,
    ProductFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def agent():
    return UserFactory(agent=True)


@pytest.fixture
def leader():
    return UserFactory(leader=True)


def make_purchase(price: str, *, delivery_days: int = 180, **kwargs) -> Purchase:
    product = ProductFactory(list_price=D(price), delivery_period_days=delivery_days)
    return PurchaseFactory(product=product, price=D(price), purchased_on=TODAY, **kwargs)


# PAY-1 ---------------------------------------------------------------------


@pytest.mark.parametrize(("price", "eligible"), [("5000.00", False), ("5000.01", True)])
def test_payment_plan_eligibility_is_strictly_above_5000(agent, price, eligible):
    """RULES: PAY-1. 5,000.00 is refused; 5,000.01 gets a plan."""
    purchase = make_purchase(price)
    if eligible:
        plan = services.create_payment_plan(
            actor=agent,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=2,
            first_due_on=TODAY,
        )
        assert plan.installments.count() == 2
    else:
        with pytest.raises(DomainError) as excinfo:
            services.create_payment_plan(
                actor=agent,
                purchase_id=purchase.pk,
                kind=PaymentPlan.Kind.SURCHARGE,
                installment_count=2,
                first_due_on=TODAY,
            )
        assert excinfo.value.rule == "PAY-1"
        assert not PaymentPlan.objects.exists()


def test_payment_plan_table_refuses_a_total_at_the_threshold():
    """RULES: PAY-1. The database refuses a plan row at 5,000.00 too."""
    purchase = make_purchase("5000.00")
    with pytest.raises(IntegrityError):
        PaymentPlanFactory(purchase=purchase, total=D("5000.00"))


@pytest.mark.parametrize(
    ("price", "allowed"), [("4500.00", False), ("5000.00", False), ("5000.01", True)]
)
def test_payment_plan_table_checks_the_purchase_price_not_the_plan_total(price, allowed):
    """RULES: PAY-1. A 4,500.00 purchase on a surcharge plan (total 5,040.00, above
    the threshold) is refused by the database: the trigger reads the price."""
    purchase = make_purchase(price)
    total = services.plan_total(purchase.price, PaymentPlan.Kind.SURCHARGE)
    if allowed:
        assert PaymentPlanFactory(purchase=purchase, total=total).pk
        return
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        PaymentPlanFactory(purchase=purchase, total=max(total, D("5040.00")))
    assert excinfo.value.__cause__.diag.constraint_name == "clients_paymentplan_pay1_purchase_price"
    assert not PaymentPlan.objects.exists()


def test_a_planned_purchase_price_cannot_drop_to_the_threshold():
    """RULES: PAY-1. The other side of the trigger: the price under an existing plan."""
    plan = PaymentPlanFactory(purchase=make_purchase("6000.00"))
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Purchase.objects.filter(pk=plan.purchase_id).update(price=D("5000.00"))
    assert excinfo.value.__cause__.diag.constraint_name == "clients_purchase_pay1_plan_price"
    Purchase.objects.filter(pk=plan.purchase_id).update(price=D("5500.00"))  # still above: fine
    assert Purchase.objects.get(pk=plan.purchase_id).price == D("5500.00")


# PAY-2 ---------------------------------------------------------------------


@pytest.mark.parametrize(("delivery_days", "ok"), [(60, True), (59, False)])
def test_last_installment_falls_within_the_delivery_period(agent, delivery_days, ok):
    """RULES: PAY-2. 3 installments 30 days apart end on day 60."""
    purchase = make_purchase("6000.00", delivery_days=delivery_days)
    call = {
        "actor": agent,
        "purchase_id": purchase.pk,
        "kind": PaymentPlan.Kind.SURCHARGE,
        "installment_count": 3,
        "first_due_on": TODAY,
        "interval_days": 30,
    }
    if ok:
        plan = services.create_payment_plan(**call)
        last = plan.installments.order_by("-number").first()
        assert last.due_on == TODAY + datetime.timedelta(days=60)
    else:
        with pytest.raises(DomainError) as excinfo:
            services.create_payment_plan(**call)
        assert excinfo.value.rule == "PAY-2"


# PAY-3 ---------------------------------------------------------------------


def test_surcharge_plan_total_is_price_times_1_12_and_remainder_goes_last(agent):
    """RULES: PAY-3. 10,000.01 x 1.12 = 11,200.01; thirds 3,733.33 + 3,733.33 + 3,733.35."""
    purchase = make_purchase("10000.01")
    plan = services.create_payment_plan(
        actor=agent,
        purchase_id=purchase.pk,
        kind=PaymentPlan.Kind.SURCHARGE,
        installment_count=3,
        first_due_on=TODAY,
    )
    amounts = list(plan.installments.order_by("number").values_list("amount", flat=True))
    assert plan.total == D("11200.01")
    assert amounts == [D("3733.33"), D("3733.33"), D("3733.35")]
    assert sum(amounts) == plan.total


@pytest.mark.parametrize("count", [1, 4])
def test_surcharge_plan_has_two_or_three_installments(agent, count):
    """RULES: PAY-3"""
    purchase = make_purchase("6000.00")
    with pytest.raises(DomainError) as excinfo:
        services.create_payment_plan(
            actor=agent,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=count,
            first_due_on=TODAY,
        )
    assert excinfo.value.rule == "PAY-3"


@settings(max_examples=300, deadline=None)
@given(
    price=st.decimals(min_value=D("5000.01"), max_value=D("9999999.99"), places=2),
    count=st.sampled_from([2, 3]),
)
def test_surcharge_installments_always_sum_to_the_total(price, count):
    """RULES: PAY-3. Property: the split adds up to the cent, remainder last."""
    total = services.plan_total(price, PaymentPlan.Kind.SURCHARGE)
    amounts = services.split_amount(total, count)
    assert sum(amounts) == total
    assert all(a.as_tuple().exponent == -2 for a in amounts)
    assert amounts[-1] >= amounts[0]
    assert amounts[-1] - amounts[0] < D("0.01") * count


# PAY-4 ---------------------------------------------------------------------


def _deferred_plan(agent) -> PaymentPlan:
    purchase = make_purchase("6000.00")
    return services.create_payment_plan(
        actor=agent,
        purchase_id=purchase.pk,
        kind=PaymentPlan.Kind.DEFERRED,
        installment_count=2,
        first_due_on=TODAY,
    )


def test_deferred_plan_has_no_surcharge(agent):
    """RULES: PAY-4"""
    plan = _deferred_plan(agent)
    assert plan.total == D("6000.00")


def test_deferred_plan_blocks_the_service_start_until_the_second_installment_is_paid(agent):
    """RULES: PAY-4"""
    plan = _deferred_plan(agent)
    first, second = plan.installments.order_by("number")
    services.record_payment(
        actor=agent,
        purchase_id=plan.purchase_id,
        installment_id=first.pk,
        amount=first.amount,
        received_on=timezone.localdate(),
    )
    with pytest.raises(DomainError) as excinfo:
        services.start_service(actor=agent, purchase_id=plan.purchase_id, started_on=TODAY)
    assert excinfo.value.rule == "PAY-4"
    assert Purchase.objects.get(pk=plan.purchase_id).status == Purchase.Status.ACTIVE

    services.record_payment(
        actor=agent,
        purchase_id=plan.purchase_id,
        installment_id=second.pk,
        amount=second.amount,
        received_on=timezone.localdate(),
    )
    purchase = services.start_service(actor=agent, purchase_id=plan.purchase_id, started_on=TODAY)
    assert purchase.status == Purchase.Status.STARTED


# PAY-5 ---------------------------------------------------------------------


@pytest.mark.parametrize(("days_late", "alerted"), [(7, False), (8, True)])
def test_overdue_installment_alerts_the_agent_after_7_days(days_late, alerted):
    """RULES: PAY-5. 7 days late is tolerated; 8 days late alerts once."""
    installment = InstallmentFactory(due_on=TODAY - datetime.timedelta(days=days_late))
    agent = installment.plan.purchase.client.assigned_agent

    assert services.alert_overdue_installments(today=TODAY) == int(alerted)
    assert services.alert_overdue_installments(today=TODAY) == 0
    notes = Notification.objects.filter(recipient=agent, kind="installment-overdue")
    assert notes.count() == int(alerted)


@pytest.mark.parametrize(("days_late", "pays_on_time"), [(7, True), (8, False)])
def test_overdue_installment_feeds_engagement(days_late, pays_on_time):
    """RULES: PAY-5, SEG-2. An installment overdue more than 7 days loses "pays on time"."""
    installment = InstallmentFactory(
        due_on=timezone.localdate() - datetime.timedelta(days=days_late)
    )
    client = installment.plan.purchase.client
    assert _pays_on_time(client) is pays_on_time


@pytest.mark.parametrize(("days_late", "pays_on_time"), [(7, True), (8, False)])
def test_an_installment_paid_late_in_the_last_12_months_feeds_engagement(days_late, pays_on_time):
    """RULES: SEG-2. Paid 7 days after its due date is on time; 8 days is late."""
    due = timezone.localdate() - datetime.timedelta(days=60)
    installment = InstallmentFactory(
        due_on=due,
        paid_amount=D("1000.00"),
        paid_on=due + datetime.timedelta(days=days_late),
    )
    assert _pays_on_time(installment.plan.purchase.client) is pays_on_time


def _pays_on_time(client: Client) -> bool:
    """The SEG-2 signal itself, and the reason the segment shows for it."""
    from clients.segmentation import annotate_signals

    row = annotate_signals(Client.objects.filter(pk=client.pk), timezone.now()).get()
    with translation.override("en"):
        services.recompute_client_segment(client_id=client.pk)
    client.refresh_from_db()
    assert ("pays on time" in client.segment_reason) is row.pays_on_time
    return row.pays_on_time


# Payments ------------------------------------------------------------------


def test_record_payment_refuses_more_than_owed_and_changes_nothing(agent):
    purchase = make_purchase("1000.00")
    with pytest.raises(DomainError):
        services.record_payment(
            actor=agent, purchase_id=purchase.pk, amount=D("1000.01"), received_on=TODAY
        )
    assert not purchase.payments.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "NaN", "Infinity"])
def test_record_payment_refuses_bad_amounts(agent, amount):
    purchase = make_purchase("1000.00")
    with pytest.raises(DomainError):
        services.record_payment(
            actor=agent, purchase_id=purchase.pk, amount=D(amount), received_on=TODAY
        )
    assert not purchase.payments.exists()


def test_record_payment_keeps_net_paid_and_recomputes_the_segment(agent):
    """RULES: SEG-4. A payment recomputes the client's segment at once."""
    purchase = make_purchase("600.00")
    services.record_payment(
        actor=agent, purchase_id=purchase.pk, amount=D("600.00"), received_on=TODAY
    )
    client = Client.objects.get(pk=purchase.client_id)
    assert client.net_paid == D("600.00")
    assert client.value_tier == Tier.MEDIUM
    assert client.history.count() >= 2


# PAR-3 / PAR-4 -------------------------------------------------------------


def test_create_purchase_refuses_a_product_of_a_non_active_partner(agent):
    """RULES: PAR-3"""
    product = ProductFactory()
    # The partner went back to training after it was given the product.
    Partner.objects.filter(pk=product.partner_id).update(stage=Stage.TRAINING)
    client = ClientFactory()
    with pytest.raises(DomainError) as excinfo:
        services.create_purchase(
            actor=agent, client_id=client.pk, product_id=product.pk, purchased_on=TODAY
        )
    assert excinfo.value.rule == "PAR-3"
    assert not Purchase.objects.exists()


INACTIVE_PARTNERS = {
    "training": {"stage": Stage.TRAINING},
    "identified": {"stage": Stage.IDENTIFIED},
    "paused": {
        "stage": Stage.DIRECTORY,
        "status": PartnerStatus.PAUSED,
        "status_reason": "Auditoría",
    },
    "rejected": {
        "stage": Stage.VETTING,
        "status": PartnerStatus.REJECTED,
        "status_reason": "No pasó",
    },
}


def _product(partner, **kwargs) -> Product:
    return Product(
        name="Programa nuevo",
        kind=Product.Kind.PROGRAMME,
        list_price=D("900.00"),
        partner=partner,
        delivery_period_days=90,
        **kwargs,
    )


@pytest.mark.parametrize("state", list(INACTIVE_PARTNERS))
def test_save_product_refuses_a_partner_that_is_not_active(admin_user, state):
    """RULES: PAR-3. A product only for a partner in the directory, not paused."""
    partner = PartnerFactory(**INACTIVE_PARTNERS[state])
    with pytest.raises(DomainError) as excinfo:
        services.save_product(actor=admin_user, product=_product(partner))
    assert excinfo.value.rule == "PAR-3"
    assert not Product.objects.exists()


def test_save_product_refuses_moving_a_product_to_a_partner_that_is_not_active(admin_user):
    """RULES: PAR-3"""
    product = ProductFactory()
    product.partner = PartnerFactory(stage=Stage.LEGAL)
    with pytest.raises(DomainError) as excinfo:
        services.save_product(actor=admin_user, product=product)
    assert excinfo.value.rule == "PAR-3"
    assert Product.objects.get(pk=product.pk).partner_id != product.partner_id


def test_save_product_keeps_a_paused_partners_product_editable(admin_user):
    """RULES: PAR-3. Switching off (or repricing) the product of a partner
    paused since is allowed: only giving products is refused."""
    product = ProductFactory()
    Partner.objects.filter(pk=product.partner_id).update(
        status=PartnerStatus.PAUSED, status_reason="Auditoría"
    )
    product.is_active = False
    services.save_product(actor=admin_user, product=product)
    assert Product.objects.get(pk=product.pk).is_active is False


def test_save_product_creates_one_for_an_active_partner_and_is_for_admins(admin_user, agent):
    """RULES: PAR-3, ROLE-1"""
    partner = ActivePartnerFactory()
    with pytest.raises(PermissionDenied):
        services.save_product(actor=agent, product=_product(partner))
    product = services.save_product(actor=admin_user, product=_product(partner))
    assert Product.objects.get().pk == product.pk


@pytest.mark.parametrize("state", ["training", "paused"])
def test_the_database_refuses_a_product_of_a_partner_that_is_not_active(state):
    """RULES: PAR-3. Whatever writes the row (not the service): the trigger."""
    partner = PartnerFactory(**INACTIVE_PARTNERS[state])
    with pytest.raises(IntegrityError, match="PAR-3"), transaction.atomic():
        _product(partner).save()
    assert not Product.objects.exists()


def test_the_database_refuses_moving_a_product_to_a_partner_that_is_not_active():
    """RULES: PAR-3"""
    product = ProductFactory()
    other = PartnerFactory(stage=Stage.OPERATIONAL)
    with pytest.raises(IntegrityError, match="PAR-3"), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(partner=other)
    # any other change of the product stays possible once its partner is paused
    Partner.objects.filter(pk=product.partner_id).update(
        status=PartnerStatus.PAUSED, status_reason="Auditoría"
    )
    Product.objects.filter(pk=product.pk).update(list_price=D("1.00"))
    assert Product.objects.get(pk=product.pk).list_price == D("1.00")


def test_the_product_admin_shows_par3_and_saves_through_the_service(admin_client):
    """RULES: PAR-3. A partner still onboarding is refused on the form."""
    from django.urls import reverse

    onboarding, active = PartnerFactory(stage=Stage.TRAINING), ActivePartnerFactory()
    url = reverse("admin:clients_product_add")
    data = {
        "name": "Programa nuevo",
        "kind": Product.Kind.PROGRAMME,
        "list_price": "900.00",
        "delivery_period_days": "90",
        "guarantee_period_days": "30",
        "refund_window_days": "30",
        "is_active": "on",
    }
    response = admin_client.post(url, {**data, "partner": onboarding.pk})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["partner"]
    assert not Product.objects.exists()
    response = admin_client.post(url, {**data, "partner": active.pk})
    assert response.status_code == 302
    assert Product.objects.get().partner == active


def test_service_start_needs_a_bilingual_resource_without_a_shared_language(agent):
    """RULES: PAR-4. Spanish-only client, English-only partner."""
    partner = ActivePartnerFactory(languages=["en"])
    client = ClientFactory(languages=["es"])
    purchase = PurchaseFactory(client=client, product=ProductFactory(partner=partner))

    with pytest.raises(DomainError) as excinfo:
        services.start_service(actor=agent, purchase_id=purchase.pk, started_on=TODAY)
    assert excinfo.value.rule == "PAR-4"

    services.set_bilingual_resource(
        actor=agent, purchase_id=purchase.pk, resource=UserFactory(agent=True)
    )
    started = services.start_service(actor=agent, purchase_id=purchase.pk, started_on=TODAY)
    assert started.status == Purchase.Status.STARTED


# Credit --------------------------------------------------------------------


def test_credit_ledger_keeps_the_balance(agent):
    client = ClientFactory()
    services.add_credit(
        actor=agent,
        client_id=client.pk,
        amount=D("300.00"),
        kind=CreditEntry.Kind.RETENTION_INCENTIVE,
    )
    services.redeem_credit(actor=agent, client_id=client.pk, amount=D("120.50"))
    client.refresh_from_db()
    assert client.credit_balance == D("179.50")
    with pytest.raises(DomainError):
        services.redeem_credit(actor=agent, client_id=client.pk, amount=D("179.51"))
    client.refresh_from_db()
    assert client.credit_balance == D("179.50")


def test_add_credit_is_idempotent_by_source_key(agent):
    client = ClientFactory()
    for _ in range(2):
        services.add_credit(
            actor=agent,
            client_id=client.pk,
            amount=D("100.00"),
            kind=CreditEntry.Kind.SERVICE_CHANGE,
            source_key="refund:1",
        )
    client.refresh_from_db()
    assert client.credit_balance == D("100.00")


def test_duplicated_credit_is_a_leaders_act(agent, leader):
    client = ClientFactory()
    with pytest.raises(PermissionDenied):
        services.add_credit(
            actor=agent,
            client_id=client.pk,
            amount=D("100.00"),
            kind=CreditEntry.Kind.DUPLICATED_CREDIT,
        )
    services.add_credit(
        actor=leader,
        client_id=client.pk,
        amount=D("100.00"),
        kind=CreditEntry.Kind.DUPLICATED_CREDIT,
    )


# SAL-1 ---------------------------------------------------------------------


def test_accepted_offer_creates_the_purchase_credited_to_the_agent_who_made_it(agent, leader):
    """RULES: SAL-1. Credited to the offer's maker, not to whoever records the answer."""
    client = ClientFactory()
    offer = services.record_offer(
        actor=agent, client_id=client.pk, product_id=ProductFactory().pk, kind=Offer.Kind.UPSELL
    )
    decided = services.decide_offer(actor=leader, offer_id=offer.pk, accepted=True)
    assert decided.outcome == Offer.Outcome.ACCEPTED
    assert decided.purchase.sold_by == agent
    assert decided.purchase.client == client
    with pytest.raises(DomainError) as excinfo:
        services.decide_offer(actor=agent, offer_id=offer.pk, accepted=False)
    assert excinfo.value.rule == "SAL-1"
    assert Purchase.objects.count() == 1


def test_declined_offer_creates_nothing(agent):
    """RULES: SAL-1"""
    offer = services.record_offer(
        actor=agent,
        client_id=ClientFactory().pk,
        product_id=ProductFactory().pk,
        kind=Offer.Kind.CROSS_SELL,
    )
    services.decide_offer(actor=agent, offer_id=offer.pk, accepted=False)
    assert not Purchase.objects.exists()


# SEG-1..5 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "tier"),
    [
        ("499.99", Tier.LOW),
        ("500.00", Tier.MEDIUM),
        ("4999.99", Tier.MEDIUM),
        ("5000.00", Tier.HIGH),
    ],
)
def test_value_tier_boundaries(net, tier):
    """RULES: SEG-1"""
    assert value_tier(D(net)) == tier


@pytest.mark.parametrize(
    ("points", "tier"), [(0, Tier.LOW), (1, Tier.MEDIUM), (2, Tier.MEDIUM), (3, Tier.HIGH)]
)
def test_engagement_tier_from_points(points, tier):
    """RULES: SEG-2"""
    assert engagement_tier(points) == tier


@pytest.mark.parametrize(
    ("value", "engagement", "segment"),
    [
        (Tier.HIGH, Tier.HIGH, Segment.A),
        (Tier.HIGH, Tier.MEDIUM, Segment.B),
        (Tier.MEDIUM, Tier.HIGH, Segment.B),
        (Tier.MEDIUM, Tier.MEDIUM, Segment.B),
        (Tier.LOW, Tier.HIGH, Segment.C),
        (Tier.HIGH, Tier.LOW, Segment.C),
    ],
)
def test_segment_from_tiers(value, engagement, segment):
    """RULES: SEG-3"""
    assert segment_for(value, engagement) == segment


def _segment_of(client: Client) -> Client:
    services.recompute_client_segment(client_id=client.pk)
    client.refresh_from_db()
    return client


def test_a_client_paying_5000_who_participates_promotes_and_pays_on_time_is_a(agent):
    """RULES: SEG-1, SEG-2, SEG-3"""
    # given: 5,000.00 paid, attended 1 of 2 sessions, referred a client, no installments
    purchase = make_purchase("5000.00")
    client = purchase.client
    services.record_payment(
        actor=agent, purchase_id=purchase.pk, amount=D("5000.00"), received_on=TODAY
    )
    AttendanceFactory(client=client, status=Attendance.Status.ATTENDED)
    AttendanceFactory(client=client, status=Attendance.Status.MISSED)
    ClientFactory(referred_by=client)
    # when / then
    assert _segment_of(client).computed_segment == Segment.A


def test_participation_needs_half_of_the_sessions_in_90_days():
    """RULES: SEG-2. 1 of 3 sessions attended is not participating; 2 of 3 is."""
    client = ClientFactory()
    ClientFactory(referred_by=client)  # promotes; pays on time (no installments)
    AttendanceFactory(client=client, status=Attendance.Status.ATTENDED)
    AttendanceFactory.create_batch(2, client=client, status=Attendance.Status.MISSED)
    assert _segment_of(client).engagement_tier == Tier.MEDIUM
    AttendanceFactory(client=client, status=Attendance.Status.ATTENDED)
    assert _segment_of(client).engagement_tier == Tier.HIGH


def test_answering_within_7_days_counts_as_participation():
    """RULES: SEG-2"""
    contacted = timezone.now() - datetime.timedelta(days=20)
    client = ClientFactory(
        last_contacted_at=contacted, last_answered_at=contacted + datetime.timedelta(days=7)
    )
    ClientFactory(referred_by=client)
    assert _segment_of(client).engagement_tier == Tier.HIGH
    Client.objects.filter(pk=client.pk).update(
        last_answered_at=contacted + datetime.timedelta(days=7, minutes=1)
    )
    assert _segment_of(client).engagement_tier == Tier.MEDIUM


def test_refunds_lower_the_net_paid_amount(agent):
    """RULES: SEG-1. Net paid = payments - refunds."""
    purchase = make_purchase("5000.00")
    services.record_payment(
        actor=agent, purchase_id=purchase.pk, amount=D("5000.00"), received_on=TODAY
    )
    services.record_refund_against_purchase(
        purchase_id=purchase.pk, amount=D("0.01"), full=False, source_key="r1"
    )
    client = _segment_of(purchase.client)
    assert client.net_paid == D("4999.99")
    assert client.value_tier == Tier.MEDIUM


def test_nightly_segmentation_is_set_based_and_keeps_history(django_assert_max_num_queries):
    """RULES: SEG-4. Query count does not depend on the number of clients."""
    ClientFactory.create_batch(30)
    Client.objects.update(segment_computed_at=None)
    with django_assert_max_num_queries(8):
        changed = services.recompute_all_segments()
    assert changed == 30
    assert services.recompute_all_segments() == 0
    client = Client.objects.first()
    assert client.history.first().history_change_reason


def test_segment_override_by_a_leader_holds_and_keeps_the_computed_one(leader):
    """RULES: SEG-5"""
    client = _segment_of(ClientFactory())
    assert client.computed_segment == Segment.C
    services.override_segment(actor=leader, client_id=client.pk, segment="A", reason="VIP")
    services.recompute_all_segments()
    client.refresh_from_db()
    assert (client.segment, client.computed_segment) == (Segment.A, Segment.C)
    services.remove_segment_override(actor=leader, client_id=client.pk)
    client.refresh_from_db()
    assert client.segment == Segment.C


def test_segment_override_is_refused_to_agents_and_without_reason(agent, leader):
    """RULES: SEG-5, ROLE-1"""
    client = ClientFactory()
    with pytest.raises(PermissionDenied):
        services.override_segment(actor=agent, client_id=client.pk, segment="A", reason="x")
    with pytest.raises(DomainError) as excinfo:
        services.override_segment(actor=leader, client_id=client.pk, segment="A", reason="  ")
    assert excinfo.value.rule == "SEG-5"
    client.refresh_from_db()
    assert client.segment_override == ""


def test_attendance_recomputes_the_segment(agent):
    """RULES: SEG-4"""
    from tests.clients.factories import LiveSessionFactory

    client = ClientFactory()
    ClientFactory(referred_by=client)
    services.record_attendance(
        actor=agent, session_id=LiveSessionFactory().pk, client_id=client.pk, attended=True
    )
    client.refresh_from_db()
    assert client.engagement_tier == Tier.HIGH


def test_partner_approver_cannot_act_on_clients():
    """RULES: ROLE-1"""
    approver = UserFactory(partner_approver=True)
    purchase = make_purchase("6000.00")
    with pytest.raises(PermissionDenied):
        services.create_payment_plan(
            actor=approver,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=2,
            first_due_on=TODAY,
        )
    assert not Installment.objects.exists()
