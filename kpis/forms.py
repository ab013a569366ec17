"""The dashboards' filters: month, agent, segment, partner, product (GET, in the URL).

The choices come from ``kpis.selectors.filter_choices`` (two queries for
the whole page); a value that does not validate is ignored, as django-filter
does, and shown as an error next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Segment
from kpis.queries import KpiFilters
from kpis.selectors import FilterChoices

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class KpiQuery:
    month: date
    filters: KpiFilters


class KpiFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}),
    )
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    partner = forms.TypedChoiceField(
        label=_("Partner"), required=False, coerce=int, empty_value=None
    )
    product = forms.TypedChoiceField(
        label=_("Product"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self, *args, choices: FilterChoices, default_month: date, products: bool = True, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.default_month = default_month
        shown = default_month.strftime("%Y-%m")
        if self.is_bound and not self.data.get("month"):
            # Show the month the figures are for, also when only a filter came.
            self.data = self.data.copy()
            self.data["month"] = shown
        self.fields["month"].initial = shown
        fields = self.fields
        if not products:
            # The team view's figures (service, typing) have no product.
            del fields["partner"], fields["product"]
        fields["agent"].choices = [("", _("Any agent")), *choices.agents]
        fields["segment"].choices = [("", _("Any segment")), *Segment.choices]
        if products:
            fields["partner"].choices = [("", _("Any partner")), *choices.partners]
            fields["product"].choices = [("", _("Any product")), *choices.products]
        fields["month"].widget.attrs["placeholder"] = default_month.strftime("%Y-%m")
        for name, field in fields.items():
            if name != "month":
                field.widget.attrs["class"] = "form-select form-select-sm"

    def clean_month(self) -> date | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        match = MONTH_RE.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise forms.ValidationError(_("Choose a month as YYYY-MM."))
        return date(int(match.group(1)), int(match.group(2)), 1)

    def query(self) -> KpiQuery:
        """The month and filters asked for; defaults for what is missing or invalid."""
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that validate
        data = getattr(self, "cleaned_data", {})
        agent = data.get("agent")
        return KpiQuery(
            month=data.get("month") or self.default_month,
            filters=KpiFilters(
                agent_ids=(agent,) if agent else None,
                segment=data.get("segment") or "",
                partner_id=data.get("partner") or None,
                product_id=data.get("product") or None,
            ),
        )
