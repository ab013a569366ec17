"""The SLA sweep: warnings at 75 % and breaches, exactly once per case and window.

How it stays exactly-once, however often (or concurrently) it runs (SLA-4):

1. Each pass selects, set-based, cases whose stored instant has passed
   and that have no ``SlaEvent`` of that window, kind and cycle yet, in
   primary-key order, ``batch_size`` at a time, and locks them with
   ``FOR UPDATE SKIP LOCKED`` (a concurrent sweep skips them).
2. It inserts the events (``occurred_at`` = the stored deadline, so a sweep
   that was down catches up with the right times) with ``ON CONFLICT DO
   NOTHING`` on the unique (case, window, kind, cycle): a sweep that
   committed the same event between this one's snapshot and its lock is
   skipped, and what comes back are the cases that got their event here.
3. Only those are notified and escalated, in the same transaction.

A warning whose deadline has already passed when the sweep sees it is not
sent: the breach says more. Breaches notify the assignee, their leader and
the case's watchers (SEG-7), and mark the case escalated with history
rows and an ``Escalation`` row.

Which deadlines it reads (SLA-4 catch-up): every case that was still open
at the deadline, whether it is open now or was answered, resolved or closed
after it (``cases.models.ended_after``: two breach passes of their own,
each on its partial index), so a case settled late while the sweep was down
still gets its breach, at the deadline's time, and its notices; only a case
still open is escalated. Warnings go to open cases only. Later contacts'
response clocks (``ResponseClock``, SLA-1) have two passes of their own,
their number being the events' cycle. A case whose clocks are paused
(SLA-3) records nothing due after the pause began.

Each batch is a constant four statements (lock, events, notifications,
escalations with their history), written in SQL from the locked ids
(``cases.services.sla_writes``): a catch-up over 100,000 due cases builds no
Python object per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cases.models import (
    Case,
    ResponseClock,
    SlaEvent,
    ended_after,
    response_clock_unsettled,
)
from cases.services.sla_writes import escalate_breached, notify_recorded, record_events

BATCH_SIZE = 1000
# A safety net against a loop that could not make progress.
MAX_BATCHES_PER_PASS = 10_000


@dataclass(frozen=True)
class SweepPass:
    window: str
    kind: str
    # The stored instant the event belongs to (its ``occurred_at``).
    at_field: str
    # The stored instant that ends the window (warnings stop once it passed).
    due_field: str
    # A breach pass over the cases that ended (resolved or closed) after the
    # deadline, rather than the open ones: its own pass so that each reads
    # its own partial index (an OR of the two makes the planner walk every
    # case).
    ended: bool = False

    @property
    def on_clocks(self) -> bool:
        """A later contact's response clock (its own table), not the case's row."""
        return self.window == SlaEvent.Window.RESPONSE


PASSES: tuple[SweepPass, ...] = (
    SweepPass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.BREACH,
        "first_response_due_at",
        "first_response_due_at",
    ),
    SweepPass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.BREACH,
        "resolution_due_at",
        "resolution_due_at",
    ),
    # SLA-4 catch-up: cases answered, resolved or closed after the deadline
    # while the sweep was down.
    SweepPass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.BREACH,
        "first_response_due_at",
        "first_response_due_at",
        ended=True,
    ),
    SweepPass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.BREACH,
        "resolution_due_at",
        "resolution_due_at",
        ended=True,
    ),
    SweepPass(SlaEvent.Window.RESPONSE, SlaEvent.Kind.BREACH, "due_at", "due_at"),
    SweepPass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.WARNING,
        "first_response_warn_at",
        "first_response_due_at",
    ),
    SweepPass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.WARNING,
        "resolution_warn_at",
        "resolution_due_at",
    ),
    SweepPass(SlaEvent.Window.RESPONSE, SlaEvent.Kind.WARNING, "warn_at", "due_at"),
)


@dataclass
class SweepReport:
    """What one sweep recorded, per window and kind."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, step: SweepPass, count: int) -> None:
        key = (str(step.window), str(step.kind))
        self.counts[key] = self.counts.get(key, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {f"{window}_{kind}": count for (window, kind), count in self.counts.items()}


def _candidates(step: SweepPass, now: datetime, *, after_pk: int = 0) -> QuerySet:
    """What ``step`` records after ``after_pk``: set-based.

    Cases (or, for a later contact, response clocks) whose ``step`` instant
    has passed with no event yet. A breach is read from the open cases, or
    (``step.ended``) from those that ended after the deadline (SLA-4
    catch-up: they were open at it); a warning only from open cases whose
    window is still running. A paused case (SLA-3) gives only the instants
    that passed before the pause.

    The events' own ``case_id > after_pk`` lets PostgreSQL start the
    anti-join at the batch (the unique index leads with the case): without
    it, a catch-up whose statistics haven't seen the events it is writing
    compares each batch with every event written so far.
    """
    if step.on_clocks:
        return _clock_candidates(step, now, after_pk=after_pk)
    recorded = SlaEvent.objects.filter(
        case=OuterRef("pk"), case_id__gt=after_pk, window=step.window, kind=step.kind
    )
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        recorded = recorded.filter(cycle=1)
    else:
        recorded = recorded.filter(cycle=OuterRef("sla_cycle"))
    queryset = Case.objects.filter(
        Q(sla_paused_at__isnull=True) | Q(**{f"{step.at_field}__lte": F("sla_paused_at")}),
        pk__gt=after_pk,
        **{f"{step.at_field}__lte": now},
    )
    if step.kind == SlaEvent.Kind.WARNING:
        queryset = queryset.filter(status__in=Case.OPEN_STATUSES, **{f"{step.due_field}__gt": now})
    elif step.ended:
        # Open at the deadline, resolved or closed after it (catch-up).
        queryset = queryset.filter(ended_after(step.at_field))
    else:
        queryset = queryset.filter(status__in=Case.OPEN_STATUSES)
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        if step.kind == SlaEvent.Kind.WARNING:
            queryset = queryset.filter(first_responded_at__isnull=True)
        else:
            # Also an answer that came late while the sweep was down.
            queryset = queryset.filter(
                Q(first_responded_at__isnull=True)
                | Q(first_responded_at__gt=F("first_response_due_at"))
            )
    queryset = queryset.filter(~Exists(recorded))
    if step.ended:
        return Case.objects.filter(pk__gt=after_pk, pk__in=_planned_apart(queryset))
    return queryset


def _planned_apart(queryset: QuerySet[Case]) -> RawSQL:
    """The ids of ``queryset`` as a subquery PostgreSQL plans on its own.

    ``OFFSET 0`` keeps the planner from folding it into the outer
    ``ORDER BY id LIMIT``: it cannot tell how few cases ended after a
    deadline (a comparison of two columns), so folded it walks every case
    in id order; apart, it reads the partial index of the cases that ended
    late (``cases_case_*_ended_late_idx``) and the outer query merges the
    few ids it finds.
    """
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return RawSQL(f"{sql} OFFSET 0", params)  # noqa: S611 (SQL compiled by the ORM)


def _clock_candidates(step: SweepPass, now: datetime, *, after_pk: int) -> QuerySet[ResponseClock]:
    """Response clocks of later contacts (SLA-1) whose ``step`` instant has
    passed with no event of their number yet. A clock is stopped when its
    case ends, so "open at the deadline" is "not answered or stopped by it"."""
    recorded = SlaEvent.objects.filter(
        case=OuterRef("case_id"), window=step.window, kind=step.kind, cycle=OuterRef("number")
    )
    queryset = ResponseClock.objects.filter(
        Q(case__sla_paused_at__isnull=True)
        | Q(**{f"{step.at_field}__lte": F("case__sla_paused_at")}),
        pk__gt=after_pk,
        **{f"{step.at_field}__lte": now},
    )
    if step.kind == SlaEvent.Kind.WARNING:
        queryset = queryset.filter(
            answered_at__isnull=True,
            stopped_at__isnull=True,
            case__status__in=Case.OPEN_STATUSES,
            due_at__gt=now,
        )
    else:
        queryset = queryset.filter(response_clock_unsettled())
    return queryset.filter(~Exists(recorded))


def _lock_batch(step: SweepPass, now: datetime, *, after_pk: int, batch_size: int) -> list[tuple]:
    """The batch's (key, case, cycle, instant) rows, their cases locked.

    A concurrent sweep (a second beat, a redelivered task) skips the locked
    cases instead of recording the same events again. Response clocks lock
    their case too: services lock the case before its clocks, and so must
    the sweep, which then updates the case (escalation).
    """
    candidates = _candidates(step, now, after_pk=after_pk).order_by("pk")
    if step.on_clocks:
        # ``of`` needs the case joined as a model (not ``values_list``); a
        # batch of clocks is small beside the cases.
        clocks = (
            candidates.select_related("case")
            .select_for_update(skip_locked=True, of=("case",))
            .only("number", step.at_field, "case__id")[:batch_size]
        )
        return [(c.pk, c.case_id, c.number, getattr(c, step.at_field)) for c in clocks]
    first_response = step.window == SlaEvent.Window.FIRST_RESPONSE
    return [
        (pk, pk, 1 if first_response else cycle, at)
        for pk, cycle, at in candidates.select_for_update(
            skip_locked=True, of=("self",)
        ).values_list("pk", "sla_cycle", step.at_field)[:batch_size]
    ]


@transaction.atomic
def _sweep_batch(
    step: SweepPass, *, now: datetime, after_pk: int, batch_size: int
) -> tuple[int, int]:
    """One bounded batch of one pass; returns (events recorded, last key seen or 0).

    Four statements whatever the batch's size: lock, events, notifications,
    escalations (breaches).
    """
    rows = _lock_batch(step, now, after_pk=after_pk, batch_size=batch_size)
    if not rows:
        return 0, 0
    # Under the lock, the events a sweep that committed meanwhile recorded
    # are skipped by the unique constraint: only the cases that got an event
    # here are notified and escalated.
    recorded = record_events(step, rows, now=now)
    if recorded:
        notify_recorded(step, recorded)
        if step.kind == SlaEvent.Kind.BREACH:
            escalate_breached(step, recorded, now=now)
    return len(recorded), rows[-1][0]


def sweep_sla(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Record every SLA warning and breach that is due, each once; notify.

    Each batch is its own transaction, so a long catch-up holds no lock for
    long and a crash loses nothing (the next run resumes). Rules: SLA-4,
    SEG-7.
    """
    now = now or timezone.now()
    report = SweepReport()
    for step in PASSES:
        after_pk = 0
        for _batch in range(MAX_BATCHES_PER_PASS):
            recorded, after_pk = _sweep_batch(
                step, now=now, after_pk=after_pk, batch_size=batch_size
            )
            report.add(step, recorded)
            if not after_pk:
                break
    return report
