"""The directory's filters (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from partners.models import Language, Offering, Partner


class DirectoryFilter(django_filters.FilterSet):
    """Filter active partners by a language they speak and a service they offer."""

    language = django_filters.ModelChoiceFilter(
        field_name="languages",
        queryset=Language.objects.all(),
        to_field_name="code",
        label=_("Language"),
        empty_label=_("Any language"),
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        queryset=Offering.objects.all(),
        label=_("Service"),
        empty_label=_("Any service"),
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
