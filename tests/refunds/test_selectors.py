"""Refund selectors: who sees a request, the client's history, the queues."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from refunds import selectors
from refunds.models import RefundApproval, RefundRequest
from tests.clients.factories import ClientFactory, PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory
from tests.refunds.factories import (
    RefundApprovalFactory,
    RefundRequestFactory,
    paid_purchase,
    refund_request_at,
)

pytestmark = pytest.mark.django_db

D = Decimal
Status = RefundRequest.Status
Proposal = RefundRequest.Proposal
Role = RefundApproval.Role


# Required roles in SQL ---------------------------------------------------------


def test_queues_agree_with_required_roles_for_every_combination():
    """RULES: REF-3, REF-5, REF-6, REF-8. The SQL of the queues asks for the
    same roles as ``RefundRequest.required_roles()``, for every proposal and
    every escalation flag."""
    # given: one awaiting request per combination
    rows = [
        RefundRequestFactory(
            awaiting_partial=True,
            proposal=proposal,
            minor_issue=proposal == Proposal.DUPLICATED_CREDIT,
            escalated_to_director=escalated,
            frequent_refund=escalated,
            outside_terms=outside,
        )
        for proposal, escalated, outside in itertools.product(
            Proposal.values, (False, True), (False, True)
        )
    ]
    # when
    queues = {
        Role.LEADER: set(selectors.list_awaiting_leader().values_list("pk", flat=True)),
        Role.DIRECTOR: set(selectors.list_awaiting_director().values_list("pk", flat=True)),
    }
    partner_queue = set()
    for row in rows:
        partner = row.purchase.product.partner
        partner_queue |= set(selectors.list_awaiting_partner(partner).values_list("pk", flat=True))
    queues[Role.PARTNER] = partner_queue
    # then
    for row in rows:
        for role, members in queues.items():
            assert (row.pk in members) == (role in row.required_roles()), (row.proposal, role)


def test_a_signed_role_leaves_its_queue_but_not_the_others():
    """RULES: REF-6. After the leader's approval a partial refund waits only for the partner."""
    # given
    request = RefundRequestFactory(awaiting_partial=True)
    partner = request.purchase.product.partner
    RefundApprovalFactory(request=request, role=Role.LEADER)
    # then
    assert not selectors.list_awaiting_leader().filter(pk=request.pk).exists()
    assert selectors.list_awaiting_partner(partner).filter(pk=request.pk).exists()


def test_queues_hold_only_requests_awaiting_approval():
    """RULES: REF-6"""
    awaiting = RefundRequestFactory(awaiting_partial=True)
    for status in (Status.DIAGNOSIS, Status.OFFERS, Status.EXECUTED, Status.REJECTED):
        RefundRequestFactory(awaiting_partial=True, status=status)
    assert list(selectors.list_awaiting_leader()) == [awaiting]


def test_partner_queue_holds_only_that_partners_requests():
    """RULES: ROLE-1, REF-6"""
    mine = RefundRequestFactory(awaiting_partial=True)
    RefundRequestFactory(awaiting_partial=True)  # another partner's product
    partner = mine.purchase.product.partner
    assert list(selectors.list_awaiting_partner(partner)) == [mine]
    assert list(selectors.list_awaiting_partner(None)) == []


def test_director_queue_holds_escalated_and_outside_terms_requests():
    """RULES: REF-3, REF-8"""
    frequent = RefundRequestFactory(awaiting_partial=True, escalated=True)
    outside = RefundRequestFactory(awaiting_partial=True, outside_terms=True)
    RefundRequestFactory(awaiting_partial=True)
    assert set(selectors.list_awaiting_director()) == {frequent, outside}


def test_queue_rows_carry_a_history_summary():
    """RULES: REF-2. Each queue row knows what the client invested and their earlier requests."""
    # given: a client who paid 1,000 + 500 and had one earlier request
    purchase = paid_purchase(price="1000.00")
    paid_purchase(client=purchase.client, price="500.00")
    RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
    request = RefundRequestFactory(purchase=purchase, awaiting_partial=True)
    # when
    row = selectors.list_awaiting_leader().get(pk=request.pk)
    # then
    assert row.earlier_requests == 1
    assert row.purchase_count == 2
    assert row.total_invested == D("1500.00")


@pytest.mark.parametrize("queue", ["leader", "director", "partner"])
def test_queue_query_count_does_not_grow_with_rows(queue):
    """Each queue is read in two queries (rows with their annotations, then
    the approvals with their approvers), whatever the number of rows."""
    # given: requests that wait in every queue, each with one decision that
    # keeps it in the queue under test
    partner = ActivePartnerFactory()
    read_queue = {
        "leader": selectors.list_awaiting_leader,
        "director": selectors.list_awaiting_director,
        "partner": lambda: selectors.list_awaiting_partner(partner),
    }[queue]
    signed = Role.DIRECTOR if queue == "leader" else Role.LEADER
    counts = []
    for size in (2, 8):
        while RefundRequest.objects.count() < size:
            request = RefundRequestFactory(
                awaiting_partial=True,
                escalated=True,
                purchase=PurchaseFactory(product__partner=partner),
            )
            RefundApprovalFactory(request=request, role=signed)
        # when
        with CaptureQueriesContext(connection) as queries:
            rows = list(read_queue())
            shown = [
                (
                    row.client.segment,
                    row.purchase.product.partner.brand_name,
                    row.total_invested,
                    [approval.approver.username for approval in row.approvals.all()],
                )
                for row in rows
            ]
        counts.append(len(queries))
        assert len(shown) == size
    # then
    assert counts[0] == counts[1] == 2


