"""CSAT, NPS and CES surveys (COM-2, COM-3, RES-7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models.cases import Case
from pae_ops.models import TimeStampedModel


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
