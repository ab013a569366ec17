"""The SLA clocks of a case: computing the stored instants and reading them.

Pure functions over a ``CalendarSpec`` and the SLA numbers: no database
access, so a service or a page loads the calendar and the settings once and
computes any number of clocks with them (BH-1, SLA-1..5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pae_ops.business_hours import (
    CalendarSpec,
    DeadlineExplanation,
    add_business_hours,
    business_hours_between,
    explain_deadline,
)

HUNDRED = Decimal(100)


def warning_hours(hours: Decimal, percent: int) -> Decimal:
    """The business hours after which a window of ``hours`` warns (SLA-4)."""
    return Decimal(hours) * Decimal(percent) / HUNDRED


@dataclass(frozen=True)
class FirstResponseDeadlines:
    first_response_hours: Decimal
    first_response_warn_at: datetime
    first_response_due_at: datetime


@dataclass(frozen=True)
class ResolutionDeadlines:
    resolution_started_at: datetime
    resolution_target_hours: Decimal
    resolution_limit_hours: Decimal
    resolution_target_at: datetime
    resolution_warn_at: datetime
    resolution_due_at: datetime


def first_response_deadlines(
    *, opened_at: datetime, spec: CalendarSpec, sla
) -> FirstResponseDeadlines:
    """SLA-1: 8 business hours (setting) from the opening, warning at 75 %."""
    hours = Decimal(sla.first_response_hours)
    return FirstResponseDeadlines(
        first_response_hours=hours,
        first_response_warn_at=add_business_hours(
            opened_at, warning_hours(hours, sla.warning_percent), spec
        ),
        first_response_due_at=add_business_hours(opened_at, hours, spec),
    )


def resolution_deadlines(*, started_at: datetime, spec: CalendarSpec, sla) -> ResolutionDeadlines:
    """SLA-2: target 48 and limit 72 business hours (settings) from ``started_at``.

    The warning is at 75 % of the limit window, the window whose end is the
    breach (as the first-response warning is 75 % of the window whose end is
    its breach). Between the target and the limit the case is *at risk*.
    """
    target = Decimal(sla.resolution_target_hours)
    limit = Decimal(sla.resolution_limit_hours)
    return ResolutionDeadlines(
        resolution_started_at=started_at,
        resolution_target_hours=target,
        resolution_limit_hours=limit,
        resolution_target_at=add_business_hours(started_at, target, spec),
        resolution_warn_at=add_business_hours(
            started_at, warning_hours(limit, sla.warning_percent), spec
        ),
        resolution_due_at=add_business_hours(started_at, limit, spec),
    )


def follow_up_due(*, last_activity_at: datetime, spec: CalendarSpec, sla) -> datetime:
    """SLA-5: when an open case without new activity joins the no-follow-up list."""
    return add_business_hours(last_activity_at, Decimal(sla.no_follow_up_hours), spec)


# Reading the clocks (the pages) --------------------------------------------


class ClockState:
    MET = "met"
    RUNNING = "running"
    WARNING = "warning"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    STOPPED = "stopped"
    MISSED = "missed"


STATE_LABELS: dict[str, Promise] = {
    ClockState.MET: _("Met"),
    ClockState.RUNNING: _("On time"),
    ClockState.WARNING: _("Warning"),
    ClockState.AT_RISK: _("At risk"),
    ClockState.BREACHED: _("Breached"),
    ClockState.STOPPED: _("Stopped"),
    ClockState.MISSED: _("Target missed"),
}


@dataclass(frozen=True)
class Clock:
    """One SLA deadline of a case as a page shows it (BH-2: with its "why")."""

    key: str
    label: Promise
    start: datetime
    hours: Decimal
    due_at: datetime
    state: str
    # Business hours left (positive) or overdue (negative); None once stopped.
    hours_left: Decimal | None
    stopped_at: datetime | None
    explanation: DeadlineExplanation | None = None

    @property
    def state_label(self) -> Promise:
        return STATE_LABELS[self.state]

    @property
    def overdue_hours(self) -> Decimal | None:
        return -self.hours_left if self.hours_left is not None and self.hours_left < 0 else None

    @property
    def explanation_differs(self) -> bool:
        """The calendar changed since the deadline was stored (the stored one holds)."""
        return self.explanation is not None and self.explanation.deadline != self.due_at


def signed_hours_left(now: datetime, due_at: datetime, spec: CalendarSpec) -> Decimal:
    """Business hours from ``now`` to ``due_at``; negative when overdue."""
    if due_at >= now:
        return business_hours_between(now, due_at, spec)
    return -business_hours_between(due_at, now, spec)


def case_clocks(
    case, *, now: datetime, spec: CalendarSpec | None, explain: bool = False
) -> list[Clock]:
    """The first-response, resolution-target and resolution-limit clocks of ``case``.

    Without a calendar (none is marked default) the states still show, but
    not the business hours left nor the explanation.
    """
    explain = explain and spec is not None
    is_open = case.is_open
    clocks: list[Clock] = []

    fr_stop = case.first_responded_at
    if fr_stop is not None:
        fr_state = ClockState.MET if fr_stop <= case.first_response_due_at else ClockState.BREACHED
    elif not is_open:
        fr_state, fr_stop = ClockState.STOPPED, case.resolved_at or case.closed_at
    elif now >= case.first_response_due_at:
        fr_state = ClockState.BREACHED
    elif now >= case.first_response_warn_at:
        fr_state = ClockState.WARNING
    else:
        fr_state = ClockState.RUNNING
    clocks.append(
        Clock(
            key="first_response",
            label=_("First response"),
            start=case.opened_at,
            hours=case.first_response_hours,
            due_at=case.first_response_due_at,
            state=fr_state,
            hours_left=None
            if fr_stop is not None or spec is None
            else signed_hours_left(now, case.first_response_due_at, spec),
            stopped_at=fr_stop,
            explanation=explain_deadline(case.opened_at, case.first_response_hours, spec)
            if explain
            else None,
        )
    )

    res_stop = case.resolved_at if case.resolved_at else (case.closed_at if not is_open else None)
    for key, label, hours, due_at in (
        (
            "resolution_target",
            _("Resolution target"),
            case.resolution_target_hours,
            case.resolution_target_at,
        ),
        (
            "resolution_limit",
            _("Resolution limit"),
            case.resolution_limit_hours,
            case.resolution_due_at,
        ),
    ):
        if res_stop is not None:
            if res_stop <= due_at:
                state = ClockState.MET
            else:
                # Missing the target is not a breach; only the limit breaches.
                state = ClockState.MISSED if key == "resolution_target" else ClockState.BREACHED
        elif now >= case.resolution_due_at:
            state = ClockState.BREACHED
        elif now >= case.resolution_target_at:
            # Past the 48 h target but not the 72 h limit: at risk (SLA-2).
            state = ClockState.AT_RISK
        elif now >= case.resolution_warn_at:
            state = ClockState.WARNING
        else:
            state = ClockState.RUNNING
        clocks.append(
            Clock(
                key=key,
                label=label,
                start=case.resolution_started_at,
                hours=hours,
                due_at=due_at,
                state=state,
                hours_left=None
                if res_stop is not None or spec is None
                else signed_hours_left(now, due_at, spec),
                stopped_at=res_stop,
                explanation=explain_deadline(case.resolution_started_at, hours, spec)
                if explain
                else None,
            )
        )
    return clocks


def next_deadline(case) -> datetime:
    """The deadline that breaches next: first response until answered, then the limit."""
    if case.first_responded_at is None:
        return case.first_response_due_at
    return case.resolution_due_at
