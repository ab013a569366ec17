"""The SLA settings and the clocks' records: escalations, SLA events, the
sweep's digests, response clocks and pauses (SLA-1…SLA-5, COM-1). See
``docs/cases.md``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.cases import Case
from cases.models.interactions import Interaction
from pae_ops.models import TimeStampedModel


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


class Escalation(models.Model):
    """COM-1: who escalated a case, to whom, when and why (append-only)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Escalated by a person")
        SLA_BREACH = "sla_breach", _("SLA breach")
        RESCUE_AREA = "rescue_area", _("Rescue without an answer (to an area)")

    # No index of its own: cases_escalation_case_idx (case, created_at) starts with the case and
    # serves its lookups and cascades; the sweep writes one row less per index.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="escalations",
        verbose_name=_("case"),
        db_index=False,
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Case.EscalationLevel.choices)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )
    # No index on the people: escalations are read by case (the SLA sweep
    # writes one per breached case; two index entries fewer each). Deleting
    # a user (PROTECT) scans the table, which a deactivation never does.
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("escalated by"),
    )
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations_received",
        db_index=False,
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

    # No index of its own: the unique (case, window, kind, cycle) starts with the case and
    # serves its lookups and cascades; the sweep writes one row less per index.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="sla_events",
        verbose_name=_("case"),
        db_index=False,
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


class SlaCheck(models.Model):
    """SLA-4: a case's *next SLA check*, the earliest instant the sweep has
    something to check on it (a warning or breach not recorded yet, of the
    case or of a later contact's clock). A case with nothing left to check
    has no row.

    Kept by the services (``cases.services.sla_next``) and by the sweep,
    which reads only the checks that are due (``<= now``) from the partial
    index, in (instant, case) order. A narrow table of its own: the sweep
    rewrites every due case's check, and on the case row that change would
    be a new entry in each of the case table's indexes.
    """

    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_check",
        verbose_name=_("case"),
    )
    at = models.DateTimeField(_("next SLA check at"))

    class Meta:
        verbose_name = _("next SLA check")
        verbose_name_plural = _("next SLA checks")
        indexes = [
            # What the sweep reads, in the order it reads it.
            models.Index(fields=["at", "case"], name="cases_slacheck_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id}: {self.at}"


class SlaDigest(models.Model):
    """SLA-4: one sweep's warnings and breaches for one person, as one notification.

    The bell row (``notification``: title with the count, the first cases
    listed in its body), the number of cases, and the full case list of that
    sweep in ``parts`` (one per batch of the sweep that had cases for this
    person). The per-case facts (which window, warning or breach, at which
    deadline) are the ``SlaEvent`` rows of those cases recorded by that sweep
    (``recorded_at = swept_at``). Written set-based by the sweep
    (``cases.services.sla_writes.sweep_batch``); emailed once the sweep
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
    case_count = models.PositiveIntegerField(_("number of cases"), default=0)
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
        return f"{self.notification_id} ({self.case_count})"

    @property
    def case_ids(self) -> list[int]:
        """Every case of the digest, batch after batch (one query)."""
        return [case_id for part in self.parts.order_by("pk") for case_id in part.case_ids]


class SlaDigestPart(models.Model):
    """The cases one batch of a sweep added to a digest.

    Written once by that batch and never rewritten: a storm's digest grows by
    rows, not by rewriting an ever longer list in every batch (the sweep of
    100,000 due cases spent ~4 s doing that; ``docs/benchmarks.md``).
    """

    digest = models.ForeignKey(
        SlaDigest, on_delete=models.CASCADE, related_name="parts", verbose_name=_("SLA digest")
    )
    case_ids = ArrayField(models.BigIntegerField(), verbose_name=_("cases"))

    class Meta:
        verbose_name = _("SLA digest part")
        verbose_name_plural = _("SLA digest parts")

    def __str__(self) -> str:
        return f"{self.digest_id} ({len(self.case_ids)})"


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
            # One clock per wait (SLA-1): a case waits on one clock at a time.
            # Its index serves the lookups of the clock a case waits on
            # (answers, the queue, the board, the case page), which join it.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(answered_at__isnull=True, stopped_at__isnull=True),
                name="cases_respclock_one_pending",
            ),
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
