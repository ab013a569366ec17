"""Writing emails into the outbox, in the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from pae_ops.models import Notification, OutboxEmail
from pae_ops.outbox.renderers import is_registered

logger = logging.getLogger(__name__)

Priority = OutboxEmail.Priority


def nudge_relay() -> None:
    """Ask a worker to run the relay now; the periodic relay is the safety net.

    Called after commit, so it runs in the request: publishing goes through
    ``pae_ops.broker.publish_quietly`` (short timeouts, no retries), and a
    failure is only logged because the rows are already committed.
    """
    from pae_ops.broker import publish_quietly
    from pae_ops.tasks import relay_outbox_task

    publish_quietly(relay_outbox_task, expires=settings.OUTBOX_NUDGE_EXPIRES_SECONDS)


def _check(kind: str, to_user: AbstractBaseUser | None, to_address: str) -> None:
    if not is_registered(kind):
        raise ValueError(f"No outbox renderer is registered for {kind!r}.")
    if to_user is None and not to_address:
        raise ValueError("An outbox email needs to_user or to_address.")


def queue_email(
    *,
    kind: str,
    to_user: AbstractBaseUser | None = None,
    to_address: str = "",
    language: str | None = None,
    context: dict | None = None,
    priority: int = Priority.NORMAL,
    dedupe_key: str = "",
) -> OutboxEmail:
    """Write one email into the outbox in the caller's transaction; relay after commit.

    Idempotent by ``dedupe_key``: with a key already queued (by this or a
    concurrent transaction) the existing row is returned and nothing is
    written. ``language`` empty or None means the user's profile language
    at send time. The text is rendered by ``kind``'s renderer when it is
    sent; ``context`` holds only what the renderer needs to find its data
    (ids), never a secret.
    """
    _check(kind, to_user, to_address)
    now = timezone.now()
    values = {
        "created_at": now,
        "next_attempt_at": now,
        "kind": kind,
        "to_user": to_user,
        "to_address": to_address,
        "language": language or "",
        "context": context or {},
        "priority": priority,
    }
    if dedupe_key:
        # get_or_create retries the read when a concurrent insert wins.
        row, created = OutboxEmail.objects.get_or_create(dedupe_key=dedupe_key, defaults=values)
    else:
        row, created = OutboxEmail.objects.create(**values), True
    if created:
        transaction.on_commit(nudge_relay)
    return row


@dataclass(frozen=True)
class Email:
    """One email for :func:`queue_emails` (the arguments of :func:`queue_email`)."""

    kind: str
    to_user: AbstractBaseUser | None = None
    to_address: str = ""
    language: str | None = None
    context: dict = field(default_factory=dict)
    priority: int = Priority.NORMAL
    dedupe_key: str = ""
    # The staff notification this email carries (pae_ops only).
    notification_id: int | None = None


def queue_emails(emails: Iterable[Email]) -> int:
    """Write many emails in one statement (a mass mailing); relay after commit.

    Rows whose ``dedupe_key`` is already queued are skipped. Returns how
    many were handed over (skipped duplicates included).
    """
    rows = []
    now = timezone.now()
    for email in emails:
        _check(email.kind, email.to_user, email.to_address)
        rows.append(
            OutboxEmail(
                kind=email.kind,
                to_user=email.to_user,
                to_address=email.to_address,
                language=email.language or "",
                context=email.context,
                priority=email.priority,
                dedupe_key=email.dedupe_key,
                notification_id=email.notification_id,
                created_at=now,
                next_attempt_at=now,
            )
        )
    if not rows:
        return 0
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(nudge_relay)
    return len(rows)


def queue_notification_emails(notification_ids: list[int], *, priority: int) -> int:
    """The email of each notification whose recipient has an address: one
    statement, for writers of notification rows in SQL (sweeps)."""
    if not notification_ids:
        return 0
    users = get_user_model()._meta.db_table
    sql = (
        f"INSERT INTO {OutboxEmail._meta.db_table}"  # noqa: S608 (names from the models)
        " (kind, priority, to_user_id, to_address, language, context, notification_id,"
        " dedupe_key, status, attempts, next_attempt_at, claim_token, message_id, subject,"
        " created_at, last_error)"
        " SELECT 'notification', %s, n.recipient_id, '', '', '{}'::jsonb, n.id,"
        " concat('notification:', n.id), 'pending', 0, %s, '', '', '', %s, ''"
        f" FROM {Notification._meta.db_table} n"
        f" JOIN {users} u ON u.id = n.recipient_id"
        " WHERE n.id = ANY(%s) AND u.email <> ''"
        " ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(sql, [priority, now, now, list(notification_ids)])
        count = cursor.rowcount
    if count:
        transaction.on_commit(nudge_relay)
    return count
