"""Portal-wide acts: notifications (the outbox), languages, teams, heartbeats,
the default business calendar.

Every function here is one act in one transaction; later apps call
:func:`notify` for every alert they raise.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pae_ops.errors import DomainError
from pae_ops.models import BusinessCalendar, Heartbeat, Language, Notification, Profile
from pae_ops.roles import Role, has_role, require_role

logger = logging.getLogger(__name__)

User = get_user_model()


def _enqueue_relay() -> None:
    """Ask a worker to send the outbox now; the periodic relay is the fallback.

    Publishing has short timeouts (settings), and a failure is only logged:
    the rows are already committed, so nothing is lost.
    """
    from pae_ops.tasks import sweep_notification_outbox_task

    try:
        sweep_notification_outbox_task.apply_async(retry=False)
    except Exception:  # the broker is down; the beat relay will send them
        logger.warning("Could not publish the outbox relay; the periodic relay will send it.")


@dataclass(frozen=True)
class Message:
    """One notification to write: ``title``/``body`` may be lazy (``format_lazy``)."""

    recipient: AbstractBaseUser
    kind: str
    title: str | Promise
    body: str | Promise = ""
    url: str = ""
    dedupe_key: str = ""
    email: bool = True


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    title: str | Promise,
    body: str | Promise = "",
    url: str = "",
    email: bool = True,
    dedupe_key: str = "",
) -> int:
    """Write one notification row per recipient; email them after commit.

    ``title`` and ``body`` may be lazy translations: each row is rendered in
    its recipient's language. With ``dedupe_key`` a recipient gets the row at
    most once however often this runs (a unique constraint backs it).
    Returns the number of rows written.
    """
    people = {user.pk: user for user in recipients if user is not None}
    return notify_each(
        Message(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            dedupe_key=dedupe_key,
            email=email,
        )
        for user in people.values()
    )


def send_emails_after_commit() -> None:
    """For writers of pending notification rows in SQL: wake the relay at commit."""
    transaction.on_commit(_enqueue_relay)


def notify_each(messages: Iterable[Message]) -> int:
    """Write many different notifications in a constant number of queries.

    What sweeps use: each message is rendered in its recipient's language and
    written at most once per (recipient, dedupe key). Returns the rows written.
    """
    messages = [m for m in messages if m.recipient is not None]
    if not messages:
        return 0
    user_ids = {m.recipient.pk for m in messages}
    languages = dict(
        Profile.objects.filter(user_id__in=user_ids).values_list("user_id", "language")
    )
    with transaction.atomic():
        keys = {m.dedupe_key for m in messages if m.dedupe_key}
        existing = (
            set(
                Notification.objects.filter(
                    recipient_id__in=user_ids, dedupe_key__in=keys
                ).values_list("recipient_id", "dedupe_key")
            )
            if keys
            else set()
        )
        rows = []
        for message in messages:
            pair = (message.recipient.pk, message.dedupe_key)
            if message.dedupe_key and pair in existing:
                continue
            existing.add(pair)
            language = languages.get(message.recipient.pk, settings.LANGUAGE_CODE)
            with translation.override(language):
                rows.append(
                    Notification(
                        recipient_id=message.recipient.pk,
                        kind=message.kind,
                        title=str(message.title)[:200],
                        body=str(message.body),
                        url=message.url,
                        dedupe_key=message.dedupe_key,
                        email_status=(
                            Notification.EmailStatus.PENDING
                            if message.email and message.recipient.email
                            else Notification.EmailStatus.NOT_NEEDED
                        ),
                    )
                )
        # ignore_conflicts covers a concurrent writer with the same key.
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(keys))
        if any(row.email_status == Notification.EmailStatus.PENDING for row in rows):
            transaction.on_commit(_enqueue_relay)
    return len(rows)


def send_pending_notification_emails(*, batch_size: int | None = None) -> int:
    """Send the emails of pending notifications, one bounded batch; return how many went.

    Rows are claimed with ``SKIP LOCKED`` so that two relays running at once
    never send the same email twice. A failed send stays pending until it has
    failed ``NOTIFICATION_MAX_ATTEMPTS`` times, then it is marked failed (an
    admin can queue it again).
    """
    batch_size = batch_size or settings.NOTIFICATION_RELAY_BATCH
    max_attempts = settings.NOTIFICATION_MAX_ATTEMPTS
    sent = 0
    with transaction.atomic():
        # Lock the batch: a concurrent relay skips these rows (no double send).
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(email_status=Notification.EmailStatus.PENDING)
            .select_related("recipient")
            .order_by("id")[:batch_size]
        )
        now = timezone.now()
        for row in batch:
            row.email_attempts += 1
            if not row.recipient.email:
                row.email_status = Notification.EmailStatus.NOT_NEEDED
            else:
                try:
                    send_mail(
                        subject=row.title,
                        message=_email_text(row),
                        from_email=None,
                        recipient_list=[row.recipient.email],
                    )
                except Exception as exc:  # SMTP errors are transient; retry later
                    row.email_last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    if row.email_attempts >= max_attempts:
                        row.email_status = Notification.EmailStatus.FAILED
                else:
                    row.email_status = Notification.EmailStatus.SENT
                    row.email_sent_at = now
                    row.email_last_error = ""
                    sent += 1
        Notification.objects.bulk_update(
            batch, ["email_status", "email_attempts", "email_sent_at", "email_last_error"]
        )
    return sent


def _email_text(row: Notification) -> str:
    parts = [row.body] if row.body else []
    if row.url:
        base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
        parts.append(f"{base}{row.url}")
    return "\n\n".join(parts) or row.title


@transaction.atomic
def mark_notifications_read(
    *, actor: AbstractBaseUser, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark the actor's own notifications read (all unread when no ids given).

    Raises DomainError, and marks nothing, when an id is not one of the
    actor's notifications (an empty list is such a case too: "all" is only
    ever asked for with ``None``).
    """
    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        ids = set(notification_ids)
        own = Notification.objects.filter(recipient=actor, pk__in=ids).count()
        if not ids or own != len(ids):
            raise DomainError(_("That notification does not exist."))
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


