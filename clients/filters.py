"""The client list's filters (django-filter)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Product, Purchase, Segment
from pae_ops.roles import Role
from partners.models import Language, Partner


def _agents() -> QuerySet:
    """Users an agent filter may name: agents and leaders (both work clients)."""
    return (
        get_user_model()
        .objects.filter(groups__name__in=[Role.AGENT.value, Role.LEADER.value], is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _selling_partners() -> QuerySet[Partner]:
    """Partners with at least one product: only they can appear on a purchase."""
    return Partner.objects.filter(Exists(Product.objects.filter(partner=OuterRef("pk")))).order_by(
        "brand_name", "id"
    )


class ClientFilter(django_filters.FilterSet):
    """Search clients by name, email or phone; narrow by segment in force,
    assigned agent, a partner they bought from, and a language they speak."""

    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", max_length=200, strip=True
    )
    segment = django_filters.ChoiceFilter(
        label=_("Segment"),
        choices=Segment.choices,
        method="filter_segment",
        empty_label=_("Any segment"),
    )
    agent = django_filters.ModelChoiceFilter(
        label=_("Agent"),
        field_name="assigned_agent",
        queryset=_agents(),
        empty_label=_("Any agent"),
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"),
        queryset=_selling_partners(),
        method="filter_partner",
        empty_label=_("Any partner"),
    )
    language = django_filters.ModelChoiceFilter(
        label=_("Language"),
        field_name="languages",
        queryset=Language.objects.all(),
        to_field_name="code",
        empty_label=_("Any language"),
    )

    class Meta:
        model = Client
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["agent"].label_from_instance = lambda user: user.get_full_name() or user.username
        fields["q"].widget.attrs.update(
            {"class": "form-control form-control-sm", "type": "search", "autocomplete": "off"}
        )
        for name in ("segment", "agent", "partner", "language"):
            fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def filter_search(self, queryset: QuerySet[Client], name: str, value: str):
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(phone__icontains=value)
        )

    def filter_segment(self, queryset: QuerySet[Client], name: str, value: str):
        # The segment in force (SEG-5): the override when set, else the computed one.
        return queryset.filter(
            Q(segment_override=value) | Q(segment_override="", computed_segment=value)
        )

    def filter_partner(self, queryset: QuerySet[Client], name: str, value: Partner):
        # Exists, not a join: a client with several purchases of the partner
        # must appear once, and pagination must count clients, not purchases.
        return queryset.filter(
            Exists(Purchase.objects.filter(client=OuterRef("pk"), product__partner=value))
        )
