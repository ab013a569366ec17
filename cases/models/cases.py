"""Cases and their stored clocks.

Every instant the SLA sweep compares is stored on the case when it opens (and
again when it reopens), so that the sweep is a set of index-friendly
comparisons with ``now`` and never does business-hour arithmetic per row
(SLA-3, SLA-4). See ``docs/cases.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.links import id_url
from pae_ops.models import TimeStampedModel
from pae_ops.search_sql import Unaccent


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
    # One of OPEN_STATUSES, computed by PostgreSQL. The partial indexes of open
    # cases say ``WHERE status_is_open`` rather than naming the statuses, so an
    # update from one open status to another (the SLA sweep's escalation)
    # changes no indexed value and stays a heap-only (HOT) update: the
    # table's 20-odd indexes get no new entry. Filter open cases on it
    # (``status_is_open=True``) so that the planner can use those indexes.
    status_is_open = models.GeneratedField(
        expression=Q(status__in=[status.value for status in OPEN_STATUSES]),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("open"),
    )

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

    # The generated column is the status said again (not audited twice). A
    # case's history is read by case (``id``, indexed) and date; its people
    # and client are not looked up in it, so they have no index there (the
    # SLA sweep writes a history row per escalation: three entries fewer).
    history = HistoricalRecords(
        excluded_fields=["updated_at", "status_is_open"],
        no_db_index=["client", "assignee", "opened_by"],
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-opened_at"], name="cases_case_client_idx"),
            models.Index(
                fields=["assignee", "resolution_due_at"],
                condition=Q(status_is_open=True),
                name="cases_case_assignee_open_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(status_is_open=True),
                name="cases_case_open_res_due_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(status_is_open=True),
                name="cases_case_open_res_warn_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(status_is_open=True),
                name="cases_case_open_fr_due_idx",
            ),
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(status_is_open=True, first_responded_at__isnull=True),
                name="cases_case_open_fr_warn_idx",
            ),
            models.Index(
                fields=["follow_up_due_at"],
                condition=Q(status_is_open=True),
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
                    status_is_open=True,
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
                condition=Q(kind="rescue", status_is_open=True),
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
        return id_url("cases:detail", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.Status(self.status), set())
