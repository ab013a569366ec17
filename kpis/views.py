"""The KPI pages: the dashboard, the leader's team view, and their CSV exports.

Views parse the filters, call one selector and render (or export) it.
ROLE-1: the dashboard and its exports answer to directors (every figure)
and leaders (their team's figures only, RULES "KPIs"); the team view to
leaders (their own team: asking for another leader's team answers 403) and
directors (any leader's team). Agents, admins and partner approvers get 403.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kpis import pages, selectors, tables
from kpis.exports import csv_response
from kpis.forms import KpiFilterForm
from pae_ops.errors import ActRefused
from pae_ops.roles import Role, has_role, role_required

DASHBOARD_TABLES = ("summary", "trend", "segment", "partner", "product", "agent")


def _dashboard(request: HttpRequest):
    """The form and the figures; a leader's (not a director's) are scoped to
    their team (RULES, KPIs): the agent filter offers the team only, and
    every figure counts only the team's agents."""
    user = request.user
    team = None if has_role(user, Role.DIRECTOR) else selectors.team_agents(user)
    choices = selectors.filter_choices(team)
    form = KpiFilterForm(
        request.GET or None, choices=choices, default_month=selectors.default_month()
    )
    query = form.query()
    filters = query.filters
    if team is not None:
        filters = selectors.scoped_to_team(filters, tuple(pk for pk, _name in choices.agents))
    data = selectors.director_dashboard(month=query.month, filters=filters, labels=choices.labels())
    data.extra["team_scope"] = team is not None
    return form, data


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every figure of a month against the same month a year before, the
    12-month trends, and the breakdowns (KPI-1…KPI-8); a leader's counts only
    their team."""
    form, data = _dashboard(request)
    return render(
        request,
        "kpis/dashboard.html",
        {
            "form": form,
            "data": data,
            "page": pages.dashboard_page(data),
            "filter_fields": pages.filter_fields(form),
            "growth_head": pages.growth_head(data),
            "query_string": request.GET.urlencode(),
        },
    )


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the dashboard as CSV, for the filters in the query string
    (a leader's: their team's figures, as on their dashboard)."""
    if table not in DASHBOARD_TABLES:
        raise Http404
    _form, data = _dashboard(request)
    if table == "summary":
        header, rows = tables.summary_table(data)
    elif table == "trend":
        header, rows = tables.trend_table(data)
    else:
        header, rows = tables.breakdown_table(data, table)
    return csv_response(f"kpis-{table}-{data.month:%Y-%m}.csv", header, rows)


def _team(request: HttpRequest):
    """The leader whose team is shown, the leaders a director may choose, the view."""
    user = request.user
    asked = request.GET.get("leader", "")
    leaders = []
    if has_role(user, Role.DIRECTOR):
        leaders = list(selectors.list_leaders())
        leader = next((item for item in leaders if str(item.pk) == asked), None)
        if leader is None:
            leader = user if has_role(user, Role.LEADER) else (leaders[0] if leaders else None)
    else:
        # ROLE-1: a leader sees their own team only.
        if asked and asked != str(user.pk):
            raise ActRefused(_("A leader reads their own team's figures only."), rule="ROLE-1")
        leader = user
    agents = selectors.team_agents(leader) if leader is not None else selectors.User.objects.none()
    choices = selectors.filter_choices(agents, products=False)
    form = KpiFilterForm(
        request.GET or None,
        choices=choices,
        default_month=selectors.default_month(),
        products=False,
    )
    query = form.query()
    data = selectors.team_view(month=query.month, agents=choices.agents, filters=query.filters)
    return form, data, leader, leaders


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def team(request: HttpRequest) -> HttpResponse:
    """A leader's team: service levels, typing compliance and commission
    adjustment, CSAT and rescue success per agent (KPI-4, KPI-7, TYP-3, TYP-4)."""
    form, data, leader, leaders = _team(request)
    return render(
        request,
        "kpis/team.html",
        {
            "form": form,
            "data": data,
            "leader": leader,
            "leaders": leaders,
            "page": pages.team_page(data),
            "filter_fields": pages.filter_fields(form),
            "query_string": request.GET.urlencode(),
        },
    )


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def team_export(request: HttpRequest) -> HttpResponse:
    _form, data, leader, _leaders = _team(request)
    header, rows = tables.team_table(data)
    suffix = f"-{leader.username}" if leader is not None else ""
    return csv_response(f"kpis-team{suffix}-{data.month:%Y-%m}.csv", header, rows)
