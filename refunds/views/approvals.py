"""Approvals: approve/reject, the leader's and director's queues and the
partner approver's page. Rules: ROLE-1, ROLE-2, REF-3, REF-5, REF-6, REF-8.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, role_required
from partners.selectors import partner_for_approver
from refunds import selectors, services
from refunds.forms import DecisionForm
from refunds.models import RefundApproval
from refunds.views._roles import DECIDERS, QUEUE_PAGE_SIZE, Status
from refunds.views.page import render_detail

ApprovalRole = RefundApproval.Role

# Approvals -------------------------------------------------------------------


def _safe_next(request: HttpRequest, value: str) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    refund = selectors.access_refund_request(request.user, pk)
    prefix = "approve" if approve else "reject"
    form = DecisionForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return render_detail(request, refund, **{f"{prefix}_form": form})
    next_url = _safe_next(request, form.cleaned_data["next"])
    service = services.approve_refund_request if approve else services.reject_refund_request
    try:
        # PermissionDenied (not an approver of this request) answers 403.
        result = service(
            actor=request.user, request_id=refund.pk, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        if next_url:
            messages.error(request, exc.html(request.user))
            return redirect(next_url)
        form.add_error(None, exc.html(request.user))
        return render_detail(request, refund, **{f"{prefix}_form": form})
    if not approve:
        messages.success(request, _("The request was rejected."))
    elif result.status == Status.EXECUTED:
        messages.success(request, _("Approved: every approval is in and the request was applied."))
    else:
        messages.success(request, _("Your approval was recorded; other approvals are pending."))
    if next_url:
        return redirect(next_url)
    if not has_role(request.user, *selectors.STAFF_READERS):
        # A partner approver no longer reaches a request they decided.
        return redirect("partner-approvals")
    return redirect("refunds:request-detail", pk=refund.pk)


@require_POST
@role_required(*DECIDERS)
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve in the actor's role (REF-5, REF-6, REF-3, REF-8; ROLE-2)."""
    return _decide(request, pk, approve=True)


@require_POST
@role_required(*DECIDERS)
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject with a comment: any required approver's rejection ends it (REF-6)."""
    return _decide(request, pk, approve=False)


# Queues ------------------------------------------------------------------------


def _open_to(user, refund) -> bool:
    """Whether a staff role of ``user`` has an approval still to give on
    ``refund`` (from the prefetched approvals; the service checks again)."""
    open_roles = refund.required_roles() - {a.role for a in refund.approvals.all()}
    return (ApprovalRole.LEADER in open_roles and has_role(user, Role.LEADER)) or (
        ApprovalRole.DIRECTOR in open_roles and has_role(user, Role.DIRECTOR)
    )


def _queue_page(request: HttpRequest, queryset, **context: Any) -> HttpResponse:
    page = Paginator(queryset, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for refund in page.object_list:
        # ROLE-2 shown up front; the service refuses it anyway.
        refund.user_is_requester = request.user.pk in (refund.opened_by_id, refund.proposed_by_id)
        refund.user_decided = any(a.approver_id == request.user.pk for a in refund.approvals.all())
        # A director reads the leaders' queue: forms only where her own
        # approval is also needed (REF-3, REF-8).
        refund.read_only = not _open_to(request.user, refund)
    return render(
        request,
        "refunds/queue.html",
        {"page_obj": page, "next_url": request.get_full_path(), **context},
    )


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def leader_queue(request: HttpRequest) -> HttpResponse:
    """Duplicated credits and partial or full refunds awaiting a leader (REF-5,
    REF-6). A director reads it (RULES, Roles); she decides only where her
    approval is needed too."""
    return _queue_page(
        request,
        selectors.list_awaiting_leader(),
        title=gettext_lazy("Approvals awaiting a leader"),
        intro=gettext_lazy(
            "Duplicated credits and partial or full refunds that need a leader's approval."
        ),
        policies=("duplicated-credit", "partial-refund"),
        testid="leader-queue",
    )


@require_GET
@role_required(Role.DIRECTOR)
def director_queue(request: HttpRequest) -> HttpResponse:
    """Frequent-refund (REF-3) and outside-terms (REF-8) requests awaiting the director."""
    return _queue_page(
        request,
        selectors.list_awaiting_director(),
        title=gettext_lazy("Director queue"),
        intro=gettext_lazy(
            "Requests of clients with a frequent-refund pattern and refunds outside the "
            "contract's terms."
        ),
        policies=("frequent-refunds", "refund-terms"),
        testid="director-queue",
    )


@require_GET
@role_required(Role.PARTNER_APPROVER)
def partner_approvals(request: HttpRequest) -> HttpResponse:
    """The partner approver's only page: their partner's partial refunds
    awaiting the partner's approval, with approve/reject (REF-6, ROLE-1)."""
    partner = partner_for_approver(request.user)
    page = Paginator(selectors.list_awaiting_partner(partner), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "refunds/partner_approvals.html",
        {"page_obj": page, "partner": partner, "next_url": request.get_full_path()},
    )
