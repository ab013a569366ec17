"""The client-email outbox: emails to clients (who are not users).

The portal's notifications (``pae_ops.services.notify``) reach users; a
client is not a user, so the emails that go to clients (survey links, change
notices) have their own outbox with the same relay pattern:

1. The act that needs an email writes an ``OutboundEmail`` row in its own
   transaction (``queue_client_email``), idempotent by ``dedupe_key``, and
   asks a worker to relay after commit.
2. The relay (``send_pending_client_emails``; a beat task every minute is
   the fallback when the broker is down) claims a bounded batch of pending
   rows with ``FOR UPDATE SKIP LOCKED`` (two relays never send the same
   email), renders each in its language at send time (a survey's signed
   link is derived now, never stored), sends it, and marks it sent; a failed
   send stays pending until it has failed ``CLIENT_EMAIL_MAX_ATTEMPTS``
   times, then it is marked failed.

The client's address is read when the email goes out and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import ChangeNotice, OutboundEmail, Survey
from cases.survey_links import survey_url
from pae_ops.roles import Role, require_role

logger = logging.getLogger(__name__)


def enqueue_client_email_relay() -> None:
    """Ask a worker to send the client emails now; the periodic relay is the fallback."""
    from cases.tasks import send_client_emails_task

    try:
        send_client_emails_task.apply_async(retry=False)
    except Exception:  # the broker is down; the beat relay will send them
        logger.warning("Could not publish the client-email relay; the periodic relay will.")


def queue_client_email(
    *,
    client_id: int,
    kind: str,
    language: str,
    dedupe_key: str,
    now: datetime,
    survey: Survey | None = None,
    notice: ChangeNotice | None = None,
) -> OutboundEmail:
    """Write one pending client email (idempotent by ``dedupe_key``); relay after commit."""
    email, created = OutboundEmail.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "client_id": client_id,
            "kind": kind,
            "language": language,
            "survey": survey,
            "notice": notice,
            "created_at": now,
        },
    )
    if created:
        transaction.on_commit(enqueue_client_email_relay)
    return email


def render_client_email(email: OutboundEmail) -> tuple[str, str]:
    """The subject and text of a client email, in its language."""
    with translation.override(email.language):
        if email.kind == OutboundEmail.Kind.SURVEY:
            survey = email.survey
            context = {
                "client": email.client,
                "survey": survey,
                "url": survey_url(survey.pk),
            }
            subject = {
                Survey.Kind.CSAT: _("How did we do? Tell us in one minute"),
                Survey.Kind.NPS: _("Would you recommend us?"),
                Survey.Kind.CES: _("How easy was it for you?"),
            }[Survey.Kind(survey.kind)]
            body = render_to_string("cases/email/survey.txt", context)
        else:
            notice = email.notice
            subject = notice.title_for(email.language)
            body = render_to_string(
                "cases/email/change_notice.txt",
                {
                    "client": email.client,
                    "notice": notice,
                    "body": notice.body_for(email.language),
                },
            )
    return subject[:200], body


def _skip_reason(email: OutboundEmail, now: datetime) -> str:
    if not email.client.email:
        return _("The client has no email address.")
    if email.kind == OutboundEmail.Kind.SURVEY:
        survey = email.survey
        if survey.status != Survey.Status.SENT or survey.expires_at <= now:
            return _("The survey was answered or expired before its email went out.")
    elif email.notice.status == ChangeNotice.Status.CANCELLED:
        return _("The notice was cancelled.")
    return ""


def send_pending_client_emails(*, batch_size: int | None = None) -> int:
    """Send one bounded batch of pending client emails; return how many went."""
    batch_size = batch_size or settings.CLIENT_EMAIL_RELAY_BATCH
    max_attempts = settings.CLIENT_EMAIL_MAX_ATTEMPTS
    sent = 0
    with transaction.atomic():
        # Lock the batch: a concurrent relay skips these rows (no double send).
        batch = list(
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=OutboundEmail.Status.PENDING)
            .select_related("client", "survey", "notice")
            .order_by("id")[:batch_size]
        )
        now = timezone.now()
        for email in batch:
            email.attempts += 1
            skip = _skip_reason(email, now)
            if skip:
                email.status = OutboundEmail.Status.SKIPPED
                email.last_error = skip
                continue
            subject, body = render_client_email(email)
            try:
                send_mail(
                    subject=subject,
                    message=body,
                    from_email=None,
                    recipient_list=[email.client.email],
                )
            except Exception as exc:  # SMTP errors are transient; retry later
                email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if email.attempts >= max_attempts:
                    email.status = OutboundEmail.Status.FAILED
            else:
                email.status = OutboundEmail.Status.SENT
                email.sent_at = now
                email.subject = subject
                email.last_error = ""
                sent += 1
        OutboundEmail.objects.bulk_update(
            batch, ["status", "attempts", "sent_at", "subject", "last_error"]
        )
    return sent


@transaction.atomic
def requeue_failed_client_emails(*, actor: AbstractBaseUser, email_ids: Iterable[int]) -> int:
    """Put failed client emails back in the outbox (admins only). Rules: ROLE-1."""
    require_role(actor, Role.ADMIN)
    count = OutboundEmail.objects.filter(
        pk__in=list(email_ids), status=OutboundEmail.Status.FAILED
    ).update(status=OutboundEmail.Status.PENDING, attempts=0)
    if count:
        transaction.on_commit(enqueue_client_email_relay)
    return count
