"""The SLA sweep: warnings at 75 % and breaches, exactly once per case and window.

How it stays exactly-once, however often (or concurrently) it runs (SLA-4):

1. Each pass selects, set-based, open cases whose stored instant has passed
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

Each batch is a constant four statements (lock, events, notifications,
escalations with their history), written in SQL from the locked ids: a
catch-up over 100,000 due cases builds no Python object per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from string import Formatter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.models import Case, Escalation, SlaEvent
from clients.models import Client
from pae_ops.models import Notification, Profile
from pae_ops.outbox import Priority, queue_notification_emails

User = get_user_model()

BATCH_SIZE = 1000
# A safety net against a loop that could not make progress.
MAX_BATCHES_PER_PASS = 10_000


@dataclass(frozen=True)
class _Pass:
    window: str
    kind: str
    # The stored instant the event belongs to (its ``occurred_at``).
    at_field: str
    # The stored instant that ends the window (warnings stop once it passed).
    due_field: str


PASSES: tuple[_Pass, ...] = (
    _Pass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.BREACH,
        "first_response_due_at",
        "first_response_due_at",
    ),
    _Pass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.BREACH,
        "resolution_due_at",
        "resolution_due_at",
    ),
    _Pass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.WARNING,
        "first_response_warn_at",
        "first_response_due_at",
    ),
    _Pass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.WARNING,
        "resolution_warn_at",
        "resolution_due_at",
    ),
)


@dataclass
class SweepReport:
    """What one sweep recorded, per window and kind."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, step: _Pass, count: int) -> None:
        key = (str(step.window), str(step.kind))
        self.counts[key] = self.counts.get(key, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {f"{window}_{kind}": count for (window, kind), count in self.counts.items()}


def _candidates(step: _Pass, now: datetime, *, after_pk: int = 0) -> QuerySet[Case]:
    """Open cases after ``after_pk`` whose ``step`` instant has passed with no
    event yet: set-based.

    The events' own ``case_id > after_pk`` lets PostgreSQL start the
    anti-join at the batch (the unique index leads with the case): without
    it, a catch-up whose statistics haven't seen the events it is writing
    compares each batch with every event written so far.
    """
    recorded = SlaEvent.objects.filter(
        case=OuterRef("pk"), case_id__gt=after_pk, window=step.window, kind=step.kind
    )
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        recorded = recorded.filter(cycle=1)
    else:
        recorded = recorded.filter(cycle=OuterRef("sla_cycle"))
    queryset = Case.objects.filter(
        pk__gt=after_pk, status__in=Case.OPEN_STATUSES, **{f"{step.at_field}__lte": now}
    )
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        if step.kind == SlaEvent.Kind.WARNING:
            queryset = queryset.filter(first_responded_at__isnull=True)
        else:
            # Also an answer that came late while the sweep was down.
            queryset = queryset.filter(
                Q(first_responded_at__isnull=True)
                | Q(first_responded_at__gt=F("first_response_due_at"))
            )
    if step.kind == SlaEvent.Kind.WARNING:
        queryset = queryset.filter(**{f"{step.due_field}__gt": now})
    return queryset.filter(~Exists(recorded))


def _title_template(step: _Pass) -> str:
    """The notification title, with ``{number}`` and ``{client}`` placeholders."""
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        if step.kind == SlaEvent.Kind.WARNING:
            return gettext("First response due soon: case #{number} · {client}")
        return gettext("First response overdue: case #{number} · {client}")
    if step.kind == SlaEvent.Kind.WARNING:
        return gettext("Resolution due soon: case #{number} · {client}")
    return gettext("Resolution limit passed: case #{number} · {client}")


def _concat_sql(template: str, columns: dict[str, str]) -> tuple[str, list[str]]:
    """``concat(…)`` of a ``{name}`` template: its literal text as parameters
    (a client's name is never read as a placeholder), its fields as columns."""
    parts: list[str] = []
    params: list[str] = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        if literal:
            parts.append("%s")
            params.append(literal)
        if name is not None:
            parts.append(columns[name])
    return f"concat({', '.join(parts)})", params


def _title_sql(step: _Pass) -> tuple[str, list[str]]:
    """The title in the recipient's language (``p``: the profile, may be NULL)."""
    columns = {"number": "c.id", "client": "cl.name"}
    branches, params = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            sql, literals = _concat_sql(_title_template(step), columns)
        branches.append(f"WHEN %s THEN {sql}")
        params += [code, *literals]
    with translation.override(settings.LANGUAGE_CODE):
        default, literals = _concat_sql(_title_template(step), columns)
    params += literals
    language = "COALESCE(NULLIF(p.language, ''), %s)"
    return (
        f"left(CASE {language} {' '.join(branches)} ELSE {default} END, 200)",
        [settings.LANGUAGE_CODE, *params],
    )


def _record_events(step: _Pass, rows: list[tuple], *, now: datetime) -> list[int]:
    """Insert the batch's events; return the cases that got one (a sweep that
    committed meanwhile already holds the others: the unique constraint skips them)."""
    first_response = step.window == SlaEvent.Window.FIRST_RESPONSE
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaEvent._meta.db_table}
                (case_id, "window", kind, cycle, occurred_at, recorded_at)
            SELECT batch.case_id, %s, %s, batch.cycle, batch.occurred_at, %s
            FROM unnest(%s::bigint[], %s::smallint[], %s::timestamptz[])
                AS batch (case_id, cycle, occurred_at)
            ON CONFLICT DO NOTHING
            RETURNING case_id
            """,  # noqa: S608 (the table's name from its model)
            [
                step.window,
                step.kind,
                now,
                [pk for pk, _cycle, _at in rows],
                [1 if first_response else cycle for _pk, cycle, _at in rows],
                [at for _pk, _cycle, at in rows],
            ],
        )
        return [case_id for (case_id,) in cursor.fetchall()]


def _recipients_sql(step: _Pass, case_ids: list[int]) -> tuple[str, list]:
    """(case, user) pairs: the assignee; for a breach also their leader (SLA-4)
    and the case's watchers (SEG-7). ``UNION`` makes each person once."""
    case, profile = Case._meta.db_table, Profile._meta.db_table
    parts = [
        f"SELECT c.id AS case_id, c.assignee_id AS user_id FROM {case} c"  # noqa: S608
        " WHERE c.id = ANY(%s) AND c.assignee_id IS NOT NULL"
    ]
    if step.kind == SlaEvent.Kind.BREACH:
        parts += [
            f"SELECT c.id, p.leader_id FROM {case} c"  # noqa: S608
            f" JOIN {profile} p ON p.user_id = c.assignee_id"
            " WHERE c.id = ANY(%s) AND p.leader_id IS NOT NULL",
            f"SELECT w.case_id, w.user_id FROM {Case.watchers.through._meta.db_table} w"  # noqa: S608
            " WHERE w.case_id = ANY(%s)",
        ]
    return " UNION ".join(parts), [case_ids] * len(parts)


