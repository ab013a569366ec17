"""The leader's board filters (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from pae_ops.widgets import FastSelect


class BoardFilter(django_filters.FilterSet):
    """Search by subject or client; narrow by SLA state, status, kind and assignee.

    The queryset must carry the board's annotations (``sla_rank``) and the
    ``now`` it was computed for is passed in: "no follow-up" compares with it.
    Without a status the board shows the open cases.
    """

    STATE_CHOICES = [
        ("breached", _("Breached")),
        ("at_risk", _("At risk")),
        ("on_time", _("On time")),
        ("no_follow_up", _("No follow-up")),
    ]
    # The states that read the queryset's ``sla_rank``.
    RANKED_STATES = ("breached", "at_risk", "on_time")

    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", max_length=200, strip=True
    )
    state = django_filters.ChoiceFilter(
        label=_("SLA"),
        choices=STATE_CHOICES,
        method="filter_state",
        empty_label=_("Any"),
        widget=FastSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Case.Status.choices, empty_label=_("Open"), widget=FastSelect
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Case.Kind.choices, empty_label=_("Any kind"), widget=FastSelect
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=Case.objects.none(),
        empty_label=_("Anyone in the team"),
        widget=FastSelect,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, users: QuerySet | None = None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        fields = self.form.fields
        if users is not None:
            fields["assignee"].queryset = users
        fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.username
        fields["q"].widget.attrs.update(
            {"class": "form-control form-control-sm", "type": "search", "autocomplete": "off"}
        )
        for name in ("state", "status", "kind", "assignee"):
            fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str):
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(client__name__icontains=value))

    def filter_state(self, queryset: QuerySet[Case], name: str, value: str):
        if value == "no_follow_up":
            return queryset.filter(follow_up_due_at__lte=self.now)
        rank = {state: rank for rank, state in enumerate(self.RANKED_STATES)}.get(value)
        return queryset if rank is None else queryset.filter(sla_rank=rank)
