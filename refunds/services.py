"""The R1 refund process: one function per transition, each locking the request.

history (REF-2) -> diagnosis (REF-1) -> offers (REF-4, RES-4) -> proposal
(REF-5..REF-8) -> approvals (ROLE-2, REF-9) -> executed, or rejected /
withdrawn; cancellations after the exit survey (RES-5).

Rules: REF-1..REF-10, RES-4, RES-5, ROLE-1, ROLE-2, SEG-7.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.models import Case
from clients import services as client_services
from clients.models import Client, CreditEntry, PaymentPlan, Purchase, Segment
from clients.selectors import client_leader, watching_leader, watching_leader_ids
from pae_ops.errors import ActRefused, DomainError
from pae_ops.formatting import money
from pae_ops.money import parse_amount
from pae_ops.outbox import Priority
from pae_ops.roles import Role, has_role, require_role
from pae_ops.services import Message, notify_each
from pae_ops.timezones import portal_today
from partners.selectors import partner_for_approver
from refunds.models import ExitSurvey, RefundApproval, RefundOffer, RefundRequest

User = get_user_model()
WORKERS = (Role.AGENT, Role.LEADER)
DUPLICATED_CREDIT_LIMIT = Decimal("1000.00")
NON_REFUND = {RefundOffer.Kind.SERVICE_CHANGE, RefundOffer.Kind.RESCUE_SESSION,
              RefundOffer.Kind.RETENTION_INCENTIVE}  # fmt: skip


# Helpers -------------------------------------------------------------------


def _lock(request_id: int) -> RefundRequest:
    """Re-read the request under a row lock: every transition is serialised."""
    return RefundRequest.objects.select_for_update().get(pk=request_id)


def _ensure_transition(request: RefundRequest, to: str) -> None:
    if to not in RefundRequest.ALLOWED_TRANSITIONS[RefundRequest.Status(request.status)]:
        raise DomainError(
            _("A request in “%(status)s” cannot move to “%(to)s”.")
            % {
                "status": RefundRequest.Status(request.status).label,
                "to": RefundRequest.Status(to).label,
            },
            rule="REF-9",
        )


def _set_status(request: RefundRequest, to: str, *fields: str) -> None:
    _ensure_transition(request, to)
    request.status = to
    if to in (
        RefundRequest.Status.EXECUTED,
        RefundRequest.Status.REJECTED,
        RefundRequest.Status.WITHDRAWN,
    ):
        request.closed_at = timezone.now()
        fields = (*fields, "closed_at")
    request.save(update_fields=["status", "updated_at", *fields])


def _ensure_worker_on(actor: AbstractBaseUser, request: RefundRequest) -> None:
    """Agents and leaders work requests; an agent only their clients' or their own."""
    require_role(actor, *WORKERS)


def _url(request: RefundRequest) -> str:
    return reverse("refunds:request-detail", args=[request.pk])


def _watchers(request: RefundRequest) -> list[AbstractBaseUser]:
    """SEG-7: who watches the request (the A client's leader, stored when it
    opened or when the client became A: ``watch_open_requests_of``)."""
    return list(request.watchers.all())


def watch_open_requests_of(client_ids: list[int]) -> None:
    """SEG-7 for clients who just became A: their leader watches each of
    their open refund requests from now on (set based, two queries).
    Registered in ``clients.segmentation.BECAME_A_HOOKS``; runs in the
    segment change's transaction."""
    leaders = watching_leader_ids(client_ids)
    through = RefundRequest.watchers.through
    rows = [
        through(refundrequest_id=request_id, user_id=leaders[client_id])
        for request_id, client_id in RefundRequest.objects.filter(
            client_id__in=list(leaders), status__in=RefundRequest.OPEN_STATUSES
        ).values_list("pk", "client_id")
    ]
    through.objects.bulk_create(rows, ignore_conflicts=True)


def _notify(request: RefundRequest, people, kind: str, title) -> None:
    seen: set[int] = set()
    messages = []
    for person in people:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        messages.append(
            Message(
                recipient=person,
                kind=kind,
                title=title,
                url=_url(request),
                dedupe_key=f"{kind}:{request.pk}:{request.status}",
                # Someone waits on an approval: its email goes out first.
                priority=Priority.URGENT if kind == "refund-awaiting" else Priority.NORMAL,
            )
        )
    notify_each(messages)


