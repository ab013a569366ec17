"""The request page (its steps, what is next, the current step's forms) and
the new-request page (the client's history first, REF-2). Rules: ROLE-1,
ROLE-2, REF-2, REF-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases.timeline_forms import AttachmentForm
from clients import selectors as client_selectors
from pae_ops.errors import DomainError, with_policy_link
from pae_ops.roles import Role, has_role, role_required
from refunds import selectors, services
from refunds.attachments import ATTACHERS, list_request_attachments
from refunds.forms import (
    DecisionForm,
    DiagnosisForm,
    ExitSurveyForm,
    OfferAnswerForm,
    OfferForm,
    OpenRequestForm,
    ProposalForm,
    WithdrawForm,
)
from refunds.models import RefundApproval, RefundOffer, RefundRequest
from refunds.views._roles import DECIDERS, VIEWERS, WORKERS, Status

# The request page ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str
    label: str | Promise
    state: str  # "done", "current", "todo" or "skipped"


def _steps(refund: RefundRequest, survey) -> list[Step]:
    """Where the request stands, as the playbook's steps (R1; RES-5 for cancellations)."""
    status = refund.status
    closed = status in (Status.EXECUTED, Status.REJECTED, Status.WITHDRAWN)
    proposed = bool(refund.proposal)
    if refund.kind == RefundRequest.Kind.CANCELLATION and not proposed:
        keys = [
            ("diagnosis", gettext_lazy("Diagnosis")),
            ("offers", gettext_lazy("Offers")),
            ("survey", gettext_lazy("Exit survey")),
            ("outcome", _outcome_label(refund)),
        ]
        reached = {
            "diagnosis": status != Status.DIAGNOSIS or closed,
            "offers": bool(refund.diagnosis_reason) and (closed or survey is not None),
            "survey": survey is not None and survey.is_complete and closed,
        }
        current = (
            "diagnosis"
            if status == Status.DIAGNOSIS
            else "survey"
            if survey is not None
            else "offers"
        )
    else:
        keys = [
            ("diagnosis", gettext_lazy("Diagnosis")),
            ("offers", gettext_lazy("Offers")),
            ("proposal", gettext_lazy("Proposal")),
            ("approvals", gettext_lazy("Approvals")),
            ("outcome", _outcome_label(refund)),
        ]
        reached = {
            "diagnosis": bool(refund.diagnosis_reason),
            "offers": proposed or (closed and bool(refund.diagnosis_reason)),
            "proposal": proposed,
            "approvals": proposed and status in (Status.APPROVED, Status.EXECUTED, Status.REJECTED),
        }
        current = {
            Status.DIAGNOSIS: "diagnosis",
            Status.OFFERS: "offers",
            Status.PROPOSAL: "proposal",
            Status.AWAITING_APPROVAL: "approvals",
            Status.APPROVED: "approvals",
        }.get(status, "outcome")
    steps = []
    for key, label in keys:
        if key == "outcome":
            state = "done" if closed else "todo"
        elif key == current and not closed:
            state = "current"
        elif reached.get(key):
            state = "done"
        else:
            state = "skipped" if closed else "todo"
        steps.append(Step(key, label, state))
    return steps


def _outcome_label(refund: RefundRequest) -> str | Promise:
    if refund.status == Status.EXECUTED and refund.resolution:
        return refund.get_resolution_display()
    if refund.status in (Status.REJECTED, Status.WITHDRAWN):
        return refund.get_status_display()
    return gettext_lazy("Outcome")


def _decision_role(user, refund: RefundRequest) -> str | None:
    """The role in which ``user`` may decide now, or None (hides the forms).

    The service checks again; ROLE-2 is shown as a note instead of forms.
    """
    if refund.status != Status.AWAITING_APPROVAL or not has_role(user, *DECIDERS):
        return None
    if user.pk in (refund.opened_by_id, refund.proposed_by_id):
        return None  # ROLE-2: shown as a note
    if any(approval.approver_id == user.pk for approval in refund.approvals.all()):
        return None
    try:
        return services.approver_role(user, refund)
    except PermissionDenied:
        return None


