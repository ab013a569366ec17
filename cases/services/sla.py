"""The SLA sweep: warnings at 75 % and breaches, exactly once per case and window.

What it reads: only the cases that are due. Each case's *next SLA check*
(``SlaCheck``, ``cases.services.sla_next``) is the earliest instant at which
a warning or breach of the case or of one of its later contacts' clocks can
be recorded, kept by the services and by the sweep; no row when nothing
is left. A batch is the cases whose check is ``<= now``, read from the partial
index of that narrow table in (instant, case) order, so a re-run after a
sweep reads an empty range of the index whatever the planner thinks of the
events table.

How it stays exactly-once, however often (or concurrently) it runs (SLA-4),
in two statements per batch:

1. Each batch locks its cases and their checks ``FOR UPDATE SKIP LOCKED``
   (a concurrent sweep skips them) and moves on from the last (instant, id)
   it read; the batch's ids come back as one array literal.
2. One statement does the rest, the events never leaving the database:
   every warning and breach due on the batch's cases and their response
   clocks inserted (``occurred_at`` = the stored deadline, so a sweep that
   was down catches up with the right times), ``ON CONFLICT DO NOTHING`` on
   the unique (case, window, kind, cycle): an event already recorded is
   skipped, and only those recorded here go on; each case's next check
   stored (after ``now``); the breached cases still open escalated, with
   their history rows and ``Escalation`` rows from its ``RETURNING`` (a
   case's row is written only when it escalates, and then as a heap-only
   update: ``Case.status_is_open``); the events' cases added to each
   recipient's digest for this sweep: one notification per person per sweep
   (``SlaDigest``).

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

import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from cases.models import SlaEvent
from cases.services.sla_writes import lock_due_cases, queue_digest_emails, sweep_batch

# The default of settings.SLA_SWEEP_BATCH_SIZE: the lock of a batch is held
# for a fraction of a second.
BATCH_SIZE = 2000
# The default of settings.SLA_SWEEP_WORKERS: a storm is swept by this many
# connections at once (one per core of the database machine is plenty).
WORKERS = 2
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

    def merge(self, other: SweepReport) -> None:
        for (window, kind), count in other.counts.items():
            self.add(window, kind, count)
        self.cases += other.cases

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
    nothing was due. Two statements whatever the batch's size."""
    batch = lock_due_cases(now=now, after=after, batch_size=batch_size)
    if batch is None:
        return None
    for window, kind, count in sweep_batch(batch, now=now):
        report.add(window, kind, count)
    report.cases += batch.count
    return batch.last


def _sweep_from(
    *, now: datetime, after: tuple[datetime | None, int], batch_size: int, report: SweepReport
) -> None:
    """Batches from ``after`` on until nothing is due after the last one read."""
    for _batch in range(MAX_BATCHES):
        last = _sweep_batch(now=now, after=after, batch_size=batch_size, report=report)
        if last is None:
            return
        after = last


def _helper(errors: list[BaseException], kwargs: dict) -> None:
    """A helper thread's batches, on its own connection (closed when it is
    done); its error is kept for :func:`sweep_sla` to raise."""
    try:
        _sweep_from(**kwargs)
    except BaseException as exc:  # raised by sweep_sla once every helper is done
        errors.append(exc)
    finally:
        connections.close_all()


def sweep_sla(
    *, now: datetime | None = None, batch_size: int | None = None, workers: int | None = None
) -> SweepReport:
    """Record every SLA warning and breach that is due, each once; notify.

    Each batch is its own transaction, so a long catch-up holds no lock for
    long and a crash loses nothing (the next run resumes; a digest whose
    sweep died is emailed by the next one). When the first batch is full
    (more is due than one batch holds: a storm, or the catch-up after
    downtime), ``workers - 1`` helper threads, each with its own database
    connection, sweep beside this one (``settings.SLA_SWEEP_WORKERS``,
    default 2: on two cores a storm takes ~40 % less time); they skip each
    other's locked batches as two sweeps do. An error in a helper is raised
    here once all are done. Rules: SLA-4, SLA-3, SEG-7.
    """
    now = now or timezone.now()
    batch_size = batch_size or getattr(settings, "SLA_SWEEP_BATCH_SIZE", BATCH_SIZE)
    workers = workers or getattr(settings, "SLA_SWEEP_WORKERS", WORKERS)
    report = SweepReport()
    last = _sweep_batch(now=now, after=(None, 0), batch_size=batch_size, report=report)
    if last is not None:
        helpers: list[tuple[threading.Thread, SweepReport]] = []
        errors: list[BaseException] = []
        if report.cases >= batch_size:
            for _ in range(workers - 1):
                own = SweepReport()
                kwargs = {"now": now, "after": last, "batch_size": batch_size, "report": own}
                thread = threading.Thread(target=_helper, args=(errors, kwargs), daemon=True)
                thread.start()
                helpers.append((thread, own))
        try:
            _sweep_from(now=now, after=last, batch_size=batch_size, report=report)
        finally:
            for thread, own in helpers:
                thread.join()
                report.merge(own)
        if errors:
            raise errors[0]
    with transaction.atomic():
        queue_digest_emails(swept_at=now, own=report.total > 0)
    return report
