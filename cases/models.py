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
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel
from pae_ops.search_sql import Unaccent


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
        help_text=_("Also the time to answer each later contact of the client on an open case."),
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
    # SLA-3: off by default (the playbook asks for active follow-up).
    pause_while_waiting = models.BooleanField(
        _("pause the clocks while waiting on the client"),
        default=False,
        help_text=_(
            "When on, the time a case spends waiting on the client does not count towards its "
            "response and resolution deadlines; they move when the case leaves that status. "
            "The follow-up reminder keeps running."
        ),
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


class RescueStep(models.TextChoices):
    """RES-2: the preventive protocol's steps, ticked by typed interactions."""

    CALL = "call", _("Personalised call")
    RESOURCES_EMAIL = "resources_email", _("Email with resources")
    SURVEY = "survey", _("Quick obstacles/satisfaction survey")


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
    # RES-2, RES-6: an interaction typed with this reason on a rescue case
    # ticks this step of the protocol's checklist.
    rescue_step = models.CharField(
        _("rescue protocol step"),
        max_length=16,
        choices=RescueStep.choices,
        blank=True,
        help_text=_("Typing an interaction on a rescue case with this reason ticks this step."),
    )

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


def ended_after(field: str) -> Q:
    """The case ended after the instant in ``field``: resolved after it, or
    closed unresolved after it (SLA-4: it was still open at that deadline)."""
    return Q(resolved_at__gt=F(field)) | Q(resolved_at__isnull=True, closed_at__gt=F(field))


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
    - ``sla_paused_at``: when the running pause began (waiting on the client
      with pausing on, SLA-3); the stored instants move when it ends.

    Later contacts that wait for an answer have their own clocks
    (``ResponseClock``, SLA-1).
    """

    class Kind(models.TextChoices):
        REQUEST = "request", _("Request")
        COMPLAINT = "complaint", _("Complaint")
        CANCELLATION = "cancellation", _("Cancellation request")
        RESCUE = "rescue", _("Rescue")
        FOLLOW_UP = "follow_up", _("Detractor follow-up")

    class RescueTrigger(models.TextChoices):
        """RES-1: why a rescue case opened."""

        SILENCE = "silence", _("No answer for 14 days")
        MISSED_SESSIONS = "missed_sessions", _("Two missed live sessions in a row")
        UNANSWERED_EMAILS = "unanswered_emails", _("Three unanswered emails in a row")
        MANUAL = "manual", _("Opened by hand")

    class RescueArea(models.TextChoices):
        """RES-3: where a rescue case escalates when the client stays silent."""

        SALES = "sales", _("Sales")
        EXPERIENCE = "experience", _("Experience")

    class RescueOutcome(models.TextChoices):
        """KPI-7: rescue success = retained ÷ (retained + lost)."""

        RETAINED = "retained", _("Client retained")
        LOST = "lost", _("Client lost")

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
    # SLA-3: set while the case waits on the client with pausing on; the
    # sweep records nothing due after it until the pause ends.
    sla_paused_at = models.DateTimeField(_("clocks paused since"), null=True, blank=True)
    # SLA-4: the earliest instant the sweep has something to check on this
    # case (a warning or breach not recorded yet, of the case or of a later
    # contact's clock); NULL when nothing is left. Kept by the services
    # (``cases.services.sla_next``) and by the sweep itself, so a sweep reads
    # only the cases that are due (``<= now``) from a partial index.
    next_sla_check_at = models.DateTimeField(_("next SLA check at"), null=True, blank=True)

    # Rescue cases (RES-1..3, KPI-7); blank or null on every other kind.
    rescue_trigger = models.CharField(
        _("rescue trigger"), max_length=20, choices=RescueTrigger.choices, blank=True
    )
    rescue_area = models.CharField(
        _("escalation area"), max_length=12, choices=RescueArea.choices, blank=True
    )
    # Stored when the first protocol contact is logged; the escalation sweep
    # compares ``rescue_escalate_at`` (first contact + 3 days) with now.
    rescue_first_contact_at = models.DateTimeField(
        _("first protocol contact at"), null=True, blank=True
    )
    rescue_escalate_at = models.DateTimeField(_("escalates to the area at"), null=True, blank=True)
    rescue_escalated_at = models.DateTimeField(_("escalated to the area at"), null=True, blank=True)
    rescue_outcome = models.CharField(
        _("rescue outcome"), max_length=10, choices=RescueOutcome.choices, blank=True
    )
    rescue_outcome_at = models.DateTimeField(_("rescue outcome at"), null=True, blank=True)

    # The sweep's bookkeeping column is not audited: it changes on every
    # visit of the sweep and says nothing a person did.
    history = HistoricalRecords(excluded_fields=["updated_at", "next_sla_check_at"])

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
            # SLA-4 catch-up: cases that ended after a deadline (answered or
            # resolved late while the sweep was down) are still swept.
            models.Index(
                fields=["first_response_due_at"],
                condition=ended_after("first_response_due_at"),
                name="cases_case_fr_ended_late_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=ended_after("resolution_due_at"),
                name="cases_case_res_ended_late_idx",
            ),
            # SLA-4: what the sweep reads, in the order it reads it.
            models.Index(
                fields=["next_sla_check_at", "id"],
                condition=Q(next_sla_check_at__isnull=False),
                name="cases_case_next_sla_check_idx",
            ),
            # KPIs (kpis.facts, KPI-7): SLA windows settled, cases opened,
            # resolved and first answered, rescue outcomes, in a period. The
            # two expressions are the ones kpis.facts filters on.
            models.Index(
                Least(
                    "first_response_due_at",
                    Coalesce("first_responded_at", "first_response_due_at"),
                ),
                name="cases_case_fr_settled_idx",
            ),
            models.Index(
                Least(
                    "resolution_due_at",
                    Coalesce("resolved_at", "closed_at", "resolution_due_at"),
                ),
                name="cases_case_res_settled_idx",
            ),
            models.Index(fields=["opened_at"], name="cases_case_opened_idx"),
            models.Index(fields=["resolved_at"], name="cases_case_resolved_idx"),
            models.Index(fields=["first_responded_at"], name="cases_case_responded_idx"),
            models.Index(
                fields=["rescue_outcome_at"],
                condition=Q(kind="rescue"),
                name="cases_case_rescue_outcome_idx",
            ),
            # RES-3: the rescue escalation sweep.
            models.Index(
                fields=["rescue_escalate_at"],
                condition=Q(
                    kind="rescue",
                    rescue_escalated_at__isnull=True,
                    status__in=["new", "in_progress", "waiting", "escalated"],
                ),
                name="cases_case_rescue_due_idx",
            ),
            # The navigation bar's search (cases.search): any part of the
            # subject, accents and case ignored.
            GinIndex(
                OpClass(Unaccent("subject"), name="gin_trgm_ops"), name="cases_case_subject_trgm"
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
            # RES-1: never a second rescue case while one is open (the sweep's
            # last defence).
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(
                    kind="rescue", status__in=["new", "in_progress", "waiting", "escalated"]
                ),
                name="cases_case_one_open_rescue",
                violation_error_message=_("This client already has an open rescue case."),
            ),
            models.CheckConstraint(
                condition=Q(kind="rescue")
                | Q(
                    rescue_trigger="",
                    rescue_area="",
                    rescue_outcome="",
                    rescue_first_contact_at__isnull=True,
                ),
                name="cases_case_rescue_fields_only_rescue",
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


class Escalation(models.Model):
    """COM-1: who escalated a case, to whom, when and why (append-only)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Escalated by a person")
        SLA_BREACH = "sla_breach", _("SLA breach")
        RESCUE_AREA = "rescue_area", _("Rescue without an answer (to an area)")

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
        # A later contact's clock; the event's cycle is the clock's number.
        RESPONSE = "response", _("Answer to a later contact")

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


class SlaDigest(models.Model):
    """SLA-4: one sweep's warnings and breaches for one person, as one notification.

    The bell row (``notification``: title with the count, the first cases
    listed in its body) and the full case list of that sweep. The per-case
    facts (which window, warning or breach, at which deadline) are the
    ``SlaEvent`` rows of those cases recorded by that sweep
    (``recorded_at = swept_at``). Written set-based by the sweep
    (``cases.services.sla_writes.write_digests``); emailed once the sweep
    has finished (``emailed_at``).
    """

    notification = models.OneToOneField(
        "pae_ops.Notification",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_digest",
        verbose_name=_("notification"),
    )
    swept_at = models.DateTimeField(_("swept at"))
    case_ids = ArrayField(models.BigIntegerField(), verbose_name=_("cases"), default=list)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA digest")
        verbose_name_plural = _("SLA digests")
        indexes = [
            models.Index(
                fields=["swept_at"],
                condition=Q(emailed_at__isnull=True),
                name="cases_sladigest_unsent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} ({len(self.case_ids)})"


def response_clock_unsettled() -> Q:
    """A response clock not settled in time: neither answered nor stopped by
    its deadline (what the breach pass of the sweep reads, SLA-4)."""
    return (Q(answered_at__isnull=True) | Q(answered_at__gt=F("due_at"))) & (
        Q(stopped_at__isnull=True) | Q(stopped_at__gt=F("due_at"))
    )


class ResponseClock(models.Model):
    """SLA-1 for a later contact: an inbound contact on an open case, after its
    first response, waits for our next outbound answer.

    One clock per wait: more contacts before the answer start no other.
    ``number`` counts the case's clocks (1, 2, …) and is the ``cycle`` of
    their SLA events (window *response*), so each clock warns and breaches
    once. ``answered_at`` is the next outbound interaction's instant;
    ``stopped_at`` when the case was resolved or closed before an answer.
    ``warn_at``/``due_at`` move when a pause ends (SLA-3), like the case's.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="response_clocks", verbose_name=_("case")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    contact = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("contact"),
    )
    started_at = models.DateTimeField(_("started at"))
    hours = models.DecimalField(_("window (business hours)"), max_digits=6, decimal_places=2)
    warn_at = models.DateTimeField(_("warning at"))
    due_at = models.DateTimeField(_("due at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("response clock")
        verbose_name_plural = _("response clocks")
        ordering = ["case", "number"]
        indexes = [
            # The clock a case waits on (answers, the queue, the case page).
            models.Index(
                fields=["case", "started_at"],
                condition=Q(answered_at__isnull=True, stopped_at__isnull=True),
                name="cases_respclock_pending_idx",
            ),
            # The sweep's two passes.
            models.Index(
                fields=["due_at"],
                condition=response_clock_unsettled(),
                name="cases_respclock_breach_idx",
            ),
            models.Index(
                fields=["warn_at"],
                condition=Q(answered_at__isnull=True, stopped_at__isnull=True),
                name="cases_respclock_warn_idx",
            ),
            # KPI-7 (kpis.facts.later_responses): clocks settled in a period.
            models.Index(
                Least("due_at", Coalesce("answered_at", "due_at")),
                name="cases_respclock_settled_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="cases_responseclock_once"),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("started_at")) & Q(warn_at__lte=F("due_at")),
                name="cases_responseclock_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.number}"


class CasePause(models.Model):
    """SLA-3: a stretch during which a case waited on the client with pausing
    on, so that its clocks did not count it. Written when the wait ends; the
    running one is ``Case.sla_paused_at``."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="sla_pauses", verbose_name=_("case")
    )
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"))

    class Meta:
        verbose_name = _("SLA pause")
        verbose_name_plural = _("SLA pauses")
        ordering = ["case", "started_at", "id"]
        indexes = [models.Index(fields=["case", "started_at"], name="cases_casepause_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gt=F("started_at")), name="cases_casepause_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_at:%Y-%m-%d %H:%M}"


# Surveys (COM-2, COM-3, RES-7) ---------------------------------------------------


class Survey(TimeStampedModel):
    """One CSAT, NPS or CES survey sent to a client, answered at most once.

    The link carries a token signed with ``SECRET_KEY`` (``django.core.signing``,
    see ``cases.survey_links``) that names the survey; it is derived when the
    email is sent and never stored or logged. ``expires_at`` is ``sent_at`` +
    the survey lifetime (30 days, setting ``SURVEY_LINK_DAYS``). Single use is
    enforced under a row lock on ``status = sent`` (see
    ``cases.services.surveys.answer_survey``).

    The KPI queries read ``kind``, ``score`` and ``answered_at`` (KPI-4, KPI-5,
    CES average of KPI-7); ``agent`` is the agent the survey is about (the
    case's assignee, else the client's agent) for per-agent filters and the
    leader's weekly review (COM-3).
    """

    class Kind(models.TextChoices):
        CSAT = "csat", _("CSAT (0–5 stars)")
        NPS = "nps", _("NPS (0–10)")
        CES = "ces", _("CES (1–7)")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")

    ALLOWED_TRANSITIONS = {
        Status.SENT: {Status.ANSWERED, Status.EXPIRED},
        Status.ANSWERED: set(),
        Status.EXPIRED: set(),
    }

    # The score range of each kind (inclusive).
    SCALES = {Kind.CSAT: (0, 5), Kind.NPS: (0, 10), Kind.CES: (1, 7)}

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="surveys",
        verbose_name=_("client"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("case"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("agent"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.SENT
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    language = models.CharField(_("language"), max_length=5, default="es")
    sent_at = models.DateTimeField(_("sent at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    # RES-7: the follow-up case a detractor's answer opened.
    follow_up_case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up case"),
    )
    # COM-3: the leader's weekly review of the answer.
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_note = models.TextField(_("follow-up note"), blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "answered_at"], name="cases_survey_kind_answered_idx"),
            models.Index(fields=["client", "-sent_at"], name="cases_survey_client_idx"),
            models.Index(fields=["agent", "answered_at"], name="cases_survey_agent_idx"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="sent"),
                name="cases_survey_pending_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="answered", score__isnull=False, answered_at__isnull=False)
                | (~Q(status="answered") & Q(score__isnull=True, answered_at__isnull=True)),
                name="cases_survey_answered_has_score",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind="csat", score__gte=0, score__lte=5)
                | Q(kind="nps", score__gte=0, score__lte=10)
                | Q(kind="ces", score__gte=1, score__lte=7),
                name="cases_survey_score_in_scale",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("sent_at")),
                name="cases_survey_expires_after_sent",
            ),
            # One CSAT per case: a reopened case resolved again is not
            # surveyed twice.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind="csat", case__isnull=False),
                name="cases_survey_one_csat_per_case",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(status="answered"),
                name="cases_survey_reviewed_only_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.client_id} · {self.sent_at:%Y-%m-%d}"

    @property
    def scale(self) -> tuple[int, int]:
        return self.SCALES[self.Kind(self.kind)]

    @property
    def is_detractor(self) -> bool:
        """RES-7: 0–2 stars (CSAT) or 0–6 (NPS)."""
        if self.score is None:
            return False
        if self.kind == self.Kind.CSAT:
            return self.score <= 2
        if self.kind == self.Kind.NPS:
            return self.score <= 6
        return False


# Change notices (COM-4) -----------------------------------------------------------


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


# Notes and attachments live in their own modules (imported here so that
# Django finds their models).
from cases.attachments import CaseAttachment  # noqa: E402, F401
from cases.notes import CaseNote  # noqa: E402, F401
