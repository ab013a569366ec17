"""Forms of the refund pages: shape checks only (types, ranges, choices).

Every rule (REF-1..REF-9, RES-4, RES-5, ROLE-2) is the service's and is
shown with ``form.add_error(None, exc.message)``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from refunds.models import RefundOffer, RefundRequest

TEXT = 4000


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control"})


class OpenRequestForm(forms.Form):
    """What the client asks for; the history is shown above it (REF-2)."""

    kind = forms.ChoiceField(
        label=_("Kind of request"),
        choices=RefundRequest.Kind.choices,
        initial=RefundRequest.Kind.REFUND,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    client_request = forms.CharField(
        label=_("What the client asks"), max_length=TEXT, widget=_textarea(4)
    )
    case = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DiagnosisForm(forms.Form):
    """REF-1: the reason and the notes."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=RefundRequest.Reason.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    notes = forms.CharField(label=_("Diagnosis notes"), max_length=TEXT, widget=_textarea(4))


class OfferForm(forms.Form):
    """A non-refund option offered to the client (REF-4, RES-4)."""

    kind = forms.ChoiceField(
        label=_("What is offered"),
        choices=RefundOffer.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    description = forms.CharField(
        label=_("Details"), required=False, max_length=TEXT, widget=_textarea(2)
    )


class OfferAnswerForm(forms.Form):
    ACCEPTED = "accepted"
    DECLINED = "declined"

    answer = forms.ChoiceField(choices=[(ACCEPTED, _("Accepted")), (DECLINED, _("Declined"))])


class ProposalForm(forms.Form):
    """A duplicated credit, a partial or a full refund (REF-5, REF-6)."""

    proposal = forms.ChoiceField(
        label=_("Proposal"),
        choices=RefundRequest.Proposal.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    amount = forms.DecimalField(
        label=_("Amount (USD)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    minor_issue = forms.BooleanField(
        label=_("Minor or isolated issue"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class DecisionForm(forms.Form):
    """An approver's approval or rejection; a rejection needs a comment (the service asks)."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Why is it withdrawn?"), required=False, max_length=TEXT, widget=_textarea(2)
    )


class ExitSurveyForm(forms.Form):
    """RES-5: the client's answers, or their refusal to answer."""

    refused = forms.BooleanField(required=False, widget=forms.HiddenInput)
    main_reason = forms.CharField(
        label=_("Main reason for leaving"), required=False, max_length=TEXT, widget=_textarea(2)
    )
    what_would_change = forms.CharField(
        label=_("What would have kept them"),
        required=False,
        max_length=TEXT,
        widget=_textarea(2),
    )
