"""The dashboards' tables as header + rows: what the CSV exports write.

The pages render the same data (``kpis.selectors``) with templates; these
builders give each table the same columns for the exports.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kpis.formatting import csv_value
from kpis.selectors import DirectorDashboard, TeamView
from pae_ops.policies import policy_for

DIMENSION_TITLES = {
    "segment": lambda: _("Segment"),
    "partner": lambda: _("Partner"),
    "product": lambda: _("Product"),
    "agent": lambda: _("Agent"),
}


def _policy_name(rule: str) -> str:
    """The policy a figure follows, by name (rule IDs stay in the code)."""
    policy = policy_for(rule)
    return str(policy.name) if policy else ""


def summary_table(data: DirectorDashboard) -> tuple[list, list]:
    header = [
        _("Figure"),
        _("Policy"),
        date_format(data.month, "F Y"),
        date_format(data.year_ago, "F Y"),
        _("Difference"),
    ]
    rows = [
        [
            str(row.figure.label),
            _policy_name(row.figure.rule),
            csv_value(row.value),
            csv_value(row.year_ago),
            "" if row.change is None else row.change,
        ]
        for row in data.summary
    ]
    rows.append([_("Sales growth"), _policy_name("KPI-2"), csv_value(data.growth), "", ""])
    return header, rows


def trend_table(data: DirectorDashboard) -> tuple[list, list]:
    header = [_("Figure"), *(date_format(month, "Y-m") for month in data.months)]
    rows = [
        [str(trend.figure.label), *(csv_value(value) for _month, value in trend.points)]
        for trend in data.trends
    ]
    return header, rows


def breakdown_table(data: DirectorDashboard, name: str) -> tuple[list, list]:
    breakdown = next(item for item in data.breakdowns if item.name == name)
    header = [DIMENSION_TITLES[name](), *(str(figure.label) for figure in breakdown.figures)]
    rows = [
        [row.label, *(csv_value(row.values[figure.key]) for figure in breakdown.figures)]
        for row in breakdown.rows
    ]
    return header, rows


def team_table(data: TeamView) -> tuple[list, list]:
    header = [_("Agent"), *(str(figure.label) for figure in data.figures)]
    rows = [
        [row.label, *(csv_value(row.values[figure.key]) for figure in data.figures)]
        for row in [*data.rows, data.total]
    ]
    return header, rows
