"""The R1 refund process, one group of tests per rule."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from cases.models import Case
from clients import services as client_services
from clients.models import Client, CreditEntry, PaymentPlan, Purchase
from pae_ops.errors import ActRefused, DomainError
from pae_ops.models import Notification
from refunds import services
from refunds.models import RefundApproval, RefundOffer, RefundRequest
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory

D = Decimal
Status = RefundRequest.Status


# Building blocks (through the real services) --------------------------------


class World:
    def __init__(self):
        self.leader = UserFactory(leader=True)
        self.agent = UserFactory(agent=True, profile__leader=self.leader)
        self.director = UserFactory(director=True)
        self.partner = ActivePartnerFactory()
        self.approver = PartnerApproverFactory(partner=self.partner)

    def client(self, *, segment_a: bool = False) -> Client:
        client = ClientFactory(assigned_agent=self.agent, leader=self.leader)
        if segment_a:
            client_services.override_segment(
                actor=self.leader, client_id=client.pk, segment="A", reason="VIP"
            )
        return client

    def paid_purchase(
        self, client, price="1000.00", *, window_days=30, refundable=True, days_ago=1
    ):
        product = ProductFactory(
            partner=self.partner,
            list_price=D(price),
            refund_window_days=window_days,
            refundable=refundable,
        )
        purchase = PurchaseFactory(
            client=client,
            product=product,
            price=D(price),
            purchased_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        )
        client_services.record_payment(
            actor=self.agent,
            purchase_id=purchase.pk,
            amount=D(price),
            received_on=timezone.localdate(),
        )
        return purchase

    def diagnosed(self, purchase, kind=RefundRequest.Kind.REFUND) -> RefundRequest:
        request = services.open_refund_request(actor=self.agent, purchase_id=purchase.pk, kind=kind)
        return services.diagnose_refund_request(
            actor=self.agent,
            request_id=request.pk,
            reason=RefundRequest.Reason.EXPECTATIONS,
            notes="Esperaba sesiones en vivo semanales.",
        )

    def declined_offer(self, request, kind=RefundOffer.Kind.RETENTION_INCENTIVE):
        offer = services.offer_resolution(
            actor=self.agent, request_id=request.pk, kind=kind, description="Bono exclusivo"
        )
        return services.record_offer_answer(actor=self.agent, offer_id=offer.pk, accepted=False)

    def awaiting_partial(self, purchase, amount="400.00") -> RefundRequest:
        request = self.diagnosed(purchase)
        self.declined_offer(request)
        return services.propose_refund(
            actor=self.agent,
            request_id=request.pk,
            proposal=RefundRequest.Proposal.PARTIAL_REFUND,
            amount=D(amount),
        )


@pytest.fixture
def world(db):
    return World()


# REF-1 ---------------------------------------------------------------------


def test_no_offer_or_proposal_without_a_diagnosis(world):
    """RULES: REF-1"""
    purchase = world.paid_purchase(world.client())
    request = services.open_refund_request(actor=world.agent, purchase_id=purchase.pk)
    with pytest.raises(DomainError) as excinfo:
        services.propose_refund(
            actor=world.agent,
            request_id=request.pk,
            proposal=RefundRequest.Proposal.PARTIAL_REFUND,
            amount=D("10.00"),
        )
    assert excinfo.value.rule == "REF-1"
    with pytest.raises(DomainError) as excinfo:
        services.offer_resolution(
            actor=world.agent, request_id=request.pk, kind=RefundOffer.Kind.RESCUE_SESSION
        )
    assert excinfo.value.rule == "REF-1"


@pytest.mark.parametrize(("reason", "notes"), [("", "notes"), ("other", "   "), ("bogus", "x")])
def test_diagnosis_needs_a_reason_and_notes(world, reason, notes):
    """RULES: REF-1"""
    purchase = world.paid_purchase(world.client())
    request = services.open_refund_request(actor=world.agent, purchase_id=purchase.pk)
    with pytest.raises(DomainError) as excinfo:
        services.diagnose_refund_request(
            actor=world.agent, request_id=request.pk, reason=reason, notes=notes
        )
    assert excinfo.value.rule == "REF-1"
    request.refresh_from_db()
    assert request.status == Status.DIAGNOSIS


# REF-3 ---------------------------------------------------------------------


@pytest.mark.parametrize(("earlier", "flagged"), [(1, False), (2, True)])
def test_frequent_refund_pattern_at_two_requests_in_12_months(world, earlier, flagged):
    """RULES: REF-3"""
    client = world.client()
    for _ in range(earlier):
        request = services.open_refund_request(
            actor=world.agent, purchase_id=world.paid_purchase(client).pk
        )
        services.withdraw_refund_request(actor=world.agent, request_id=request.pk)
    request = services.open_refund_request(
        actor=world.agent, purchase_id=world.paid_purchase(client).pk
    )
    assert (request.frequent_refund, request.escalated_to_director) == (flagged, flagged)
    if flagged:
        assert Notification.objects.filter(recipient=world.director, kind="refund-escalated")


def test_requests_older_than_12_months_do_not_count(world):
    """RULES: REF-3"""
    client = world.client()
    for _ in range(2):
        request = services.open_refund_request(
            actor=world.agent, purchase_id=world.paid_purchase(client).pk
        )
        services.withdraw_refund_request(actor=world.agent, request_id=request.pk)
    RefundRequest.objects.update(created_at=timezone.now() - datetime.timedelta(days=366))
    request = services.open_refund_request(
        actor=world.agent, purchase_id=world.paid_purchase(client).pk
    )
    assert not request.frequent_refund


def test_a_frequent_refund_request_needs_the_director(world):
    """RULES: REF-3"""
    client = world.client()
    for _ in range(2):
        request = services.open_refund_request(
            actor=world.agent, purchase_id=world.paid_purchase(client).pk
        )
        services.withdraw_refund_request(actor=world.agent, request_id=request.pk)
    request = world.awaiting_partial(world.paid_purchase(client))
    services.approve_refund_request(actor=world.leader, request_id=request.pk)
    services.approve_refund_request(actor=world.approver, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    services.approve_refund_request(actor=world.director, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.EXECUTED


# REF-4 / RES-4 ---------------------------------------------------------------


def test_refund_only_after_a_declined_non_refund_offer(world):
    """RULES: REF-4, RES-4. No offer, or one still pending: refused; declined: allowed."""
    purchase = world.paid_purchase(world.client())
    request = world.diagnosed(purchase)
    with pytest.raises(DomainError) as excinfo:
        services.propose_refund(
            actor=world.agent,
            request_id=request.pk,
            proposal=RefundRequest.Proposal.PARTIAL_REFUND,
            amount=D("100.00"),
        )
    assert excinfo.value.rule == "REF-4"
    # an offer still waiting for the client's answer is not a declined one
    pending = services.offer_resolution(
        actor=world.agent, request_id=request.pk, kind=RefundOffer.Kind.RESCUE_SESSION
    )
    with pytest.raises(DomainError) as excinfo:
        services.propose_refund(
            actor=world.agent,
            request_id=request.pk,
            proposal=RefundRequest.Proposal.FULL_REFUND,
            amount=D("1000.00"),
        )
    assert excinfo.value.rule == "REF-4"
    request.refresh_from_db()
    assert (request.status, request.proposal) == (Status.OFFERS, "")
    offer = services.record_offer_answer(actor=world.agent, offer_id=pending.pk, accepted=False)
    assert offer.answer == RefundOffer.Answer.DECLINED
    services.propose_refund(
        actor=world.agent,
        request_id=request.pk,
        proposal=RefundRequest.Proposal.PARTIAL_REFUND,
        amount=D("100.00"),
    )


def test_accepted_service_change_turns_the_amount_paid_into_credit(world):
    """RULES: RES-4. The purchase is cancelled and its paid amount becomes credit."""
    client = world.client()
    purchase = world.paid_purchase(client, "750.00")
    request = world.diagnosed(purchase, kind=RefundRequest.Kind.CANCELLATION)
    offer = services.offer_resolution(
        actor=world.agent, request_id=request.pk, kind=RefundOffer.Kind.SERVICE_CHANGE
    )
    services.record_offer_answer(actor=world.agent, offer_id=offer.pk, accepted=True)
    request.refresh_from_db()
    purchase.refresh_from_db()
    client.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert request.resolution == RefundRequest.Resolution.CREDITED
    assert purchase.status == Purchase.Status.CANCELLED
    assert purchase.refunded_amount == D("750.00")
    assert client.credit_balance == D("750.00")


def test_accepted_rescue_session_keeps_the_client(world):
    """RULES: RES-4"""
    purchase = world.paid_purchase(world.client())
    request = world.diagnosed(purchase)
    offer = services.offer_resolution(
        actor=world.agent, request_id=request.pk, kind=RefundOffer.Kind.RESCUE_SESSION
    )
    services.record_offer_answer(actor=world.agent, offer_id=offer.pk, accepted=True)
    request.refresh_from_db()
    assert (request.status, request.resolution) == (
        Status.WITHDRAWN,
        RefundRequest.Resolution.RETAINED,
    )


# REF-5 ---------------------------------------------------------------------


def _propose_credit(world, request, amount, minor=True):
    return services.propose_refund(
        actor=world.agent,
        request_id=request.pk,
        proposal=RefundRequest.Proposal.DUPLICATED_CREDIT,
        amount=D(amount),
        minor_issue=minor,
    )


@pytest.mark.parametrize(("amount", "ok"), [("1000.00", True), ("1000.01", False)])
def test_duplicated_credit_up_to_1000(world, amount, ok):
    """RULES: REF-5"""
    client = world.client(segment_a=True)
    world.paid_purchase(client)
    request = world.diagnosed(world.paid_purchase(client))
    if ok:
        _propose_credit(world, request, amount)
        services.approve_refund_request(actor=world.leader, request_id=request.pk)
        client.refresh_from_db()
        assert client.credit_balance == D(amount)
        assert CreditEntry.objects.get(client=client).kind == CreditEntry.Kind.DUPLICATED_CREDIT
    else:
        with pytest.raises(DomainError) as excinfo:
            _propose_credit(world, request, amount)
        assert excinfo.value.rule == "REF-5"


def test_duplicated_credit_refused_to_a_b_client(world):
    """RULES: REF-5"""
    client = world.client()
    client_services.override_segment(
        actor=world.leader, client_id=client.pk, segment="B", reason="growing"
    )
    world.paid_purchase(client)
    request = world.diagnosed(world.paid_purchase(client))
    with pytest.raises(DomainError) as excinfo:
        _propose_credit(world, request, "100.00")
    assert excinfo.value.rule == "REF-5"


def test_duplicated_credit_needs_two_paid_purchases_and_a_minor_issue(world):
    """RULES: REF-5"""
    client = world.client(segment_a=True)
    request = world.diagnosed(world.paid_purchase(client))
    with pytest.raises(DomainError) as excinfo:
        _propose_credit(world, request, "100.00")
    assert excinfo.value.rule == "REF-5"
    world.paid_purchase(client)
    with pytest.raises(DomainError) as excinfo:
        _propose_credit(world, request, "100.00", minor=False)
    assert excinfo.value.rule == "REF-5"
    assert _propose_credit(world, request, "100.00").status == Status.AWAITING_APPROVAL


def test_duplicated_credit_over_the_limit_is_refused_by_the_database(world):
    """RULES: REF-5"""
    from django.db import IntegrityError

    purchase = world.paid_purchase(world.client())
    request = services.open_refund_request(actor=world.agent, purchase_id=purchase.pk)
    with pytest.raises(IntegrityError):
        RefundRequest.objects.filter(pk=request.pk).update(
            proposal=RefundRequest.Proposal.DUPLICATED_CREDIT, proposed_amount=D("1000.01")
        )


# REF-6 ---------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "ok"), [("600.00", True), ("600.01", False)])
def test_partial_refund_at_most_the_remaining_paid_amount(world, amount, ok):
    """RULES: REF-6. 1,000.00 paid, 400.00 already refunded: 600.00 remain."""
    purchase = world.paid_purchase(world.client())
    first = world.awaiting_partial(purchase, "400.00")
    services.approve_refund_request(actor=world.leader, request_id=first.pk)
    services.approve_refund_request(actor=world.approver, request_id=first.pk)
    if ok:
        second = world.awaiting_partial(purchase, amount)
        assert second.status == Status.AWAITING_APPROVAL
    else:
        with pytest.raises(DomainError) as excinfo:
            world.awaiting_partial(purchase, amount)
        assert excinfo.value.rule == "REF-6"


def test_partial_refund_needs_the_leader_and_the_partner(world):
    """RULES: REF-6. The leader's approval alone leaves it waiting."""
    purchase = world.paid_purchase(world.client())
    request = world.awaiting_partial(purchase, "250.00")
    services.approve_refund_request(actor=world.leader, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    services.approve_refund_request(actor=world.approver, request_id=request.pk)
    request.refresh_from_db()
    purchase.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert purchase.refunded_amount == D("250.00")
    assert purchase.client.__class__.objects.get(pk=purchase.client_id).net_paid == D("750.00")


@pytest.mark.parametrize("who", ["leader", "approver"])
def test_either_rejection_ends_a_partial_refund(world, who):
    """RULES: REF-6"""
    purchase = world.paid_purchase(world.client())
    request = world.awaiting_partial(purchase)
    services.reject_refund_request(
        actor=getattr(world, who), request_id=request.pk, comment="No procede"
    )
    request.refresh_from_db()
    purchase.refresh_from_db()
    assert request.status == Status.REJECTED
    assert purchase.refunded_amount == D("0.00")


# REF-7 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposal", "amount"),
    [
        (RefundRequest.Proposal.PARTIAL_REFUND, "100.00"),
        (RefundRequest.Proposal.FULL_REFUND, "3000.00"),  # exactly what remains paid
    ],
)
def test_no_refund_on_a_deferred_start_plan(world, proposal, amount):
    """RULES: REF-7, PAY-4. Neither partial nor full: "no refund of any kind"."""
    client = world.client()
    product = ProductFactory(partner=world.partner, list_price=D("6000.00"))
    purchase = PurchaseFactory(client=client, product=product, price=D("6000.00"))
    plan = client_services.create_payment_plan(
        actor=world.agent,
        purchase_id=purchase.pk,
        kind=PaymentPlan.Kind.DEFERRED,
        installment_count=2,
        first_due_on=purchase.purchased_on,
    )
    first = plan.installments.get(number=1)
    client_services.record_payment(
        actor=world.agent,
        purchase_id=purchase.pk,
        installment_id=first.pk,
        amount=first.amount,
        received_on=timezone.localdate(),
    )
    request = world.diagnosed(purchase)
    world.declined_offer(request)
    assert client_services.purchase_refundable_amount(purchase) == D("3000.00")
    with pytest.raises(DomainError) as excinfo:
        services.propose_refund(
            actor=world.agent, request_id=request.pk, proposal=proposal, amount=D(amount)
        )
    assert excinfo.value.rule == "REF-7"
    request.refresh_from_db()
    assert request.status == Status.OFFERS


