"""The leader's home ("My team", ``/team/``) and the director's home
("Direction", ``/direction/``): each a cockpit of counts that link to the
filtered lists they count (``kpis.homes``).

ROLE-1: ``/team/`` answers to leaders (their own team's cockpit) and
directors (who read every team there); ``/direction/`` to directors only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kpis import homes
from kpis.figures import Unit
from kpis.formatting import format_change, format_value
from pae_ops import selectors as pae_selectors
from pae_ops.roles import Role, has_role, role_required


@require_GET
@role_required(Role.LEADER, Role.DIRECTOR)
def team(request: HttpRequest) -> HttpResponse:
    """The leader's cockpit: per person of the team, open cases, at risk,
    breached, no follow-up, untyped, this month's typing compliance and
    commission adjustment; the team's totals; what waits for the leader. A
    director (not a leader) reads every team's members here (RULES, Roles)."""
    if has_role(request.user, Role.LEADER):
        data = homes.leader_home(request.user, now=timezone.now())
        return render(request, "kpis/leader_home.html", {"home": data})
    context = {"members": None, "teams": pae_selectors.list_teams_with_members()}
    return render(request, "pae_ops/team.html", context)


@require_GET
@role_required(Role.DIRECTOR)
def direction(request: HttpRequest) -> HttpResponse:
    """The director's cockpit: the month's headline KPIs against the same
    month a year before, her decision queue (REF-3, REF-8), cases by team and
    the partner panel with the onboarding pipeline."""
    data = homes.director_home(now=timezone.now())
    headline = [
        {
            "label": row.figure.label,
            "value": format_value(row.value, row.figure.unit),
            "year_ago": format_value(row.year_ago, row.figure.unit),
            "change": format_change(row.change, row.figure.unit),
        }
        for row in data.headline
    ]
    # The partner panel's figures read as on the KPI pages (same units).
    partners = [
        {
            "partner": row.partner,
            "open_cases": row.open_cases,
            "open_refunds": row.open_refunds,
            "amount_text": format_value(row.refund_amount, Unit.MONEY),
            "csat_text": format_value(row.csat, Unit.PERCENT),
            "nps_text": format_value(row.nps, Unit.POINTS),
        }
        for row in data.partners
    ]
    return render(
        request,
        "kpis/director_home.html",
        {
            "home": data,
            "headline": headline,
            "partners": partners,
            "month_param": f"{data.month:%Y-%m}",
        },
    )
