"""Refund pages: the role matrix, ownership, the step-by-step flow, query budgets."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clients.models import Client
from pae_ops.roles import Role
from refunds.models import ExitSurvey, RefundApproval, RefundOffer, RefundRequest
from tests.clients.factories import PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory
from tests.refunds.factories import (
    RefundApprovalFactory,
    RefundOfferFactory,
    RefundRequestFactory,
    paid_purchase,
    refund_request_at,
    segment_a_client,
)

pytestmark = pytest.mark.django_db

D = Decimal
Status = RefundRequest.Status
Proposal = RefundRequest.Proposal
ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}


def make_user(role: Role, *, partner=None):
    if role == Role.PARTNER_APPROVER:
        return PartnerApproverFactory(partner=partner) if partner else PartnerApproverFactory()
    return UserFactory(**{ROLE_TRAITS[role]: True})


def detail(request) -> str:
    return reverse("refunds:request-detail", args=[request.pk])


def action(name: str, request) -> str:
    return reverse(f"refunds:{name}", args=[request.pk])


def snapshot(request) -> tuple:
    """What a refused act must leave as it was."""
    request.refresh_from_db()
    return (
        request.status,
        request.diagnosis_reason,
        request.proposal,
        request.offers.count(),
        request.approvals.count(),
        ExitSurvey.objects.filter(request=request).count(),
    )


def refusal(response) -> str:
    """The message the 403 page shows (ROLE-1, ROLE-2)."""
    match = re.search(r'data-testid="refusal-message">([^<]*)<', response.content.decode())
    assert match, "no refusal message on the page"
    return html.unescape(match.group(1)).strip()


def spanish(message: str) -> str:
    with translation.override("es"):
        text = translation.gettext(message)
    assert text != message, f"no Spanish translation for {message!r}"
    return text


# ROLE-1: the role matrix ----------------------------------------------------------

# Which roles open which page; every other role gets 403.
PAGE_ROLES = {
    "request-new": {Role.AGENT, Role.LEADER},
    "request-detail": {Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.PARTNER_APPROVER},
    # The director reads the leaders' queue too (RULES, Roles).
    "leader-queue": {Role.LEADER, Role.DIRECTOR},
    "director-queue": {Role.DIRECTOR},
    "partner-approvals": {Role.PARTNER_APPROVER},
}


def page_url(name: str, request) -> str:
    if name == "request-new":
        return reverse("refunds:request-new", args=[request.purchase_id])
    if name == "request-detail":
        return detail(request)
    if name == "partner-approvals":
        return reverse("partner-approvals")
    return reverse(f"refunds:{name}")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(PAGE_ROLES))
def test_role_matrix_of_the_pages(client, role, name):
    """RULES: ROLE-1. Each page answers 200 to its roles (the partner approver
    of the request's partner) and 403 to the others."""
    request = RefundRequestFactory(awaiting_partial=True)
    client.force_login(make_user(role, partner=request.purchase.product.partner))
    response = client.get(page_url(name, request))
    assert response.status_code == (200 if role in PAGE_ROLES[name] else 403)


@pytest.mark.parametrize("name", list(PAGE_ROLES))
def test_pages_require_login(client, name):
    request = RefundRequestFactory()
    response = client.get(page_url(name, request))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


WORKER_ACTIONS = {
    "request-diagnose": {"reason": "expectations", "notes": "Notas"},
    "request-offer": {"kind": "retention", "description": "Bono"},
    "request-propose": {"proposal": "partial_refund", "amount": "100.00"},
    "request-withdraw": {"note": "Por error"},
    "survey-send": {},
    "survey-record": {"refused": "true"},
    "cancellation-complete": {},
}


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN, Role.PARTNER_APPROVER])
@pytest.mark.parametrize("name", list(WORKER_ACTIONS))
def test_only_agents_and_leaders_work_a_request(client, role, name):
    """RULES: ROLE-1. Directors, admins and partner approvers (even of the
    request's partner) get 403 on the working steps, and nothing changes."""
    # given
    request = RefundRequestFactory(diagnosed=True, kind=RefundRequest.Kind.CANCELLATION)
    before = snapshot(request)
    client.force_login(make_user(role, partner=request.purchase.product.partner))
    # when
    response = client.post(action(name, request), WORKER_ACTIONS[name])
    # then
    assert response.status_code == 403
    assert snapshot(request) == before


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
@pytest.mark.parametrize("name", ["request-approve", "request-reject"])
def test_agents_and_admins_cannot_decide(client, role, name):
    """RULES: ROLE-1. An agent can't approve or reject: 403 and nothing changes."""
    request = RefundRequestFactory(awaiting_partial=True)
    before = snapshot(request)
    client.force_login(make_user(role))
    response = client.post(action(name, request), {f"{name[8:]}-comment": "ok"})
    assert response.status_code == 403
    assert snapshot(request) == before


