"""The SLA sweep's statements: lock, events, escalations with the next check,
digests, digest emails — each one statement for a whole batch, in SQL.

Built from the ids the sweep locked (``cases.services.sla``); no Python
object per case. Rules: SLA-4, SLA-3, SEG-7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from string import Formatter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.models import (
    Case,
    Escalation,
    ResponseClock,
    SlaCheck,
    SlaDigest,
    SlaDigestPart,
    SlaEvent,
)
from cases.services.sla_next import OPEN, ended_after_sql, next_check_sql, not_paused_by_sql
from clients.models import Client
from pae_ops.links import id_url_pieces
from pae_ops.models import Notification, OutboxEmail, Profile
from pae_ops.outbox import Priority, nudge_relay

# Not yet escalated and still open: what a breach escalates.
ESCALATABLE = [Case.Status.NEW, Case.Status.IN_PROGRESS, Case.Status.WAITING_ON_CLIENT]
# A digest lists its first cases in its body; the title gives the count.
DIGEST_LINES = 20
# A digest whose sweep died before emailing it is emailed by a later sweep
# once it is this old (a sweep still running may still add to it).
ORPHAN_DIGEST_AGE = timedelta(minutes=15)
DIGEST_KEY_PREFIX = "sla-digest:"


@dataclass(frozen=True)
class Batch:
    """A batch of due cases the sweep locked: how many, their ids as one
    array literal (they go back to the database as they came, without a
    Python object per case), and the last (instant, id) read."""

    count: int
    ids: str
    last: tuple[datetime, int]


def lock_due_cases(
    *, now: datetime, after: tuple[datetime | None, int], batch_size: int
) -> Batch | None:
    """The next batch of due cases after ``after`` (instant, id): their next
    checks and case rows locked, a case a concurrent sweep (or a service
    changing it) holds skipped. An index range scan of
    ``cases_slacheck_due_idx``. None when nothing is due."""
    at, case_id = after
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH b AS MATERIALIZED ("  # noqa: S608 (table names from the models)
            f" SELECT s.at, s.case_id FROM {SlaCheck._meta.db_table} s"
            f" JOIN {Case._meta.db_table} c ON c.id = s.case_id"
            " WHERE s.at <= %s AND (s.at, s.case_id) > (%s::timestamptz, %s)"
            " ORDER BY s.at, s.case_id LIMIT %s FOR UPDATE OF s, c SKIP LOCKED)"
            " SELECT count(*), array_agg(b.case_id)::text, last.at, last.case_id"
            " FROM b, (SELECT at, case_id FROM b ORDER BY at DESC, case_id DESC LIMIT 1) last"
            " GROUP BY last.at, last.case_id",
            [now, at or "-infinity", case_id, batch_size],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Batch(count=row[0], ids=row[1], last=(row[2], row[3]))


def _events_ctes() -> str:
    """``c``: the batch's case rows, read once; ``ev``: every warning and
    breach due on them and their response clocks, inserted, ``ON CONFLICT
    DO NOTHING`` on the unique (case, window, kind, cycle) — what comes back
    are the events recorded here. Parameters ``ids`` and ``now``."""
    case, clock, event = (
        Case._meta.db_table,
        ResponseClock._meta.db_table,
        SlaEvent._meta.db_table,
    )
    return f"""
        c AS MATERIALIZED (SELECT * FROM {case} WHERE id = ANY(%(ids)s::bigint[])), due AS (
            SELECT c.id AS case_id, 'first_response' AS w, 'breach' AS k, 1 AS cycle,
                   c.first_response_due_at AS at FROM c
            WHERE c.first_response_due_at <= %(now)s
              AND {not_paused_by_sql("c.first_response_due_at")}
              AND (c.first_responded_at IS NULL
                   OR c.first_responded_at > c.first_response_due_at)
              AND ({OPEN} OR {ended_after_sql("first_response_due_at")})
            UNION ALL
            SELECT c.id, 'resolution', 'breach', c.sla_cycle, c.resolution_due_at FROM c
            WHERE c.resolution_due_at <= %(now)s AND {not_paused_by_sql("c.resolution_due_at")}
              AND ({OPEN} OR {ended_after_sql("resolution_due_at")})
            UNION ALL
            SELECT c.id, 'response', 'breach', rc.number, rc.due_at
            FROM c JOIN {clock} rc ON rc.case_id = c.id
            WHERE rc.due_at <= %(now)s AND {not_paused_by_sql("rc.due_at")}
              AND (rc.answered_at IS NULL OR rc.answered_at > rc.due_at)
              AND (rc.stopped_at IS NULL OR rc.stopped_at > rc.due_at)
            UNION ALL
            SELECT c.id, 'first_response', 'warning', 1, c.first_response_warn_at FROM c
            WHERE c.first_response_warn_at <= %(now)s AND c.first_response_due_at > %(now)s
              AND {not_paused_by_sql("c.first_response_warn_at")} AND {OPEN}
              AND c.first_responded_at IS NULL
            UNION ALL
            SELECT c.id, 'resolution', 'warning', c.sla_cycle, c.resolution_warn_at FROM c
            WHERE c.resolution_warn_at <= %(now)s AND c.resolution_due_at > %(now)s
              AND {not_paused_by_sql("c.resolution_warn_at")} AND {OPEN}
            UNION ALL
            SELECT c.id, 'response', 'warning', rc.number, rc.warn_at
            FROM c JOIN {clock} rc ON rc.case_id = c.id
            WHERE rc.warn_at <= %(now)s AND rc.due_at > %(now)s
              AND {not_paused_by_sql("rc.warn_at")}
              AND rc.answered_at IS NULL AND rc.stopped_at IS NULL AND {OPEN}
        ), ev AS (
            INSERT INTO {event} (case_id, "window", kind, cycle, occurred_at, recorded_at)
            SELECT case_id, w, k, cycle, at, %(now)s FROM due ORDER BY case_id, at
            ON CONFLICT DO NOTHING
            RETURNING case_id, "window" AS w, kind AS k, occurred_at
        )"""  # noqa: S608 (table names from the models)


def _reasons() -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            SlaEvent.Window.FIRST_RESPONSE: gettext("First-response SLA breached."),
            SlaEvent.Window.RESOLUTION: gettext("Resolution SLA limit breached."),
            SlaEvent.Window.RESPONSE: gettext("SLA for answering a later contact breached."),
        }


def _escalate_ctes() -> tuple[str, dict]:
    """Reading ``c`` and ``ev``: each case of the batch stores its next check
    after ``now`` (``checks``: everything up to ``now`` was just recorded, or
    is not due — and the events this statement records are all at or before
    ``now``, so the expression, which reads the events table as it was, gives
    the same instant; ``done``: a case with nothing left to check loses its
    row), and a breach escalates a case still open and not yet
    escalated (``changed``: SLA-4, to the assignee's leader; a paused case
    keeps *waiting on client*, SLA-3), with a history row and an
    ``Escalation`` row each, at the earliest breached deadline of the batch.

    Never a bulk change without history: the history rows are written from
    the ``UPDATE``'s own ``RETURNING``, only for the rows it escalated (the
    next check is bookkeeping, not audited). Only escalated case rows are
    written, each a heap-only update (``Case.status_is_open``).
    """
    reasons = _reasons()
    history = Case.history.model
    own = [f.column for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    columns = ", ".join(f'"{column}"' for column in own)
    changed_columns = ", ".join(f'changed."{column}"' for column in own)
    table = Case._meta.db_table
    reason = (
        "CASE changed.breach_window WHEN 'first_response' THEN %(r_fr)s"
        " WHEN 'resolution' THEN %(r_res)s ELSE %(r_resp)s END"
    )
    sql = f"""
        breached AS (
            SELECT DISTINCT ON (case_id) case_id, occurred_at, w FROM ev
            WHERE k = 'breach' ORDER BY case_id, occurred_at, w
        ), nexts AS (
            SELECT c.id, {next_check_sql()} AS at FROM c
        ), checks AS (
            UPDATE {SlaCheck._meta.db_table} s SET at = v.at FROM nexts v
            -- the ids again: an index scan, not a hash of the whole table
            WHERE s.case_id = v.id AND s.case_id = ANY(%(ids)s::bigint[])
              AND v.at IS NOT NULL AND s.at IS DISTINCT FROM v.at
        ), done AS (
            -- nothing left to check: the row goes
            DELETE FROM {SlaCheck._meta.db_table} s USING nexts v
            WHERE s.case_id = v.id AND s.case_id = ANY(%(ids)s::bigint[]) AND v.at IS NULL
        ), changed AS (
            UPDATE {table} t SET
                status = CASE WHEN t.sla_paused_at IS NULL THEN %(escalated)s ELSE t.status END,
                escalation_level = GREATEST(t.escalation_level, %(level)s),
                updated_at = %(now)s
            FROM breached
            WHERE t.id = breached.case_id AND t.status = ANY(%(escalatable)s)
            RETURNING t.*, breached.occurred_at AS breach_at, breached.w AS breach_window
        ), history AS (
            INSERT INTO {history._meta.db_table}
                ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {changed_columns}, %(now)s, {reason}, '~', NULL FROM changed
        ), escalations AS (
            INSERT INTO {Escalation._meta.db_table}
                (case_id, level, source, escalated_by_id, escalated_to_id, reason, created_at)
            SELECT changed.id, changed.escalation_level, %(source)s, NULL, p.leader_id,
                   {reason}, changed.breach_at
            FROM changed
            LEFT JOIN {Profile._meta.db_table} p ON p.user_id = changed.assignee_id
        )"""  # noqa: S608 (table and column names from the models)
    params = {
        "escalatable": ESCALATABLE,
        "escalated": Case.Status.ESCALATED,
        "level": Case.EscalationLevel.LEADER,
        "source": Escalation.Source.SLA_BREACH,
        "r_fr": reasons[SlaEvent.Window.FIRST_RESPONSE],
        "r_res": reasons[SlaEvent.Window.RESOLUTION],
        "r_resp": reasons[SlaEvent.Window.RESPONSE],
    }
    return sql, params


# The digest -------------------------------------------------------------------------


def _what_label(window: str, kind: str) -> str:
    """One case's line in a digest says what happened to it (SLA-4)."""
    labels = {
        ("first_response", "warning"): gettext("first response due soon"),
        ("first_response", "breach"): gettext("first response overdue"),
        ("resolution", "warning"): gettext("resolution due soon"),
        ("resolution", "breach"): gettext("resolution limit passed"),
        ("response", "warning"): gettext("answer to the client due soon"),
        ("response", "breach"): gettext("answer to the client overdue"),
    }
    return labels[(window, kind)]


