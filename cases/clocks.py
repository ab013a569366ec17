"""The SLA clocks of a case: computing the stored instants and reading them.

Pure functions over a ``CalendarSpec`` and the SLA numbers: no database
access, so a service or a page loads the calendar and the settings once and
computes any number of clocks with them (BH-1, SLA-1..5).
"""

from __future__ import annotations

from collections.abc import Sequence
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


def response_deadlines(
    *, started_at: datetime, spec: CalendarSpec, sla, paused=()
) -> tuple[Decimal, datetime, datetime]:
    """SLA-1 for a later contact: (hours, warning, deadline) of its answer,
    8 business hours (the first-response setting) from the contact, not
    counting the case's ``paused`` intervals (SLA-3)."""
    hours = Decimal(sla.first_response_hours)
    return (
        hours,
        add_business_hours(
            started_at, warning_hours(hours, sla.warning_percent), spec, paused=paused
        ),
        add_business_hours(started_at, hours, spec, paused=paused),
    )


def shift_for_pause(
    instant: datetime, *, paused_at: datetime, resumed_at: datetime, spec: CalendarSpec
) -> datetime:
    """SLA-3: where a stored instant moves when a pause ends.

    The business hours that were left at the pause's start are counted again
    from its end; an instant the pause did not reach stays. This equals
    counting the window again from its start without the pause (what the
    explanation does), using only the stored instant.
    """
    if instant <= paused_at:
        return instant
    left = business_hours_between(paused_at, instant, spec)
    return add_business_hours(resumed_at, left, spec)


# Reading the clocks (the pages) --------------------------------------------


class ClockState:
    MET = "met"
    RUNNING = "running"
    WARNING = "warning"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    STOPPED = "stopped"
    MISSED = "missed"
    PAUSED = "paused"


STATE_LABELS: dict[str, Promise] = {
    ClockState.MET: _("Met"),
    ClockState.RUNNING: _("On time"),
    ClockState.WARNING: _("Warning"),
    ClockState.AT_RISK: _("At risk"),
    ClockState.BREACHED: _("Breached"),
    ClockState.STOPPED: _("Stopped"),
    ClockState.MISSED: _("Target missed"),
    ClockState.PAUSED: _("Paused"),
}

Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class Clock:
    """One SLA deadline of a case as a page shows it (BH-2: with its "why")."""

    key: str
    label: Promise
    start: datetime
    hours: Decimal
    due_at: datetime
    state: str
    # Business hours left (positive) or overdue (negative); None once
    # stopped. While paused: the hours left when the pause began.
    hours_left: Decimal | None
    stopped_at: datetime | None
    explanation: DeadlineExplanation | None = None
    # SLA-3: the running pause (the deadline moves when it ends).
    paused_since: datetime | None = None

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


@dataclass(frozen=True)
class _Window:
    key: str
    label: Promise
    start: datetime
    hours: Decimal
    due_at: datetime
    # When the window stopped: answered/resolved (``met``), or the case
    # ended without it (``ended``); None while running.
    met_at: datetime | None
    ended_at: datetime | None
    # Running states, in order: (instant, state) from the latest back.
    thresholds: tuple[tuple[datetime, str], ...]
    # What a stop after the deadline is (the 48 h target is only missed).
    late_state: str = ClockState.BREACHED