def test_worker_actions_answer_only_to_post(client):
    request = RefundRequestFactory()
    client.force_login(make_user(Role.AGENT))
    assert client.get(action("request-diagnose", request)).status_code == 405


# ROLE-1: partner ownership ----------------------------------------------------------


def test_partner_approver_gets_404_on_another_partners_request(client):
    """RULES: ROLE-1. Partner X's approver: 404 on partner Y's request, page or
    decision, and nothing changes."""
    # given
    theirs = RefundRequestFactory(awaiting_partial=True)
    approver = PartnerApproverFactory(partner=ActivePartnerFactory())
    before = snapshot(theirs)
    client.force_login(approver)
    # when / then
    assert client.get(detail(theirs)).status_code == 404
    for name in ("request-approve", "request-reject"):
        assert client.post(action(name, theirs), {"reject-comment": "No"}).status_code == 404
    assert snapshot(theirs) == before


def test_partner_approver_gets_403_on_leader_actions(client):
    """RULES: ROLE-1. The approver of the request's own partner can't act as a leader."""
    request = RefundRequestFactory(awaiting_partial=True)
    approver = PartnerApproverFactory(partner=request.purchase.product.partner)
    client.force_login(approver)
    assert client.get(reverse("refunds:leader-queue")).status_code == 403
    assert client.get(reverse("refunds:director-queue")).status_code == 403
    new = reverse("refunds:request-new", args=[request.purchase_id])
    assert client.get(new).status_code == 403
    assert client.post(new, {"kind": "refund", "client_request": "x"}).status_code == 403
    assert client.get(reverse("clients:detail", args=[request.client_id])).status_code == 403


def test_partner_approver_without_a_partner_sees_an_empty_page(client):
    """RULES: ROLE-1"""
    RefundRequestFactory(awaiting_partial=True)
    client.force_login(UserFactory(partner_approver=True))
    response = client.get(reverse("partner-approvals"))
    assert response.status_code == 200
    assert 'data-testid="partner-approvals-empty"' in response.content.decode()


def test_partner_page_lists_only_their_partners_requests_awaiting_them(client):
    """RULES: ROLE-1, REF-6. With the client's segment."""
    # given
    mine = RefundRequestFactory(awaiting_partial=True)
    partner = mine.purchase.product.partner
    signed = RefundApprovalFactory(
        role=RefundApproval.Role.PARTNER, request__purchase__product__partner=partner
    ).request
    credit = RefundRequestFactory(awaiting_credit=True, purchase__product__partner=partner)
    theirs = RefundRequestFactory(awaiting_partial=True)
    client.force_login(PartnerApproverFactory(partner=partner))
    # when
    page = client.get(reverse("partner-approvals")).content.decode()
    # then
    assert f'data-request="{mine.pk}"' in page
    for other in (signed, credit, theirs):
        assert f'data-request="{other.pk}"' not in page
    assert f'data-segment="{mine.client.segment}"' in page


# ROLE-2 ------------------------------------------------------------------------------


def test_requester_cannot_approve_through_the_view(client):
    """RULES: ROLE-2. A leader who opened and proposed the request is refused,
    sees why, and nothing changes."""
    # given: a leader works the request from the start
    leader = UserFactory(leader=True)
    request = refund_request_at(Status.AWAITING_APPROVAL, agent=leader)
    before = snapshot(request)
    client.force_login(leader)
    # the page offers no decision forms, only the ROLE-2 note
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="approve-form"' not in page
    assert 'data-testid="requester-note"' in page
    # when
    response = client.post(action("request-approve", request), {"approve-comment": "ok"})
    # then: refused (403) with the rule's message, nothing changed
    assert response.status_code == 403
    assert refusal(response) == spanish("You cannot decide a request you opened or proposed.")
    assert snapshot(request) == before


