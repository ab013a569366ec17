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
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.models import Segment
from kpis.queries import KpiFilters
from kpis.selectors import FilterChoices
from pae_ops.timezones import portal_today

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class KpiQuery:
    month: date
    filters: KpiFilters


MONTHS_OFFERED = 36


def _month_choices(default_month: date, asked: str | None) -> list[tuple[str, str]]:
    """The last ``MONTHS_OFFERED`` months up to this one (and the one asked for,
    if older), newest first, as ``("2026-12", "diciembre de 2026")``."""
    latest = max(default_month, portal_today().replace(day=1))
    months = []
    year, month = latest.year, latest.month
    for _i in range(MONTHS_OFFERED):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    match = MONTH_RE.match(asked or "")
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 2000:
        extra = date(int(match.group(1)), int(match.group(2)), 1)
        if extra not in months:
            months = sorted({*months, extra}, reverse=True)
    return [(m.strftime("%Y-%m"), date_format(m, "YEAR_MONTH_FORMAT")) for m in months]


class KpiFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        # A list of months named in the UI's language: a native month input
        # is drawn in the browser's ("December 2026" inside the Spanish UI).
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
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
        fields["month"].widget.choices = _month_choices(default_month, self.data.get("month"))
        for field in fields.values():
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
