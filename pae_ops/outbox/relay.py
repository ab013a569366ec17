"""The outbox relay: claim, commit, send on one connection, mark as it goes.

How a row moves (``OutboxEmail.Status``)::

    pending ──claim──▶ claimed ──record──▶ sending ──250──▶ sent
       ▲                 │  │                 │ │
       └──── release ────┘  └─▶ skipped       │ └─▶ unconfirmed (in doubt)
       └──── refused (retry with backoff) ────┘ └─▶ failed (attempts used up)

1. **Claim and commit.** One short transaction takes up to
   ``OUTBOX_RELAY_BATCH`` pending rows, most urgent first (``priority``,
   then age), with ``FOR UPDATE SKIP LOCKED`` (a concurrent relay takes
   others), marks them *claimed* with this run's token and a lease
   (``OUTBOX_CLAIM_SECONDS``), and commits. No row lock is held while
   sending.
2. **Send on one connection.** The backend's connection is opened once and
   reused for the whole run.
3. **Record before.** Each email is rendered, then recorded as *sending*
   (with its Message-ID, attempt counted) in its own commit at the last
   moment before the server can accept it: with SMTP, after the envelope
   and body and before the final dot (``pae_ops.outbox.smtp``); with any
   other backend, just before handing it over. The update matches this
   run's token and the *claimed* state: a row whose lease ran out and was
   reclaimed is not sent.
4. **Mark as it goes.** The server's ``250`` is recorded as *sent* at once.
   A definite refusal (an SMTP error reply, a backend that raised) puts the
   row back to *pending* with a backoff, or *failed* after
   ``OUTBOX_MAX_ATTEMPTS``. A connection that breaks stops the run and
   releases the rest of the batch; one that breaks after the dot leaves the
   email *unconfirmed* (the server may have accepted it).
5. **Reconcile after.** Every run starts by reconciling rows whose lease
   ran out (their relay was killed): *claimed* rows were never handed to
   the server and go back to *pending*; *sending* rows are in doubt (the
   kill may have come after the server's 250). They are never re-sent
   automatically: the ``OUTBOX_RECONCILER`` hook (a provider's API looked
   up by Message-ID) may say accepted (→ *sent*) or not (→ *pending*);
   without an answer the row becomes *unconfirmed*, counted on the health
   page, and an admin marks it sent or sends it again after checking the
   mail server's log for its Message-ID. So a killed relay never re-sends
   what the server accepted and never loses an email: the one in doubt is
   kept and shown.

A run stops claiming after ``OUTBOX_RELAY_SECONDS`` (below the task's soft
time limit), so a storm is sent by consecutive runs and an urgent email
queued meanwhile goes out with the next claim.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from pae_ops.models import OutboxEmail
from pae_ops.outbox.renderers import SkipEmail, renderer_for
from pae_ops.outbox.smtp import EmailBackend as HookedBackend

logger = logging.getLogger(__name__)

Status = OutboxEmail.Status


@dataclass
class RelayReport:
    """What one relay run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    unconfirmed: int = 0
    reconciled: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class _LostClaim(Exception):  # noqa: N818
    """The row is no longer this run's (its lease ran out and it was reclaimed)."""


class _Recorded:
    """Whether the row was recorded as *sending* (the hook ran)."""

    def __init__(self) -> None:
        self.done = False