def test_requester_is_refused_from_the_queue_with_a_message(client):
    """RULES: ROLE-2. From the queue too: 403 with the message and a way back."""
    leader = UserFactory(leader=True)
    request = refund_request_at(Status.AWAITING_APPROVAL, agent=leader)
    before = snapshot(request)
    client.force_login(leader)
    queue = reverse("refunds:leader-queue")
    assert "approve-form-" not in client.get(queue).content.decode()
    response = client.post(
        action("request-approve", request),
        {"approve-next": queue},
        HTTP_REFERER=f"http://testserver{queue}",
    )
    assert response.status_code == 403
    assert refusal(response) == spanish("You cannot decide a request you opened or proposed.")
    assert f'href="http://testserver{queue}" data-testid="refusal-back"' in (
        response.content.decode()
    )
    assert snapshot(request) == before


def test_a_second_approval_click_is_refused_with_a_message(client):
    """RULES: ROLE-2. One person, one approval: the second click (the request
    still awaits the partner) answers 403 and says why."""
    request = refund_request_at(Status.AWAITING_APPROVAL)
    client.force_login(request.cast.leader)
    assert client.post(action("request-approve", request), {}).status_code == 302
    before = snapshot(request)
    response = client.post(action("request-approve", request), {})
    assert response.status_code == 403
    assert refusal(response) == spanish("You already decided this request.")
    assert snapshot(request) == before


def test_the_director_reads_the_leaders_queue_and_decides_only_her_part(client):
    """RULES: ROLE-1, REF-8. The leaders' queue is read-only for her, except a
    request that needs her approval too; approving another is 403."""
    # given: a partial refund (leader + partner) and one outside the terms
    plain = refund_request_at(Status.AWAITING_APPROVAL)
    outside = refund_request_at(Status.AWAITING_APPROVAL, purchase=paid_purchase(refundable=False))
    assert outside.outside_terms
    assert not plain.outside_terms
    director = plain.cast.director
    client.force_login(director)
    # when
    page = client.get(reverse("refunds:leader-queue")).content.decode()
    # then
    assert f'data-request="{plain.pk}"' in page
    assert f'data-testid="approve-form-{plain.pk}"' not in page
    assert f'data-testid="approve-form-{outside.pk}"' in page
    before = snapshot(plain)
    response = client.post(action("request-approve", plain), {})
    assert response.status_code == 403
    assert refusal(response) == spanish("This request does not await an approval in your role.")
    assert snapshot(plain) == before


# Approvals through the pages ------------------------------------------------------


def test_leader_then_partner_approve_a_partial_refund(client):
    """RULES: REF-6, REF-9. The leader's approval leaves it waiting for the
    partner; the partner's, on their page, applies it to the purchase."""
    # given
    request = refund_request_at(Status.AWAITING_APPROVAL)
    cast = request.cast
    queue = reverse("refunds:leader-queue")
    # the leader approves from the queue
    client.force_login(cast.leader)
    page = client.get(queue).content.decode()
    assert f'data-testid="approve-{request.pk}"' in page
    response = client.post(action("request-approve", request), {"approve-next": queue})
    assert response.url == queue
    request.refresh_from_db()
    assert request.status == Status.AWAITING_APPROVAL
    # the partner approves from their page
    client.force_login(cast.approver)
    partner_page = reverse("partner-approvals")
    assert f'data-request="{request.pk}"' in client.get(partner_page).content.decode()
    response = client.post(action("request-approve", request), {"approve-next": partner_page})
    assert response.url == partner_page
    # then
    request.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert request.purchase.refunded_amount == D("500.00")
    assert client.get(detail(request)).status_code == 404  # nothing awaits them now


def test_rejection_needs_a_comment_and_ends_the_request(client):
    """RULES: REF-6. Either rejection ends it; without a comment nothing changes."""
    request = refund_request_at(Status.AWAITING_APPROVAL)
    client.force_login(request.cast.approver)
    before = snapshot(request)
    response = client.post(action("request-reject", request), {"reject-comment": " "})
    assert response.status_code == 200
    assert response.context["reject_form"].non_field_errors()
    assert snapshot(request) == before
    response = client.post(action("request-reject", request), {"reject-comment": "No aplica"})
    assert response.url == reverse("partner-approvals")
    request.refresh_from_db()
    assert request.status == Status.REJECTED


