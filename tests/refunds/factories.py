"""Refund factories, shared by the tests and by ``manage.py seed_demo``.

``RefundRequestFactory`` writes a bare row (for model tests and for building
many rows fast). ``refund_request_at(status, ...)`` walks a request to
``status`` through the real services, so the request meets REF-1..REF-9 like
real data; use it whenever the path matters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from factory.django import DjangoModelFactory

from clients import services as client_services
from clients.models import Client, Purchase
from refunds import services
from refunds.models import RefundApproval, RefundOffer, RefundRequest
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerApproverFactory

Status = RefundRequest.Status
Proposal = RefundRequest.Proposal


class RefundRequestFactory(DjangoModelFactory[RefundRequest]):
    """A bare request row in diagnosis (no service runs: no history, no checks).

    Traits set the row's fields for a state, without the offers or
    approvals that would lead there: ``awaiting_partial``,
    ``awaiting_credit``, ``escalated``.
    """

    class Meta:
        model = RefundRequest

    purchase = factory.SubFactory(PurchaseFactory)
    client = factory.SelfAttribute("purchase.client")
    kind = RefundRequest.Kind.REFUND
    opened_by = factory.SubFactory(UserFactory, agent=True)
    client_request = factory.Faker("sentence", nb_words=10, locale="es_MX")

    class Params:
        diagnosed = factory.Trait(
            status=Status.OFFERS,
            diagnosis_reason=RefundRequest.Reason.EXPECTATIONS,
            diagnosis_notes="Esperaba más sesiones en vivo.",
            diagnosed_at=factory.LazyFunction(timezone.now),
        )
        awaiting_partial = factory.Trait(
            diagnosed=True,
            status=Status.AWAITING_APPROVAL,
            proposal=Proposal.PARTIAL_REFUND,
            proposed_amount=Decimal("500.00"),
            proposed_by=factory.SelfAttribute("opened_by"),
            proposed_at=factory.LazyFunction(timezone.now),
        )
        awaiting_credit = factory.Trait(
            diagnosed=True,
            status=Status.AWAITING_APPROVAL,
            proposal=Proposal.DUPLICATED_CREDIT,
            proposed_amount=Decimal("300.00"),
            minor_issue=True,
            proposed_by=factory.SelfAttribute("opened_by"),
            proposed_at=factory.LazyFunction(timezone.now),
        )
        escalated = factory.Trait(frequent_refund=True, escalated_to_director=True)


class RefundOfferFactory(DjangoModelFactory[RefundOffer]):
    class Meta:
        model = RefundOffer

    request = factory.SubFactory(RefundRequestFactory, diagnosed=True)
    kind = RefundOffer.Kind.RETENTION_INCENTIVE
    description = "Bono exclusivo"
    offered_by = factory.SelfAttribute("request.opened_by")


class RefundApprovalFactory(DjangoModelFactory[RefundApproval]):
    class Meta:
        model = RefundApproval

    request = factory.SubFactory(RefundRequestFactory, awaiting_partial=True)
    role = RefundApproval.Role.LEADER
    approver = factory.SubFactory(UserFactory, leader=True)
    decision = RefundApproval.Decision.APPROVED


# Through the services ----------------------------------------------------------


def paid_purchase(
    *,
    client: Client | None = None,
    price: str | Decimal = "6000.00",
    paid: str | Decimal | None = None,
    actor: AbstractBaseUser | None = None,
    days_ago: int = 1,
    **product_kwargs,
) -> Purchase:
    """A purchase paid in full (or ``paid``) through ``clients.services.record_payment``.

    ``product_kwargs`` go to ``ProductFactory`` (``partner=``, ``refundable=``,
    ``refund_window_days=``...).
    """
    price = Decimal(price)
    client = client or ClientFactory()
    actor = actor or client.assigned_agent or UserFactory(agent=True)
    product = ProductFactory(list_price=price, **product_kwargs)
    purchase = PurchaseFactory(
        client=client,
        product=product,
        price=price,
        purchased_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )
    client_services.record_payment(
        actor=actor,
        purchase_id=purchase.pk,
        amount=Decimal(paid) if paid is not None else price,
        received_on=timezone.localdate(),
    )
    return purchase


def segment_a_client(*, leader: AbstractBaseUser | None = None, **kwargs) -> Client:
    """A client put in segment A by a leader's override (SEG-5), with two paid
    purchases, so that a duplicated credit is possible (REF-5)."""
    leader = leader or UserFactory(leader=True)
    client = ClientFactory(leader=leader, **kwargs)
    client_services.override_segment(
        actor=leader, client_id=client.pk, segment="A", reason="Cliente estratégico"
    )
    paid_purchase(client=client, price="1200.00")
    return client


@dataclass
class RefundCast:
    """The people of a request: who opens it, the leader, director, partner approver."""

    agent: AbstractBaseUser
    leader: AbstractBaseUser
    director: AbstractBaseUser
    approver: AbstractBaseUser


def refund_request_at(
    status: str,
    *,
    purchase: Purchase | None = None,
    kind: str = RefundRequest.Kind.REFUND,
    proposal: str = Proposal.PARTIAL_REFUND,
    amount: str | Decimal | None = None,
    agent: AbstractBaseUser | None = None,
    leader: AbstractBaseUser | None = None,
    director: AbstractBaseUser | None = None,
    approver: AbstractBaseUser | None = None,
    client_request: str = "Quiere su dinero de vuelta.",
) -> RefundRequest:
    """A request walked to ``status`` through the services.

    - ``diagnosis``: opened by ``agent``.
    - ``offers``: diagnosed (expectations not aligned).
    - ``awaiting_approval``: a retention incentive offered and declined
      (REF-4), then ``proposal`` of ``amount`` (default: 800.00 for a
      duplicated credit, 500.00 for a partial refund, what remains paid for
      a full refund). Without ``purchase``, a paid 6,000.00 purchase is made
      (for a duplicated credit, of a segment A client with two paid purchases).
    - ``executed``: every required role approved (leader, partner approver,
      director as needed).
    - ``rejected``: the leader rejected it.
    - ``withdrawn``: withdrawn in diagnosis.
    - ``proposal`` and ``approved`` are not resting states in the services
      (propose moves straight on to awaiting approval, the last approval
      executes at once): the request is walked to the state before and its
      status set with a queryset update.

    Missing people are made: the agent's team leader is ``leader``, and the
    partner approver belongs to the purchase's partner. Returns the request
    fresh from the database; ``request.cast`` holds the people.
    """
    leader = leader or UserFactory(leader=True)
    agent = agent or UserFactory(agent=True, profile__leader=leader)
    director = director or UserFactory(director=True)
    if purchase is None:
        if proposal == Proposal.DUPLICATED_CREDIT:
            client = segment_a_client(leader=leader, assigned_agent=agent)
        else:
            client = ClientFactory(assigned_agent=agent, leader=leader)
        purchase = paid_purchase(client=client, actor=agent)
    approver = approver or PartnerApproverFactory(partner=purchase.product.partner)
    cast = RefundCast(agent=agent, leader=leader, director=director, approver=approver)

    def done(request: RefundRequest) -> RefundRequest:
        request = RefundRequest.objects.get(pk=request.pk)
        request.cast = cast
        return request

    request = services.open_refund_request(
        actor=agent, purchase_id=purchase.pk, kind=kind, client_request=client_request
    )
    if status == Status.WITHDRAWN:
        services.withdraw_refund_request(
            actor=agent, request_id=request.pk, note="Abierta por error"
        )
        return done(request)
    if status == Status.DIAGNOSIS:
        return done(request)
    services.diagnose_refund_request(
        actor=agent,
        request_id=request.pk,
        reason=RefundRequest.Reason.EXPECTATIONS,
        notes="Esperaba sesiones en vivo semanales.",
    )
    if status == Status.OFFERS:
        return done(request)
    if proposal != Proposal.DUPLICATED_CREDIT:
        offer = services.offer_resolution(
            actor=agent,
            request_id=request.pk,
            kind=RefundOffer.Kind.RETENTION_INCENTIVE,
            description="Bono exclusivo y acceso anticipado",
        )
        services.record_offer_answer(actor=agent, offer_id=offer.pk, accepted=False)
    if status == Status.PROPOSAL:
        RefundRequest.objects.filter(pk=request.pk).update(status=Status.PROPOSAL)
        return done(request)
    if amount is None:
        amount = {
            Proposal.DUPLICATED_CREDIT: Decimal("800.00"),
            Proposal.PARTIAL_REFUND: Decimal("500.00"),
        }.get(proposal) or client_services.purchase_refundable_amount(purchase)
    services.propose_refund(
        actor=agent,
        request_id=request.pk,
        proposal=proposal,
        amount=Decimal(amount),
        minor_issue=proposal == Proposal.DUPLICATED_CREDIT,
    )
    if status == Status.AWAITING_APPROVAL:
        return done(request)
    if status == Status.REJECTED:
        services.reject_refund_request(
            actor=leader, request_id=request.pk, comment="No corresponde según el diagnóstico."
        )
        return done(request)
    request = RefundRequest.objects.get(pk=request.pk)
    needed = list(request.required_roles())
    if status == Status.APPROVED:
        RefundRequest.objects.filter(pk=request.pk).update(status=Status.APPROVED)
        return done(request)
    by_role = {
        RefundApproval.Role.LEADER: leader,
        RefundApproval.Role.PARTNER: approver,
        RefundApproval.Role.DIRECTOR: director,
    }
    for role in sorted(needed):
        services.approve_refund_request(actor=by_role[role], request_id=request.pk)
    if status == Status.EXECUTED:
        return done(request)
    raise ValueError(f"refund_request_at: unknown status {status!r}")