def _directors() -> list[AbstractBaseUser]:
    return list(User.objects.filter(groups__name=Role.DIRECTOR.value, is_active=True))


def _partner_approvers(request: RefundRequest) -> list[AbstractBaseUser]:
    partner_id = request.purchase.product.partner_id
    return list(
        User.objects.filter(
            partner_contact__partner_id=partner_id,
            partner_contact__approves_refunds=True,
            is_active=True,
        )
    )


def approver_role(actor: AbstractBaseUser, request: RefundRequest) -> str:
    """The role in which ``actor`` may decide ``request``; PermissionDenied otherwise.

    Rules: ROLE-1 (a partner approver decides only their partner's requests),
    REF-6, REF-8, REF-3.
    """
    needed = request.required_roles()
    done = set(request.approvals.values_list("role", flat=True))
    open_roles = needed - done
    partner = partner_for_approver(actor)
    if partner is not None:
        if partner.pk != request.purchase.product.partner_id:
            raise PermissionDenied
        if RefundApproval.Role.PARTNER in open_roles:
            return RefundApproval.Role.PARTNER
        raise ActRefused(_("This request does not await your partner's approval."), rule="ROLE-1")
    for role, group in (
        (RefundApproval.Role.DIRECTOR, Role.DIRECTOR),
        (RefundApproval.Role.LEADER, Role.LEADER),
    ):
        if role in open_roles and has_role(actor, group):
            return role
    raise ActRefused(_("This request does not await an approval in your role."), rule="ROLE-1")


# Open and diagnose ---------------------------------------------------------


def frequent_refund_window() -> timedelta:
    return timedelta(days=settings.REFUND_FREQUENT_WINDOW_DAYS)