@transaction.atomic
def requeue_failed_notifications(
    *, actor: AbstractBaseUser, notification_ids: Iterable[int]
) -> int:
    """Put failed emails back in the outbox (admins only)."""
    require_role(actor, Role.ADMIN)
    count = Notification.objects.filter(
        pk__in=list(notification_ids), email_status=Notification.EmailStatus.FAILED
    ).update(email_status=Notification.EmailStatus.PENDING, email_attempts=0)
    if count:
        transaction.on_commit(_enqueue_relay)
    return count


@transaction.atomic
def set_user_language(*, user: AbstractBaseUser, language: str) -> Profile:
    """Keep the user's chosen portal language on their profile.

    Raises DomainError for a language the portal does not offer.
    """
    if language not in Language.values:
        raise DomainError(_("That language is not available."), rule=None)
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    if profile.language != language:
        profile.language = language
        profile.save(update_fields=["language", "updated_at"])
    return profile


@transaction.atomic
def assign_to_team(
    *, actor: AbstractBaseUser, member: AbstractBaseUser, leader: AbstractBaseUser | None
) -> Profile:
    """Put ``member`` in ``leader``'s team (or take them out with ``None``).

    Rules: ROLE-1 (admins only). Raises DomainError when ``leader`` is not a
    leader or is the member; PermissionDenied for non-admins.
    """
    require_role(actor, Role.ADMIN)
    if leader is not None:
        if leader.pk == member.pk:
            raise DomainError(_("Nobody can lead their own team."))
        if not has_role(leader, Role.LEADER):
            raise DomainError(_("Only a user with the Leader role can lead a team."))
    profile, _created = Profile.objects.select_for_update().get_or_create(user=member)
    profile.leader = leader
    profile.save(update_fields=["leader", "updated_at"])
    return profile


def record_heartbeat(*, name: str, hostname: str = "") -> Heartbeat:
    """Record that the periodic job ``name`` ran now (idempotent upsert)."""
    now = timezone.now()
    hostname = hostname or socket.gethostname()
    updated = Heartbeat.objects.filter(name=name).update(
        last_run_at=now, run_count=F("run_count") + 1, hostname=hostname
    )
    if not updated:
        try:
            with transaction.atomic():
                Heartbeat.objects.create(name=name, last_run_at=now, run_count=1, hostname=hostname)
        except IntegrityError:  # a concurrent first run created it
            Heartbeat.objects.filter(name=name).update(
                last_run_at=now, run_count=F("run_count") + 1, hostname=hostname
            )
    return Heartbeat.objects.get(name=name)


@transaction.atomic
def make_default_business_calendar(
    *, actor: AbstractBaseUser, calendar_id: int
) -> BusinessCalendar:
    """Make one calendar the default the SLA clocks use, and no other.

    Rules: BH-1, ROLE-1 (admins only). Raises PermissionDenied for
    non-admins; BusinessCalendar.DoesNotExist for an unknown id.
    """
    require_role(actor, Role.ADMIN)
    # Lock every calendar (a handful of rows), in pk order: two admins
    # choosing different defaults at once are serialised instead of one of
    # them failing on the one-default constraint.
    calendars = list(BusinessCalendar.objects.select_for_update().order_by("pk"))
    chosen = next((c for c in calendars if c.pk == calendar_id), None)
    if chosen is None:
        raise BusinessCalendar.DoesNotExist(f"No business calendar with id {calendar_id}.")
    for calendar in calendars:
        if calendar.is_default and calendar.pk != calendar_id:
            calendar.is_default = False
            calendar.save(update_fields=["is_default", "updated_at"])
    if not chosen.is_default:
        chosen.is_default = True
        chosen.save(update_fields=["is_default", "updated_at"])
    return chosen


__all__ = [
    "assign_to_team",
    "make_default_business_calendar",
    "mark_notifications_read",
    "notify",
    "record_heartbeat",
    "requeue_failed_notifications",
    "send_pending_notification_emails",
    "set_user_language",
]