def test_director_decides_a_frequent_refund_from_the_director_queue(client):
    """RULES: REF-3. The third request in 12 months waits for the director too."""
    # given: two earlier requests of the same client
    purchase = paid_purchase()
    RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
    RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
    request = refund_request_at(
        Status.AWAITING_APPROVAL, purchase=purchase, proposal=Proposal.FULL_REFUND
    )
    assert request.frequent_refund
    director = request.cast.director
    client.force_login(director)
    queue = reverse("refunds:director-queue")
    assert f'data-request="{request.pk}"' in client.get(queue).content.decode()
    # when
    client.post(action("request-approve", request), {"approve-next": queue})
    client.force_login(request.cast.leader)
    client.post(action("request-approve", request), {})
    # then
    request.refresh_from_db()
    assert request.status == Status.EXECUTED
    assert set(request.approvals.values_list("role", flat=True)) == {"director", "leader"}


def test_decision_forms_show_only_to_who_may_decide(client):
    """RULES: ROLE-1, REF-6. The leader and the partner see the forms and the
    client's segment; an agent and the director (not needed) do not."""
    request = refund_request_at(Status.AWAITING_APPROVAL)
    segment = f'data-segment="{request.client.segment}"'
    for user, shown in (
        (request.cast.leader, True),
        (request.cast.approver, True),
        (request.cast.director, False),
        (UserFactory(agent=True), False),
    ):
        client.force_login(user)
        page = client.get(detail(request)).content.decode()
        assert ('data-testid="approve-form"' in page) is shown, user
        assert segment in page


# The step-by-step flow ------------------------------------------------------------


def test_new_request_page_shows_the_history_before_the_form(client):
    """RULES: REF-2"""
    earlier = refund_request_at(Status.EXECUTED)
    client.force_login(earlier.cast.agent)
    page = client.get(reverse("refunds:request-new", args=[earlier.purchase_id])).content.decode()
    assert 0 < page.index('data-testid="refund-history"') < page.index('data-testid="open-form"')
    assert f'data-request="{earlier.pk}"' in page
    assert "6,000.00" in page  # total invested


def test_an_agent_walks_a_request_through_the_pages(client):
    """RULES: REF-1, REF-4, REF-6. Open, diagnose, offer, record the answer,
    propose; each step's form appears only at its step."""
    # given
    agent = UserFactory(agent=True)
    purchase = paid_purchase(actor=agent)
    client.force_login(agent)
    # opens
    response = client.post(
        reverse("refunds:request-new", args=[purchase.pk]),
        {"kind": "refund", "client_request": "Quiere su dinero"},
    )
    request = RefundRequest.objects.get(purchase=purchase)
    assert response.url == detail(request)
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="diagnosis-form"' in page
    assert 'data-testid="proposal-form"' not in page
    # diagnoses
    client.post(
        action("request-diagnose", request), {"reason": "no_support", "notes": "Sin respuesta"}
    )
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="offer-form"' in page
    assert 'data-testid="proposal-form"' in page
    # a refund before any declined offer is refused (REF-4)
    response = client.post(
        action("request-propose", request), {"proposal": "partial_refund", "amount": "100.00"}
    )
    assert response.context["proposal_form"].non_field_errors()
    # offers, the client declines
    client.post(action("request-offer", request), {"kind": "rescue_session", "description": ""})
    offer = request.offers.get()
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="answer-form"' in page
    assert 'data-testid="offer-form"' not in page
    client.post(
        reverse("refunds:offer-answer", args=[request.pk, offer.pk]), {"answer": "declined"}
    )
    # proposes more than was paid (REF-6): refused, shown on the form
    response = client.post(
        action("request-propose", request), {"proposal": "partial_refund", "amount": "9000.00"}
    )
    assert response.context["proposal_form"].non_field_errors()
    # proposes
    client.post(
        action("request-propose", request), {"proposal": "partial_refund", "amount": "1000.00"}
    )
    # then
    request.refresh_from_db()
    offer.refresh_from_db()
    assert offer.answer == RefundOffer.Answer.DECLINED
    assert (request.status, request.proposed_amount) == (Status.AWAITING_APPROVAL, D("1000.00"))
    page = client.get(detail(request)).content.decode()
    assert 'data-step="approvals" data-state="current"' in page