# REF-8 ---------------------------------------------------------------------


@pytest.mark.parametrize(("days_ago", "outside"), [(30, False), (31, True)])
def test_refund_window_last_day_is_inside_the_terms(world, days_ago, outside):
    """RULES: REF-8. A 30-day window: day 30 is the last day inside."""
    purchase = world.paid_purchase(world.client(), window_days=30, days_ago=days_ago)
    request = world.awaiting_partial(purchase, "100.00")
    assert request.outside_terms is outside
    assert (RefundApproval.Role.DIRECTOR in request.required_roles()) is outside


def test_a_non_refundable_product_needs_the_director(world):
    """RULES: REF-8"""
    purchase = world.paid_purchase(world.client(), refundable=False)
    request = world.diagnosed(purchase)
    world.declined_offer(request)
    request = services.propose_refund(
        actor=world.agent,
        request_id=request.pk,
        proposal=RefundRequest.Proposal.FULL_REFUND,
        amount=D("1000.00"),
    )
    services.approve_refund_request(actor=world.leader, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    services.approve_refund_request(actor=world.director, request_id=request.pk)
    request.refresh_from_db()
    purchase.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert purchase.status == Purchase.Status.REFUNDED


# ROLE-1 / ROLE-2 -------------------------------------------------------------


def test_the_requester_cannot_approve(world):
    """RULES: ROLE-2"""
    purchase = world.paid_purchase(world.client())
    request = services.open_refund_request(actor=world.leader, purchase_id=purchase.pk)
    services.diagnose_refund_request(
        actor=world.leader, request_id=request.pk, reason="other", notes="x"
    )
    world.declined_offer(request)
    services.propose_refund(
        actor=world.agent,
        request_id=request.pk,
        proposal=RefundRequest.Proposal.PARTIAL_REFUND,
        amount=D("10.00"),
    )
    with pytest.raises(ActRefused) as excinfo:
        services.approve_refund_request(actor=world.leader, request_id=request.pk)
    assert excinfo.value.rule == "ROLE-2"
    assert not RefundApproval.objects.exists()


def test_one_person_gives_one_approval_per_request(world):
    """RULES: ROLE-2. A leader who is also a director signs once."""
    from django.contrib.auth.models import Group

    world.leader.groups.add(Group.objects.get(name="Director"))
    purchase = world.paid_purchase(world.client(), refundable=False)
    request = world.awaiting_partial(purchase, "100.00")
    leader = type(world.leader).objects.get(pk=world.leader.pk)  # fresh role cache
    services.approve_refund_request(actor=leader, request_id=request.pk)
    with pytest.raises(ActRefused) as excinfo:
        services.approve_refund_request(actor=leader, request_id=request.pk)
    assert excinfo.value.rule == "ROLE-2"
    assert request.approvals.count() == 1


def test_an_agent_cannot_approve(world):
    """RULES: ROLE-1"""
    request = world.awaiting_partial(world.paid_purchase(world.client()))
    with pytest.raises(PermissionDenied):
        services.approve_refund_request(actor=UserFactory(agent=True), request_id=request.pk)
    assert not request.approvals.exists()


def test_a_partner_approver_decides_only_their_partners_requests(world):
    """RULES: ROLE-1"""
    request = world.awaiting_partial(world.paid_purchase(world.client()))
    other = PartnerApproverFactory(partner=ActivePartnerFactory())
    with pytest.raises(PermissionDenied):
        services.approve_refund_request(actor=other, request_id=request.pk)
    with pytest.raises(PermissionDenied):
        services.reject_refund_request(actor=other, request_id=request.pk, comment="no")
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    assert not request.approvals.exists()


def test_a_partner_approver_cannot_sign_as_leader(world):
    """RULES: ROLE-1. The partner's approval can't stand in for the area head's."""
    purchase = world.paid_purchase(world.client(segment_a=True))
    world.paid_purchase(purchase.client)
    request = _propose_credit(world, world.diagnosed(purchase), "100.00")
    with pytest.raises(PermissionDenied):
        services.approve_refund_request(actor=world.approver, request_id=request.pk)


# SEG-7 ---------------------------------------------------------------------


def test_the_leader_watches_the_requests_of_an_a_client(world):
    """RULES: SEG-7"""
    client = world.client(segment_a=True)
    services.open_refund_request(actor=world.agent, purchase_id=world.paid_purchase(client).pk)
    assert Notification.objects.filter(recipient=world.leader, kind="refund-opened").exists()
    other = world.client()
    services.open_refund_request(actor=world.agent, purchase_id=world.paid_purchase(other).pk)
    assert Notification.objects.filter(recipient=world.leader, kind="refund-opened").count() == 1


def _open_case(world, client):
    from cases.services import open_case

    return open_case(actor=world.agent, client_id=client.pk, subject="Duda", kind="request")


@pytest.mark.parametrize("own_leader", [True, False])
def test_a_case_and_a_request_of_an_a_client_get_the_same_leader(world, own_leader):
    """RULES: SEG-7. One rule for both: ``Client.leader`` when set, else the
    leader of the client's agent's team."""
    # given: an A client, with its own leader or only an agent in a team
    own = UserFactory(leader=True)
    client = ClientFactory(assigned_agent=world.agent, leader=own if own_leader else None)
    client_services.override_segment(
        actor=world.leader, client_id=client.pk, segment="A", reason="VIP"
    )
    expected = own if own_leader else world.leader
    # when
    case = _open_case(world, client)
    request = services.open_refund_request(
        actor=world.agent, purchase_id=world.paid_purchase(client).pk
    )
    # then
    assert list(case.watchers.all()) == [expected]
    assert list(request.watchers.all()) == [expected]
    assert Notification.objects.filter(recipient=expected, kind="refund-opened").exists()


def test_a_client_with_no_leader_at_all_has_no_watcher(world):
    """RULES: SEG-7"""
    loner = UserFactory(agent=True)
    client = ClientFactory(assigned_agent=loner, leader=None, segment_override="A",
                           override_reason="VIP")  # fmt: skip
    request = services.open_refund_request(actor=loner, purchase_id=world.paid_purchase(client).pk)
    assert not request.watchers.exists()


def test_a_client_made_a_by_override_gets_the_leader_on_what_is_open(world):
    """RULES: SEG-7, SEG-5. Open cases and open requests gain the watcher;
    closed ones do not."""
    # given: a B client with an open case, a closed case, an open and a closed request
    client = ClientFactory(assigned_agent=world.agent, leader=None, computed_segment="B")
    open_case = _open_case(world, client)
    closed_case = _open_case(world, client)
    Case.objects.filter(pk=closed_case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now()
    )
    open_request = services.open_refund_request(
        actor=world.agent, purchase_id=world.paid_purchase(client).pk
    )
    closed_request = world.diagnosed(world.paid_purchase(client))
    services.withdraw_refund_request(actor=world.agent, request_id=closed_request.pk)
    assert not open_case.watchers.exists()
    assert not open_request.watchers.exists()
    # when
    client_services.override_segment(
        actor=world.leader, client_id=client.pk, segment="A", reason="Cliente estratégico"
    )
    # then
    assert list(open_case.watchers.all()) == [world.leader]
    assert list(open_request.watchers.all()) == [world.leader]
    assert not closed_case.watchers.exists()
    assert not closed_request.watchers.exists()
    # and the watcher hears when the request closes
    services.withdraw_refund_request(actor=world.agent, request_id=open_request.pk)
    assert Notification.objects.filter(recipient=world.leader, kind="refund-closed").exists()


def test_removing_an_override_that_leaves_a_computed_a_adds_the_leader(world):
    """RULES: SEG-7, SEG-5"""
    client = ClientFactory(assigned_agent=world.agent, leader=None, computed_segment="A")
    client_services.override_segment(
        actor=world.leader, client_id=client.pk, segment="B", reason="Revisión"
    )
    case = _open_case(world, client)
    assert not case.watchers.exists()
    client_services.remove_segment_override(actor=world.leader, client_id=client.pk)
    assert list(case.watchers.all()) == [world.leader]


def test_a_client_recomputed_into_a_gets_the_leader_on_what_is_open(world):
    """RULES: SEG-7, SEG-4. A payment makes the client A (high value and the
    three engagement signals): the leader watches their open case and request."""
    # given: a client who participates, promotes and pays on time, with 1,000.00 paid
    now = timezone.now()
    client = ClientFactory(
        assigned_agent=world.agent,
        leader=None,
        last_contacted_at=now - datetime.timedelta(days=2),
        last_answered_at=now - datetime.timedelta(days=1),
    )
    ClientFactory(referred_by=client)
    request = services.open_refund_request(
        actor=world.agent, purchase_id=world.paid_purchase(client).pk
    )
    case = _open_case(world, client)
    assert Client.objects.get(pk=client.pk).segment != "A"
    # when: 6,000.00 more is paid (SEG-4 recomputes at once)
    world.paid_purchase(client, price="6000.00")
    # then
    assert Client.objects.get(pk=client.pk).segment == "A"
    assert list(case.watchers.all()) == [world.leader]
    assert list(request.watchers.all()) == [world.leader]


# RES-5 ---------------------------------------------------------------------


def test_cancellation_completes_only_after_the_exit_survey(world):
    """RULES: RES-5"""
    purchase = world.paid_purchase(world.client())
    request = world.diagnosed(purchase, kind=RefundRequest.Kind.CANCELLATION)
    world.declined_offer(request)
    with pytest.raises(DomainError) as excinfo:
        services.complete_cancellation(actor=world.agent, request_id=request.pk)
    assert excinfo.value.rule == "RES-5"
    services.send_exit_survey(actor=world.agent, request_id=request.pk)
    with pytest.raises(DomainError) as excinfo:
        services.complete_cancellation(actor=world.agent, request_id=request.pk)
    assert excinfo.value.rule == "RES-5"
    services.record_exit_survey(actor=world.agent, request_id=request.pk, refused=True)
    services.complete_cancellation(actor=world.agent, request_id=request.pk)
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.CANCELLED


def test_cancellation_with_answered_exit_survey(world):
    """RULES: RES-5"""
    purchase = world.paid_purchase(world.client())
    request = world.diagnosed(purchase, kind=RefundRequest.Kind.CANCELLATION)
    world.declined_offer(request)
    services.send_exit_survey(actor=world.agent, request_id=request.pk)
    services.record_exit_survey(
        actor=world.agent, request_id=request.pk, main_reason="Falta de tiempo"
    )
    done = services.complete_cancellation(actor=world.agent, request_id=request.pk)
    assert done.resolution == RefundRequest.Resolution.CANCELLED


# REF-10 --------------------------------------------------------------------


def test_every_step_is_kept_in_the_history(world):
    """RULES: REF-10. Who, what, when and amounts before/after."""
    purchase = world.paid_purchase(world.client())
    request = world.awaiting_partial(purchase, "300.00")
    services.approve_refund_request(actor=world.leader, request_id=request.pk)
    services.approve_refund_request(actor=world.approver, request_id=request.pk)
    statuses = list(request.history.order_by("history_date").values_list("status", flat=True))
    assert statuses[0] == Status.DIAGNOSIS
    assert statuses[-1] == Status.EXECUTED
    assert Status.AWAITING_APPROVAL in statuses
    amounts = list(
        purchase.history.order_by("history_date").values_list("refunded_amount", flat=True)
    )
    assert amounts[0] == D("0.00")
    assert amounts[-1] == D("300.00")
    assert RefundApproval.history.count() == 2


def test_no_role_can_edit_the_audit_in_admin(world, client):
    """RULES: REF-10"""
    request = world.awaiting_partial(world.paid_purchase(world.client()))
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = f"/admin/refunds/refundrequest/{request.pk}/change/"
    response = client.post(url, {"status": "executed"})
    request.refresh_from_db()
    assert response.status_code == 403
    assert request.status == Status.AWAITING_APPROVAL


# REF-9 (real threads on PostgreSQL) ------------------------------------------


def _race(*calls):
    """Run the calls at the same moment in threads; return their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the losers' errors are the point
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_leaders_approving_at_once_approve_and_pay_once(role_groups):
    """RULES: REF-9"""
    world = World()
    client = world.client(segment_a=True)
    world.paid_purchase(client)
    request = _propose_credit(world, world.diagnosed(world.paid_purchase(client)), "500.00")
    other_leader = UserFactory(leader=True)

    outcomes = _race(
        lambda: services.approve_refund_request(actor=world.leader, request_id=request.pk),
        lambda: services.approve_refund_request(actor=other_leader, request_id=request.pk),
    )

    assert sum(isinstance(o, RefundRequest) for o in outcomes) == 1
    assert sum(isinstance(o, DomainError) for o in outcomes) == 1
    assert RefundApproval.objects.filter(request=request).count() == 1
    assert CreditEntry.objects.filter(client=client).count() == 1
    assert Client.objects.get(pk=client.pk).credit_balance == D("500.00")


def _meet_after_deciding(monkeypatch) -> None:
    """Make each approval wait, once recorded and before the signatures are
    counted, until the other approval is recorded too, or is blocked on a row
    lock of this database. With the request's lock the second approver is
    blocked and the first goes on; without it both count only their own
    signature, whatever the timing."""
    real_decide = services._decide
    arrived = [0]
    meeting = threading.Condition()

    def someone_waits_on_a_lock() -> bool:
        with connection.cursor() as cursor:
            # pg_stat_activity is read once per transaction and kept until its
            # end; this runs inside the approval's transaction, so drop the
            # snapshot or a wait that began after the first look is never seen.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] > 0

    def decide_then_meet(**kwargs):
        result = real_decide(**kwargs)
        with meeting:
            arrived[0] += 1
            meeting.notify_all()
            for _ in range(1000):  # at most ~10 s
                if arrived[0] >= 2 or someone_waits_on_a_lock():
                    return result
                meeting.wait(timeout=0.01)
        raise AssertionError("the other approval neither came nor waited")

    monkeypatch.setattr(services, "_decide", decide_then_meet)


@pytest.mark.django_db(transaction=True)
def test_a_leader_and_a_partner_approving_at_once_execute_the_refund_once(role_groups, monkeypatch):
    """RULES: REF-9, REF-6. Both approvals count and the refund is paid once; without
    the request's row lock it ends "awaiting approval" with both approvals and
    nothing paid."""
    world = World()
    purchase = world.paid_purchase(world.client())
    request = world.awaiting_partial(purchase, "300.00")
    _meet_after_deciding(monkeypatch)

    outcomes = _race(
        lambda: services.approve_refund_request(actor=world.leader, request_id=request.pk),
        lambda: services.approve_refund_request(actor=world.approver, request_id=request.pk),
    )

    assert [type(o) for o in outcomes] == [RefundRequest, RefundRequest], outcomes
    request.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert request.approvals.count() == 2
    purchase.refresh_from_db()
    assert purchase.refunded_amount == D("300.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_approval_posted_twice_counts_once(role_groups):
    """RULES: REF-9. A double click or a retried request."""
    world = World()
    request = world.awaiting_partial(world.paid_purchase(world.client()), "200.00")
    outcomes = _race(
        lambda: services.approve_refund_request(actor=world.leader, request_id=request.pk),
        lambda: services.approve_refund_request(actor=world.leader, request_id=request.pk),
    )
    assert sum(isinstance(o, RefundRequest) for o in outcomes) == 1
    assert RefundApproval.objects.filter(request=request).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_partial_refunds_racing_for_the_same_remaining_amount(role_groups):
    """RULES: REF-9, REF-6. Only one of them can take the last 700.00."""
    world = World()
    client = world.client()
    purchase = world.paid_purchase(client)
    first = world.awaiting_partial(purchase, "700.00")
    services.approve_refund_request(actor=world.leader, request_id=first.pk)
    # A second request for the same money, as a concurrent proposal would leave it.
    second = RefundRequest.objects.create(
        client=client,
        purchase=purchase,
        opened_by=world.agent,
        proposed_by=world.agent,
        status=Status.AWAITING_APPROVAL,
        diagnosis_reason=RefundRequest.Reason.OTHER,
        diagnosis_notes="paralela",
        proposal=RefundRequest.Proposal.PARTIAL_REFUND,
        proposed_amount=D("700.00"),
    )
    services.approve_refund_request(actor=world.leader, request_id=second.pk)

    outcomes = _race(
        lambda: services.approve_refund_request(actor=world.approver, request_id=first.pk),
        lambda: services.approve_refund_request(actor=world.approver, request_id=second.pk),
    )

    assert sum(isinstance(o, RefundRequest) for o in outcomes) == 1
    assert [o.rule for o in outcomes if isinstance(o, DomainError)] == ["REF-6"]
    purchase.refresh_from_db()
    assert purchase.refunded_amount == D("700.00")
    executed = RefundRequest.objects.filter(status=Status.EXECUTED).count()
    assert executed == 1