# Errors that mean the connection is gone, not that this message was refused.
_CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, OSError, socket.timeout)


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _new_token() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claim(token: str, batch_size: int) -> list[OutboxEmail]:
    now = timezone.now()
    with transaction.atomic():
        # Lock the candidates: a concurrent relay skips them (no double send).
        ids = list(
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("priority", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return []
        OutboxEmail.objects.filter(id__in=ids).update(
            status=Status.CLAIMED, claim_token=token, claimed_until=_lease(now)
        )
    return list(
        OutboxEmail.objects.filter(id__in=ids)
        .select_related("to_user__profile")
        .order_by("priority", "id")
    )


def _release(token: str) -> int:
    """Put this run's claimed, never-recorded rows back to pending."""
    return OutboxEmail.objects.filter(claim_token=token, status=Status.CLAIMED).update(
        status=Status.PENDING, claim_token="", claimed_until=None
    )


def _finish(row: OutboxEmail, token: str, *, from_statuses, **values) -> bool:
    values.setdefault("claim_token", "")
    values.setdefault("claimed_until", None)
    return bool(
        OutboxEmail.objects.filter(pk=row.pk, claim_token=token, status__in=from_statuses).update(
            **values
        )
    )


def _refused(row: OutboxEmail, token: str, error: str, report: RelayReport, *, attempts: int):
    """The server (or backend) definitely did not take it: retry later or give up."""
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        status, report.failed = Status.FAILED, report.failed + 1
    else:
        status, report.retried = Status.PENDING, report.retried + 1
    _finish(
        row,
        token,
        from_statuses=[Status.CLAIMED, Status.SENDING],
        status=status,
        attempts=attempts,
        last_error=error[:1000],
        next_attempt_at=timezone.now() + _backoff(attempts),
    )


def _skip(row: OutboxEmail, token: str, reason: str, report: RelayReport) -> None:
    _finish(row, token, from_statuses=[Status.CLAIMED], status=Status.SKIPPED, last_error=reason)
    report.skipped += 1


def _zone(row: OutboxEmail):
    """The recipient's time zone (the portal's for an address without a user)."""
    from pae_ops.timezones import user_zone

    profile = getattr(row.to_user, "profile", None) if row.to_user_id else None
    return user_zone(profile.time_zone if profile else "")


def _language(row: OutboxEmail) -> str:
    if row.language:
        return row.language
    profile = getattr(row.to_user, "profile", None) if row.to_user_id else None
    return (profile.language if profile else "") or settings.LANGUAGE_CODE


def _address(row: OutboxEmail) -> str:
    if row.to_address:
        return row.to_address
    return row.to_user.email if row.to_user_id else ""


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Sender:
    """One backend connection, opened at the first email and reused."""

    def __init__(self) -> None:
        self.backend = None
        self.broken = False

    def open(self):
        if self.backend is None:
            backend = get_connection(fail_silently=False)
            backend.open()
            self.backend = backend
        return self.backend

    def send(self, message: EmailMessage, record) -> int:
        backend = self.open()
        if isinstance(backend, HookedBackend):
            return backend.send_with_hook(message, record)
        record()
        return backend.send_messages([message])

    def drop(self) -> None:
        """Forget a connection that broke (or is mid-message)."""
        backend, self.backend, self.broken = self.backend, None, True
        if backend is None:
            return
        try:
            if isinstance(backend, HookedBackend):
                backend.abort()
            else:
                backend.close()
        except Exception:  # noqa: S110 (already broken)
            pass

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:
                logger.warning("Closing the mail connection failed.", exc_info=True)
            self.backend = None


def _send_one(row: OutboxEmail, token: str, sender: _Sender, report: RelayReport) -> None:
    kind = renderer_for(row.kind)
    address = _address(row)
    if kind is None or not address:
        reason = "No renderer for this kind." if kind is None else "No email address."
        _finish(
            row, token, from_statuses=[Status.CLAIMED], status=Status.SKIPPED, last_error=reason
        )
        report.skipped += 1
        return
    try:
        with translation.override(_language(row)), timezone.override(_zone(row)):
            subject, body = kind.render(row)
    except SkipEmail as skip:
        _finish(
            row,
            token,
            from_statuses=[Status.CLAIMED],
            status=Status.SKIPPED,
            last_error=skip.reason,
        )
        report.skipped += 1
        return
    except Exception as exc:  # a renderer's bug: retried, then failed, never lost
        logger.exception("Rendering outbox email %s (%s) failed.", row.pk, row.kind)
        _refused(row, token, _error(exc), report, attempts=row.attempts + 1)
        return
    subject = " ".join(str(subject).split())[:200]
    message_id = row.message_id or f"<outbox.{row.pk}.{uuid.uuid4().hex}@{DNS_NAME}>"
    message = EmailMessage(
        subject=subject, body=body, to=[address], headers={"Message-ID": message_id}
    )
    recorded = _Recorded()

    def record() -> None:
        # Record before: committed before the server can accept the message.
        if not _finish(
            row,
            token,
            from_statuses=[Status.CLAIMED],
            status=Status.SENDING,
            claim_token=token,
            claimed_until=_lease(timezone.now()),
            attempts=row.attempts + 1,
            message_id=message_id,
            subject=subject,
        ):
            raise _LostClaim
        recorded.done = True

    try:
        count = sender.send(message, record)
    except _LostClaim:
        sender.drop()
        sender.broken = False  # only this row was lost; the next one may go
        return
    except smtplib.SMTPResponseException as exc:
        # The server answered with an error code: it did not take this one.
        _refused(row, token, _error(exc), report, attempts=row.attempts + 1)
        if exc.smtp_code in (421,):  # closing the connection
            sender.drop()
        return
    except smtplib.SMTPRecipientsRefused as exc:
        _refused(row, token, _error(exc), report, attempts=row.attempts + 1)
        return
    except _CONNECTION_ERRORS as exc:
        hooked = isinstance(sender.backend, HookedBackend)
        sender.drop()
        if recorded.done and hooked:
            # The dot may have reached the server: in doubt, never re-sent.
            _finish(
                row,
                token,
                from_statuses=[Status.SENDING],
                status=Status.UNCONFIRMED,
                claim_token=token,
                last_error=(
                    f"{_error(exc)} after the message was handed over: check the mail "
                    f"server's log for {message_id}, then mark it sent or send it again."
                )[:1000],
            )
            report.unconfirmed += 1
        else:
            _refused(row, token, _error(exc), report, attempts=row.attempts + 1)
        return
    except Exception as exc:  # another backend refused it
        _refused(row, token, _error(exc), report, attempts=row.attempts + 1)
        return
    if not count:
        _refused(row, token, "The backend sent nothing.", report, attempts=row.attempts + 1)
        return
    # Mark as it goes: the server took it.
    _finish(
        row,
        token,
        from_statuses=[Status.SENDING, Status.UNCONFIRMED],
        status=Status.SENT,
        sent_at=timezone.now(),
        last_error="",
    )
    report.sent += 1


def reconcile_outbox(*, now: datetime | None = None) -> int:
    """Settle the rows of relays that died (their lease ran out); see the module doc.

    Returns how many rows were settled.
    """
    now = now or timezone.now()
    reconciler = import_string(settings.OUTBOX_RECONCILER) if settings.OUTBOX_RECONCILER else None
    with transaction.atomic():
        # Lock them: two relays starting at once settle each row once.
        expired = list(
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.CLAIMED, Status.SENDING], claimed_until__lt=now)
            .order_by("id")
        )
        for row in expired:
            if row.status == Status.CLAIMED:
                # Never handed to the server: send it again.
                row.status, row.claim_token, row.claimed_until = Status.PENDING, "", None
            else:
                accepted = reconciler(row) if reconciler else None
                if accepted is True:
                    row.status, row.sent_at = Status.SENT, now
                    row.last_error = ""
                elif accepted is False:
                    row.status, row.next_attempt_at = Status.PENDING, now
                    row.last_error = "The mail server has no record of it: sent again."
                else:
                    row.status = Status.UNCONFIRMED
                    row.last_error = (
                        "The relay stopped after handing this email to the mail server, "
                        f"which may have accepted it: check its log for {row.message_id}, "
                        "then mark it sent or send it again."
                    )
                row.claim_token, row.claimed_until = "", None
            row.save(
                update_fields=[
                    "status",
                    "claim_token",
                    "claimed_until",
                    "sent_at",
                    "next_attempt_at",
                    "last_error",
                ]
            )
    if expired:
        logger.warning("Reconciled %d outbox emails of a relay that stopped.", len(expired))
    return len(expired)


