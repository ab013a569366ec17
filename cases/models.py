"""Cases, interactions, the typing taxonomy, SLA clocks, escalations and
response templates.

Every instant the SLA sweep compares is stored on the case when it opens (and
again when it reopens), so that the sweep is a set of index-friendly
comparisons with ``now`` and never does business-hour arithmetic per row
(SLA-3, SLA-4). See ``docs/cases.md``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel


class BilingualNameMixin(models.Model):
    """A Spanish and an English name; ``name`` is the one of the active language."""

    name_es = models.CharField(_("name (Spanish)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "es").startswith("en"):
            return self.name_en or self.name_es
        return self.name_es or self.name_en


# Settings ---------------------------------------------------------------


class SlaSettings(TimeStampedModel):
    """The SLA numbers an admin can change (SLA-1, SLA-2, SLA-4, SLA-5).

    One row (pk 1), created by a data migration and edited in the admin.
    Services read it once per call through ``cases.selectors.get_sla_settings``;
    deadlines already stored on open cases keep the numbers they were computed
    with (``Case.*_hours``).
    """

    SINGLETON_PK = 1

    first_response_hours = models.DecimalField(
        _("first response (business hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    resolution_target_hours = models.DecimalField(
        _("resolution target (business hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("48"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    resolution_limit_hours = models.DecimalField(
        _("resolution limit (business hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("72"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (% of the window)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    no_follow_up_hours = models.DecimalField(
        _("no follow-up after (business hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("18"),
        validators=[MinValueValidator(Decimal("0.25"))],
        help_text=_("2 business days of the default 9-hour day = 18 business hours."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA settings")
        verbose_name_plural = _("SLA settings")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_limit_hours__gte=F("resolution_target_hours")),
                name="cases_slasettings_limit_after_target",
                violation_error_message=_(
                    "The resolution limit cannot be shorter than the resolution target."
                ),
            ),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=99),
                name="cases_slasettings_warning_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("SLA settings"))


# Typing taxonomy (TYP-2) -----------------------------------------------------


class TypingCategory(BilingualNameMixin, TimeStampedModel):
    """The first level of the typing tree. Inactive: not offered for new typing."""

    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("typing category")
        verbose_name_plural = _("typing categories")
        ordering = ["position", "name_es"]
        constraints = [
            models.UniqueConstraint(fields=["name_es"], name="cases_typingcategory_name_es"),
        ]


class TypingReason(BilingualNameMixin, TimeStampedModel):
    """The second level of the typing tree: a reason inside a category."""

    category = models.ForeignKey(
        TypingCategory,
        on_delete=models.PROTECT,
        related_name="reasons",
        verbose_name=_("category"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("typing reason")
        verbose_name_plural = _("typing reasons")
        ordering = ["category__position", "position", "name_es"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "name_es"], name="cases_typingreason_name_es"
            ),
        ]


# Response templates (COM-6) ---------------------------------------------------


class ResponseTemplate(BilingualNameMixin, TimeStampedModel):
    """A saved reply in Spanish and English, inserted into an outbound interaction."""

    body_es = models.TextField(_("text (Spanish)"))
    body_en = models.TextField(_("text (English)"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["position", "name_es"]

    def body_for(self, language: str | None) -> str:
        if (language or "es").startswith("en"):
            return self.body_en or self.body_es
        return self.body_es or self.body_en


# Cases ----------------------------------------------------------------------


class Case(TimeStampedModel):
    """A client's request, complaint, cancellation request or rescue, with its clocks.

    The stored instants (all computed by ``cases.services`` from the default
    business calendar and the SLA settings in force when the case opened or
    reopened):

    - ``first_response_warn_at`` / ``first_response_due_at``: 75 % and 100 %
      of the first-response window, counted from ``opened_at`` (SLA-1).
    - ``resolution_target_at`` (48 h), ``resolution_warn_at`` (75 % of the
      72 h limit window) and ``resolution_due_at`` (72 h), counted from
      ``resolution_started_at`` (``opened_at``, or the reopen instant) (SLA-2).
    - ``follow_up_due_at``: when the case joins the no-follow-up list,
      counted from ``last_activity_at`` (SLA-5).
    """

    class Kind(models.TextChoices):
        REQUEST = "request", _("Request")
        COMPLAINT = "complaint", _("Complaint")
        CANCELLATION = "cancellation", _("Cancellation request")
        RESCUE = "rescue", _("Rescue")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_ON_CLIENT = "waiting", _("Waiting on client")
        ESCALATED = "escalated", _("Escalated")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (
        Status.NEW,
        Status.IN_PROGRESS,
        Status.WAITING_ON_CLIENT,
        Status.ESCALATED,
    )

    ALLOWED_TRANSITIONS = {
        Status.NEW: {
            Status.IN_PROGRESS,
            Status.WAITING_ON_CLIENT,
            Status.ESCALATED,
            Status.RESOLVED,
            Status.CLOSED,
        },
        Status.IN_PROGRESS: {
            Status.WAITING_ON_CLIENT,
            Status.ESCALATED,
            Status.RESOLVED,
            Status.CLOSED,
        },
        Status.WAITING_ON_CLIENT: {
            Status.IN_PROGRESS,
            Status.ESCALATED,
            Status.RESOLVED,
            Status.CLOSED,
        },
        Status.ESCALATED: {
            Status.IN_PROGRESS,
            Status.WAITING_ON_CLIENT,
            Status.ESCALATED,
            Status.RESOLVED,
            Status.CLOSED,
        },
        Status.RESOLVED: {Status.IN_PROGRESS, Status.CLOSED},
        Status.CLOSED: set(),
    }

    class EscalationLevel(models.IntegerChoices):
        NONE = 0, _("Not escalated")
        LEADER = 1, _("Leader")
        DIRECTOR = 2, _("Director")

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("client"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REQUEST)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_cases",
        verbose_name=_("opened by"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="watched_cases",
        verbose_name=_("watchers"),
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    # The clocks (SLA-1..5). All instants are aware UTC datetimes.
    opened_at = models.DateTimeField(_("opened at"))
    first_response_hours = models.DecimalField(
        _("first response window (business hours)"), max_digits=6, decimal_places=2
    )
    first_response_warn_at = models.DateTimeField(_("first response warning at"))
    first_response_due_at = models.DateTimeField(_("first response due at"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolution_started_at = models.DateTimeField(_("resolution clock started at"))
    resolution_target_hours = models.DecimalField(
        _("resolution target (business hours)"), max_digits=6, decimal_places=2
    )
    resolution_limit_hours = models.DecimalField(
        _("resolution limit (business hours)"), max_digits=6, decimal_places=2
    )
    resolution_target_at = models.DateTimeField(_("resolution target at"))
    resolution_warn_at = models.DateTimeField(_("resolution warning at"))
    resolution_due_at = models.DateTimeField(_("resolution due at"))
    # Incremented on each reopen: SLA events are unique per case, window and
    # cycle, so a reopened case gets a fresh resolution warning and breach.
    sla_cycle = models.PositiveSmallIntegerField(_("SLA cycle"), default=1)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity at"))
    follow_up_due_at = models.DateTimeField(_("follow-up due at"))
    calendar_name = models.CharField(_("business calendar"), max_length=100, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-opened_at"], name="cases_case_client_idx"),
            models.Index(
                fields=["assignee", "resolution_due_at"],
                condition=Q(status__in=["new", "in_progress", "waiting", "escalated"]),
                name="cases_case_assignee_open_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(status__in=["new", "in_progress", "waiting", "escalated"]),
                name="cases_case_open_res_due_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(status__in=["new", "in_progress", "waiting", "escalated"]),
                name="cases_case_open_res_warn_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(status__in=["new", "in_progress", "waiting", "escalated"]),
                name="cases_case_open_fr_due_idx",
            ),
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(
                    status__in=["new", "in_progress", "waiting", "escalated"],
                    first_responded_at__isnull=True,
                ),
                name="cases_case_open_fr_warn_idx",
            ),
            models.Index(
                fields=["follow_up_due_at"],
                condition=Q(status__in=["new", "in_progress", "waiting", "escalated"]),
                name="cases_case_open_followup_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_due_at__gte=F("opened_at"))
                & Q(first_response_warn_at__lte=F("first_response_due_at")),
                name="cases_case_first_response_order",
            ),
            models.CheckConstraint(
                condition=Q(resolution_target_at__lte=F("resolution_due_at"))
                & Q(resolution_warn_at__lte=F("resolution_due_at"))
                & Q(resolution_started_at__gte=F("opened_at")),
                name="cases_case_resolution_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="cases_case_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="cases_case_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=0, escalation_level__lte=2),
                name="cases_case_escalation_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.Status(self.status), set())


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

    history = HistoricalRecords(excluded_fields=["updated_at"])

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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True, reason__isnull=True)
                | Q(category__isnull=False, reason__isnull=False),
                name="cases_interaction_typed_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.client_id} · {self.occurred_at:%Y-%m-%d}"

    @property
    def is_typed(self) -> bool:
        return self.reason_id is not None


class Escalation(models.Model):
    """COM-1: who escalated a case, to whom, when and why (append-only)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Escalated by a person")
        SLA_BREACH = "sla_breach", _("SLA breach")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("case")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Case.EscalationLevel.choices)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated by"),
    )
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations_received",
        verbose_name=_("escalated to"),
    )
    reason = models.TextField(_("why"))
    created_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["case", "created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="cases_escalation_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.get_level_display()}"


class SlaEvent(models.Model):
    """A warning or breach of one SLA window of one case, recorded once (SLA-4).

    ``occurred_at`` is the stored instant the event belongs to (the warning
    or due instant), not when the sweep noticed it, so a sweep that was down
    catches up with the right times.
    """

    class Window(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="sla_events", verbose_name=_("case")
    )
    window = models.CharField(_("window"), max_length=16, choices=Window.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    cycle = models.PositiveSmallIntegerField(_("SLA cycle"), default=1)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["case", "occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "window", "kind", "cycle"], name="cases_slaevent_once"
            ),
        ]
        indexes = [models.Index(fields=["occurred_at"], name="cases_slaevent_occurred_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.window} {self.kind}"