def test_diagnosis_form_errors_change_nothing(client):
    """RULES: REF-1"""
    request = RefundRequestFactory()
    client.force_login(make_user(Role.AGENT))
    response = client.post(action("request-diagnose", request), {"reason": "other", "notes": ""})
    assert response.status_code == 200
    assert response.context["diagnosis_form"].errors
    request.refresh_from_db()
    assert request.status == Status.DIAGNOSIS


def test_duplicated_credit_reaches_the_clients_credit(client):
    """RULES: REF-5. Proposed by an agent for an A client, approved by the leader."""
    # given
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True)
    a_client = segment_a_client(leader=leader, assigned_agent=agent)
    purchase = paid_purchase(client=a_client, actor=agent)
    request = refund_request_at(Status.OFFERS, purchase=purchase, agent=agent, leader=leader)
    client.force_login(agent)
    client.post(
        action("request-propose", request),
        {"proposal": "duplicated_credit", "amount": "800.00", "minor_issue": "on"},
    )
    # when
    client.force_login(leader)
    client.post(action("request-approve", request), {})
    # then
    assert Client.objects.get(pk=a_client.pk).credit_balance == D("800.00")


def test_offer_of_another_request_is_404(client):
    request = RefundRequestFactory(diagnosed=True)
    other_offer = RefundOfferFactory()
    client.force_login(make_user(Role.AGENT))
    url = reverse("refunds:offer-answer", args=[request.pk, other_offer.pk])
    assert client.post(url, {"answer": "accepted"}).status_code == 404


def test_cancellation_completes_only_after_the_exit_survey(client):
    """RULES: RES-5, RES-4"""
    # given: a diagnosed cancellation whose offer was declined
    request = refund_request_at(
        Status.OFFERS, kind=RefundRequest.Kind.CANCELLATION, proposal=Proposal.PARTIAL_REFUND
    )
    agent = request.cast.agent
    client.force_login(agent)
    client.post(action("request-offer", request), {"kind": "service_change"})
    client.post(
        reverse("refunds:offer-answer", args=[request.pk, request.offers.get().pk]),
        {"answer": "declined"},
    )
    # completing now is refused
    response = client.post(action("cancellation-complete", request), follow=True)
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    request.refresh_from_db()
    assert request.status == Status.OFFERS
    # when: the survey is sent and the client refuses to answer
    client.post(action("survey-send", request))
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="survey-form"' in page
    client.post(action("survey-record", request), {"refused": "true"})
    client.post(action("cancellation-complete", request))
    # then
    request.refresh_from_db()
    assert (request.status, request.resolution) == (Status.EXECUTED, "cancelled")
    assert request.exit_survey.refused


def test_withdraw_closes_the_request(client):
    request = RefundRequestFactory()
    client.force_login(make_user(Role.LEADER))
    client.post(action("request-withdraw", request), {"note": "El cliente desistió"})
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    page = client.get(detail(request)).content.decode()
    assert 'data-testid="withdraw-form"' not in page
    assert 'data-step="outcome" data-state="done"' in page


def test_unknown_case_is_refused_on_the_form(client):
    purchase = paid_purchase()
    client.force_login(make_user(Role.AGENT))
    url = reverse("refunds:request-new", args=[purchase.pk])
    response = client.post(
        f"{url}?case=987654", {"kind": "refund", "client_request": "x", "case": "987654"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not RefundRequest.objects.exists()


# The clients pages -------------------------------------------------------------------


def test_client_360_lists_the_requests_and_links_new_ones(client):
    request = RefundRequestFactory()
    other = PurchaseFactory(client=request.client)
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("clients:detail", args=[request.client_id])).content.decode()
    assert f'data-request="{request.pk}"' in page
    assert reverse("refunds:request-new", args=[other.pk]) in page
    # the purchase with an open request links to it instead
    assert reverse("refunds:request-new", args=[request.purchase_id]) not in page


def test_purchase_page_shows_the_refunded_amount_and_the_link(client):
    purchase = paid_purchase()
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("clients:purchase", args=[purchase.pk])).content.decode()
    assert 'data-testid="purchase-refunded"' in page
    assert reverse("refunds:request-new", args=[purchase.pk]) in page


