"""Forms of the clients pages: shape checks only (types, ranges, choices).

Every rule (PAY-1..4, SEG-5, ...) is the service's, shown with
``form.add_error(None, exc.message)``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import PaymentPlan, Segment
from pae_ops.widgets import LocalizedDateField, LocalizedDateInput

# Dates in the UI's language, not the browser's (pae_ops.widgets).
DateInput = LocalizedDateInput


class SegmentOverrideForm(forms.Form):
    """A leader's override; the service asks for the reason (SEG-5)."""

    segment = forms.ChoiceField(
        label=_("Segment"),
        choices=Segment.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class PaymentPlanForm(forms.Form):
    """The plan a purchase could get: previewed, then confirmed (PAY-1..4)."""

    PREVIEW = "preview"
    CONFIRM = "confirm"

    kind = forms.ChoiceField(
        label=_("Kind of plan"),
        choices=PaymentPlan.Kind.choices,
        initial=PaymentPlan.Kind.SURCHARGE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    installment_count = forms.TypedChoiceField(
        label=_("Installments"),
        choices=[(2, "2"), (3, "3")],
        coerce=int,
        initial=3,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    first_due_on = LocalizedDateField(label=_("First due date"), widget=DateInput())
    interval_days = forms.IntegerField(
        label=_("Days between installments"),
        min_value=1,
        max_value=365,
        initial=30,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


class InstallmentPaymentForm(forms.Form):
    """Money received for one installment (PAY-5); the URL names the installment,
    and each form on the page has its own prefix (``pay-<pk>``)."""

    amount = forms.DecimalField(
        label=_("Amount (USD)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    received_on = LocalizedDateField(
        label=_("Received on"), widget=DateInput(attrs={"class": "form-control form-control-sm"})
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
