"""Rules are checked when they take effect: at the last approval, under the
locks, not only when the request was proposed (REF-5, REF-6, REF-7, REF-8)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, CreditEntry, PaymentPlan, Purchase
from pae_ops.errors import DomainError
from pae_ops.models import Notification
from refunds import services
from refunds.models import RefundApproval, RefundRequest
from tests.clients.factories import PaymentPlanFactory
from tests.refunds.factories import paid_purchase, refund_request_at

pytestmark = pytest.mark.django_db

D = Decimal
Status = RefundRequest.Status
Proposal = RefundRequest.Proposal


def _awaiting_credit() -> RefundRequest:
    """An 800.00 duplicated credit for an A client with two paid purchases, awaiting approval."""
    request = refund_request_at(Status.AWAITING_APPROVAL, proposal=Proposal.DUPLICATED_CREDIT)
    assert client_services.count_paid_purchases(request.client_id) == 2
    return request


def _assert_nothing_given(request: RefundRequest) -> None:
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    assert not request.approvals.exists()
    assert not CreditEntry.objects.filter(client_id=request.client_id).exists()
    assert Client.objects.get(pk=request.client_id).credit_balance == D("0.00")


# REF-5 ---------------------------------------------------------------------


def test_duplicated_credit_is_refused_when_the_client_left_segment_a_before_the_approval():
    """RULES: REF-5. Proposed for an A client, approved after a leader moved them to B."""
    request = _awaiting_credit()
    leader = request.cast.leader
    client_services.override_segment(
        actor=leader, client_id=request.client_id, segment="B", reason="Bajó su compromiso"
    )

    with pytest.raises(DomainError) as excinfo:
        services.approve_refund_request(actor=leader, request_id=request.pk)

    assert excinfo.value.rule == "REF-5"
    _assert_nothing_given(request)


def test_duplicated_credit_is_refused_when_a_paid_purchase_was_refunded_before_the_approval():
    """RULES: REF-5. One of the two paid purchases was fully refunded in between."""
    request = _awaiting_credit()
    other = Purchase.objects.filter(client_id=request.client_id).exclude(pk=request.purchase_id)
    other = other.get()
    client_services.record_refund_against_purchase(
        purchase_id=other.pk, amount=other.price, full=True, source_key="refund:other"
    )

    with pytest.raises(DomainError) as excinfo:
        services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)

    assert excinfo.value.rule == "REF-5"
    _assert_nothing_given(request)


def test_duplicated_credit_is_given_when_the_client_is_still_eligible():
    """RULES: REF-5. The same path with nothing changed in between gives the credit."""
    request = _awaiting_credit()
    services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert Client.objects.get(pk=request.client_id).credit_balance == D("800.00")


def test_paid_purchase_count_leaves_out_refunded_and_cancelled_purchases():
    """RULES: REF-5"""
    purchase = paid_purchase(price="1000.00")
    client_id = purchase.client_id
    kept = paid_purchase(client=purchase.client, price="500.00")
    paid_purchase(client=purchase.client, price="700.00", paid="699.99")  # not fully paid
    assert client_services.count_paid_purchases(client_id) == 2
    client_services.record_refund_against_purchase(
        purchase_id=purchase.pk, amount=D("1000.00"), full=True, source_key="refund:a"
    )
    assert client_services.count_paid_purchases(client_id) == 1
    client_services.cancel_purchase_record(purchase_id=kept.pk, reason="refund:b")
    assert client_services.count_paid_purchases(client_id) == 0


# REF-6 ---------------------------------------------------------------------


def test_partial_refund_is_refused_when_another_refund_took_the_amount_before_the_approval():
    """RULES: REF-6. 6,000.00 paid; 500.00 proposed; 5,800.00 refunded meanwhile."""
    request = refund_request_at(Status.AWAITING_APPROVAL, proposal=Proposal.PARTIAL_REFUND)
    services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)
    client_services.record_refund_against_purchase(
        purchase_id=request.purchase_id, amount=D("5800.00"), full=False, source_key="other"
    )

    with pytest.raises(DomainError) as excinfo:
        services.approve_refund_request(actor=request.cast.approver, request_id=request.pk)

    assert excinfo.value.rule == "REF-6"
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    assert list(request.approvals.values_list("role", flat=True)) == [RefundApproval.Role.LEADER]
    assert Purchase.objects.get(pk=request.purchase_id).refunded_amount == D("5800.00")


def test_full_refund_is_refused_when_what_remains_paid_changed_before_the_approval():
    """RULES: REF-6. A full refund of the 3,000.00 paid, approved after the rest was
    paid: it would mark the purchase refunded with half of it kept."""
    purchase = paid_purchase(price="6000.00", paid="3000.00")
    request = refund_request_at(
        Status.AWAITING_APPROVAL, purchase=purchase, proposal=Proposal.FULL_REFUND
    )
    assert request.proposed_amount == D("3000.00")
    client_services.record_payment(
        actor=request.cast.agent,
        purchase_id=purchase.pk,
        amount=D("3000.00"),
        received_on=timezone.localdate(),
    )

    with pytest.raises(DomainError) as excinfo:
        services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)

    assert excinfo.value.rule == "REF-6"
    purchase.refresh_from_db()
    assert (purchase.status, purchase.refunded_amount) == (Purchase.Status.ACTIVE, D("0.00"))


# REF-7 ---------------------------------------------------------------------


def test_refund_is_refused_when_the_purchase_is_on_a_deferred_plan_at_the_approval():
    """RULES: REF-7. A deferred-start plan recorded between proposal and approval
    (the services can't, an import or a repair could)."""
    request = refund_request_at(Status.AWAITING_APPROVAL, proposal=Proposal.FULL_REFUND)
    PaymentPlanFactory(
        purchase=request.purchase,
        kind=PaymentPlan.Kind.DEFERRED,
        total=request.purchase.price,
    )

    with pytest.raises(DomainError) as excinfo:
        services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)

    assert excinfo.value.rule == "REF-7"
    purchase = Purchase.objects.get(pk=request.purchase_id)
    assert (purchase.status, purchase.refunded_amount) == (Purchase.Status.ACTIVE, D("0.00"))