def _notify(step: _Pass, case_ids: list[int]) -> None:
    """One notification per person and event, in each one's language, in one
    statement; the (recipient, key) constraint makes a re-run write nothing.
    Emailed through the outbox (a breach before routine mail) when the person
    has an address."""
    recipients, recipient_params = _recipients_sql(step, case_ids)
    title, title_params = _title_sql(step)
    marker = 987654321
    url_prefix, url_suffix = reverse("cases:detail", args=[marker]).split(str(marker))
    cycle = "1" if step.window == SlaEvent.Window.FIRST_RESPONSE else "c.sla_cycle"
    sql = (
        f"INSERT INTO {Notification._meta.db_table}"  # noqa: S608 (names from the models)
        " (recipient_id, kind, title, body, url, dedupe_key, created_at)"
        f" SELECT r.user_id, %s, {title}, '', concat(%s::text, c.id, %s::text),"
        f" concat('sla:', c.id, ':', %s::text, ':', %s::text, ':', {cycle}), %s"
        f" FROM ({recipients}) r"
        f" JOIN {Case._meta.db_table} c ON c.id = r.case_id"
        f" JOIN {Client._meta.db_table} cl ON cl.id = c.client_id"
        f" LEFT JOIN {Profile._meta.db_table} p ON p.user_id = r.user_id"
        " ON CONFLICT DO NOTHING RETURNING id"
    )
    params = [
        f"sla-{step.kind}",
        *title_params,
        url_prefix,
        url_suffix,
        step.window,
        step.kind,
        timezone.now(),
        *recipient_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = [pk for (pk,) in cursor.fetchall()]
    priority = Priority.HIGH if step.kind == SlaEvent.Kind.BREACH else Priority.NORMAL
    queue_notification_emails(written, priority=priority)


def _escalate_breached(step: _Pass, case_ids: list[int], *, now: datetime) -> None:
    """SLA-4: a breach marks the case escalated (to the assignee's leader), with a
    history row and an ``Escalation`` row each: one statement.

    Never a bulk change without history: the history rows are written from
    the UPDATE's own ``RETURNING``, so they hold exactly the changed rows.
    """
    with translation.override(settings.LANGUAGE_CODE):
        reason = (
            gettext("First-response SLA breached.")
            if step.window == SlaEvent.Window.FIRST_RESPONSE
            else gettext("Resolution SLA limit breached.")
        )
    history = Case.history.model
    own = [f.column for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    columns = ", ".join(f'"{column}"' for column in own)
    changed_columns = ", ".join(f'changed."{column}"' for column in own)
    at_column = Case._meta.get_field(step.at_field).column
    sql = f"""
        WITH changed AS (
            UPDATE {Case._meta.db_table}
            SET status = %s, escalation_level = GREATEST(escalation_level, %s), updated_at = %s
            WHERE id = ANY(%s) AND status <> %s
            RETURNING *
        ), history AS (
            INSERT INTO {history._meta.db_table}
                ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {changed_columns}, %s, %s, '~', NULL FROM changed
        )
        INSERT INTO {Escalation._meta.db_table}
            (case_id, level, source, escalated_by_id, escalated_to_id, reason, created_at)
        SELECT changed.id, changed.escalation_level, %s, NULL, p.leader_id, %s,
               changed."{at_column}"
        FROM changed LEFT JOIN {Profile._meta.db_table} p ON p.user_id = changed.assignee_id
    """  # noqa: S608 (table and column names from the models)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Case.Status.ESCALATED,
                Case.EscalationLevel.LEADER,
                now,
                case_ids,
                Case.Status.ESCALATED,
                now,
                reason,
                Escalation.Source.SLA_BREACH,
                reason,
            ],
        )


@transaction.atomic
def _sweep_batch(step: _Pass, *, now: datetime, after_pk: int, batch_size: int) -> tuple[int, int]:
    """One bounded batch of one pass; returns (events recorded, last pk seen or 0).

    Four statements whatever the batch's size: lock, events, notifications,
    escalations (breaches).
    """
    # Lock the batch: a concurrent sweep (a second beat, a redelivered task)
    # skips these rows instead of recording the same events again.
    rows = list(
        _candidates(step, now, after_pk=after_pk)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", "sla_cycle", step.at_field)[:batch_size]
    )
    if not rows:
        return 0, 0
    # Under the lock, the events a sweep that committed meanwhile recorded
    # are skipped by the unique constraint: only the cases that got an event
    # here are notified and escalated.
    recorded = _record_events(step, rows, now=now)
    if recorded:
        _notify(step, recorded)
        if step.kind == SlaEvent.Kind.BREACH:
            _escalate_breached(step, recorded, now=now)
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
