"""Reads of the refund pages: who may see a request, the client's history
(REF-2) and the approval queues (leader, director, partner).

Every function runs a fixed number of queries whatever the row counts.
Rules: ROLE-1 (``access_refund_request``), REF-2, REF-3, REF-6, REF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from clients.models import Client, Payment, Purchase
from pae_ops.roles import Role, has_role
from partners.selectors import partner_for_approver
from refunds.models import RefundApproval, RefundOffer, RefundRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from partners.models import Partner

# Staff who read every request (RULES, Roles); partner approvers read only
# what awaits their partner (ROLE-1, REF-6); anyone else gets 404.
STAFF_READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)

Status = RefundRequest.Status
Proposal = RefundRequest.Proposal
ApprovalRole = RefundApproval.Role


# Required roles in SQL -------------------------------------------------------


def requires_role(role: str) -> Q:
    """The SQL twin of ``RefundRequest.required_roles()``: requests whose
    proposal needs ``role``'s approval (REF-5, REF-6, REF-3, REF-8).

    A test checks that both agree for every combination of proposal and flags.
    """
    if role == ApprovalRole.LEADER:
        return Q(proposal__in=[Proposal.DUPLICATED_CREDIT, Proposal.PARTIAL_REFUND,
                               Proposal.FULL_REFUND])  # fmt: skip
    if role == ApprovalRole.PARTNER:
        return Q(proposal=Proposal.PARTIAL_REFUND)
    if role == ApprovalRole.DIRECTOR:
        return Q(escalated_to_director=True) | Q(outside_terms=True)
    raise ValueError(role)


def _awaiting(role: str) -> QuerySet[RefundRequest]:
    """Requests awaiting approval that need ``role`` and do not have it yet."""
    signed = RefundApproval.objects.filter(request=OuterRef("pk"), role=role)
    return RefundRequest.objects.filter(
        requires_role(role), ~Exists(signed), status=Status.AWAITING_APPROVAL
    )


def _queue(queryset: QuerySet[RefundRequest]) -> QuerySet[RefundRequest]:
    """What a queue row shows, oldest proposal first: the client (segment),
    the purchase, its product and partner, who opened and proposed, the
    decisions so far, and a history summary (REF-2) as annotations:
    ``earlier_requests``, ``purchase_count`` and ``total_invested``."""
    earlier = (
        RefundRequest.objects.filter(
            client=OuterRef("client"), created_at__lt=OuterRef("created_at")
        )
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    purchases = (
        Purchase.objects.filter(client=OuterRef("client"))
        .order_by()
        .values("client")
        .annotate(n=Count("pk"), refunded=Sum("refunded_amount"))
    )
    return (
        queryset.select_related("client", "purchase__product__partner", "opened_by", "proposed_by")
        .prefetch_related(
            Prefetch("approvals", queryset=RefundApproval.objects.select_related("approver"))
        )
        .annotate(
            earlier_requests=Coalesce(Subquery(earlier, output_field=IntegerField()), 0),
            purchase_count=Coalesce(
                Subquery(purchases.values("n"), output_field=IntegerField()), 0
            ),
            total_invested=F("client__net_paid")
            + Coalesce(Subquery(purchases.values("refunded"), output_field=MONEY), Value(ZERO)),
        )
        .order_by("proposed_at", "id")
    )


def list_awaiting_leader() -> QuerySet[RefundRequest]:
    """Duplicated credits and partial or full refunds awaiting a leader (REF-5, REF-6)."""
    return _queue(_awaiting(ApprovalRole.LEADER))


def list_awaiting_director() -> QuerySet[RefundRequest]:
    """Frequent-refund (REF-3) and outside-terms (REF-8) requests awaiting the director."""
    return _queue(_awaiting(ApprovalRole.DIRECTOR))


def list_awaiting_partner(partner: Partner | None) -> QuerySet[RefundRequest]:
    """Partial refunds of ``partner``'s products awaiting its approval (REF-6);
    none without a partner."""
    if partner is None:
        return RefundRequest.objects.none()
    return _queue(_awaiting(ApprovalRole.PARTNER).filter(purchase__product__partner_id=partner.pk))


# One request -----------------------------------------------------------------


def _detail_queryset() -> QuerySet[RefundRequest]:
    return RefundRequest.objects.select_related(
        "client__assigned_agent",
        "client__leader",
        "purchase__product__partner",
        "case",
        "opened_by",
        "diagnosed_by",
        "proposed_by",
        "exit_survey",
    ).prefetch_related(
        "client__languages",
        "watchers",
        Prefetch("offers", queryset=RefundOffer.objects.select_related("offered_by")),
        Prefetch("approvals", queryset=RefundApproval.objects.select_related("approver")),
    )


def access_refund_request(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> RefundRequest:
    """The request ``pk`` as ``actor`` may see it; 404 otherwise (ROLE-1).

    Agents, leaders and directors see every request. A partner approver sees
    a request only while it awaits their own partner's approval (RULES:
    a partner approver "reaches only the refund requests that await that
    partner's approval"): another partner's request, one already decided,
    or no linked partner at all answers 404. Anyone else gets 404.
    """
    if has_role(actor, *STAFF_READERS):
        queryset = _detail_queryset()
    else:
        partner = partner_for_approver(actor)
        if partner is None:
            raise Http404
        queryset = _detail_queryset().filter(
            pk__in=_awaiting(ApprovalRole.PARTNER)
            .filter(purchase__product__partner_id=partner.pk)
            .values("pk")
        )
    request = queryset.filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


def exit_survey_of(request: RefundRequest):
    """The request's exit survey, or None (the reverse one-to-one raises when missing)."""
    return getattr(request, "exit_survey", None)


