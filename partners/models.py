"""White-label partners, from first contact to the directory.

A partner walks the onboarding stages of PAR-2 in order (``Stage``,
``STAGE_TRANSITIONS``); only ``partners.services`` moves it, and only when the
current stage is complete (what "complete" means is in
``partners.selectors.stage_gaps``). Independently of its stage a partner may
be paused or rejected (``PartnerStatus``): neither advances.

Rules: PAR-1 (scorecard), PAR-2 (stages), PAR-3 (only active partners sell),
PAR-4 (languages), ROLE-1 (partner approver contacts).
"""

from __future__ import annotations

import uuid
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel
from partners.validators import validate_document


def document_upload_to(instance: models.Model, filename: str) -> str:
    """``partners/<partner_id>/<uuid>.<ext>``: never the uploader's file name."""
    extension = Path(filename).suffix.lower().lstrip(".")
    return f"partners/{instance.partner_id}/{uuid.uuid4().hex}.{extension}"


# Names of the language codes the data migration seeds, translated for display.
LANGUAGE_NAMES = {
    "es": _("Spanish"),
    "en": _("English"),
    "pt": _("Portuguese"),
    "fr": _("French"),
}


class Language(models.Model):
    """A language a partner's team works in (ISO 639-1 code), seeded by a data migration."""

    code = models.CharField(
        _("code"), max_length=8, unique=True, help_text=_("ISO 639-1 code, for example es.")
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(LANGUAGE_NAMES.get(self.code, self.name))


class Offering(models.Model):
    """A kind of service partners offer (the directory filters by it)."""

    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("service offered")
        verbose_name_plural = _("services offered")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="partners_offering_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    """The onboarding stages of PAR-2, in order."""

    IDENTIFIED = "identified", _("Identified")
    VETTING = "vetting", _("Vetting")
    LEGAL = "legal", _("Legal agreements")
    OPERATIONAL = "operational", _("Operational onboarding")
    TRAINING = "training", _("Training")
    DIRECTORY = "directory", _("Directory (active)")


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
# A partner moves one stage forward at a time and never back (PAR-2).
STAGE_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    **{current: frozenset({following}) for current, following in pairwise(STAGE_ORDER)},
    Stage.DIRECTORY: frozenset(),
}


class PartnerStatus(models.TextChoices):
    """Whether the partner is moving through onboarding at all."""

    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    REJECTED = "rejected", _("Rejected")


STATUS_TRANSITIONS: dict[PartnerStatus, frozenset[PartnerStatus]] = {
    PartnerStatus.OPEN: frozenset({PartnerStatus.PAUSED, PartnerStatus.REJECTED}),
    PartnerStatus.PAUSED: frozenset({PartnerStatus.OPEN, PartnerStatus.REJECTED}),
    PartnerStatus.REJECTED: frozenset(),
}


class Partner(TimeStampedModel):
    """A white-label partner (candidate until it reaches the directory).

    ``stage`` and ``status`` are assigned only by ``partners.services``; the
    admin shows them read-only. ``country`` is free text (no country package
    in the stack); the admin's list filter offers the values in use.
    """

    legal_name = models.CharField(_("legal name"), max_length=200)
    brand_name = models.CharField(_("brand / trade name"), max_length=200)
    country = models.CharField(_("country"), max_length=80)
    languages = models.ManyToManyField(
        Language, related_name="partners", blank=True, verbose_name=_("languages spoken")
    )
    services = models.ManyToManyField(
        Offering, related_name="partners", blank=True, verbose_name=_("services offered")
    )
    summary = models.TextField(
        _("what they offer"),
        blank=True,
        help_text=_("A few lines for the directory: what the partner delivers and for whom."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_partners",
        limit_choices_to={"is_active": True},
        verbose_name=_("account manager"),
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.IDENTIFIED
    )
    stage_changed_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=PartnerStatus.choices, default=PartnerStatus.OPEN
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("status changed by"),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["brand_name", "id"]
        indexes = [
            models.Index(fields=["stage", "status"], name="partners_partner_stage_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("legal_name"),
                name="partners_partner_legal_name_unique",
                violation_error_message=_("A partner with this legal name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="partners_partner_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PartnerStatus.values), name="partners_partner_status_valid"
            ),
            # A paused or rejected partner always says why.
            models.CheckConstraint(
                condition=Q(status=PartnerStatus.OPEN) | ~Q(status_reason=""),
                name="partners_partner_status_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.brand_name or self.legal_name

    @property
    def stage_number(self) -> int:
        """1 for identified … 6 for directory (the admin's progress bar)."""
        return STAGE_ORDER.index(Stage(self.stage)) + 1

    @property
    def next_stage(self) -> Stage | None:
        following = STAGE_TRANSITIONS[Stage(self.stage)]
        return next(iter(following)) if following else None

    @property
    def is_active(self) -> bool:
        """In the directory and neither paused nor rejected (PAR-3)."""
        return self.stage == Stage.DIRECTORY and self.status == PartnerStatus.OPEN

    @property
    def can_advance(self) -> bool:
        """Whether an advance is worth offering; the service checks again (PAR-2)."""
        return self.status == PartnerStatus.OPEN and self.next_stage is not None


class PartnerStageChange(models.Model):
    """One move of a partner to the next stage: who and when (the stage dates)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("partner")
    )
    from_stage = models.CharField(_("from"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("to"), max_length=12, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        constraints = [
            # Stages only move forward, so each is entered at most once: the
            # last defence against a double advance.
            models.UniqueConstraint(
                fields=["partner", "to_stage"], name="partners_stage_change_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class VettingCriterion(models.TextChoices):
    """The seven PAR-1 criteria; all must pass to leave vetting."""

    ALIGNMENT = "alignment", _("Alignment with high-ticket services")
    SUCCESS_CASES = (
        "success_cases",
        _("Tangible success cases (portfolio, verifiable results, testimonials)"),
    )
    PROCESSES = "processes", _("Standardised, documented processes")
    SCHEDULE = "schedule", _("Detailed, realistic work schedule")
    RESPONSE_CAPACITY = "response_capacity", _("Response capacity (team and infrastructure)")
    SOLVENCY = "solvency", _("Solvency and formal business structure")
    WHITE_LABEL = "white_label", _("Absolute white-label commitment")


class ScorecardResult(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class ScorecardEntry(TimeStampedModel):
    """The reviewer's verdict on one PAR-1 criterion, with its evidence."""

    Result = ScorecardResult

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="scorecard_entries",
        verbose_name=_("partner"),
    )
    criterion = models.CharField(_("criterion"), max_length=20, choices=VettingCriterion.choices)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"),
        upload_to=document_upload_to,
        validators=[validate_document],
        max_length=255,
        blank=True,
    )
    result = models.CharField(_("result"), max_length=4, choices=ScorecardResult.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_on = models.DateField(_("reviewed on"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scorecard entry")
        verbose_name_plural = _("vetting scorecard")
        ordering = ["partner", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "criterion"], name="partners_scorecard_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(criterion__in=VettingCriterion.values),
                name="partners_scorecard_criterion_valid",
            ),
            models.CheckConstraint(
                condition=Q(result__in=ScorecardResult.values),
                name="partners_scorecard_result_valid",
            ),
            models.CheckConstraint(
                condition=~Q(evidence="") | ~Q(evidence_file=""),
                name="partners_scorecard_has_evidence",
                violation_error_message=_("Give the evidence as text or as a file."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {self.get_result_display()}"


class VettingInterview(TimeStampedModel):
    """The viability interview of the vetting stage."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="interviews", verbose_name=_("partner")
    )
    held_on = models.DateField(_("held on"))
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("interviewer"),
    )
    notes = models.TextField(_("notes"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vetting interview")
        verbose_name_plural = _("vetting interviews")
        ordering = ["partner", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.held_on}"


class AgreementKind(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial agreement")
    NDA = "nda", _("Non-disclosure agreement (NDA)")
    WHITE_LABEL = "white_label", _("White-label contract")


class Agreement(TimeStampedModel):
    """One of the three legal agreements of PAR-2; complete once signed with its document."""

    Kind = AgreementKind

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("partner")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementKind.choices)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    document = models.FileField(
        _("document"),
        upload_to=document_upload_to,
        validators=[validate_document],
        max_length=255,
        blank=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["partner", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "kind"], name="partners_agreement_one_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=AgreementKind.values), name="partners_agreement_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.partner}"

    @property
    def is_complete(self) -> bool:
        return self.signed_on is not None and bool(self.document)


class OnboardingTask(models.TextChoices):
    """The checklist of the operational and training stages (PAR-2)."""

    ZOOM = "zoom", _("Zoom account")
    ZOHO_CRM = "zoho_crm", _("Zoho CRM access")
    SLACK = "slack", _("Slack access")
    DEEL = "deel", _("DEEL set-up")
    PHOTO = "photo", _("Professional photo")
    BRANDING = "branding", _("Branding material")
    POLICIES = "policies", _("Training on policies")
    WORKFLOWS = "workflows", _("Training on workflows")
    ACCOUNT_MANAGER_ROLE = "account_manager", _("Training on the Account Manager role")
    BRIEFS = "briefs", _("Briefs and templates sent")


STAGE_TASKS: dict[Stage, tuple[OnboardingTask, ...]] = {
    Stage.OPERATIONAL: (
        OnboardingTask.ZOOM,
        OnboardingTask.ZOHO_CRM,
        OnboardingTask.SLACK,
        OnboardingTask.DEEL,
        OnboardingTask.PHOTO,
        OnboardingTask.BRANDING,
    ),
    Stage.TRAINING: (
        OnboardingTask.POLICIES,
        OnboardingTask.WORKFLOWS,
        OnboardingTask.ACCOUNT_MANAGER_ROLE,
        OnboardingTask.BRIEFS,
    ),
}


class ChecklistItem(TimeStampedModel):
    """One onboarding task; done when it has a date and who did it."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="checklist_items",
        verbose_name=_("partner"),
    )
    task = models.CharField(_("task"), max_length=20, choices=OnboardingTask.choices)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("onboarding checklist item")
        verbose_name_plural = _("onboarding checklist")
        ordering = ["partner", "task"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "task"], name="partners_checklist_one_task"),
            models.CheckConstraint(
                condition=Q(task__in=OnboardingTask.values), name="partners_checklist_task_valid"
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True, done_by__isnull=True)
                | Q(done_on__isnull=False, done_by__isnull=False),
                name="partners_checklist_done_by_and_on",
            ),
        ]

    def __str__(self) -> str:
        return self.get_task_display()

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class PartnerContact(TimeStampedModel):
    """A person at the partner; one who approves refunds may get a login (ROLE-1)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("partner")
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"))
    approves_refunds = models.BooleanField(
        _("approves refunds"),
        default=False,
        help_text=_("Co-approves the partial refunds of this partner's purchases."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_contact",
        verbose_name=_("login"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner contact")
        verbose_name_plural = _("partner contacts")
        ordering = ["partner", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
