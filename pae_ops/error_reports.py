"""Someone hears about a 500: mail to ``ADMINS`` and, with ``SENTRY_DSN``, Sentry.

Both are scrubbed before they leave: survey-link tokens (``/s/<token>/``,
``pae_ops.log_redaction``), email addresses and phone numbers are replaced,
so client personal data never reaches a mailbox or Sentry (DESIGN).

The admins' email goes through the outbox (kind ``error-report``), so a slow
or down SMTP server never slows the 500 page, and the same error is mailed at
most once an hour (a dedupe key per subject and hour) however often it
happens. When the database itself is what failed, the outbox cannot take it
and Django's own mail is used directly.
"""

from __future__ import annotations

import hashlib
import logging
import re

from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.log import AdminEmailHandler

from pae_ops.log_redaction import redact_secret_paths

logger = logging.getLogger(__name__)

ERROR_REPORT = "error-report"
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits with the usual separators, optionally with a +country.
_PHONE = re.compile(r"(?<![\w/])\+?\d(?:[\s().-]?\d){6,}(?![\w/])")


def scrub(text: str) -> str:
    """``text`` without survey tokens, email addresses or phone numbers."""
    text = redact_secret_paths(text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def scrub_data(value):
    """Scrub every string inside a JSON-like structure (a Sentry event)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item) for item in value]
    return value


def render_error_report(row) -> tuple[str, str]:
    """The outbox renderer of an error report (already scrubbed when queued)."""
    return row.context.get("subject", "Error"), row.context.get("body", "")


class ScrubbedAdminEmailHandler(AdminEmailHandler):
    """Django's error mail, scrubbed, sent through the outbox (plain text only)."""

    def send_mail(self, subject, message, *args, **kwargs):
        subject = scrub(subject)[:180]
        message = scrub(message)
        if not settings.ADMINS:
            return
        try:
            self._queue(subject, message)
        except Exception:  # the database is what failed: mail directly
            mail.mail_admins(subject, message, fail_silently=True, connection=self.connection())

    @staticmethod
    def _queue(subject: str, message: str) -> None:
        from django.db import transaction

        from pae_ops.outbox import Priority, queue_email

        hour = timezone.now().strftime("%Y%m%d%H")
        digest = hashlib.sha256(subject.encode()).hexdigest()[:16]
        prefix = settings.EMAIL_SUBJECT_PREFIX
        with transaction.atomic():
            for index, (_name, address) in enumerate(settings.ADMINS):
                queue_email(
                    kind=ERROR_REPORT,
                    to_address=address,
                    language=settings.LANGUAGE_CODE,
                    context={"subject": f"{prefix}{subject}", "body": message},
                    priority=Priority.URGENT,
                    dedupe_key=f"error:{digest}:{hour}:{index}",
                )


def sentry_before_send(event, hint):
    """Sentry's last look at an event: scrubbed like the admins' email."""
    return scrub_data(event)


def sentry_before_breadcrumb(crumb, hint):
    return scrub_data(crumb)


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float, release: str) -> None:
    """Turn on sentry-sdk (Django and Celery), without personal data, scrubbed."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    # No personal data is sent by default (the deprecated send_default_pii
    # stays unset); the hooks scrub what the events carry.
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        before_send=sentry_before_send,
        before_breadcrumb=sentry_before_breadcrumb,
    )