# The client's history (REF-2) ------------------------------------------------


@dataclass(frozen=True)
class RefundHistory:
    """What the request pages show first: who the client is, what they
    invested, what they bought and their earlier refund requests (REF-2)."""

    client: Client
    segment: str
    total_invested: Decimal
    refunded_total: Decimal
    purchases: list[Purchase]
    requests: list[RefundRequest]
    paid_purchase_count: int
    recent_request_count: int
    frequent_threshold: int
    window_days: int

    @property
    def next_is_frequent(self) -> bool:
        """A new request now would be flagged (REF-3)."""
        return self.recent_request_count >= self.frequent_threshold


def client_refund_history(
    client: Client, *, exclude_request_id: int | None = None
) -> RefundHistory:
    """The client's history in two queries (REF-2).

    ``total_invested`` is what they paid us: ``client.net_paid`` (payments
    minus refunds, SEG-1) plus what was refunded or credited back. Each
    purchase carries ``paid`` (its payments) and ``refundable`` (paid minus
    refunded, REF-6); requests carry their purchase and product and how many
    files are attached to each (``attachment_count``), newest first, without
    ``exclude_request_id`` (the request being shown).
    """
    paid = (
        Payment.objects.filter(purchase=OuterRef("pk"))
        .order_by()
        .values("purchase")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    purchases = list(
        client.purchases.select_related("product__partner")
        .annotate(paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO)))
        .order_by("-purchased_on", "-id")
    )
    for purchase in purchases:
        purchase.refundable = purchase.paid - purchase.refunded_amount
    requests = (
        client.refund_requests.select_related("purchase__product")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-created_at", "-id")
    )
    if exclude_request_id is not None:
        requests = requests.exclude(pk=exclude_request_id)
    requests = list(requests)
    refunded_total = sum((p.refunded_amount for p in purchases), ZERO)
    window_days = settings.REFUND_FREQUENT_WINDOW_DAYS
    since = timezone.now() - timedelta(days=window_days)
    return RefundHistory(
        client=client,
        segment=client.segment,
        total_invested=client.net_paid + refunded_total,
        refunded_total=refunded_total,
        purchases=purchases,
        requests=requests,
        # The same test as clients.services.count_paid_purchases (REF-5).
        paid_purchase_count=sum(
            1
            for p in purchases
            if p.paid >= p.price
            and p.status not in (Purchase.Status.REFUNDED, Purchase.Status.CANCELLED)
        ),
        recent_request_count=sum(1 for r in requests if r.created_at >= since),
        frequent_threshold=settings.REFUND_FREQUENT_COUNT,
        window_days=window_days,
    )


def list_client_refund_requests(client: Client) -> list[RefundRequest]:
    """The client's requests for the 360 page, newest first (one query)."""
    return list(
        client.refund_requests.select_related("purchase__product").order_by("-created_at", "-id")
    )


def list_purchase_refund_requests(purchase: Purchase) -> list[RefundRequest]:
    """The purchase's requests for its page, newest first (one query)."""
    return list(purchase.refund_requests.order_by("-created_at", "-id"))