# REF-8 ---------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """``timezone.now()`` (and so ``localdate()``) under the test's control."""

    class Clock:
        now = timezone.now()

        def __call__(self):
            return self.now

        def advance(self, **kwargs):
            self.now += datetime.timedelta(**kwargs)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def test_refund_whose_window_closed_before_the_last_approval_waits_for_the_director(clock):
    """RULES: REF-8. Proposed on day 30 of a 30-day window; the partner approves on
    day 31: nothing is paid, the director is asked, and her approval applies it."""
    # given: a partial refund proposed on the window's last day, approved by the leader
    purchase = paid_purchase(price="1000.00", days_ago=30, refund_window_days=30)
    request = refund_request_at(
        Status.AWAITING_APPROVAL, purchase=purchase, proposal=Proposal.PARTIAL_REFUND
    )
    assert request.outside_terms is False
    services.approve_refund_request(actor=request.cast.leader, request_id=request.pk)

    # when: the partner approves the next day
    clock.advance(days=1)
    services.approve_refund_request(actor=request.cast.approver, request_id=request.pk)

    # then: it waits for the director, who was told
    request.refresh_from_db()
    assert (request.status, request.outside_terms) == (Status.AWAITING_APPROVAL, True)
    assert RefundApproval.Role.DIRECTOR in request.required_roles()
    assert Purchase.objects.get(pk=purchase.pk).refunded_amount == D("0.00")
    assert Notification.objects.filter(
        recipient=request.cast.director, kind="refund-escalated"
    ).exists()
    services.approve_refund_request(actor=request.cast.director, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert Purchase.objects.get(pk=purchase.pk).refunded_amount == D("500.00")


def test_executing_a_refund_outside_the_terms_without_the_director_is_refused(clock):
    """RULES: REF-8. ``execute_refund_request`` checks again on its own."""
    purchase = paid_purchase(price="1000.00", days_ago=30, refund_window_days=30)
    request = refund_request_at(Status.APPROVED, purchase=purchase, proposal=Proposal.FULL_REFUND)
    clock.advance(days=1)

    with pytest.raises(DomainError) as excinfo:
        services.execute_refund_request(request_id=request.pk, actor=request.cast.leader)

    assert excinfo.value.rule == "REF-8"
    assert Purchase.objects.get(pk=purchase.pk).status == Purchase.Status.ACTIVE
