"""Change notices to clients (COM-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel


class ChangeNotice(TimeStampedModel):
    """A notice of a change in a service or a price, sent to the affected clients.

    Scheduled by a leader at least 7 days before ``effective_at`` (24 hours
    for an emergency, with a written reason): ``cases.services.notices``
    refuses anything later (COM-4). The audience is every client with a
    purchase of ``product``, or every client with any purchase when no
    product is chosen. The periodic sender writes one client email per
    recipient into the outbox on ``scheduled_send_at``, once.
    """

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service change")
        PRICE = "price", _("Price change")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    ALLOWED_TRANSITIONS = {
        Status.SCHEDULED: {Status.SENT, Status.CANCELLED},
        Status.SENT: set(),
        Status.CANCELLED: set(),
    }

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    title_es = models.CharField(_("title (Spanish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_es = models.TextField(_("text (Spanish)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    product = models.ForeignKey(
        "clients.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_notices",
        verbose_name=_("product"),
        help_text=_("Clients with a purchase of it get the notice; empty: every client."),
    )
    effective_at = models.DateTimeField(_("takes effect at"))
    scheduled_send_at = models.DateTimeField(_("send at"))
    emergency = models.BooleanField(_("emergency"), default=False)
    emergency_reason = models.TextField(_("why it is an emergency"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("change notice")
        verbose_name_plural = _("change notices")
        ordering = ["-scheduled_send_at", "-id"]
        indexes = [
            models.Index(
                fields=["scheduled_send_at"],
                condition=Q(status="scheduled"),
                name="cases_notice_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_send_at__lt=F("effective_at")),
                name="cases_changenotice_sent_before_effect",
            ),
            models.CheckConstraint(
                condition=Q(emergency=False) | ~Q(emergency_reason=""),
                name="cases_changenotice_emergency_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="cases_changenotice_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title_es

    def title_for(self, language: str | None) -> str:
        if (language or "es").startswith("en"):
            return self.title_en or self.title_es
        return self.title_es or self.title_en

    def body_for(self, language: str | None) -> str:
        if (language or "es").startswith("en"):
            return self.body_en or self.body_es
        return self.body_es or self.body_en
