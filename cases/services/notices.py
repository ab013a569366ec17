"""Change notices (COM-4): a leader schedules a notice of a service or price
change; the periodic sender puts its emails in the outbox on its date.

Rules: COM-4, ROLE-1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ChangeNotice
from cases.services.outbox import queue_notice_emails
from clients.models import Client, Product, Purchase
from pae_ops.errors import DomainError
from pae_ops.roles import Role, require_role

TITLE_MAX = 200
BODY_MAX = 10_000
# Leeway for "send now": a form posted a few seconds after it was filled in.
PAST_LEEWAY = timedelta(minutes=5)
BATCH_SIZE = 1000


def minimum_notice(*, emergency: bool) -> timedelta:
    """COM-4: 7 days before the change (settings), or 24 hours for an emergency."""
    if emergency:
        return timedelta(hours=settings.CHANGE_NOTICE_EMERGENCY_MIN_HOURS)
    return timedelta(days=settings.CHANGE_NOTICE_MIN_DAYS)


def _clean_text(value: str, *, required: bool, limit: int, message: str) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message, rule="COM-4")
    if len(value) > limit:
        raise DomainError(
            _("A text is too long (at most %(max)d characters).") % {"max": limit}, rule="COM-4"
        )
    return value


@transaction.atomic
def schedule_change_notice(
    *,
    actor: AbstractBaseUser,
    kind: str,
    title_es: str,
    body_es: str,
    effective_at: datetime,
    scheduled_send_at: datetime,
    title_en: str = "",
    body_en: str = "",
    product_id: int | None = None,
    emergency: bool = False,
    emergency_reason: str = "",
) -> ChangeNotice:
    """Schedule a notice of a service or price change to the affected clients.

    It must go out at least 7 days before the change takes effect, or at
    least 24 hours before for an emergency, which needs a written reason; it
    cannot be scheduled in the past. The audience is every client with a
    purchase of ``product`` (every client with a purchase when none).
    Rules: COM-4, ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, Role.LEADER)
    if kind not in ChangeNotice.Kind.values:
        raise DomainError(_("Choose a service or a price change."), rule="COM-4")
    title_es = _clean_text(
        title_es, required=True, limit=TITLE_MAX, message=_("Give the notice a title.")
    )
    body_es = _clean_text(
        body_es, required=True, limit=BODY_MAX, message=_("Write the text of the notice.")
    )
    title_en = _clean_text(title_en, required=False, limit=TITLE_MAX, message="")
    body_en = _clean_text(body_en, required=False, limit=BODY_MAX, message="")
    emergency_reason = (emergency_reason or "").strip()
    if emergency and not emergency_reason:
        raise DomainError(_("An emergency notice needs a written reason."), rule="COM-4")
    if not emergency:
        emergency_reason = ""
    now = timezone.now()
    if scheduled_send_at < now - PAST_LEEWAY:
        raise DomainError(_("A notice cannot be scheduled in the past."), rule="COM-4")
    lead = minimum_notice(emergency=emergency)
    if effective_at - scheduled_send_at < lead:
        if emergency:
            message = _(
                "An emergency notice must go out at least %(hours)d hours before the change "
                "takes effect."
            ) % {"hours": settings.CHANGE_NOTICE_EMERGENCY_MIN_HOURS}
        else:
            message = _(
                "A notice must go out at least %(days)d days before the change takes effect "
                "(24 hours for an emergency, with a written reason)."
            ) % {"days": settings.CHANGE_NOTICE_MIN_DAYS}
        raise DomainError(message, rule="COM-4")
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise DomainError(_("Choose a product from the list."), rule="COM-4")
    return ChangeNotice.objects.create(
        kind=kind,
        title_es=title_es,
        title_en=title_en,
        body_es=body_es,
        body_en=body_en,
        product=product,
        effective_at=effective_at,
        scheduled_send_at=scheduled_send_at,
        emergency=emergency,
        emergency_reason=emergency_reason,
        status=ChangeNotice.Status.SCHEDULED,
        created_by=actor,
    )


@transaction.atomic
def cancel_change_notice(*, actor: AbstractBaseUser, notice_id: int) -> ChangeNotice:
    """Cancel a notice that has not gone out yet. Rules: COM-4, ROLE-1."""
    require_role(actor, Role.LEADER)
    # Lock: a cancellation racing the sender.
    notice = ChangeNotice.objects.select_for_update().get(pk=notice_id)
    if notice.status != ChangeNotice.Status.SCHEDULED:
        raise DomainError(_("Only a notice that has not gone out can be cancelled."), rule="COM-4")
    notice.status = ChangeNotice.Status.CANCELLED
    notice.cancelled_at = timezone.now()
    notice.save(update_fields=["status", "cancelled_at", "updated_at"])
    return notice


def audience(notice: ChangeNotice):
    """The clients a notice goes to, with the language of their email."""
    from partners.models import Language

    purchases = Purchase.objects.filter(client=OuterRef("pk"))
    if notice.product_id is not None:
        purchases = purchases.filter(product_id=notice.product_id)
    speaks = Language.objects.filter(clients=OuterRef("pk"))
    return (
        Client.objects.filter(Exists(purchases))
        .exclude(email="")
        .annotate(
            speaks_es=Exists(speaks.filter(code="es")),
            speaks_en=Exists(speaks.filter(code="en")),
        )
    )


def _send_notice(notice: ChangeNotice, now: datetime) -> int:
    """Write the notice's client emails in batches (idempotent by dedupe key)."""
    count = 0
    after_pk = 0
    while True:
        rows = list(
            audience(notice)
            .filter(pk__gt=after_pk)
            .order_by("pk")
            .values_list("pk", "email", "speaks_es", "speaks_en")[:BATCH_SIZE]
        )
        if not rows:
            return count
        queue_notice_emails(
            notice=notice,
            recipients=[
                (client_id, email, "en" if (speaks_en and not speaks_es) else "es")
                for client_id, email, speaks_es, speaks_en in rows
            ],
        )
        count += len(rows)
        after_pk = rows[-1][0]


def send_due_change_notices(*, now: datetime | None = None) -> int:
    """Put the emails of every scheduled notice whose send time came into the
    outbox, once; returns how many notices went out (COM-4).

    Each notice is its own transaction, locked with ``SKIP LOCKED`` (a
    concurrent sender skips it); its emails carry a dedupe key per notice and
    client, and the notice is marked sent in the same transaction.
    """
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            notice = (
                ChangeNotice.objects.select_for_update(skip_locked=True)
                .filter(status=ChangeNotice.Status.SCHEDULED, scheduled_send_at__lte=now)
                .order_by("scheduled_send_at", "pk")
                .first()
            )
            if notice is None:
                return sent
            notice.recipient_count = _send_notice(notice, now)
            notice.status = ChangeNotice.Status.SENT
            notice.sent_at = now
            notice.save(update_fields=["status", "sent_at", "recipient_count", "updated_at"])
            sent += 1
