"""The POST endpoints of the request's steps: diagnosis, offers and answers,
proposal, withdrawal, exit survey and cancellation (one service each).
Rules: ROLE-1, REF-1, REF-4, RES-4, RES-5.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pae_ops.errors import DomainError
from pae_ops.roles import role_required
from refunds import selectors, services
from refunds.forms import (
    DiagnosisForm,
    ExitSurveyForm,
    OfferAnswerForm,
    OfferForm,
    ProposalForm,
    WithdrawForm,
)
from refunds.models import RefundRequest
from refunds.views._roles import WORKERS
from refunds.views.page import render_detail


def _act(
    request: HttpRequest,
    refund: RefundRequest,
    *,
    form: forms.Form,
    form_name: str,
    call: Callable[[dict], object],
    success: str,
) -> HttpResponse:
    """Validate ``form``, run one service, then redirect, or show the page
    again with the service's message on the form (nothing changed)."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, success)
            return redirect("refunds:request-detail", pk=refund.pk)
    return render_detail(request, refund, **{form_name: form})


@require_POST
@role_required(*WORKERS)
def request_diagnose(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the diagnosis (REF-1)."""
    refund = selectors.access_refund_request(request.user, pk)
    return _act(
        request,
        refund,
        form=DiagnosisForm(request.POST),
        form_name="diagnosis_form",
        call=lambda data: services.diagnose_refund_request(
            actor=request.user, request_id=refund.pk, reason=data["reason"], notes=data["notes"]
        ),
        success=_("The diagnosis was recorded."),
    )


@require_POST
@role_required(*WORKERS)
def request_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a non-refund option offered to the client (REF-4, RES-4)."""
    refund = selectors.access_refund_request(request.user, pk)
    return _act(
        request,
        refund,
        form=OfferForm(request.POST),
        form_name="offer_form",
        call=lambda data: services.offer_resolution(
            actor=request.user,
            request_id=refund.pk,
            kind=data["kind"],
            description=data["description"],
        ),
        success=_("The offer was recorded."),
    )


@require_POST
@role_required(*WORKERS)
def offer_answer(request: HttpRequest, pk: int, offer_pk: int) -> HttpResponse:
    """Record the client's answer to one of the request's offers."""
    refund = selectors.access_refund_request(request.user, pk)
    if offer_pk not in {offer.pk for offer in refund.offers.all()}:
        raise Http404
    return _act(
        request,
        refund,
        form=OfferAnswerForm(request.POST),
        form_name="answer_form",
        call=lambda data: services.record_offer_answer(
            actor=request.user,
            offer_id=offer_pk,
            accepted=data["answer"] == OfferAnswerForm.ACCEPTED,
        ),
        success=_("The client's answer was recorded."),
    )


@require_POST
@role_required(*WORKERS)
def request_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a duplicated credit or a refund and ask for the approvals."""
    refund = selectors.access_refund_request(request.user, pk)
    return _act(
        request,
        refund,
        form=ProposalForm(request.POST),
        form_name="proposal_form",
        call=lambda data: services.propose_refund(
            actor=request.user,
            request_id=refund.pk,
            proposal=data["proposal"],
            amount=data["amount"],
            minor_issue=data["minor_issue"],
        ),
        success=_("The proposal was sent for approval."),
    )


@require_POST
@role_required(*WORKERS)
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    refund = selectors.access_refund_request(request.user, pk)
    return _act(
        request,
        refund,
        form=WithdrawForm(request.POST),
        form_name="withdraw_form",
        call=lambda data: services.withdraw_refund_request(
            actor=request.user, request_id=refund.pk, note=data["note"]
        ),
        success=_("The request was withdrawn."),
    )


@require_POST
@role_required(*WORKERS)
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the exit survey was sent (RES-5)."""
    refund = selectors.access_refund_request(request.user, pk)
    try:
        services.send_exit_survey(actor=request.user, request_id=refund.pk)
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    else:
        messages.success(request, _("The exit survey was marked as sent."))
    return redirect("refunds:request-detail", pk=refund.pk)


@require_POST
@role_required(*WORKERS)
def survey_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the exit survey's answers or the client's refusal (RES-5)."""
    refund = selectors.access_refund_request(request.user, pk)
    return _act(
        request,
        refund,
        form=ExitSurveyForm(request.POST),
        form_name="survey_form",
        call=lambda data: services.record_exit_survey(
            actor=request.user,
            request_id=refund.pk,
            refused=data["refused"],
            main_reason=data["main_reason"],
            what_would_change=data["what_would_change"],
        ),
        success=_("The exit survey was recorded."),
    )


@require_POST
@role_required(*WORKERS)
def cancellation_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the purchase after the offers and the exit survey (RES-4, RES-5)."""
    refund = selectors.access_refund_request(request.user, pk)
    try:
        services.complete_cancellation(actor=request.user, request_id=refund.pk)
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    else:
        messages.success(request, _("The cancellation was completed."))
    return redirect("refunds:request-detail", pk=refund.pk)
