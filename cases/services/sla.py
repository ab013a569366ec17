"""The SLA sweep: warnings at 75 % and breaches, exactly once per case and window.

What it reads: only the cases that are due. Each case's *next SLA check*
(``SlaCheck``, ``cases.services.sla_next``) is the earliest instant at which
a warning or breach of the case or of one of its later contacts' clocks can
be recorded, kept by the services and by the sweep; NULL when nothing is
left. A batch is the cases whose check is ``<= now``, read from the partial
index of that narrow table in (instant, case) order, so a re-run after a
sweep reads an empty range of the index whatever the planner thinks of the
events table.

How it stays exactly-once, however often (or concurrently) it runs (SLA-4):

1. Each batch locks its cases and their checks ``FOR UPDATE SKIP LOCKED``
   (a concurrent sweep skips them) and moves on from the last (instant, id)
   it read.
2. One ``INSERT … SELECT`` writes every warning and breach due on the
   batch's cases and their response clocks (``occurred_at`` = the stored
   deadline, so a sweep that was down catches up with the right times),
   ``ON CONFLICT DO NOTHING`` on the unique (case, window, kind, cycle): an
   event already recorded is skipped, and what comes back are the events
   recorded here.
3. One statement stores each case's next check (after ``now``) and
   escalates the breached cases still open, with their history rows and
   ``Escalation`` rows from its ``RETURNING``. A case's row is written only
   when it escalates, and then as a heap-only update (its status moves
   between open statuses; no indexed value changes: ``Case.status_is_open``).
4. One statement adds those events' cases to each recipient's digest for
   this sweep: one notification per person per sweep (``SlaDigest``).

At the end one statement queues the email of each digest of this sweep
(and of an earlier sweep that died before it got there).

A warning whose deadline has already passed when the sweep sees it is not
sent: the breach says more. Breaches notify the assignee, their leader and
the case's watchers (SEG-7); warnings the assignee. Every case that was
still open at a deadline is read (SLA-4 catch-up): open now, or answered,
resolved or closed after it; only a case still open is escalated. A case
whose clocks are paused (SLA-3) records nothing due after the pause began.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import SlaEvent
from cases.services.sla_writes import (
    escalate_and_reschedule,
    lock_due_cases,
    queue_digest_emails,
    record_due_events,
    write_digests,
)

# The default of settings.SLA_SWEEP_BATCH_SIZE: the lock of a batch is held
# for a fraction of a second.
BATCH_SIZE = 2000
# A safety net against a loop that could not make progress.
MAX_BATCHES = 100_000
WINDOWS = (
    (SlaEvent.Window.FIRST_RESPONSE, SlaEvent.Kind.BREACH),
    (SlaEvent.Window.RESOLUTION, SlaEvent.Kind.BREACH),
    (SlaEvent.Window.RESPONSE, SlaEvent.Kind.BREACH),
    (SlaEvent.Window.FIRST_RESPONSE, SlaEvent.Kind.WARNING),
    (SlaEvent.Window.RESOLUTION, SlaEvent.Kind.WARNING),
    (SlaEvent.Window.RESPONSE, SlaEvent.Kind.WARNING),
)


@dataclass
class SweepReport:
    """What one sweep recorded, per window and kind."""

    counts: dict[tuple[str, str], int] = field(
        default_factory=lambda: {(str(w), str(k)): 0 for w, k in WINDOWS}
    )
    cases: int = 0

    def add(self, window: str, kind: str, count: int = 1) -> None:
        key = (str(window), str(kind))
        self.counts[key] = self.counts.get(key, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {f"{window}_{kind}": count for (window, kind), count in self.counts.items()}


@transaction.atomic
def _sweep_batch(
    *, now: datetime, after: tuple[datetime | None, int], batch_size: int, report: SweepReport
) -> tuple[datetime, int] | None:
    """One bounded batch; returns the last (instant, id) read, or None when
    nothing was due. Four statements whatever the batch's size."""
    rows = lock_due_cases(now=now, after=after, batch_size=batch_size)
    if not rows:
        return None
    case_ids = [case_id for _at, case_id in rows]
    events = record_due_events(case_ids, now=now)
    escalate_and_reschedule(case_ids, events, now=now)
    if events:
        write_digests(events, swept_at=now)
    for _id, _case_id, window, kind, _cycle, _at in events:
        report.add(window, kind)
    report.cases += len(rows)
    return rows[-1]


def sweep_sla(*, now: datetime | None = None, batch_size: int | None = None) -> SweepReport:
    """Record every SLA warning and breach that is due, each once; notify.

    Each batch is its own transaction, so a long catch-up holds no lock for
    long and a crash loses nothing (the next run resumes; a digest whose
    sweep died is emailed by the next one). Rules: SLA-4, SLA-3, SEG-7.
    """
    now = now or timezone.now()
    batch_size = batch_size or getattr(settings, "SLA_SWEEP_BATCH_SIZE", BATCH_SIZE)
    report = SweepReport()
    after: tuple[datetime | None, int] = (None, 0)
    for _batch in range(MAX_BATCHES):
        last = _sweep_batch(now=now, after=after, batch_size=batch_size, report=report)
        if last is None:
            break
        after = last
    with transaction.atomic():
        queue_digest_emails(swept_at=now, own=report.total > 0)
    return report