def _title_template() -> str:
    return gettext("SLA alerts on your cases: {count}")


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


def _language_sql(column: str) -> tuple[str, list[str]]:
    return f"COALESCE(NULLIF({column}, ''), %s)", [settings.LANGUAGE_CODE]


def _labels_sql(language: str) -> tuple[str, list[str]]:
    """The label of ``r.w``/``r.k`` in the recipient's ``language`` (SQL)."""
    branches, params = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for window in SlaEvent.Window.values:
                for kind in SlaEvent.Kind.values:
                    branches.append(f"WHEN {language} = %s AND r.w = %s AND r.k = %s THEN %s")
                    params += [code, window, kind, _what_label(window, kind)]
    return f"CASE {' '.join(branches)} ELSE r.w END", params


def _title_sql(language: str, count: str) -> tuple[str, list[str]]:
    branches, params = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            sql, literals = _concat_sql(_title_template(), {"count": count})
        branches.append(f"WHEN {language} = %s THEN {sql}")
        params += [code, *literals]
    with translation.override(settings.LANGUAGE_CODE):
        default, literals = _concat_sql(_title_template(), {"count": count})
    return f"left(CASE {' '.join(branches)} ELSE {default} END, 200)", params + literals


def digest_key(swept_at: datetime) -> str:
    return f"{DIGEST_KEY_PREFIX}{swept_at.isoformat()}"


