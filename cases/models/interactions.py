"""Interactions with clients (TYP-1), typed against the taxonomy (TYP-2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.cases import Case
from cases.models.taxonomy import ResponseTemplate, TypingCategory, TypingReason
from pae_ops.models import TimeStampedModel


class Interaction(TimeStampedModel):
    """One contact with a client (TYP-1), typed when it has a category and reason (TYP-2)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat")
        WHATSAPP = "whatsapp", _("WhatsApp")
        VIDEO_CALL = "video", _("Video call")
        IN_PERSON = "in_person", _("In person")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="interactions",
        verbose_name=_("client"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("case"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("when"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="interactions",
        verbose_name=_("handled by"),
    )
    summary = models.TextField(_("summary"))
    category = models.ForeignKey(
        TypingCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("category"),
    )
    reason = models.ForeignKey(
        TypingReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("reason"),
    )
    typed_at = models.DateTimeField(_("typed at"), null=True, blank=True)
    template = models.ForeignKey(
        ResponseTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("response template"),
    )
    # RES-1: on an outbound email, when the client's next answer came (an
    # inbound interaction or a survey answer); null = unanswered so far.
    # Bookkeeping set in bulk, so kept out of the history.
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The key of the form that logged it: a form submitted twice (a double
    # click, a retried request) logs one interaction.
    submission_key = models.UUIDField(
        _("form submission key"), null=True, blank=True, editable=False
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "answered_at", "submission_key"])

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="cases_interaction_client_idx"),
            models.Index(fields=["case", "occurred_at"], name="cases_interaction_case_idx"),
            models.Index(
                fields=["handled_by", "occurred_at"], name="cases_interaction_handler_idx"
            ),
            # Typing compliance over every agent for a month (the KPIs).
            models.Index(fields=["occurred_at"], name="cases_interaction_occurred_idx"),
            models.Index(
                fields=["handled_by", "-occurred_at"],
                condition=Q(reason__isnull=True),
                name="cases_interaction_untyped_idx",
            ),
            # RES-1: "three unanswered emails in a row" per client.
            models.Index(
                fields=["client", "occurred_at"],
                condition=Q(direction="outbound", channel="email", answered_at__isnull=True),
                name="cases_inter_unanswered_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True, reason__isnull=True)
                | Q(category__isnull=False, reason__isnull=False),
                name="cases_interaction_typed_both_or_neither",
            ),
            models.UniqueConstraint(
                fields=["handled_by", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name="cases_interaction_submitted_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.client_id} · {self.occurred_at:%Y-%m-%d}"

    @property
    def is_typed(self) -> bool:
        return self.reason_id is not None

    # Django's get_FOO_display rebuilds the field's choices on every call
    # (~36 µs); a timeline page shows both labels of 100 rows. Same result
    # from a dict built once (the labels stay lazy: the active language).
    def get_channel_display(self) -> str:
        return str(_CHANNEL_LABELS.get(self.channel, self.channel))

    def get_direction_display(self) -> str:
        return str(_DIRECTION_LABELS.get(self.direction, self.direction))


_CHANNEL_LABELS = dict(Interaction.Channel.choices)
_DIRECTION_LABELS = dict(Interaction.Direction.choices)
