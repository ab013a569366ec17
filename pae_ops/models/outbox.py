"""The one email outbox: every email the portal sends is a row here first.

Staff notifications, client emails (survey links, change notices) and the
accounts' emails are all written by ``pae_ops.outbox.queue_email`` in the
transaction of the act they belong to, and sent by the relay
(``pae_ops.outbox.relay``). How a row moves, and why a killed relay neither
re-sends nor loses one, is in that module's docstring and in
``docs/operations.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """One email to one address, rendered when it is sent.

    Only what is needed to render it later is stored (``kind``, ``context``,
    ``language``): secrets such as a survey's link or a password-reset link
    are derived by the kind's renderer at send time and never written here.
    """

    class Priority(models.IntegerChoices):
        # Sent first: someone is waiting on it (an approval, a reset link).
        URGENT = 0, _("Urgent")
        # An SLA breach: must not wait behind routine mail.
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        # Mass mailings (change notices, digests): after everything else.
        BULK = 3, _("Bulk")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        # A relay holds it (``claim_token``) until ``claimed_until``.
        CLAIMED = "claimed", _("Claimed")
        # Recorded just before the SMTP server could accept it: in flight.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")
        # A relay died while the server may have accepted it: an admin
        # decides (see the reconciliation in docs/operations.md).
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")

    # Transitions the relay and the admin actions make (services check them).
    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.CLAIMED},
        Status.CLAIMED: {Status.PENDING, Status.SENDING, Status.SKIPPED, Status.FAILED},
        Status.SENDING: {Status.SENT, Status.PENDING, Status.FAILED, Status.UNCONFIRMED},
        Status.FAILED: {Status.PENDING},
        Status.UNCONFIRMED: {Status.SENT, Status.PENDING},
        Status.SENT: set(),
        Status.SKIPPED: set(),
    }

    kind = models.SlugField(_("kind"), max_length=60)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_emails",
        verbose_name=_("to user"),
    )
    # A recipient who is not a user (a client); a user's address is read
    # when the email goes out.
    to_address = models.EmailField(_("to address"), max_length=254, blank=True)
    # Empty: the user's profile language (or the portal's default).
    language = models.CharField(_("language"), max_length=5, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    notification = models.ForeignKey(
        "pae_ops.Notification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("notification"),
    )
    # Makes queueing idempotent: one row per key, however often it runs.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claim_token = models.CharField(_("claim"), max_length=64, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # Set before the first attempt and kept: the MTA's log can be searched
    # for it to reconcile an unconfirmed email.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The relay's claim: most urgent first, then oldest.
            models.Index(
                fields=["priority", "id"],
                condition=Q(status="pending"),
                name="pae_ops_outbox_pending_idx",
            ),
            # Reconciliation: rows held by a relay whose lease may have run out.
            models.Index(
                fields=["claimed_until"],
                condition=Q(status__in=["claimed", "sending"]),
                name="pae_ops_outbox_claimed_idx",
            ),
            # Retention: sent and skipped rows by age.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["sent", "skipped"]),
                name="pae_ops_outbox_done_idx",
            ),
            models.Index(fields=["to_user", "-created_at"], name="pae_ops_outbox_user_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="pae_ops_outboxemail_dedupe",
            ),
            models.CheckConstraint(
                condition=Q(to_user__isnull=False) | ~Q(to_address=""),
                name="pae_ops_outboxemail_has_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="pae_ops_outboxemail_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["claimed", "sending"])
                | (~Q(claim_token="") & Q(claimed_until__isnull=False)),
                name="pae_ops_outboxemail_claim_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} · {self.get_status_display()}"
