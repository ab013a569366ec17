"""Follow-up pages for the team: the leader's weekly feedback review (COM-3),
change notices (COM-4), sending a survey (COM-2) and a rescue case's area
(RES-3). The public survey page is ``cases.survey_views``.

Views parse, call one selector or service, and render or redirect; ROLE-1 is
checked here first, and again in the service.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors, services
from cases.forms import ChangeNoticeForm, RescueAreaForm, ReviewNoteForm, SendSurveyForm
from cases.views import WORKERS, safe_next
from clients.models import Product
from clients.selectors import access_client
from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, role_required
from pae_ops.selectors import chosen_leader, list_leaders
from pae_ops.timezones import portal_today

PAGE_SIZE = 25


# The weekly feedback review (COM-3) ---------------------------------------------


def _week_from(request: HttpRequest) -> date | None:
    value = parse_date(request.GET.get("week", "") or "")
    return value - timedelta(days=value.weekday()) if value else None


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def feedback_review(request: HttpRequest) -> HttpResponse:
    """The team's survey answers: not reviewed first, then detractors and 0–2
    stars; a note marks each reviewed. Default: last week and this week so far.
    A director reads every team's answers (or one team's, ``?leader=``)
    without the review forms: reviewing is the team leader's act (COM-3)."""
    now = timezone.now()
    can_review = has_role(request.user, Role.LEADER)
    leaders = [] if can_review else list(list_leaders())
    leader = request.user if can_review else chosen_leader(leaders, request.GET.get("leader", ""))
    week = _week_from(request)
    if week is not None:
        start = selectors.week_start(week)
        end = start + timedelta(days=7)
    else:
        start, _end = selectors.previous_week_bounds(now)
        end = None
    pending = request.GET.get("pending") == "1"
    answers = selectors.list_feedback_answers(leader=leader, start=start, end=end, pending=pending)
    page = Paginator(answers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    previous = (week or start.date()) - timedelta(days=7)
    return render(
        request,
        "cases/feedback_review.html",
        {
            "page_obj": page,
            "start": start,
            "end": end - timedelta(days=1) if end else portal_today(now),
            "week": week,
            "previous_week": previous,
            "next_week": week + timedelta(days=7) if week else None,
            "query_string": query.urlencode(),
            "note_form": ReviewNoteForm(),
            "return_to": request.get_full_path(),
            "can_review": can_review,
            "leaders": leaders,
            "leader": leader,
            "pending": pending,
        },
    )


@require_POST
@role_required(Role.LEADER)
def feedback_review_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one answer reviewed with a follow-up note (COM-3)."""
    form = ReviewNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the follow-up note."))
    else:
        try:
            services.review_survey_answer(
                actor=request.user, survey_id=pk, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.html(request.user))
        else:
            messages.success(request, _("The answer was marked reviewed."))
    return redirect(safe_next(request, reverse("cases:feedback-review")))


# Change notices (COM-4) ---------------------------------------------------------------


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def notice_list(request: HttpRequest) -> HttpResponse:
    """The change notices; leaders schedule and cancel them, a director reads."""
    page = Paginator(selectors.list_change_notices(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/notice_list.html",
        {
            "page_obj": page,
            "query_string": "",
            "can_schedule": has_role(request.user, Role.LEADER),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.LEADER)
def notice_new(request: HttpRequest) -> HttpResponse:
    """Schedule a change notice; the service checks the 7-day / 24-hour rule."""
    products = Product.objects.order_by("name")
    form = ChangeNoticeForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_change_notice(
                actor=request.user,
                kind=data["kind"],
                title_es=data["title_es"],
                body_es=data["body_es"],
                title_en=data["title_en"],
                body_en=data["body_en"],
                product_id=data["product"],
                effective_at=data["effective_at"],
                scheduled_send_at=data["scheduled_send_at"],
                emergency=data["emergency"],
                emergency_reason=data["emergency_reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, _("The notice was scheduled."))
            return redirect("cases:notices")
    return render(request, "cases/notice_form.html", {"form": form})


@require_POST
@role_required(Role.LEADER)
def notice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.cancel_change_notice(actor=request.user, notice_id=pk)
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    else:
        messages.success(request, _("The notice was cancelled."))
    return redirect("cases:notices")


# Surveys on demand (COM-2) and a rescue case's area (RES-3) ----------------------------


@require_POST
@role_required(*WORKERS)
def survey_send(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Send a CSAT, NPS or CES survey now, from the client page or a rescue case."""
    client = access_client(request.user, client_pk)
    form = SendSurveyForm(request.POST)
    case_id = request.POST.get("case", "")
    fallback = reverse("clients:detail", args=[client.pk])
    if not form.is_valid() or (case_id and not case_id.isdigit()):
        messages.error(request, _("Choose CSAT, NPS or CES."))
        return redirect(safe_next(request, fallback))
    try:
        services.send_survey(
            actor=request.user,
            client_id=client.pk,
            kind=form.cleaned_data["kind"],
            case_id=int(case_id) if case_id else None,
        )
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    else:
        messages.success(request, _("The survey is on its way to the client."))
    return redirect(safe_next(request, fallback))


@require_POST
@role_required(*WORKERS)
def rescue_area(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    form = RescueAreaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the Sales or the Experience area."))
    else:
        try:
            services.set_rescue_area(
                actor=request.user, case_id=case.pk, area=form.cleaned_data["area"]
            )
        except DomainError as exc:
            messages.error(request, exc.html(request.user))
        else:
            messages.success(request, _("The escalation area was saved."))
    return redirect(case.get_absolute_url())
