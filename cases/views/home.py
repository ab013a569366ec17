"""The agent's home ("Mi trabajo")."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import selectors
from cases.views.common import HOME_ROWS, PAGE_SIZE, attach_hours_left
from pae_ops.roles import Role, role_required
from pae_ops.selectors import get_team_leader, list_notifications
from pae_ops.timezones import portal_today

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
    attach_hours_left(page, now=now, spec=spec)
    untyped = selectors.list_untyped_interactions(user)
    untyped_rows = list(untyped[: HOME_ROWS + 1])
    start, end = selectors.month_bounds(portal_today())
    # The typing <select>'s options, rendered once for every untyped row.
    reason_options = (
        render_to_string(
            "cases/partials/_reason_options.html",
            {"reason_groups": selectors.list_reason_choices()},
            request,
        )
        if untyped_rows
        else ""
    )
    return render(
        request,
        "cases/my_work.html",
        {
            "leader": get_team_leader(user),
            "page_obj": page,
            "untyped": untyped_rows[:HOME_ROWS],
            "untyped_more": len(untyped_rows) > HOME_ROWS,
            "reason_options": reason_options,
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
