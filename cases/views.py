"""Case pages: the agent's home, the leader's board, the case page, logging
and typing interactions, and the client's interaction timeline.

Views parse, call one selector or service, and render or redirect; the rules
are the services' (ROLE-1 is checked here first, and again in the service).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import selectors, services, timeline
from cases.clocks import case_clocks, signed_hours_left
from cases.filters import BoardFilter
from cases.forms import (
    AssignForm,
    BulkReassignForm,
    InteractionForm,
    OpenCaseForm,
    ReasonForm,
    RescueAreaForm,
    RescueOutcomeForm,
    SendSurveyForm,
    TypeInteractionForm,
)
from cases.models import Case, ResponseTemplate, Survey
from cases.timeline_forms import timeline_forms
from clients.selectors import access_client
from pae_ops.business_hours import business_hours_between
from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, role_required
from pae_ops.selectors import chosen_leader, get_team_leader, list_leaders, list_notifications
from pae_ops.timezones import portal_today

READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
WORKERS = (Role.AGENT, Role.LEADER)
PAGE_SIZE = 25
HOME_ROWS = 20
CASE_TIMELINE_PAGE = 100
CLIENT_TIMELINE_PAGE = 20
CLIENT_SURVEYS = 5


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _attach_hours_left(cases, *, now, spec) -> None:
    """Business hours left to each case's next deadline; a deadline a pause
    holds (SLA-3) shows the hours it had left when the pause began."""
    for case in cases:
        paused_at = case.sla_paused_at
        case.is_paused = paused_at is not None and case.next_due_at > paused_at
        if spec is None:
            case.hours_left = None
        elif case.is_paused:
            case.hours_left = business_hours_between(paused_at, case.next_due_at, spec)
        else:
            case.hours_left = signed_hours_left(now, case.next_due_at, spec)


# The agent's home -----------------------------------------------------------


@require_GET
@role_required(Role.AGENT, Role.LEADER)
def my_work(request: HttpRequest) -> HttpResponse:
    """The agent's home: open cases by nearest deadline, untyped interactions,
    cases without follow-up, this month's typing compliance, latest alerts."""
    user = request.user
    now = timezone.now()
    spec = selectors.calendar_spec_or_none()
    page = Paginator(selectors.list_open_cases_of(user, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _attach_hours_left(page, now=now, spec=spec)
    untyped = selectors.list_untyped_interactions(user)
    untyped_rows = list(untyped[: HOME_ROWS + 1])
    start, end = selectors.month_bounds(portal_today())
    reasons = selectors.list_reason_choices()
    return render(
        request,
        "cases/my_work.html",
        {
            "leader": get_team_leader(user),
            "page_obj": page,
            "untyped": untyped_rows[:HOME_ROWS],
            "untyped_more": len(untyped_rows) > HOME_ROWS,
            "reason_groups": reasons,
            "no_follow_up": list(
                selectors.list_no_follow_up_cases(assignee_ids=[user.pk], now=now)[:HOME_ROWS]
            ),
            "compliance": selectors.typing_compliance(start=start, end=end, agent_ids=[user.pk])[
                user.pk
            ],
            "month_start": start,
            "latest_notifications": list_notifications(user)[:5],
        },
    )


# The leader's board -----------------------------------------------------------


@dataclass(frozen=True)
class BoardScope:
    people: QuerySet  # whose figures and cases the board shows
    can_assign: bool
    leaders: list  # what a director chooses a team from
    leader: Any  # the team's leader, None for everyone's cases

    @property
    def every_case(self) -> bool:
        return not self.can_assign and self.leader is None


def _board_scope(request: HttpRequest) -> BoardScope:
    """Whose cases the board shows: a leader's team and themselves (they may
    reassign); for a director (who only reads, ROLE-1) one leader's team
    when ``?leader=`` names one, else everyone's cases."""
    user = request.user
    if has_role(user, Role.LEADER):
        return BoardScope(selectors.list_assignable_users(user), True, [], user)
    leaders = list(list_leaders())
    leader = chosen_leader(leaders, request.GET.get("leader", ""))
    people = (
        selectors.list_case_workers() if leader is None else selectors.list_assignable_users(leader)
    )
    return BoardScope(people, False, leaders, leader)


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def board(request: HttpRequest) -> HttpResponse:
    """The leader's team board: breached and at-risk cases first, filters,
    reassign. The director reads it for one team or all, without acts."""
    now = timezone.now()
    scope = _board_scope(request)
    users = list(scope.people)
    ids = [user.pk for user in users]
    assignee_ids = None if scope.every_case else ids
    filterset = BoardFilter(request.GET or None, users=scope.people, now=now)
    queryset = selectors.list_board_cases(assignee_ids=assignee_ids, now=now, filters=filterset)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_hours_left(page, now=now, spec=selectors.calendar_spec_or_none())
    start, end = selectors.month_bounds(portal_today())
    compliance = selectors.typing_compliance(start=start, end=end, agent_ids=ids)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/board.html",
        {
            "filter": filterset,
            "page_obj": page,
            "query_string": query.urlencode(),
            "assign_users": users,
            "team_compliance": [(user, compliance[user.pk]) for user in users],
            "no_follow_up_count": selectors.list_no_follow_up_cases(
                assignee_ids=assignee_ids, now=now
            ).count(),
            "month_start": start,
            "board_url": request.get_full_path(),
            "scope": scope,
            "max_bulk": services.MAX_BULK_CASES,
        },
    )


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
    return redirect(_safe_next(request, case.get_absolute_url()))


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
        request, pk, services.escalate_case, _("The case was escalated."), reason=_reason(request)
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
        request, pk, services.reopen_case, _("The case was reopened."), reason=_reason(request)
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
        return redirect(_safe_next(request, case.get_absolute_url()))
    return _case_act(
        request,
        pk,
        services.assign_case,
        _("The case was reassigned."),
        assignee_id=form.cleaned_data["assignee"],
    )


@require_POST
@role_required(Role.LEADER)
def board_reassign(request: HttpRequest) -> HttpResponse:
    """Bulk reassign from the board: the ticked cases, or every case that
    matches the board's filters, to one person of the team (ROLE-1 in
    ``services.reassign_cases``: all or nothing)."""
    users = selectors.list_assignable_users(request.user)
    form = BulkReassignForm(request.POST, users=users)
    filters = request.POST.get("filters", "")[:2000]
    back = reverse("cases:board") + (f"?{filters}" if filters else "")
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(back)
    data = form.cleaned_data
    case_ids = data["case"]
    if data["all_matching"]:
        now = timezone.now()
        filterset = BoardFilter(QueryDict(filters), users=users, now=now)
        case_ids = list(
            selectors.list_board_cases(
                assignee_ids=selectors.team_member_ids(request.user), now=now, filters=filterset
            ).values_list("pk", flat=True)[: services.MAX_BULK_CASES + 1]
        )
    try:
        moved = services.reassign_cases(
            actor=request.user, case_ids=case_ids, assignee_id=data["assignee"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(count)d case was reassigned.", "%(count)d cases were reassigned.", len(moved))
        % {"count": len(moved)},
    )
    return redirect(back)


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


# Interactions ---------------------------------------------------------------------


def _fixed_case(request: HttpRequest, client_pk: int) -> Case | None:
    value = request.GET.get("case", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    case = selectors.access_case(request.user, int(value))
    if case.client_id != client_pk:
        raise Http404
    return case


def _interaction_form(request: HttpRequest, client, fixed_case: Case | None, data=None):
    return InteractionForm(
        data,
        fixed_case=fixed_case,
        open_cases=() if fixed_case else selectors.list_client_open_cases(client.pk),
        reasons=selectors.list_reason_choices(),
        templates=selectors.list_active_templates(),
    )


@require_http_methods(["GET", "POST"])
@role_required(*WORKERS)
def interaction_log(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Log an interaction, typed in the same form (TYP-1, TYP-2, COM-6).

    Posted by htmx from the client page and the case page: errors come back
    as the form partial; success sends the browser to the case (or client).
    """
    client = access_client(request.user, client_pk)
    fixed_case = _fixed_case(request, client.pk)
    form = _interaction_form(
        request, client, fixed_case, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interaction = services.log_interaction(
                actor=request.user,
                client_id=client.pk,
                case_id=data["case"],
                channel=data["channel"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                summary=data["summary"],
                reason_id=data["reason"],
                template_id=form.template_id(),
                subject=data.get("subject") or "",
                kind=data.get("kind") or Case.Kind.REQUEST,
                # A form posted twice logs once; the repeat answers as the
                # first did.
                submission_key=data.get("submission_key"),
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, _("The interaction was logged."))
            target = (
                interaction.case.get_absolute_url()
                if interaction.case_id
                else reverse("clients:detail", args=[client.pk])
            )
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"form": form, "client": client, "case": fixed_case}
    if request.htmx:
        return render(request, "cases/partials/_interaction_form.html", context)
    return render(request, "cases/interaction_form_page.html", context)


@require_GET
@role_required(*WORKERS)
def template_body(request: HttpRequest) -> HttpResponse:
    """The summary field with a response template's text added (COM-6, htmx)."""
    summary = request.GET.get("summary", "")
    pk, _sep, language = request.GET.get("template", "").partition(":")
    template = (
        ResponseTemplate.objects.filter(pk=int(pk), is_active=True).first()
        if pk.isdigit()
        else None
    )
    if template is not None:
        body = template.body_for(language or get_language())
        summary = f"{summary.rstrip()}\n\n{body}" if summary.strip() else body
    return render(request, "cases/partials/_summary_field.html", {"summary": summary})


@require_POST
@role_required(*WORKERS)
def interaction_type(request: HttpRequest, pk: int) -> HttpResponse:
    """Type an interaction from the agent's home (TYP-2)."""
    interaction = selectors.access_interaction(request.user, pk)
    form = TypeInteractionForm(request.POST, reasons=selectors.list_reason_choices())
    if not form.is_valid():
        messages.error(request, _("Choose a reason from the typing list."))
    else:
        try:
            services.type_interaction(
                actor=request.user,
                interaction_id=interaction.pk,
                reason_id=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.html(request.user))
        else:
            messages.success(request, _("The interaction was typed."))
    return redirect(_safe_next(request, reverse("my-work")))


@require_GET
@role_required(*READERS)
def client_timeline(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The client's interactions and open cases (the 360 page loads it with htmx)."""
    client = access_client(request.user, client_pk)
    page = Paginator(selectors.list_client_interactions(client.pk), CLIENT_TIMELINE_PAGE).get_page(
        request.GET.get("page")
    )
    open_cases = list(selectors.list_client_open_cases(client.pk))
    can_work = has_role(request.user, *WORKERS)
    context = {
        "client": client,
        "page_obj": page,
        "open_cases": open_cases,
        "can_work": can_work,
        "form": InteractionForm(
            open_cases=open_cases,
            reasons=selectors.list_reason_choices(),
            templates=selectors.list_active_templates(),
        )
        if can_work
        else None,
        "open_case_form": OpenCaseForm(prefix="open") if can_work else None,
        # COM-2: the client's latest surveys, and sending one on demand.
        "surveys": list(selectors.list_client_surveys(client.pk)[:CLIENT_SURVEYS]),
        "survey_form": SendSurveyForm() if can_work else None,
    }
    if request.htmx:
        return render(request, "cases/partials/_client_timeline.html", context)
    return render(request, "cases/client_timeline.html", context)