def relay_outbox(
    *, batch_size: int | None = None, budget_seconds: float | None = None
) -> RelayReport:
    """Send what is pending, most urgent first, for up to ``OUTBOX_RELAY_SECONDS``."""
    batch_size = batch_size or settings.OUTBOX_RELAY_BATCH
    budget = settings.OUTBOX_RELAY_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    report = RelayReport(reconciled=reconcile_outbox())
    token = _new_token()
    sender = _Sender()
    try:
        while time.monotonic() < deadline and not sender.broken:
            batch = _claim(token, batch_size)
            if not batch:
                break
            _prepare(batch)
            try:
                sender.open()
            except Exception as exc:
                # Nothing was handed over: the batch goes back untouched.
                logger.warning("The mail server is unreachable (%s).", _error(exc))
                sender.broken = True
                break
            for row in batch:
                if sender.broken or time.monotonic() >= deadline:
                    break
                _send_one(row, token, sender, report)
    finally:
        report.released += _release(token)
        sender.close()
    return report


def _prepare(batch: list[OutboxEmail]) -> None:
    by_kind: dict[str, list[OutboxEmail]] = {}
    for row in batch:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, rows in by_kind.items():
        registered = renderer_for(kind)
        if registered is not None and registered.prepare is not None:
            registered.prepare(rows)
