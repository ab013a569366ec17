"""The case page and what is done on it: escalate, resolve, reopen, close,
wait, resume, assign; opening a case from a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import selectors, services, timeline
from cases.clocks import case_clocks
from cases.forms import (
    AssignForm,
    InteractionForm,
    OpenCaseForm,
    ReasonForm,
    RescueAreaForm,
    RescueOutcomeForm,
    SendSurveyForm,
)
from cases.models import Case, Survey
from cases.timeline_forms import timeline_forms
from cases.views.common import CASE_TIMELINE_PAGE, READERS, WORKERS, safe_next
from clients.selectors import access_client
from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, role_required

# The case page ------------------------------------------------------------------


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    interaction_form: InteractionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    spec = selectors.calendar_spec_or_none()
    can_change = selectors.can_change_case(user, case)
    if can_change and interaction_form is None and case.status != Case.Status.CLOSED:
        interaction_form = InteractionForm(
            fixed_case=case,
            reasons=selectors.list_reason_choices(),
            templates=selectors.list_active_templates(),
            initial={"direction": "outbound"},
        )
    is_leader = has_role(user, Role.LEADER)
    page = Paginator(selectors.list_case_interactions(case), CASE_TIMELINE_PAGE).get_page(
        request.GET.get("page")
    )
    entries = timeline.case_timeline(case, page)
    rescue = case.kind == Case.Kind.RESCUE
    # RES-2, RES-3: the protocol's checklist and the escalation area (rescue
    # cases only); RES-7: the answer a follow-up case came from.
    follow_up = {
        "rescue_checklist": selectors.rescue_checklist(case) if rescue else None,
        "rescue_area_form": RescueAreaForm(initial={"area": case.rescue_area})
        if rescue and can_change and case.is_open and case.rescue_escalated_at is None
        else None,
        "outcome_form": RescueOutcomeForm() if rescue else None,
        "quick_survey_form": SendSurveyForm(initial={"kind": Survey.Kind.CES})
        if rescue and can_change and case.is_open
        else None,
        "origin_survey": Survey.objects.filter(follow_up_case=case).first()
        if case.kind == Case.Kind.FOLLOW_UP
        else None,
    }
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "client": case.client,
            "clocks": case_clocks(
                case,
                now=now,
                spec=spec,
                explain=True,
                response_clock=selectors.latest_response_clock(case),
                pauses=selectors.list_case_pauses(case),
            ),
            "page_obj": page,
            # Interactions, internal notes and files (cases.timeline).
            "timeline": entries,
            **timeline_forms(user, case, entries),
            "escalations": selectors.list_case_escalations(case),
            "sla_events": selectors.list_case_sla_events(case),
            "can_change": can_change,
            "is_leader": is_leader,
            "interaction_form": interaction_form,
            "assign_form": AssignForm(
                users=selectors.list_assignable_users(user),
                initial={"assignee": case.assignee_id},
            )
            if is_leader and case.is_open
            else None,
            "reason_form": ReasonForm(),
            "can_resolve": can_change and case.can_transition_to(Case.Status.RESOLVED),
            # Agents escalate to their leader (level 1), leaders to the director (2).
            "can_escalate": can_change
            and case.is_open
            and case.escalation_level < (2 if is_leader else 1),
            "can_wait": can_change and case.can_transition_to(Case.Status.WAITING_ON_CLIENT),
            "can_resume": can_change and case.is_open and case.status != Case.Status.IN_PROGRESS,
            "can_reopen": can_change and case.status == Case.Status.RESOLVED,
            "can_close": can_change and case.can_transition_to(Case.Status.CLOSED),
            **follow_up,
        },
        status=status,
    )


@require_GET
@role_required(*READERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page: timeline, SLA clocks with their "why" (BH-2), actions."""
    return _render_case(request, selectors.access_case(request.user, pk))


def _case_act(
    request: HttpRequest, pk: int, act: Callable[..., Any], success: str, **kwargs: Any
) -> HttpResponse:
    """Run one case service from a button; errors come back as a message."""
    case = selectors.access_case(request.user, pk)
    try:
        act(actor=request.user, case_id=case.pk, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    else:
        messages.success(request, success)
    return redirect(safe_next(request, case.get_absolute_url()))


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


def _rescue_outcome(request: HttpRequest) -> str:
    form = RescueOutcomeForm(request.POST)
    return form.cleaned_data["rescue_outcome"] if form.is_valid() else ""


@require_POST
@role_required(*WORKERS)
def case_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(
        request,
        pk,
        services.escalate_case,
        _("The case was escalated."),
        reason=_reason(request),
    )


@require_POST
@role_required(*WORKERS)
def case_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(
        request,
        pk,
        services.resolve_case,
        _("The case was resolved."),
        rescue_outcome=_rescue_outcome(request),
    )


@require_POST
@role_required(*WORKERS)
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(
        request,
        pk,
        services.reopen_case,
        _("The case was reopened."),
        reason=_reason(request),
    )


@require_POST
@role_required(*WORKERS)
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(
        request,
        pk,
        services.close_case,
        _("The case was closed."),
        note=_reason(request),
        rescue_outcome=_rescue_outcome(request),
    )


@require_POST
@role_required(*WORKERS)
def case_wait(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(request, pk, services.wait_on_client, _("The case is waiting on the client."))


@require_POST
@role_required(*WORKERS)
def case_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_act(request, pk, services.resume_case, _("The case is in progress."))


@require_POST
@role_required(Role.LEADER)
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    form = AssignForm(request.POST, users=selectors.list_assignable_users(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose someone from your team."))
        return redirect(safe_next(request, case.get_absolute_url()))
    return _case_act(
        request,
        pk,
        services.assign_case,
        _("The case was reassigned."),
        assignee_id=form.cleaned_data["assignee"],
    )


@require_POST
@role_required(*WORKERS)
def case_open(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Open a case for the client from the 360 page."""
    client = access_client(request.user, client_pk)
    form = OpenCaseForm(request.POST, prefix="open")
    if not form.is_valid():
        messages.error(request, _("Give the case a subject and a kind."))
        return redirect("clients:detail", pk=client.pk)
    try:
        case = services.open_case(
            actor=request.user,
            client_id=client.pk,
            subject=form.cleaned_data["subject"],
            kind=form.cleaned_data["kind"],
        )
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
        return redirect("clients:detail", pk=client.pk)
    messages.success(request, _("The case was opened."))
    return redirect(case.get_absolute_url())