def _build(
    window: _Window,
    *,
    now: datetime,
    spec: CalendarSpec | None,
    explain: bool,
    paused_at: datetime | None,
    pauses: Sequence[Pause],
) -> Clock:
    hours_left = None
    paused_since = None
    if window.met_at is not None:
        stopped_at = window.met_at
        state = ClockState.MET if stopped_at <= window.due_at else window.late_state
    elif window.ended_at is not None:
        # Ended unanswered: a breach if the deadline had passed by then.
        stopped_at = window.ended_at
        state = window.late_state if stopped_at > window.due_at else ClockState.STOPPED
    else:
        stopped_at = None
        if paused_at is not None and window.due_at > paused_at:
            state, paused_since = ClockState.PAUSED, paused_at
            if spec is not None:
                hours_left = business_hours_between(paused_at, window.due_at, spec)
        else:
            state = next(
                (state for at, state in window.thresholds if now >= at), ClockState.RUNNING
            )
            if spec is not None:
                hours_left = signed_hours_left(now, window.due_at, spec)
    explanation = None
    if explain and spec is not None:
        # The pauses that reached this window (ended before it stopped).
        counted = [p for p in pauses if stopped_at is None or p[0] < stopped_at]
        explanation = explain_deadline(window.start, window.hours, spec, paused=counted)
    return Clock(
        key=window.key,
        label=window.label,
        start=window.start,
        hours=window.hours,
        due_at=window.due_at,
        state=state,
        hours_left=hours_left,
        stopped_at=stopped_at,
        explanation=explanation,
        paused_since=paused_since,
    )


def case_clocks(
    case,
    *,
    now: datetime,
    spec: CalendarSpec | None,
    explain: bool = False,
    response_clock=None,
    pauses: Sequence[Pause] = (),
) -> list[Clock]:
    """The first-response, resolution-target and resolution-limit clocks of
    ``case``, and the latest later-contact ``response_clock`` if given (SLA-1).

    ``pauses`` are the case's ended pauses (SLA-3), for the explanations; a
    running pause (``case.sla_paused_at``) shows the windows it holds as
    *paused*, with the hours they had left. Without a calendar (none is
    marked default) the states still show, but not the business hours left
    nor the explanation.
    """
    ended_at = None if case.is_open else (case.resolved_at or case.closed_at)
    windows = [
        _Window(
            key="first_response",
            label=_("First response"),
            start=case.opened_at,
            hours=case.first_response_hours,
            due_at=case.first_response_due_at,
            met_at=case.first_responded_at,
            ended_at=ended_at,
            thresholds=(
                (case.first_response_due_at, ClockState.BREACHED),
                (case.first_response_warn_at, ClockState.WARNING),
            ),
        )
    ]
    resolution_thresholds = (
        (case.resolution_due_at, ClockState.BREACHED),
        # Past the 48 h target but not the 72 h limit: at risk (SLA-2).
        (case.resolution_target_at, ClockState.AT_RISK),
        (case.resolution_warn_at, ClockState.WARNING),
    )
    resolved = case.resolved_at or (case.closed_at if not case.is_open else None)
    windows += [
        _Window(
            key="resolution_target",
            label=_("Resolution target"),
            start=case.resolution_started_at,
            hours=case.resolution_target_hours,
            due_at=case.resolution_target_at,
            met_at=resolved,
            ended_at=None,
            thresholds=resolution_thresholds,
            # Missing the target is not a breach; only the limit breaches.
            late_state=ClockState.MISSED,
        ),
        _Window(
            key="resolution_limit",
            label=_("Resolution limit"),
            start=case.resolution_started_at,
            hours=case.resolution_limit_hours,
            due_at=case.resolution_due_at,
            met_at=resolved,
            ended_at=None,
            thresholds=resolution_thresholds,
        ),
    ]
    if response_clock is not None:
        windows.append(
            _Window(
                key="response",
                label=_("Answer to the latest contact"),
                start=response_clock.started_at,
                hours=response_clock.hours,
                due_at=response_clock.due_at,
                met_at=response_clock.answered_at,
                ended_at=response_clock.stopped_at,
                thresholds=(
                    (response_clock.due_at, ClockState.BREACHED),
                    (response_clock.warn_at, ClockState.WARNING),
                ),
            )
        )
    return [
        _build(
            window,
            now=now,
            spec=spec,
            explain=explain,
            paused_at=case.sla_paused_at,
            pauses=pauses,
        )
        for window in windows
    ]


def next_deadline(case) -> datetime:
    """The deadline that breaches next: first response until answered, then the limit."""
    if case.first_responded_at is None:
        return case.first_response_due_at
    return case.resolution_due_at
