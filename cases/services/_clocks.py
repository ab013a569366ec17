"""The clocks the case services move, on a case its caller has locked.

- SLA-3: a pause while the case waits on the client (when the setting is on)
  and, when the wait ends, the paused interval recorded and every deadline
  that was running moved by the business time it took.
- SLA-1: a later contact's response clock (``ResponseClock``): started by an
  inbound contact after the first response, answered by the next outbound
  interaction, stopped when the case ends.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min, Q

from cases.clocks import response_deadlines, shift_for_pause
from cases.models import Case, CasePause, Interaction, ResponseClock, SlaSettings
from cases.selectors import list_case_pauses
from cases.services._common import calendar_spec
from pae_ops.business_hours import CalendarSpec

# The case's stored instants a pause moves, by the window they belong to.
FIRST_RESPONSE_INSTANTS = ("first_response_warn_at", "first_response_due_at")
RESOLUTION_INSTANTS = ("resolution_target_at", "resolution_warn_at", "resolution_due_at")


def pause_clocks(case: Case, *, now: datetime, sla: SlaSettings) -> list[str]:
    """The case begins waiting on the client: its clocks pause when the
    setting is on (SLA-3, default off). Returns the fields changed."""
    if not sla.pause_while_waiting or case.sla_paused_at is not None:
        return []
    case.sla_paused_at = now
    return ["sla_paused_at"]


def resume_clocks(case: Case, *, at: datetime, spec: CalendarSpec | None = None) -> list[str]:
    """The wait is over at ``at``: record the pause and move what was running.

    Every deadline (and warning) of a window that was still running when the
    pause began and that the pause reached moves by the business hours the
    pause took: the first response unless answered before the pause, the
    resolution windows, the later contacts' clocks. Nothing happens without
    a running pause (the setting was off when the wait began), so turning
    the setting off never strands a paused case. The calendar is loaded only
    when there is a pause to end. Returns the fields changed.
    Rules: SLA-3.
    """
    paused_at = case.sla_paused_at
    if paused_at is None:
        return []
    case.sla_paused_at = None
    fields = ["sla_paused_at"]
    if at <= paused_at:
        return fields
    CasePause.objects.create(case=case, started_at=paused_at, ended_at=at)
    spec = spec or calendar_spec()

    def move(instant: datetime) -> datetime:
        return shift_for_pause(instant, paused_at=paused_at, resumed_at=at, spec=spec)

    names = list(RESOLUTION_INSTANTS)
    if case.first_responded_at is None or case.first_responded_at > paused_at:
        names += FIRST_RESPONSE_INSTANTS
    for name in names:
        moved = move(getattr(case, name))
        if moved != getattr(case, name):
            setattr(case, name, moved)
            fields.append(name)

    running = list(
        ResponseClock.objects.filter(case=case, due_at__gt=paused_at)
        .filter(Q(answered_at__isnull=True) | Q(answered_at__gt=paused_at))
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gt=paused_at))
    )
    for clock in running:
        clock.warn_at, clock.due_at = move(clock.warn_at), move(clock.due_at)
    if running:
        ResponseClock.objects.bulk_update(running, ["warn_at", "due_at"])
    return fields


def answer_response_clocks(case: Case, *, at: datetime) -> int:
    """An outbound interaction at ``at`` answers every clock of the case that
    started by then and was not answered (or stopped) earlier. One UPDATE;
    an answer logged late moves an answer instant back. Rules: SLA-1."""
    return (
        ResponseClock.objects.filter(case=case, started_at__lte=at)
        .filter(Q(answered_at__isnull=True) | Q(answered_at__gt=at))
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=at))
        .update(answered_at=at)
    )


def stop_response_clocks(case: Case, *, at: datetime) -> int:
    """The case was resolved or closed: clocks still waiting stop (no breach
    after this). Rules: SLA-1, SLA-4."""
    return ResponseClock.objects.filter(
        case=case, answered_at__isnull=True, stopped_at__isnull=True
    ).update(stopped_at=at)


def start_response_clock(
    case: Case, *, contact: Interaction, spec: CalendarSpec, sla: SlaSettings
) -> ResponseClock | None:
    """An inbound contact on an open case waits for our answer (SLA-1).

    One clock per wait: nothing starts while the first response is pending,
    or while another clock covers the contact's instant (it started earlier
    and is not answered by then). A contact logged late is answered by the
    first outbound interaction after it, if one exists; one that comes
    before a clock started by a later contact of the same wait (no answer in
    between) moves that clock's start back to it.
    Returns the clock started or moved, or None.
    """
    at = contact.occurred_at
    if case.first_responded_at is None or case.first_responded_at >= at:
        return None
    clocks = list(ResponseClock.objects.filter(case=case).order_by("number"))
    for clock in clocks:
        if (
            clock.started_at <= at
            and (clock.answered_at is None or clock.answered_at >= at)
            and (clock.stopped_at is None or clock.stopped_at >= at)
        ):
            return None
    next_answer = Interaction.objects.filter(
        case=case, direction=Interaction.Direction.OUTBOUND, occurred_at__gte=at
    ).aggregate(first=Min("occurred_at"))["first"]
    hours, warn_at, due_at = response_deadlines(
        started_at=at, spec=spec, sla=sla, paused=list_case_pauses(case)
    )
    same_wait = [
        clock
        for clock in clocks
        if clock.started_at > at and (next_answer is None or clock.started_at <= next_answer)
    ]
    if same_wait:
        clock = same_wait[0]
        clock.contact, clock.started_at = contact, at
        clock.hours, clock.warn_at, clock.due_at = hours, warn_at, due_at
        clock.save(update_fields=["contact", "started_at", "hours", "warn_at", "due_at"])
        return clock
    return ResponseClock.objects.create(
        case=case,
        number=max((clock.number for clock in clocks), default=0) + 1,
        contact=contact,
        started_at=at,
        hours=hours,
        warn_at=warn_at,
        due_at=due_at,
        answered_at=next_answer,
    )