# access_refund_request (ROLE-1) ----------------------------------------------


@pytest.mark.parametrize("trait", ["agent", "leader", "director"])
def test_staff_see_every_request(trait):
    """RULES: ROLE-1"""
    request = RefundRequestFactory()
    assert selectors.access_refund_request(UserFactory(**{trait: True}), request.pk) == request


@pytest.mark.parametrize("user", ["admin", "no-role", "anonymous"])
def test_anyone_else_gets_404(user):
    """RULES: ROLE-1"""
    request = RefundRequestFactory(awaiting_partial=True)
    actor = {
        "admin": lambda: UserFactory(admin=True),
        "no-role": UserFactory,
        "anonymous": AnonymousUser,
    }[user]()
    with pytest.raises(Http404):
        selectors.access_refund_request(actor, request.pk)


def test_partner_approver_sees_only_their_partners_request_awaiting_them():
    """RULES: ROLE-1, REF-6. Another partner's request is 404."""
    mine = RefundRequestFactory(awaiting_partial=True)
    theirs = RefundRequestFactory(awaiting_partial=True)
    approver = PartnerApproverFactory(partner=mine.purchase.product.partner)
    assert selectors.access_refund_request(approver, mine.pk) == mine
    with pytest.raises(Http404):
        selectors.access_refund_request(approver, theirs.pk)


@pytest.mark.parametrize("state", ["diagnosis", "duplicated_credit", "partner_signed", "rejected"])
def test_partner_approver_gets_404_once_nothing_awaits_them(state):
    """RULES: ROLE-1. A partner approver reaches only what awaits their partner's approval."""
    request = {
        "diagnosis": lambda: RefundRequestFactory(),
        "duplicated_credit": lambda: RefundRequestFactory(awaiting_credit=True),
        "partner_signed": lambda: RefundApprovalFactory(role=Role.PARTNER).request,
        "rejected": lambda: RefundRequestFactory(awaiting_partial=True, status=Status.REJECTED),
    }[state]()
    approver = PartnerApproverFactory(partner=request.purchase.product.partner)
    with pytest.raises(Http404):
        selectors.access_refund_request(approver, request.pk)


def test_partner_approver_without_a_partner_gets_404():
    """RULES: ROLE-1"""
    request = RefundRequestFactory(awaiting_partial=True)
    with pytest.raises(Http404):
        selectors.access_refund_request(UserFactory(partner_approver=True), request.pk)


def test_missing_request_is_404():
    with pytest.raises(Http404):
        selectors.access_refund_request(UserFactory(agent=True), 987654)


# client_refund_history (REF-2) -------------------------------------------------


def test_history_shows_what_the_client_invested_bought_and_asked_before():
    """RULES: REF-2. Total invested counts refunded money too; earlier requests
    carry their date, proposal, amount and outcome."""
    # given: a 6,000.00 purchase partly refunded (500.00) and a paid course
    earlier = refund_request_at(Status.EXECUTED)
    client = earlier.client
    course = paid_purchase(client=client, price="450.00")
    current = RefundRequestFactory(purchase=course)
    client.refresh_from_db()
    # when
    history = selectors.client_refund_history(client, exclude_request_id=current.pk)
    # then
    assert history.total_invested == D("6450.00")
    assert history.refunded_total == D("500.00")
    assert client.net_paid == D("5950.00")
    assert [p.pk for p in history.purchases] == [course.pk, earlier.purchase_id]
    bought = {p.pk: p for p in history.purchases}
    assert bought[earlier.purchase_id].paid == D("6000.00")
    assert bought[earlier.purchase_id].refundable == D("5500.00")
    assert history.paid_purchase_count == 2
    assert [r.pk for r in history.requests] == [earlier.pk]
    shown = history.requests[0]
    assert (shown.proposal, shown.proposed_amount, shown.resolution) == (
        Proposal.PARTIAL_REFUND,
        D("500.00"),
        RefundRequest.Resolution.REFUNDED,
    )
    assert shown.created_at is not None


def test_history_flags_the_next_request_as_frequent_after_two():
    """RULES: REF-3. Two requests in the window: the next one goes to the director."""
    purchase = paid_purchase()
    client = purchase.client
    assert not selectors.client_refund_history(client).next_is_frequent
    RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
    RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
    assert selectors.client_refund_history(client).next_is_frequent


def test_history_query_count_does_not_grow_with_rows():
    """RULES: REF-2. Two queries: purchases (with what was paid), requests."""
    client = ClientFactory()
    counts = []
    for size in (2, 6):
        while client.purchases.count() < size:
            purchase = paid_purchase(client=client, price="100.00")
            RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
        with CaptureQueriesContext(connection) as queries:
            history = selectors.client_refund_history(client)
            [(p.product.partner.brand_name, p.paid) for p in history.purchases]
            [r.purchase.product.name for r in history.requests]
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2
