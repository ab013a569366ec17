"""Portal-wide acts: notifications (emailed through ``pae_ops.outbox``),
languages, teams, heartbeats, the default business calendar, saved views.

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
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pae_ops.errors import ActRefused, DomainError
from pae_ops.models import (
    BusinessCalendar,
    Heartbeat,
    Language,
    Notification,
    Profile,
    SavedView,
)
from pae_ops.outbox import Email, Priority, queue_emails
from pae_ops.roles import Role, has_role, require_role
from pae_ops.timezones import user_zone

logger = logging.getLogger(__name__)

User = get_user_model()


@dataclass(frozen=True)
class Message:
    """One notification to write: ``title``/``body`` may be lazy (``format_lazy``).

    ``priority`` is its email's place in the outbox (``OutboxEmail.Priority``):
    urgent for someone waiting on it (an approval), high for an SLA breach.
    """

    recipient: AbstractBaseUser
    kind: str
    title: str | Promise
    body: str | Promise = ""
    url: str = ""
    dedupe_key: str = ""
    email: bool = True
    priority: int = Priority.NORMAL


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    title: str | Promise,
    body: str | Promise = "",
    url: str = "",
    email: bool = True,
    dedupe_key: str = "",
    priority: int = Priority.NORMAL,
) -> int:
    """Write one notification row per recipient, and its email into the outbox.

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
            priority=priority,
        )
        for user in people.values()
    )


def _insert_keyed(rows: list[Notification]) -> list[tuple[int, int, str]]:
    """Insert notifications that carry a dedupe key, skipping those already
    written (by an earlier run or a concurrent writer); returns the
    (id, recipient, key) of the rows inserted."""
    fields = ["recipient_id", "kind", "title", "body", "url", "dedupe_key", "created_at"]
    columns = ", ".join(Notification._meta.get_field(f.removesuffix("_id")).column for f in fields)
    types = ["bigint", "text", "text", "text", "text", "text", "timestamptz"]
    unnest = ", ".join(f"%s::{kind}[]" for kind in types)
    sql = (
        f"INSERT INTO {Notification._meta.db_table} ({columns})"  # noqa: S608 (model names)
        f" SELECT * FROM unnest({unnest})"
        " ON CONFLICT DO NOTHING RETURNING id, recipient_id, dedupe_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[getattr(row, f) for row in rows] for f in fields])
        return cursor.fetchall()


def notify_each(messages: Iterable[Message]) -> int:
    """Write many different notifications, and their emails, in a constant
    number of queries.

    What sweeps use: each message is rendered in its recipient's language and
    written at most once per (recipient, dedupe key). A recipient with an
    address gets the notification's email through the outbox (unless
    ``email=False``). Returns the rows written.
    """
    messages = [m for m in messages if m.recipient is not None]
    if not messages:
        return 0
    user_ids = {m.recipient.pk for m in messages}
    preferences = {
        user_id: (language, zone)
        for user_id, language, zone in Profile.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "language", "time_zone"
        )
    }
    now = timezone.now()
    with transaction.atomic():
        seen: set[tuple[int, str]] = set()
        keyed, unkeyed = [], []
        for message in messages:
            pair = (message.recipient.pk, message.dedupe_key)
            if message.dedupe_key and pair in seen:
                continue
            seen.add(pair)
            language, zone = preferences.get(message.recipient.pk, (settings.LANGUAGE_CODE, ""))
            # Rendered on the recipient's clock too (times in texts, docs/security.md).
            with translation.override(language), timezone.override(user_zone(zone)):
                row = Notification(
                    recipient_id=message.recipient.pk,
                    kind=message.kind,
                    title=str(message.title)[:200],
                    body=str(message.body),
                    url=message.url,
                    dedupe_key=message.dedupe_key,
                    created_at=now,
                )
            (keyed if message.dedupe_key else unkeyed).append((message, row))
        written: list[tuple[Message, int]] = []
        if unkeyed:
            Notification.objects.bulk_create([row for _m, row in unkeyed])
            written += [(message, row.pk) for message, row in unkeyed]
        if keyed:
            by_pair = {(m.recipient.pk, m.dedupe_key): m for m, _row in keyed}
            written += [
                (by_pair[(recipient_id, key)], pk)
                for pk, recipient_id, key in _insert_keyed([row for _m, row in keyed])
            ]
        emails = [
            Email(
                kind="notification",
                to_user=message.recipient,
                priority=message.priority,
                dedupe_key=f"notification:{pk}",
                context={"notification_id": pk},
                notification_id=pk,
            )
            for message, pk in written
            if message.email and message.recipient.email
        ]
        if emails:
            queue_emails(emails)
    return len(written)


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
    "notify_each",
    "record_heartbeat",
    "set_user_language",
]


# Saved views ------------------------------------------------------------------


@transaction.atomic
def save_view(
    *, actor: AbstractBaseUser, page: str, name: str, query: str, share: bool = False
) -> SavedView:
    """Save the filters of a list page under a name (only the page's known
    filter parameters are kept); a leader may share it with their team.

    Rules: ROLE-1 (the page's roles; sharing is a leader's). Raises
    DomainError or ActRefused.
    """
    from pae_ops.saved_views import PAGES, clean_query

    target = PAGES.get(page)
    if target is None:
        raise DomainError(_("That page has no saved views."))
    require_role(actor, *target.roles)
    if share and not has_role(actor, Role.LEADER):
        raise ActRefused(_("Only a leader shares a view with their team."), rule="ROLE-1")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the view a name."))
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise DomainError(_("The name is too long (80 characters at most)."))
    cleaned = clean_query(target, query)
    if not cleaned:
        raise DomainError(_("Choose at least one filter before saving the view."))
    if SavedView.objects.filter(owner=actor, name=name).exists():
        raise DomainError(_("You already have a view with that name."))
    try:
        # The unique constraint settles two saves racing with the same name.
        with transaction.atomic():
            return SavedView.objects.create(
                owner=actor, page=target.key, name=name, query=cleaned, shared_with_team=share
            )
    except IntegrityError:
        raise DomainError(_("You already have a view with that name.")) from None


@transaction.atomic
def delete_saved_view(*, actor: AbstractBaseUser, view_id: int) -> None:
    """Delete one of the actor's own saved views (another's: 404, as if it
    did not exist). Rules: ROLE-1."""
    from django.http import Http404

    # Lock: a double click deletes once.
    view = SavedView.objects.select_for_update().filter(pk=view_id, owner=actor).first()
    if view is None:
        raise Http404
    view.delete()