def _named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    """A fragment with ``%s`` placeholders as named ones (``%(prefix0)s``…),
    to join a statement whose other parts name theirs."""
    pieces = sql.split("%s")
    names = [f"{prefix}{index}" for index in range(len(pieces) - 1)]
    named = pieces[0] + "".join(
        f"%({name})s{piece}" for name, piece in zip(names, pieces[1:], strict=True)
    )
    return named, dict(zip(names, params, strict=True))


def _digest_ctes(*, swept_at: datetime) -> tuple[str, dict]:
    """Reading ``c`` and ``ev``: the batch's events added to their
    recipients' digests of this sweep.

    The recipients of each event (a warning: the assignee; a breach: the
    assignee, their leader and the case's watchers, SEG-7; each person once
    per case), grouped by person; each person's notification of this sweep
    (dedupe key ``sla-digest:<sweep instant>``) is written or updated — kind
    ``sla-breach`` when any of its cases breached, else ``sla-warning``; the
    title with the number of cases, in the person's language; the body with
    the first cases, one line each ("#12 · client: what happened") — and its
    ``SlaDigest`` counts the cases and gets them as one new ``SlaDigestPart``
    (written once, never rewritten). Rules: SLA-4, SEG-7.
    """
    profile = Profile._meta.db_table
    watchers = Case.watchers.through._meta.db_table
    notification, digest = Notification._meta.db_table, SlaDigest._meta.db_table
    part = SlaDigestPart._meta.db_table
    language, language_params = _named(*_language_sql("p.language"), "dl")
    labels, label_params = _named(*_labels_sql(language), "dw")
    title, title_params = _named(*_title_sql("u.language", "u.total"), "dt")
    url_prefix, url_suffix = id_url_pieces("cases:detail", 1)
    sql = f"""
        evd AS (
            SELECT DISTINCT case_id, w, k FROM ev
        ), cs AS MATERIALIZED (
            -- the cases with events: their assignee and the assignee's leader
            SELECT c.id, c.client_id, c.assignee_id, p.leader_id
            FROM c LEFT JOIN {profile} p ON p.user_id = c.assignee_id
            WHERE c.id IN (SELECT case_id FROM evd)
        ), r AS MATERIALIZED (
            SELECT evd.case_id, evd.w, evd.k, cs.assignee_id AS user_id
            FROM evd JOIN cs ON cs.id = evd.case_id WHERE cs.assignee_id IS NOT NULL
            UNION
            SELECT evd.case_id, evd.w, evd.k, cs.leader_id
            FROM evd JOIN cs ON cs.id = evd.case_id
            WHERE evd.k = 'breach' AND cs.leader_id IS NOT NULL
            UNION
            SELECT evd.case_id, evd.w, evd.k, w.user_id
            FROM evd JOIN {watchers} w ON w.case_id = evd.case_id WHERE evd.k = 'breach'
        ), pc AS MATERIALIZED (
            -- each person's cases, numbered: only the first get a line
            SELECT user_id, case_id, bool_or(k = 'breach') AS breach,
                   row_number() OVER (PARTITION BY user_id ORDER BY case_id) AS n
            FROM r GROUP BY user_id, case_id
        ), what AS (
            SELECT r.user_id, r.case_id, string_agg({labels}, '; ' ORDER BY r.k DESC, r.w) AS what
            FROM r JOIN pc ON pc.user_id = r.user_id AND pc.case_id = r.case_id
                           AND pc.n <= {DIGEST_LINES}
            LEFT JOIN {profile} p ON p.user_id = r.user_id
            GROUP BY r.user_id, r.case_id, p.language
        ), lines AS (
            SELECT what.user_id,
                   string_agg(concat('#', what.case_id, ' · ', cl.name, ': ', what.what), E'\\n'
                              ORDER BY what.case_id) AS body
            FROM what JOIN cs ON cs.id = what.case_id
            JOIN {Client._meta.db_table} cl ON cl.id = cs.client_id
            GROUP BY what.user_id
        ), grouped AS (
            SELECT g.*, {language} AS language, lines.body
            FROM (SELECT user_id, bool_or(breach) AS breach, count(*) AS cases,
                         array_agg(case_id ORDER BY case_id) AS case_ids
                  FROM pc GROUP BY user_id) g
            JOIN lines ON lines.user_id = g.user_id
            LEFT JOIN {profile} p ON p.user_id = g.user_id
        ), u AS (
            SELECT grouped.*, grouped.cases + COALESCE((
                SELECT d.case_count FROM {digest} d
                JOIN {notification} n2 ON n2.id = d.notification_id
                WHERE n2.recipient_id = grouped.user_id AND n2.dedupe_key = %(key)s), 0) AS total
            FROM grouped
        ), note AS (
            INSERT INTO {notification}
                (recipient_id, kind, title, body, url, dedupe_key, created_at)
            SELECT u.user_id, CASE WHEN u.breach THEN 'sla-breach' ELSE 'sla-warning' END,
                   {title}, u.body,
                   CASE WHEN u.cases = 1
                        THEN concat(%(url_prefix)s::text, u.case_ids[1], %(url_suffix)s::text)
                        ELSE '' END,
                   %(key)s, %(created)s
            FROM u
            -- in one order: two batches of a sweep (or two sweeps) that
            -- update the same people's digests wait for each other, never
            -- deadlock
            ORDER BY u.user_id
            ON CONFLICT (recipient_id, dedupe_key) WHERE NOT (dedupe_key = '') DO UPDATE SET
                kind = CASE WHEN {notification}.kind = 'sla-breach'
                            OR excluded.kind = 'sla-breach'
                            THEN 'sla-breach' ELSE 'sla-warning' END,
                title = excluded.title,
                url = '',
                body = array_to_string(
                    (string_to_array({notification}.body, E'\\n')
                     || string_to_array(excluded.body, E'\\n'))[1:{DIGEST_LINES}], E'\\n')
            RETURNING id, recipient_id
        ), counted AS (
            INSERT INTO {digest} (notification_id, swept_at, case_count, emailed_at)
            SELECT note.id, %(swept_at)s, u.cases, NULL
            FROM note JOIN u ON u.user_id = note.recipient_id
            ORDER BY note.recipient_id
            ON CONFLICT (notification_id) DO UPDATE SET
                case_count = {digest}.case_count + excluded.case_count
            RETURNING notification_id
        ), parts AS (
            INSERT INTO {part} (digest_id, case_ids)
            SELECT counted.notification_id, u.case_ids
            FROM counted JOIN note ON note.id = counted.notification_id
            JOIN u ON u.user_id = note.recipient_id
        )"""  # noqa: S608 (table names from the models)
    params = {
        **language_params,
        **label_params,
        **title_params,
        "key": digest_key(swept_at),
        "url_prefix": url_prefix,
        "url_suffix": url_suffix,
        "created": timezone.now(),
        "swept_at": swept_at,
    }
    return sql, params


