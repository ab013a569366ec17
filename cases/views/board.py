"""The leader's board and its bulk reassign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cases import selectors, services
from cases.filters import BoardFilter
from cases.forms import (
    BulkReassignForm,
)
from cases.views.common import PAGE_SIZE, CountedPaginator, attach_hours_left
from pae_ops.errors import DomainError
from pae_ops.fast_html import html_join
from pae_ops.roles import Role, has_role, role_required
from pae_ops.selectors import chosen_leader, list_leaders
from pae_ops.timezones import portal_today

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


def _attach_assign_options(cases, users) -> None:
    """Each row's "assign to" options, its assignee selected: built once per
    person here rather than a template loop of the whole team in every row."""
    people = [(user.pk, user.get_full_name() or user.username) for user in users]
    for case in cases:
        case.assign_options = html_join(
            '<option value="{}"{}>{}</option>',
            ((pk, " selected" if pk == case.assignee_id else "", name) for pk, name in people),
        )


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
    page = CountedPaginator(
        queryset,
        PAGE_SIZE,
        count=lambda: selectors.count_board_cases(
            assignee_ids=assignee_ids, now=now, filters=filterset
        ),
    ).get_page(request.GET.get("page"))
    attach_hours_left(page, now=now, spec=selectors.calendar_spec_or_none())
    if scope.can_assign:
        _attach_assign_options(page, users)
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
                assignee_ids=selectors.team_member_ids(request.user),
                now=now,
                filters=filterset,
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
        ngettext(
            "%(count)d case was reassigned.",
            "%(count)d cases were reassigned.",
            len(moved),
        )
        % {"count": len(moved)},
    )
    return redirect(back)
