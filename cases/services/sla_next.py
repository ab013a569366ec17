"""SLA-4: a case's "next SLA check at", the earliest instant the sweep has
something to check on it.

One SQL expression (``next_check_sql``) says it for a case row ``c``: the
earliest stored instant among the warnings and breaches that the case's
state can still produce and that have no ``SlaEvent`` yet —

- the first-response warning (open, unanswered, its deadline not passed at
  ``now``) and breach (not answered by the deadline, and open at it: open
  now, or resolved or closed after it, the catch-up);
- the resolution warning and limit of the current cycle, likewise;
- each later contact's clock (``ResponseClock``): its warning while it
  waits, its breach unless answered or stopped by its deadline;
- while the clocks are paused (SLA-3), only instants from before the pause.

NULL when nothing is left. ``after`` keeps only instants later than it: the
sweep, which has just recorded everything due up to ``now``, stores the
next one after ``now``; the services (``refresh_next_sla_check``) store the
earliest of any time, so a state that makes a past deadline count (a late
answer, a reopening, a resolution after a deadline while the sweep was
down) is swept at once. Stored in ``SlaCheck``: one row per case with
something left to check, none when nothing is left. Rules: SLA-1..4.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from cases.models import Case, ResponseClock, SlaCheck, SlaEvent

# The case row ``c`` is open (one of Case.OPEN_STATUSES, the generated column).
OPEN = "c.status_is_open"
# Far in the past: "any time" for the services.
NO_LIMIT = "-infinity"


def ended_after_sql(column: str) -> str:
    """The case row ``c`` ended (resolved, or closed unresolved) after its ``column``."""
    return f"(c.resolved_at > c.{column} OR (c.resolved_at IS NULL AND c.closed_at > c.{column}))"


def not_paused_by_sql(instant: str, paused: str = "c.sla_paused_at") -> str:
    """``instant`` is not after the pause of the case row ``c`` (SLA-3)."""
    return f"({paused} IS NULL OR {instant} <= {paused})"


def _no_event(window: str, kind: str, cycle: str, case: str = "c.id") -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM {SlaEvent._meta.db_table} e"  # noqa: S608 (model names)
        f" WHERE e.case_id = {case} AND e.\"window\" = '{window}' AND e.kind = '{kind}'"
        f" AND e.cycle = {cycle})"
    )


def next_check_sql() -> str:
    """The expression for a case row ``c``; parameters ``%(after)s`` and
    ``%(now)s`` (timestamps)."""
    after, now = "%(after)s::timestamptz", "%(now)s::timestamptz"
    fr_warning = (
        f"CASE WHEN {OPEN} AND c.first_responded_at IS NULL"
        f" AND c.first_response_warn_at > {after} AND c.first_response_due_at > {now}"
        f" AND {not_paused_by_sql('c.first_response_warn_at')}"
        f" AND {_no_event('first_response', 'warning', '1')}"
        " THEN c.first_response_warn_at END"
    )
    fr_breach = (
        f"CASE WHEN c.first_response_due_at > {after}"
        " AND (c.first_responded_at IS NULL OR c.first_responded_at > c.first_response_due_at)"
        f" AND ({OPEN} OR {ended_after_sql('first_response_due_at')})"
        f" AND {not_paused_by_sql('c.first_response_due_at')}"
        f" AND {_no_event('first_response', 'breach', '1')}"
        " THEN c.first_response_due_at END"
    )
    res_warning = (
        f"CASE WHEN {OPEN} AND c.resolution_warn_at > {after}"
        f" AND c.resolution_due_at > {now}"
        f" AND {not_paused_by_sql('c.resolution_warn_at')}"
        f" AND {_no_event('resolution', 'warning', 'c.sla_cycle')}"
        " THEN c.resolution_warn_at END"
    )
    res_breach = (
        f"CASE WHEN c.resolution_due_at > {after}"
        f" AND ({OPEN} OR {ended_after_sql('resolution_due_at')})"
        f" AND {not_paused_by_sql('c.resolution_due_at')}"
        f" AND {_no_event('resolution', 'breach', 'c.sla_cycle')}"
        " THEN c.resolution_due_at END"
    )
    clocks = (
        "(SELECT min(LEAST("  # noqa: S608 (table names from the models)
        f"CASE WHEN {OPEN} AND rc.answered_at IS NULL AND rc.stopped_at IS NULL"
        f" AND rc.warn_at > {after} AND rc.due_at > {now}"
        f" AND {not_paused_by_sql('rc.warn_at')}"
        f" AND {_no_event('response', 'warning', 'rc.number')} THEN rc.warn_at END,"
        f" CASE WHEN rc.due_at > {after}"
        " AND (rc.answered_at IS NULL OR rc.answered_at > rc.due_at)"
        " AND (rc.stopped_at IS NULL OR rc.stopped_at > rc.due_at)"
        f" AND {not_paused_by_sql('rc.due_at')}"
        f" AND {_no_event('response', 'breach', 'rc.number')} THEN rc.due_at END))"
        f" FROM {ResponseClock._meta.db_table} rc WHERE rc.case_id = c.id)"
    )
    return f"LEAST({fr_warning}, {fr_breach}, {res_warning}, {res_breach}, {clocks})"


def refresh_sql(where: str) -> str:
    """The statement storing the next check of the cases ``where`` selects
    (a condition on ``c``): a case's first check adds its row, a row whose
    value does not change is not written, and a case with nothing left to
    check loses its row."""
    case, check = Case._meta.db_table, SlaCheck._meta.db_table
    return (
        f"WITH v AS (SELECT c.id, {next_check_sql()} AS at"  # noqa: S608 (model names)
        f" FROM {case} c WHERE {where}),"
        f" stored AS (INSERT INTO {check} AS s (case_id, at)"
        " SELECT id, at FROM v WHERE at IS NOT NULL"
        " ON CONFLICT (case_id) DO UPDATE SET at = excluded.at"
        " WHERE s.at IS DISTINCT FROM excluded.at)"
        f" DELETE FROM {check} s USING v WHERE s.case_id = v.id AND v.at IS NULL"
    )


def refresh_next_sla_check(case_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Store the next SLA check of these cases (one statement, any number).

    Called by the services that change many cases at once (the rescue
    escalation sweep); one case: :func:`refresh_case`. Rules: SLA-4.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            refresh_sql("c.id = ANY(%(ids)s)"),
            {"after": NO_LIMIT, "now": now or timezone.now(), "ids": ids},
        )


def refresh_case(case: Case, *, now: datetime | None = None) -> None:
    """Store the next SLA check of ``case`` (one statement).

    Called by every service that changes what the sweep checks, after its
    own writes: opening, reopening, an interaction (first response, a later
    contact's clock or its answer, the end of a wait), waiting on the client
    and resuming (SLA-3), escalating, resolving and closing. Rules: SLA-4.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            refresh_sql("c.id = %(id)s"),
            {"after": NO_LIMIT, "now": now or timezone.now(), "id": case.pk},
        )


def next_check_of(case: Case | int) -> datetime | None:
    """The stored next SLA check of a case (None: nothing left to check)."""
    case_id = getattr(case, "pk", case)
    return SlaCheck.objects.filter(case_id=case_id).values_list("at", flat=True).first()
