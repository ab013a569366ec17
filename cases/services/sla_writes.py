"""The SLA sweep's writes: events, notifications and escalations, in SQL.

Each is one statement for a whole batch, built from the rows the sweep
locked (``cases.services.sla``): the events with ``ON CONFLICT DO NOTHING``
on their unique key, the notifications from exactly the events inserted
(each in its recipient's language, deduplicated per case, window, kind and
cycle), and the escalations of the cases still open, with their history
rows from the ``UPDATE``'s own ``RETURNING``. Rules: SLA-4, SEG-7.
"""

from __future__ import annotations

from datetime import datetime
from string import Formatter
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.models import Case, Escalation, SlaEvent
from clients.models import Client
from pae_ops.models import Notification, Profile
from pae_ops.outbox import Priority, queue_notification_emails

if TYPE_CHECKING:
    from cases.services.sla import SweepPass


# Not yet escalated and still open: what a breach escalates.
ESCALATABLE = [Case.Status.NEW, Case.Status.IN_PROGRESS, Case.Status.WAITING_ON_CLIENT]


def _title_template(step: SweepPass) -> str:
    """The notification title, with ``{number}`` and ``{client}`` placeholders."""
    if step.on_clocks:
        if step.kind == SlaEvent.Kind.WARNING:
            return gettext("Answer to the client due soon: case #{number} · {client}")
        return gettext("Answer to the client overdue: case #{number} · {client}")
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


def _title_sql(step: SweepPass) -> tuple[str, list[str]]:
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


def record_events(step: SweepPass, rows: list[tuple], *, now: datetime) -> list[tuple]:
    """Insert the batch's events; return the (case, cycle, instant) of those
    inserted here (a sweep that committed meanwhile already holds the
    others: the unique constraint skips them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaEvent._meta.db_table}
                (case_id, "window", kind, cycle, occurred_at, recorded_at)
            SELECT batch.case_id, %s, %s, batch.cycle, batch.occurred_at, %s
            FROM unnest(%s::bigint[], %s::smallint[], %s::timestamptz[])
                AS batch (case_id, cycle, occurred_at)
            ON CONFLICT DO NOTHING
            RETURNING case_id, cycle, occurred_at
            """,  # noqa: S608 (the table's name from its model)
            [
                step.window,
                step.kind,
                now,
                [case_id for _key, case_id, _cycle, _at in rows],
                [cycle for _key, _case_id, cycle, _at in rows],
                [at for _key, _case_id, _cycle, at in rows],
            ],
        )
        return cursor.fetchall()


def _recipients_sql(step: SweepPass, case_ids: list[int]) -> tuple[str, list]:
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


def notify_recorded(step: SweepPass, recorded: list[tuple]) -> None:
    """One notification per person and event, in each one's language, in one
    statement; the (recipient, key) constraint makes a re-run write nothing.
    Emailed through the outbox (a breach before routine mail) when the person
    has an address."""
    case_ids = sorted({case_id for case_id, _cycle, _at in recorded})
    recipients, recipient_params = _recipients_sql(step, case_ids)
    title, title_params = _title_sql(step)
    marker = 987654321
    url_prefix, url_suffix = reverse("cases:detail", args=[marker]).split(str(marker))
    sql = (
        f"INSERT INTO {Notification._meta.db_table}"  # noqa: S608 (names from the models)
        " (recipient_id, kind, title, body, url, dedupe_key, created_at)"
        f" SELECT r.user_id, %s, {title}, '', concat(%s::text, c.id, %s::text),"
        " concat('sla:', c.id, ':', %s::text, ':', %s::text, ':', e.cycle), %s"
        " FROM unnest(%s::bigint[], %s::smallint[]) AS e (case_id, cycle)"
        f" JOIN ({recipients}) r ON r.case_id = e.case_id"
        f" JOIN {Case._meta.db_table} c ON c.id = e.case_id"
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
        [case_id for case_id, _cycle, _at in recorded],
        [cycle for _case_id, cycle, _at in recorded],
        *recipient_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = [pk for (pk,) in cursor.fetchall()]
    priority = Priority.HIGH if step.kind == SlaEvent.Kind.BREACH else Priority.NORMAL
    queue_notification_emails(written, priority=priority)


def escalate_breached(step: SweepPass, recorded: list[tuple], *, now: datetime) -> None:
    """SLA-4: a breach marks the case escalated (to the assignee's leader), with a
    history row and an ``Escalation`` row each (at the breach's instant): one
    statement. Only a case still open and not yet escalated changes; a case
    whose clocks are paused (SLA-3) keeps waiting on the client and gets the
    level and the record (its status is the client's turn).

    Never a bulk change without history: the history rows are written from
    the UPDATE's own ``RETURNING``, so they hold exactly the changed rows.
    """
    with translation.override(settings.LANGUAGE_CODE):
        if step.on_clocks:
            reason = gettext("SLA for answering a later contact breached.")
        elif step.window == SlaEvent.Window.FIRST_RESPONSE:
            reason = gettext("First-response SLA breached.")
        else:
            reason = gettext("Resolution SLA limit breached.")
    history = Case.history.model
    own = [f.column for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    columns = ", ".join(f'"{column}"' for column in own)
    changed_columns = ", ".join(f'changed."{column}"' for column in own)
    sql = f"""
        WITH batch AS (
            SELECT case_id, min(occurred_at) AS occurred_at
            FROM unnest(%s::bigint[], %s::timestamptz[]) AS b (case_id, occurred_at)
            GROUP BY case_id
        ), changed AS (
            UPDATE {Case._meta.db_table}
            SET status = CASE WHEN sla_paused_at IS NULL THEN %s ELSE status END,
                escalation_level = GREATEST(escalation_level, %s), updated_at = %s
            WHERE id IN (SELECT case_id FROM batch) AND status = ANY(%s)
            RETURNING *
        ), history AS (
            INSERT INTO {history._meta.db_table}
                ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {changed_columns}, %s, %s, '~', NULL FROM changed
        )
        INSERT INTO {Escalation._meta.db_table}
            (case_id, level, source, escalated_by_id, escalated_to_id, reason, created_at)
        SELECT changed.id, changed.escalation_level, %s, NULL, p.leader_id, %s,
               batch.occurred_at
        FROM changed
        JOIN batch ON batch.case_id = changed.id
        LEFT JOIN {Profile._meta.db_table} p ON p.user_id = changed.assignee_id
    """  # noqa: S608 (table and column names from the models)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [case_id for case_id, _cycle, _at in recorded],
                [at for _case_id, _cycle, at in recorded],
                Case.Status.ESCALATED,
                Case.EscalationLevel.LEADER,
                now,
                ESCALATABLE,
                now,
                reason,
                Escalation.Source.SLA_BREACH,
                reason,
            ],
        )