def _next_step_text(refund: RefundRequest, offers, survey, open_roles, user=None) -> str:
    """The next step in words, with a link to the policy that asks for it."""
    text, rule = _next_step(refund, offers, survey, open_roles)
    return with_policy_link(text, rule, user=user)


def _next_step(refund: RefundRequest, offers, survey, open_roles) -> tuple[str, str | None]:
    status = refund.status
    if status == Status.DIAGNOSIS:
        return _("Record the diagnosis: the reason and the notes."), "REF-1"
    if status == Status.OFFERS:
        if any(offer.answer == RefundOffer.Answer.PENDING for offer in offers):
            return _("Record the client's answer to the pending offer."), None
        if refund.kind == RefundRequest.Kind.CANCELLATION:
            if not any(offer.answer == RefundOffer.Answer.DECLINED for offer in offers):
                return (
                    _("Offer a service change, a rescue session or an incentive first."),
                    "RES-4",
                )
            if survey is None:
                return _("Send the exit survey."), "RES-5"
            if not survey.is_complete:
                return _("Record the client's answers to the exit survey, or their refusal."), None
            return _("Complete the cancellation."), None
        if not any(offer.answer == RefundOffer.Answer.DECLINED for offer in offers):
            return _(
                "Offer rescue or credit first: a refund can be proposed only after the client "
                "declined a non-refund option. A duplicated credit needs no offer."
            ), "REF-4"
        return _("Offer another option, or propose a duplicated credit or a refund."), None
    if status in (Status.PROPOSAL, Status.AWAITING_APPROVAL, Status.APPROVED):
        labels = [str(RefundApproval.Role(role).label) for role in sorted(open_roles)]
        return _("Waiting for the approval of: %(roles)s.") % {"roles": ", ".join(labels)}, None
    if status == Status.EXECUTED:
        return _("Done: %(outcome)s.") % {"outcome": refund.get_resolution_display()}, None
    if status == Status.REJECTED:
        return _("Rejected: the request is closed."), None
    return _("Withdrawn: the request is closed."), None


