"""The typing taxonomy (TYP-2), the rescue protocol's steps (RES-2) and the
response templates (COM-6), each named in Spanish and English."""

from __future__ import annotations

from django.db import models
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
