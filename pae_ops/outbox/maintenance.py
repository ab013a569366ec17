"""The outbox's admin acts and its retention job."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from pae_ops.models import OutboxEmail
from pae_ops.outbox.queue import nudge_relay
from pae_ops.roles import Role, require_role

Status = OutboxEmail.Status
PURGE_BATCH = 10_000


@transaction.atomic
def requeue_emails(*, actor: AbstractBaseUser, email_ids: Iterable[int]) -> int:
    """Send failed or unconfirmed emails again (admins only). Rules: ROLE-1.

    For an unconfirmed email, only after the mail server's log showed that
    it did not accept it: otherwise the client gets it twice.
    """
    require_role(actor, Role.ADMIN)
    count = OutboxEmail.objects.filter(
        pk__in=list(email_ids), status__in=[Status.FAILED, Status.UNCONFIRMED]
    ).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claim_token="",
        claimed_until=None,
    )
    if count:
        transaction.on_commit(nudge_relay)
    return count


@transaction.atomic
def confirm_emails_sent(*, actor: AbstractBaseUser, email_ids: Iterable[int]) -> int:
    """Mark unconfirmed emails sent, once the mail server's log showed them (admins only)."""
    require_role(actor, Role.ADMIN)
    return OutboxEmail.objects.filter(pk__in=list(email_ids), status=Status.UNCONFIRMED).update(
        status=Status.SENT, sent_at=timezone.now(), claim_token="", last_error=""
    )


def purge_sent_emails(*, now: datetime | None = None) -> int:
    """Delete sent and skipped emails older than ``OUTBOX_RETENTION_DAYS``.

    In batches of ``PURGE_BATCH`` rows, each its own transaction (no long
    lock). Failed and unconfirmed emails are kept until an admin acts.
    Returns how many rows were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    table = OutboxEmail._meta.db_table
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ("  # noqa: S608 (the model's table)
                f" SELECT id FROM {table} WHERE status IN (%s, %s) AND created_at < %s"
                " LIMIT %s FOR UPDATE SKIP LOCKED)",
                [Status.SENT, Status.SKIPPED, cutoff, PURGE_BATCH],
            )
            count = cursor.rowcount
        deleted += count
        if count < PURGE_BATCH:
            return deleted


@dataclass(frozen=True)
class OutboxStatus:
    """What the health page and the readiness check show about the outbox."""

    pending: int
    failed: int
    unconfirmed: int
    oldest_pending_at: datetime | None

    @property
    def oldest_pending_minutes(self) -> int | None:
        if self.oldest_pending_at is None:
            return None
        return int((timezone.now() - self.oldest_pending_at).total_seconds() // 60)


def outbox_status() -> OutboxStatus:
    """Counts of the outbox's waiting and problem rows (one query)."""
    waiting = [Status.PENDING, Status.CLAIMED, Status.SENDING]
    counts = OutboxEmail.objects.filter(
        status__in=[*waiting, Status.FAILED, Status.UNCONFIRMED]
    ).aggregate(
        pending=Count("id", filter=Q(status__in=waiting)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
        unconfirmed=Count("id", filter=Q(status=Status.UNCONFIRMED)),
        oldest=Min("created_at", filter=Q(status__in=waiting)),
    )
    return OutboxStatus(
        pending=counts["pending"],
        failed=counts["failed"],
        unconfirmed=counts["unconfirmed"],
        oldest_pending_at=counts["oldest"],
    )