def render_detail(
    request: HttpRequest, refund: RefundRequest, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    """The request page, with the forms of the current step only (``bound``
    replaces a form that came back with errors)."""
    user = request.user
    staff = has_role(user, *selectors.STAFF_READERS)
    can_work = has_role(user, *WORKERS) and refund.is_open
    offers = list(refund.offers.all())
    approvals = list(refund.approvals.all())
    survey = selectors.exit_survey_of(refund)
    required = refund.required_roles() if refund.proposal else frozenset()
    decided = {approval.role for approval in approvals}
    open_roles = required - decided
    pending_offer = next((o for o in offers if o.answer == RefundOffer.Answer.PENDING), None)
    in_offers = refund.status == Status.OFFERS
    cancellation = refund.kind == RefundRequest.Kind.CANCELLATION
    history = (
        selectors.client_refund_history(refund.client, exclude_request_id=refund.pk)
        if staff
        else None
    )
    purchase_history = (
        next((p for p in history.purchases if p.pk == refund.purchase_id), None)
        if history
        else None
    )
    decision_role = _decision_role(user, refund)
    is_requester = user.pk in (refund.opened_by_id, refund.proposed_by_id)
    context: dict[str, Any] = {
        "refund": refund,
        "client": refund.client,
        "purchase": refund.purchase,
        "purchase_history": purchase_history,
        "history": history,
        "staff": staff,
        "can_work": can_work,
        "offers": offers,
        "approvals": approvals,
        "survey": survey,
        "steps": _steps(refund, survey),
        "credit_limit": services.DUPLICATED_CREDIT_LIMIT,
        "next_step": _next_step_text(refund, offers, survey, open_roles, user),
        "required_roles": [
            {
                "label": RefundApproval.Role(role).label,
                "approval": next((a for a in approvals if a.role == role), None),
            }
            for role in (
                RefundApproval.Role.LEADER,
                RefundApproval.Role.PARTNER,
                RefundApproval.Role.DIRECTOR,
            )
            if role in required
        ],
        "pending_offer": pending_offer,
        "decision_role": decision_role,
        "decision_role_label": RefundApproval.Role(decision_role).label if decision_role else "",
        "show_requester_note": (
            refund.status == Status.AWAITING_APPROVAL
            and is_requester
            and has_role(user, Role.LEADER, Role.DIRECTOR)
        ),
        "diagnosis_form": None,
        "offer_form": None,
        "proposal_form": None,
        "answer_form": None,
        "approve_form": None,
        "reject_form": None,
        "withdraw_form": None,
        "survey_form": None,
        "can_send_survey": False,
        "can_complete": False,
        # Receipts, contracts, screenshots (refunds.attachments).
        "attachments": list_request_attachments(refund.pk),
        "attachment_form": (bound.get("attachment_form") or AttachmentForm())
        if has_role(user, *ATTACHERS)
        else None,
    }
    if can_work and refund.status == Status.DIAGNOSIS:
        context["diagnosis_form"] = bound.get("diagnosis_form") or DiagnosisForm()
    if can_work and in_offers:
        if pending_offer is None:
            context["offer_form"] = bound.get("offer_form") or OfferForm()
            context["proposal_form"] = bound.get("proposal_form") or ProposalForm()
        else:
            # The client's answer comes first; the service refuses a new offer meanwhile.
            context["answer_form"] = bound.get("answer_form") or OfferAnswerForm()
        if cancellation:
            context["can_send_survey"] = survey is None
            if survey is not None and not survey.is_complete:
                context["survey_form"] = bound.get("survey_form") or ExitSurveyForm()
            context["can_complete"] = survey is not None and survey.is_complete
    if can_work and Status.WITHDRAWN in RefundRequest.ALLOWED_TRANSITIONS[Status(refund.status)]:
        context["withdraw_form"] = bound.get("withdraw_form") or WithdrawForm()
    if decision_role:
        context["approve_form"] = bound.get("approve_form") or DecisionForm(prefix="approve")
        context["reject_form"] = bound.get("reject_form") or DecisionForm(prefix="reject")
    for name, form in bound.items():
        if context.get(name) is not form:
            # The form is no longer shown (e.g. ROLE-2, or the request moved
            # on): say why the act was refused.
            for error in form.non_field_errors():
                messages.error(request, error)
    return render(request, "refunds/request_detail.html", context, status=status)


@require_GET
@role_required(*VIEWERS)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request as steps, with what is next and the current step's forms."""
    refund = selectors.access_refund_request(request.user, pk)
    return render_detail(request, refund)


# New request -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*WORKERS)
def request_new(request: HttpRequest, purchase_id: int) -> HttpResponse:
    """Open a request for a purchase: the client's history first (REF-2), then the form."""
    purchase = client_selectors.access_purchase(request.user, purchase_id)
    case_id = request.GET.get("case", "")
    form = OpenRequestForm(
        request.POST or None, initial={"case": case_id if case_id.isdigit() else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            refund = services.open_refund_request(
                actor=request.user,
                purchase_id=purchase.pk,
                kind=form.cleaned_data["kind"],
                client_request=form.cleaned_data["client_request"],
                case_id=form.cleaned_data["case"],
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, _("The request was opened. Record the diagnosis next."))
            return redirect("refunds:request-detail", pk=refund.pk)
    history = selectors.client_refund_history(purchase.client)
    open_request = next(
        (r for r in history.requests if r.purchase_id == purchase.pk and r.is_open), None
    )
    return render(
        request,
        "refunds/request_new.html",
        {
            "purchase": purchase,
            "client": purchase.client,
            "history": history,
            "form": form,
            "open_request": open_request,
        },
    )