def sweep_batch(batch: Batch, *, now: datetime) -> list[tuple[str, str, int]]:
    """Everything a locked batch needs, in one statement: its events
    recorded, its next checks stored, its breached cases escalated (history
    and ``Escalation`` rows), its events in their recipients' digests.
    Returns the number of events recorded here per (window, kind). The
    events never leave the database. Rules: SLA-4, SLA-3, SEG-7."""
    escalate, escalate_params = _escalate_ctes()
    digests, digest_params = _digest_ctes(swept_at=now)
    sql = (
        f"WITH {_events_ctes()}, {escalate}, {digests}"  # noqa: S608 (no input)
        " SELECT w, k, count(*) FROM ev GROUP BY w, k"
    )
    params = {
        **escalate_params,
        **digest_params,
        "ids": batch.ids,
        "now": now,
        "after": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def queue_digest_emails(*, swept_at: datetime, own: bool = True) -> int:
    """The email of each digest of this sweep — and of an earlier sweep that
    died before it got here — for people with an address: two statements
    (the titles' final count, the emails), once each (``emailed_at``, and the
    outbox's key per notification). A digest with a breach goes before
    routine mail. ``own`` False (this sweep recorded nothing): only the
    orphans, so a re-run writes nothing. Rules: SLA-4."""
    users = get_user_model()._meta.db_table
    digest, notification = SlaDigest._meta.db_table, Notification._meta.db_table
    language, language_params = _language_sql("p.language")
    title, title_params = _title_sql("x.language", "x.count")
    # The title counts the digest's cases once this sweep's batches are all
    # in (a concurrent sweep of the very same instant adds to the same digest
    # and fixes the count again when it ends).
    titled = f"""
        UPDATE {notification} n SET title = {title}
        FROM (
            SELECT d.notification_id, d.case_count AS count, {language} AS language
            FROM {digest} d JOIN {notification} n2 ON n2.id = d.notification_id
            LEFT JOIN {Profile._meta.db_table} p ON p.user_id = n2.recipient_id
            WHERE d.swept_at = %s OR (d.emailed_at IS NULL AND d.swept_at < %s)
        ) x
        WHERE n.id = x.notification_id
    """  # noqa: S608 (table names from the models)
    sql = f"""
        WITH sent AS (
            UPDATE {digest} SET emailed_at = %(now)s
            WHERE emailed_at IS NULL AND (swept_at = %(swept)s OR swept_at < %(orphan)s)
            RETURNING notification_id
        )
        INSERT INTO {OutboxEmail._meta.db_table}
            (kind, priority, to_user_id, to_address, language, context, notification_id,
             dedupe_key, status, attempts, next_attempt_at, claim_token, message_id, subject,
             created_at, last_error)
        SELECT 'notification',
               CASE WHEN n.kind = 'sla-breach' THEN %(high)s ELSE %(normal)s END,
               n.recipient_id, '', '', '{{}}'::jsonb, n.id, concat('notification:', n.id),
               'pending', 0, %(now)s, '', '', '', %(now)s, ''
        FROM sent JOIN {notification} n ON n.id = sent.notification_id
        JOIN {users} u ON u.id = n.recipient_id
        WHERE u.email <> ''
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (table names from the models)
    orphan = swept_at - ORPHAN_DIGEST_AGE
    # Without digests of its own, "this sweep's" matches nothing.
    own_key = swept_at if own else datetime.min.replace(tzinfo=swept_at.tzinfo)
    with connection.cursor() as cursor:
        cursor.execute(titled, [*title_params, *language_params, own_key, orphan])
        cursor.execute(
            sql,
            {
                "now": timezone.now(),
                "swept": own_key,
                "orphan": orphan,
                "high": Priority.HIGH,
                "normal": Priority.NORMAL,
            },
        )
        count = cursor.rowcount
    if count:
        transaction.on_commit(nudge_relay)
    return count
