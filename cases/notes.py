"""Internal notes on a case: what colleagues tell each other about it (never
sent to the client). ``@login`` in a note notifies that colleague once
(``cases.mentions``). A note does not change the case, its status or its
clocks, and is not follow-up with the client (SLA-5): only interactions are.

The model is imported by ``cases.models`` so that Django finds it; the acts
are ``cases.services.notes``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel

NOTE_MAX = 5000


class CaseNote(TimeStampedModel):
    """One internal note; its author may edit it (the history keeps each text)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="notes", verbose_name=_("case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="cases_casenote_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="cases_casenote_body_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} · {self.body[:40]}"