def test_directors_read_without_the_new_request_link(client):
    purchase = paid_purchase()
    client.force_login(make_user(Role.DIRECTOR))
    page = client.get(reverse("clients:purchase", args=[purchase.pk])).content.decode()
    assert reverse("refunds:request-new", args=[purchase.pk]) not in page


@pytest.mark.parametrize(
    ("role", "key"), [(Role.LEADER, "refund-approvals"), (Role.DIRECTOR, "director-queue")]
)
def test_navigation_offers_the_queues(client, role, key):
    client.force_login(make_user(role))
    page = client.get(reverse("notifications")).content.decode()
    assert f'data-nav="{key}"' in page


# Pagination and query budgets -----------------------------------------------------------


def test_queues_are_paginated(client):
    RefundRequestFactory.create_batch(
        27, awaiting_credit=True, purchase=PurchaseFactory(product__partner=ActivePartnerFactory())
    )
    client.force_login(make_user(Role.LEADER))
    response = client.get(reverse("refunds:leader-queue"))
    assert len(response.context["page_obj"].object_list) == 25
    assert response.context["page_obj"].paginator.num_pages == 2


def test_queues_show_an_empty_state(client):
    client.force_login(make_user(Role.DIRECTOR))
    page = client.get(reverse("refunds:director-queue")).content.decode()
    assert 'data-testid="queue-empty"' in page


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("queue", ["leader-queue", "director-queue", "partner-approvals"])
def test_queue_query_count_does_not_grow_with_rows(client, queue, django_assert_max_num_queries):
    """Equal query counts at 2 and 12 rows."""
    partner = ActivePartnerFactory()
    user = {
        "leader-queue": lambda: make_user(Role.LEADER),
        "director-queue": lambda: make_user(Role.DIRECTOR),
        "partner-approvals": lambda: PartnerApproverFactory(partner=partner),
    }[queue]()
    url = reverse(queue) if queue == "partner-approvals" else reverse(f"refunds:{queue}")
    client.force_login(user)
    client.get(url)  # warm-up: the first request writes the session
    counts = []
    for size in (2, 12):
        while RefundRequest.objects.count() < size:
            RefundRequestFactory(
                awaiting_partial=True,
                escalated=True,
                purchase=PurchaseFactory(product__partner=partner),
            )
        counts.append(_count(client, url))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(12):
        client.get(url)


def test_request_page_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    """The request page: equal counts with 2 and 10 offers, purchases and earlier requests."""
    # given
    request = refund_request_at(Status.AWAITING_APPROVAL)
    client.force_login(request.cast.leader)
    url = detail(request)
    client.get(url)
    counts = []
    for size in (2, 10):
        while request.offers.count() < size:
            RefundOfferFactory(request=request, answer=RefundOffer.Answer.DECLINED)
            purchase = paid_purchase(client=request.client, price="100.00")
            RefundRequestFactory(purchase=purchase, status=Status.WITHDRAWN)
        # when
        counts.append(_count(client, url))
    # then
    assert counts[0] == counts[1]
    # 12 before the request's files (refunds.attachments): one query for them.
    with django_assert_max_num_queries(14):  # +1: the saved views menu
        client.get(url)


# Service fixes, through the pages ---------------------------------------------------


def test_withdrawing_an_a_clients_request_notifies_their_leader(client):
    """RULES: SEG-7. The leader watches an A client's request until it closes,
    whichever way it closes."""
    # given
    from pae_ops.models import Notification

    request = refund_request_at(Status.OFFERS, proposal=Proposal.DUPLICATED_CREDIT)
    leader = request.cast.leader
    client.force_login(request.cast.agent)
    # when
    client.post(action("request-withdraw", request), {"note": "El cliente desistió"})
    # then
    assert Notification.objects.filter(recipient=leader, kind="refund-closed").count() == 1


def test_a_pending_offer_of_a_closed_request_cannot_be_answered(client):
    """RULES: RES-4. Once withdrawn, the offer keeps no answer; nothing changes."""
    # given
    offer = RefundOfferFactory()
    request = offer.request
    client.force_login(make_user(Role.AGENT))
    client.post(action("request-withdraw", request), {"note": "Por error"})
    # when
    response = client.post(
        reverse("refunds:offer-answer", args=[request.pk, offer.pk]), {"answer": "declined"}
    )
    # then
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    offer.refresh_from_db()
    assert offer.answer == RefundOffer.Answer.PENDING
