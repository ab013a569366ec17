"""Forms of the case pages: shape checks only (types, lengths, choices).

Every rule (TYP-1, TYP-2, COM-1, COM-6, ROLE-1, ...) is the service's, shown
with ``form.add_error(None, exc.message)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    ChangeNotice,
    Interaction,
    ResponseTemplate,
    Survey,
    TypingCategory,
    TypingReason,
)
from cases.services.interactions import SUMMARY_MAX
from pae_ops.widgets import FastSelect, LocalizedDateTimeField, LocalizedDateTimeInput

NEW_OR_NONE = ""


def reason_choices(
    groups: Sequence[tuple[TypingCategory, list[TypingReason]]],
    *,
    empty_label: str | None = None,
) -> list:
    """Reasons grouped by category (``<optgroup>``): one select types an interaction."""
    choices: list = [("", empty_label or _("Not typed yet"))]
    for category, reasons in groups:
        choices.append((category.name, [(str(reason.pk), reason.name) for reason in reasons]))
    return choices


def template_choices(templates: Iterable[ResponseTemplate]) -> list:
    """Every template in Spanish and in English (``<pk>:<language>``), by language."""
    templates = list(templates)
    return [
        ("", _("Insert a response template…")),
        (_("Spanish"), [(f"{t.pk}:es", t.name) for t in templates]),
        (_("English"), [(f"{t.pk}:en", t.name) for t in templates]),
    ]


# Dates and times in the UI's language, not the browser's (pae_ops.widgets).
LocalDateTimeInput = LocalizedDateTimeInput


class InteractionForm(forms.Form):
    """Log an interaction, typed in the same form (TYP-1, TYP-2), with a
    response template for an answer (COM-6)."""

    case = forms.TypedChoiceField(
        label=_("Case"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.INBOUND,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Interaction.Channel.choices,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    occurred_at = LocalizedDateTimeField(
        label=_("When"),
        required=False,
        widget=LocalDateTimeInput(),
        help_text=_("Leave it empty for the current time."),
    )
    template = forms.ChoiceField(
        label=_("Response template"),
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )
    reason = forms.TypedChoiceField(
        label=_("Typing (category and reason)"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    subject = forms.CharField(
        label=_("Subject of the new case"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("An inbound contact without a case opens one; empty: the summary's start."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of the new case"),
        choices=Case.Kind.choices,
        initial=Case.Kind.REQUEST,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    # A new key each time the form renders; a second submission of the same
    # form (a double click, a retried request) carries the same key and logs
    # nothing more (the service and a unique constraint).
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput())

    def __init__(
        self,
        *args,
        open_cases: Iterable[Case] = (),
        fixed_case: Case | None = None,
        reasons: Sequence[tuple[TypingCategory, list[TypingReason]]] = (),
        templates: Iterable[ResponseTemplate] = (),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_case = fixed_case
        if fixed_case is not None:
            self.fields["case"].choices = [(str(fixed_case.pk), str(fixed_case))]
            self.fields["case"].initial = fixed_case.pk
            self.fields["case"].widget = forms.HiddenInput()
            del self.fields["subject"]
            del self.fields["kind"]
        else:
            self.fields["case"].choices = [
                (NEW_OR_NONE, _("No case yet (an inbound contact opens one)")),
                *[(str(case.pk), str(case)) for case in open_cases],
            ]
        self.fields["reason"].choices = reason_choices(reasons)
        self.fields["template"].choices = template_choices(templates)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["submission_key"].initial = uuid.uuid4()

    def template_id(self) -> int | None:
        value = self.cleaned_data.get("template") or ""
        pk, _sep, _language = value.partition(":")
        return int(pk) if pk.isdigit() else None


class TypeInteractionForm(forms.Form):
    """Type one interaction from the agent's home (TYP-2)."""

    reason = forms.TypedChoiceField(
        label=_("Typing"),
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(
        self, *args, reasons: Sequence[tuple[TypingCategory, list[TypingReason]]] = (), **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(reasons, empty_label=_("Choose a reason…"))


class ReasonForm(forms.Form):
    """A written reason: escalations (COM-1), reopening, closing unresolved."""

    reason = forms.CharField(
        label=_("Why?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Assign to"),
        coerce=int,
        widget=FastSelect(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, users: Iterable = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            (str(user.pk), user.get_full_name() or user.username) for user in users
        ]


class CaseIdsField(forms.Field):
    """Case ids from checkboxes (``name="case"``, repeated): whole numbers."""

    widget = forms.MultipleHiddenInput
    max_digits = 18  # longer than a bigint: not an id of ours

    def to_python(self, value) -> list[int]:
        values = value or []
        if not isinstance(values, list | tuple):
            values = [values]
        if any(not str(v).isdigit() or len(str(v)) > self.max_digits for v in values):
            raise forms.ValidationError(_("That case does not exist."))
        return [int(v) for v in values]


class BulkReassignForm(AssignForm):
    """The board's bulk reassign: the ticked cases, or every case that
    matches the board's filters (``filters``: its query string)."""

    case = CaseIdsField(required=False)
    all_matching = forms.BooleanField(
        label=_("Every case that matches the filter"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("all_matching") and not data.get("case"):
            raise forms.ValidationError(_("Choose at least one case."))
        return data


class OpenCaseForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Case.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# Follow-up: surveys, the weekly review, rescue, change notices ------------------------


class SurveyAnswerForm(forms.Form):
    """The public survey page: one score on the survey's scale, an optional comment."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control", "maxlength": 2000}),
    )

    def __init__(self, *args, scale: tuple[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = scale
        self.fields["score"].choices = [(str(value), str(value)) for value in range(low, high + 1)]
        self.fields["score"].error_messages["required"] = _("Choose an answer.")
        self.fields["score"].error_messages["invalid_choice"] = _("Choose an answer.")


class SendSurveyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Survey"),
        choices=Survey.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Follow-up note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": 2000}),
    )


class RescueAreaForm(forms.Form):
    area = forms.ChoiceField(
        label=_("Escalates to"),
        choices=Case.RescueArea.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class RescueOutcomeForm(forms.Form):
    rescue_outcome = forms.ChoiceField(
        label=_("Outcome of the rescue"),
        choices=[("", _("Choose…")), *Case.RescueOutcome.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ChangeNoticeForm(forms.Form):
    """Schedule a change notice (COM-4); the service checks the dates."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=ChangeNotice.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    product = forms.TypedChoiceField(
        label=_("Affected clients"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title_es = forms.CharField(
        label=_("Title (Spanish)"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    body_es = forms.CharField(
        label=_("Text (Spanish)"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("Clients who speak only English get it; empty: the Spanish text."),
    )
    body_en = forms.CharField(
        label=_("Text (English)"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
    effective_at = LocalizedDateTimeField(label=_("Takes effect at"), widget=LocalDateTimeInput())
    scheduled_send_at = LocalizedDateTimeField(
        label=_("Send at"),
        widget=LocalDateTimeInput(),
        help_text=_("At least 7 days before the change takes effect; 24 hours for an emergency."),
    )
    emergency = forms.BooleanField(
        label=_("Emergency"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    emergency_reason = forms.CharField(
        label=_("Why is it an emergency?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, products: Iterable = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The values in force (COM-4's settings), not the defaults.
        self.fields["scheduled_send_at"].help_text = _(
            "At least %(days)s days before the change takes effect; %(hours)s hours for an "
            "emergency."
        ) % {
            "days": settings.CHANGE_NOTICE_MIN_DAYS,
            "hours": settings.CHANGE_NOTICE_EMERGENCY_MIN_HOURS,
        }
        self.fields["product"].choices = [
            ("", _("Every client with a purchase")),
            *((str(product.pk), str(product)) for product in products),
        ]