@transaction.atomic
def open_refund_request(
    *,
    actor: AbstractBaseUser,
    purchase_id: int,
    kind: str = RefundRequest.Kind.REFUND,
    client_request: str = "",
    case_id: int | None = None,
) -> RefundRequest:
    """Open a request for a purchase; flag a frequent-refund pattern (REF-3).

    Rules: REF-2 (the page shows the history first), REF-3, SEG-7, ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    if kind not in RefundRequest.Kind.values:
        raise DomainError(_("Choose the kind of request."))
    # Lock the purchase: two agents opening at once must not open two requests.
    purchase = Purchase.objects.select_for_update().select_related("client").get(pk=purchase_id)
    if RefundRequest.objects.filter(
        purchase=purchase, status__in=RefundRequest.OPEN_STATUSES
    ).exists():
        raise DomainError(_("This purchase already has an open request."))
    if (
        case_id is not None
        and not Case.objects.filter(pk=case_id, client_id=purchase.client_id).exists()
    ):
        raise DomainError(_("That case is not one of this client's cases."))
    since = timezone.now() - frequent_refund_window()
    earlier = RefundRequest.objects.filter(client=purchase.client, created_at__gte=since).count()
    frequent = earlier >= settings.REFUND_FREQUENT_COUNT
    request = RefundRequest.objects.create(
        client=purchase.client,
        purchase=purchase,
        case_id=case_id,
        kind=kind,
        opened_by=actor,
        client_request=client_request,
        frequent_refund=frequent,
        escalated_to_director=frequent,
    )
    # SEG-7: the same rule as a case's (clients.selectors.watching_leader).
    leader = watching_leader(purchase.client)
    if leader is not None:
        request.watchers.add(leader)
    _notify(
        request,
        _watchers(request),
        "refund-opened",
        format_lazy(_lazy("Refund request opened for {client}"), client=purchase.client.name),
    )
    if frequent:
        _notify(
            request,
            _directors(),
            "refund-escalated",
            format_lazy(
                _lazy("Frequent-refund pattern: {client} needs your analysis"),
                client=purchase.client.name,
            ),
        )
    return request


@transaction.atomic
def diagnose_refund_request(
    *, actor: AbstractBaseUser, request_id: int, reason: str, notes: str
) -> RefundRequest:
    """Record the diagnosis: the reason and notes (REF-1). Moves to offers."""
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    if reason not in RefundRequest.Reason.values:
        raise DomainError(_("Choose the reason of the diagnosis."), rule="REF-1")
    notes = notes.strip()
    if not notes:
        raise DomainError(_("Write the diagnosis notes."), rule="REF-1")
    request.diagnosis_reason = reason
    request.diagnosis_notes = notes
    request.diagnosed_by = actor
    request.diagnosed_at = timezone.now()
    _set_status(
        request,
        RefundRequest.Status.OFFERS,
        "diagnosis_reason",
        "diagnosis_notes",
        "diagnosed_by",
        "diagnosed_at",
    )
    return request


# Offers (rescue and credit before money) -----------------------------------


@transaction.atomic
def offer_resolution(
    *,
    actor: AbstractBaseUser,
    request_id: int,
    kind: str,
    description: str = "",
    amount: Decimal | None = None,
) -> RefundOffer:
    """Record a non-refund option offered to the client (REF-4, RES-4).

    A service change's amount is what remains paid for the purchase; a
    retention incentive may carry the value of what is given (optional,
    validated like every amount); a rescue session carries none.
    Raises DomainError or PermissionDenied.
    """
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    if not request.diagnosis_reason:
        raise DomainError(_("Record the diagnosis first."), rule="REF-1")
    if request.status != RefundRequest.Status.OFFERS:
        raise DomainError(_("Offers are made while the request is in the offers step."))
    if kind not in RefundOffer.Kind.values:
        raise DomainError(_("Choose what to offer."), rule="RES-4")
    if request.offers.filter(answer=RefundOffer.Answer.PENDING).exists():
        raise DomainError(_("Record the client's answer to the pending offer first."), rule="RES-4")
    if kind == RefundOffer.Kind.SERVICE_CHANGE:
        amount = client_services.purchase_refundable_amount(request.purchase)
        if amount <= 0:
            raise DomainError(_("Nothing was paid for this purchase to turn into credit."))
    elif kind == RefundOffer.Kind.RETENTION_INCENTIVE:
        if amount is not None:
            amount = parse_amount(amount, field=_("The incentive's value"))
    elif amount is not None:
        raise DomainError(_("A rescue session carries no amount."), rule="RES-4")
    return RefundOffer.objects.create(
        request=request,
        kind=kind,
        description=description.strip(),
        amount=amount,
        offered_by=actor,
    )


@transaction.atomic
def record_offer_answer(*, actor: AbstractBaseUser, offer_id: int, accepted: bool) -> RefundOffer:
    """Record the client's answer to an offer.

    An accepted service change turns the amount paid into credit and cancels
    the purchase; an accepted rescue session or incentive keeps the client
    (the request is withdrawn as retained). Rules: RES-4, REF-4.
    """
    offer = RefundOffer.objects.select_related("request").get(pk=offer_id)
    request = _lock(offer.request_id)
    offer = RefundOffer.objects.select_for_update().get(pk=offer_id)
    _ensure_worker_on(actor, request)
    if request.status != RefundRequest.Status.OFFERS:
        raise DomainError(_("Answers are recorded while the request is in the offers step."))
    if offer.answer != RefundOffer.Answer.PENDING:
        raise DomainError(_("This offer was already answered."), rule="REF-9")
    offer.answer = RefundOffer.Answer.ACCEPTED if accepted else RefundOffer.Answer.DECLINED
    offer.answered_at = timezone.now()
    offer.save(update_fields=["answer", "answered_at", "updated_at"])
    if not accepted:
        return offer
    if offer.kind == RefundOffer.Kind.SERVICE_CHANGE:
        client_services.record_refund_against_purchase(
            purchase_id=request.purchase_id,
            amount=offer.amount,
            full=False,
            source_key=f"refund:{request.pk}",
            new_status=Purchase.Status.CANCELLED,
        )
        client_services.apply_credit(
            client_id=request.client_id,
            amount=offer.amount,
            kind=CreditEntry.Kind.SERVICE_CHANGE,
            created_by=actor,
            source=_("Service change, request #%(pk)s") % {"pk": request.pk},
            purchase_id=request.purchase_id,
            source_key=f"refund:{request.pk}",
        )
        request.resolution = RefundRequest.Resolution.CREDITED
        request.executed_at = timezone.now()
        _set_status(request, RefundRequest.Status.EXECUTED, "resolution", "executed_at")
    else:
        request.resolution = RefundRequest.Resolution.RETAINED
        request.close_note = offer.get_kind_display()
        _set_status(request, RefundRequest.Status.WITHDRAWN, "resolution", "close_note")
    _notify(
        request,
        _watchers(request),
        "refund-closed",
        format_lazy(_lazy("Refund request closed for {client}"), client=request.client.name),
    )
    return offer


# Proposal ------------------------------------------------------------------


def _check_duplicated_credit(*, client: Client, amount: Decimal, minor_issue: bool) -> None:
    """REF-5, on the proposal and again when the credit is given (under the client's lock)."""
    if client.segment != Segment.A:
        raise DomainError(_("Duplicated credit is only for segment A clients."), rule="REF-5")
    if client_services.count_paid_purchases(client.pk) < 2:
        raise DomainError(_("Duplicated credit needs at least 2 paid purchases."), rule="REF-5")
    if not minor_issue:
        raise DomainError(
            _("Duplicated credit is for a minor or isolated issue only."), rule="REF-5"
        )
    if amount > DUPLICATED_CREDIT_LIMIT:
        raise DomainError(_("Duplicated credit is at most 1,000.00 USD."), rule="REF-5")


def _ensure_not_deferred(purchase: Purchase) -> None:
    """REF-7 (PAY-4): no refund of any kind on a deferred-start plan."""
    if PaymentPlan.objects.filter(purchase=purchase, kind=PaymentPlan.Kind.DEFERRED).exists():
        raise DomainError(
            _("No refund of any kind for a purchase on a deferred-start plan."),
            rule="REF-7",
        )


def _ensure_refundable_amount(purchase: Purchase, *, proposal: str, amount: Decimal) -> None:
    """REF-6: a partial refund is at most what remains paid; a full one is exactly that."""
    remaining = client_services.purchase_refundable_amount(purchase)
    if proposal == RefundRequest.Proposal.PARTIAL_REFUND and amount > remaining:
        raise DomainError(
            _("A partial refund is at most %(remaining)s USD for this purchase.")
            % {"remaining": money(remaining)},
            rule="REF-6",
        )
    if proposal == RefundRequest.Proposal.FULL_REFUND and amount != remaining:
        raise DomainError(
            _("A full refund returns exactly what remains paid: %(remaining)s USD.")
            % {"remaining": money(remaining)},
            rule="REF-6",
        )


def _lock_purchase(request: RefundRequest) -> Purchase:
    # Lock the purchase (parent of the money) after the request: proposals,
    # approvals and executions racing for the same remaining amount are
    # serialised here.
    return (
        Purchase.objects.select_for_update(of=("self",))
        .select_related("product")
        .get(pk=request.purchase_id)
    )


def _outside_terms(purchase: Purchase) -> bool:
    """REF-8: not refundable, or after the window's last day."""
    product = purchase.product
    if not product.refundable:
        return True
    last_day = purchase.purchased_on + timedelta(days=product.refund_window_days)
    return portal_today() > last_day


@transaction.atomic
def propose_refund(
    *,
    actor: AbstractBaseUser,
    request_id: int,
    proposal: str,
    amount: Decimal,
    minor_issue: bool = False,
) -> RefundRequest:
    """Propose a duplicated credit, a partial or a full refund; ask for approvals.

    Rules: REF-1, REF-4, REF-5, REF-6, REF-7, REF-8, REF-3.
    Raises DomainError or PermissionDenied.
    """
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    if not request.diagnosis_reason:
        raise DomainError(_("No refund decision without a diagnosis."), rule="REF-1")
    if request.status != RefundRequest.Status.OFFERS:
        raise DomainError(_("A proposal is made after the offers step."))
    if proposal not in RefundRequest.Proposal.values:
        raise DomainError(_("Choose what to propose."))
    amount = parse_amount(amount, field=_("The amount"))
    purchase = _lock_purchase(request)
    is_refund = proposal != RefundRequest.Proposal.DUPLICATED_CREDIT
    if is_refund:
        declined = request.offers.filter(
            kind__in=NON_REFUND, answer=RefundOffer.Answer.DECLINED
        ).exists()
        if not declined:
            raise DomainError(
                _(
                    "Offer rescue or credit first: a refund can be proposed only after the "
                    "client declined at least one non-refund option."
                ),
                rule="REF-4",
            )
        _ensure_not_deferred(purchase)
        _ensure_refundable_amount(purchase, proposal=proposal, amount=amount)
        request.outside_terms = _outside_terms(purchase)
    else:
        _check_duplicated_credit(client=request.client, amount=amount, minor_issue=minor_issue)
        request.outside_terms = False
    request.proposal = proposal
    request.proposed_amount = amount
    request.minor_issue = minor_issue
    request.proposed_by = actor
    request.proposed_at = timezone.now()
    _set_status(
        request,
        RefundRequest.Status.PROPOSAL,
        "proposal",
        "proposed_amount",
        "minor_issue",
        "outside_terms",
        "proposed_by",
        "proposed_at",
    )
    _set_status(request, RefundRequest.Status.AWAITING_APPROVAL)
    _notify_approvers(request)
    return request


def _notify_approvers(request: RefundRequest) -> None:
    needed = request.required_roles()
    people: list = []
    if RefundApproval.Role.LEADER in needed:
        people.append(client_leader(request.client))
    if RefundApproval.Role.PARTNER in needed:
        people += _partner_approvers(request)
    if RefundApproval.Role.DIRECTOR in needed:
        people += _directors()
    _notify(
        request,
        [*people, *_watchers(request)],
        "refund-awaiting",
        format_lazy(
            _lazy("{proposal} of {amount} USD awaits approval ({client})"),
            proposal=request.get_proposal_display(),
            amount=money(request.proposed_amount),
            client=request.client.name,
        ),
    )


# Approvals -----------------------------------------------------------------


def _decide(
    *, actor: AbstractBaseUser, request_id: int, decision: str, comment: str
) -> RefundRequest:
    # Lock first so that two approvers clicking at once are serialised (REF-9).
    request = _lock(request_id)
    # ROLE-2 refuses the person, whatever the request's state: 403 with the
    # message (ActRefused), before the state checks.
    if actor.pk == request.opened_by_id or actor.pk == request.proposed_by_id:
        raise ActRefused(_("You cannot decide a request you opened or proposed."), rule="ROLE-2")
    if request.approvals.filter(approver=actor).exists():
        raise ActRefused(_("You already decided this request."), rule="ROLE-2")
    if request.status != RefundRequest.Status.AWAITING_APPROVAL:
        raise DomainError(_("This request is not awaiting approval."), rule="REF-9")
    role = approver_role(actor, request)
    try:
        # Backed by unique constraints on (request, role) and (request, approver).
        with transaction.atomic():
            RefundApproval.objects.create(
                request=request, role=role, approver=actor, decision=decision, comment=comment
            )
    except IntegrityError as exc:
        raise DomainError(_("This approval is already recorded."), rule="REF-9") from exc
    return request


@transaction.atomic
def approve_refund_request(
    *, actor: AbstractBaseUser, request_id: int, comment: str = ""
) -> RefundRequest:
    """Record one approval; execute once every required role approved.

    A refund whose contract window closed since it was proposed now needs
    the director too (REF-8): the approval is kept, the request waits for
    her and she is notified. Executing re-checks REF-5..REF-8 (see
    :func:`execute_refund_request`). Rules: REF-3, REF-5..REF-9, ROLE-1,
    ROLE-2. Raises DomainError or PermissionDenied.
    """
    request = _decide(
        actor=actor,
        request_id=request_id,
        decision=RefundApproval.Decision.APPROVED,
        comment=comment,
    )
    _escalate_if_now_outside_terms(request)
    signed = set(request.approvals.values_list("role", flat=True))
    if request.required_roles() <= signed:
        _set_status(request, RefundRequest.Status.APPROVED)
        return execute_refund_request(request_id=request.pk, actor=actor)
    return request


@transaction.atomic
def reject_refund_request(
    *, actor: AbstractBaseUser, request_id: int, comment: str
) -> RefundRequest:
    """Reject: any required approver's rejection ends the request (REF-6)."""
    if not comment.strip():
        raise DomainError(_("Write why the request is rejected."))
    request = _decide(
        actor=actor,
        request_id=request_id,
        decision=RefundApproval.Decision.REJECTED,
        comment=comment.strip(),
    )
    _set_status(request, RefundRequest.Status.REJECTED)
    _notify(
        request,
        [request.opened_by, *_watchers(request)],
        "refund-decided",
        format_lazy(_lazy("Refund request rejected ({client})"), client=request.client.name),
    )
    return request


def _escalate_if_now_outside_terms(request: RefundRequest) -> None:
    """REF-8 when it takes effect: a refund proposed inside the contract's
    window that is outside it at approval time needs the director."""
    if request.proposal == RefundRequest.Proposal.DUPLICATED_CREDIT or request.outside_terms:
        return
    # No lock: the terms (the product's, the purchase date) are not what
    # concurrent acts change; the request's lock already serialises approvals.
    purchase = Purchase.objects.select_related("product").get(pk=request.purchase_id)
    if not _outside_terms(purchase):
        return
    request.outside_terms = True
    request.save(update_fields=["outside_terms", "updated_at"])
    _notify(
        request,
        _directors(),
        "refund-escalated",
        format_lazy(
            _lazy("Refund outside the contract's terms: {client} needs your decision"),
            client=request.client.name,
        ),
    )


def _recheck_at_execution(request: RefundRequest) -> None:
    """REF-5..REF-8 again, under the locks, when the money moves.

    Between the proposal and the last approval the client may have left
    segment A or lost a paid purchase, another refund may have taken the
    amount, a plan may have changed, the window may have closed.
    """
    if request.proposal == RefundRequest.Proposal.DUPLICATED_CREDIT:
        # Lock the client: a segment change or a refund of another purchase
        # must not slip between this check and the credit (REF-5).
        client = Client.objects.select_for_update().get(pk=request.client_id)
        _check_duplicated_credit(
            client=client, amount=request.proposed_amount, minor_issue=request.minor_issue
        )
        return
    purchase = _lock_purchase(request)
    _ensure_not_deferred(purchase)
    _ensure_refundable_amount(purchase, proposal=request.proposal, amount=request.proposed_amount)
    signed = set(
        request.approvals.filter(decision=RefundApproval.Decision.APPROVED).values_list(
            "role", flat=True
        )
    )
    if _outside_terms(purchase) and RefundApproval.Role.DIRECTOR not in signed:
        raise DomainError(
            _("This refund is outside the product's contract terms: the director must decide."),
            rule="REF-8",
        )


@transaction.atomic
def execute_refund_request(*, request_id: int, actor: AbstractBaseUser) -> RefundRequest:
    """Apply an approved request: credit into the ledger, or a refund against
    the purchase. Idempotent: an executed request is returned unchanged.

    The rules are checked again here, under the locks, because they take
    effect now (REF-5 eligibility, REF-6 remaining amount, REF-7, REF-8); a
    refusal raises DomainError and the whole approval rolls back.
    Rules: REF-5..REF-9.
    """
    request = _lock(request_id)
    if request.status == RefundRequest.Status.EXECUTED:
        return request
    if request.status != RefundRequest.Status.APPROVED:
        raise DomainError(_("Only an approved request is executed."), rule="REF-9")
    _recheck_at_execution(request)
    source_key = f"refund:{request.pk}"
    if request.proposal == RefundRequest.Proposal.DUPLICATED_CREDIT:
        client_services.apply_credit(
            client_id=request.client_id,
            amount=request.proposed_amount,
            kind=CreditEntry.Kind.DUPLICATED_CREDIT,
            created_by=actor,
            source=_("Duplicated credit, request #%(pk)s") % {"pk": request.pk},
            purchase_id=request.purchase_id,
            source_key=source_key,
        )
        request.resolution = RefundRequest.Resolution.CREDITED
    else:
        client_services.record_refund_against_purchase(
            purchase_id=request.purchase_id,
            amount=request.proposed_amount,
            full=request.proposal == RefundRequest.Proposal.FULL_REFUND,
            source_key=source_key,
        )
        request.resolution = RefundRequest.Resolution.REFUNDED
    request.executed_at = timezone.now()
    _set_status(request, RefundRequest.Status.EXECUTED, "resolution", "executed_at")
    _notify(
        request,
        [request.opened_by, *_watchers(request)],
        "refund-decided",
        format_lazy(_lazy("Refund request approved and applied ({client})"),
                    client=request.client.name),
    )  # fmt: skip
    return request


@transaction.atomic
def withdraw_refund_request(
    *, actor: AbstractBaseUser, request_id: int, note: str = ""
) -> RefundRequest:
    """The client no longer wants it (or it was opened by mistake)."""
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    request.close_note = note.strip()
    _set_status(request, RefundRequest.Status.WITHDRAWN, "close_note")
    # SEG-7: the watcher hears when a request closes, however it closes.
    _notify(
        request,
        _watchers(request),
        "refund-closed",
        format_lazy(_lazy("Refund request closed for {client}"), client=request.client.name),
    )
    return request


# Cancellations (RES-5) -----------------------------------------------------


@transaction.atomic
def send_exit_survey(*, actor: AbstractBaseUser, request_id: int) -> ExitSurvey:
    """Record that the exit survey was sent to the client (RES-5)."""
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    if request.kind != RefundRequest.Kind.CANCELLATION:
        raise DomainError(_("Exit surveys belong to cancellation requests."), rule="RES-5")
    if not request.is_open:
        raise DomainError(_("This request is closed."), rule="RES-5")
    survey, _created = ExitSurvey.objects.get_or_create(
        request=request, defaults={"sent_at": timezone.now(), "sent_by": actor}
    )
    return survey


@transaction.atomic
def record_exit_survey(
    *,
    actor: AbstractBaseUser,
    request_id: int,
    refused: bool = False,
    main_reason: str = "",
    what_would_change: str = "",
) -> ExitSurvey:
    """Record the client's exit-survey answers, or their refusal (RES-5)."""
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    survey = ExitSurvey.objects.select_for_update().filter(request=request).first()
    if survey is None:
        raise DomainError(_("Send the exit survey first."), rule="RES-5")
    if survey.is_complete:
        raise DomainError(_("The exit survey was already recorded."), rule="RES-5")
    if refused:
        survey.refused = True
    else:
        if not main_reason.strip():
            raise DomainError(_("Write the client's main reason."), rule="RES-5")
        survey.main_reason = main_reason.strip()
        survey.what_would_change = what_would_change.strip()
        survey.answered_at = timezone.now()
    survey.save()
    return survey


@transaction.atomic
def complete_cancellation(*, actor: AbstractBaseUser, request_id: int) -> RefundRequest:
    """Cancel the purchase, only after the exit survey (RES-5) and the offers (RES-4)."""
    request = _lock(request_id)
    _ensure_worker_on(actor, request)
    if request.kind != RefundRequest.Kind.CANCELLATION:
        raise DomainError(_("Only a cancellation request cancels a purchase."), rule="RES-5")
    if request.status != RefundRequest.Status.OFFERS:
        raise DomainError(_("Diagnose and make the offers first."), rule="RES-4")
    if not request.offers.filter(answer=RefundOffer.Answer.DECLINED).exists():
        raise DomainError(
            _("Offer a service change, a rescue session or an incentive first."), rule="RES-4"
        )
    survey = ExitSurvey.objects.filter(request=request).first()
    if survey is None or not survey.is_complete:
        raise DomainError(
            _("A cancellation is completed only after the exit survey was answered or refused."),
            rule="RES-5",
        )
    client_services.cancel_purchase_record(
        purchase_id=request.purchase_id, reason=f"refund:{request.pk}"
    )
    request.resolution = RefundRequest.Resolution.CANCELLED
    request.executed_at = timezone.now()
    _set_status(request, RefundRequest.Status.EXECUTED, "resolution", "executed_at")
    _notify(
        request,
        _watchers(request),
        "refund-closed",
        format_lazy(_lazy("Cancellation completed for {client}"), client=request.client.name),
    )
    return request
