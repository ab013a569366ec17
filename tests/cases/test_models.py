"""Row-level invariants, the seeded data and the admin of the cases app."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from cases.models import (
    Case,
    Interaction,
    SlaEvent,
    SlaSettings,
    TypingCategory,
    TypingReason,
)
from cases.selectors import get_sla_settings
from tests.cases.factories import CaseFactory, InteractionFactory, TypingReasonFactory, mx
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_interaction_has_both_category_and_reason_or_neither():
    """RULES: TYP-2"""
    reason = TypingReasonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(category=reason.category, reason=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(category=None, reason=reason)


def test_one_sla_event_per_case_window_kind_and_cycle():
    """RULES: SLA-4. The last defence against a double alert."""
    case = CaseFactory()
    values = {"case": case, "window": "resolution", "kind": "breach", "cycle": 1}
    SlaEvent.objects.create(**values, occurred_at=mx(2026, 11, 12), recorded_at=mx(2026, 11, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaEvent.objects.create(
            **values, occurred_at=mx(2026, 11, 12), recorded_at=mx(2026, 11, 13)
        )
    SlaEvent.objects.create(
        **{**values, "cycle": 2}, occurred_at=mx(2026, 11, 20), recorded_at=mx(2026, 11, 20)
    )


def test_a_resolved_case_has_its_resolution_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(status=Case.Status.RESOLVED, resolved_at=None)


def test_the_transition_map_keeps_closed_cases_closed():
    assert Case.ALLOWED_TRANSITIONS[Case.Status.CLOSED] == set()
    assert Case.Status.IN_PROGRESS in Case.ALLOWED_TRANSITIONS[Case.Status.RESOLVED]


def test_sla_settings_are_seeded_with_the_rules_defaults():
    """RULES: SLA-1, SLA-2, SLA-4, SLA-5"""
    sla = get_sla_settings()
    assert sla.pk == 1
    assert (
        sla.first_response_hours,
        sla.resolution_target_hours,
        sla.resolution_limit_hours,
        sla.warning_percent,
        sla.no_follow_up_hours,
    ) == (Decimal("8"), Decimal("48"), Decimal("72"), 75, Decimal("18"))


def test_sla_limit_cannot_be_shorter_than_the_target():
    """RULES: SLA-2"""
    sla = SlaSettings.objects.get(pk=1)
    sla.resolution_limit_hours = Decimal("40")
    with pytest.raises(IntegrityError), transaction.atomic():
        sla.save()


def test_the_seeded_taxonomy_is_in_spanish_with_english_names():
    """RULES: TYP-2"""
    payments = TypingCategory.objects.get(name_es="Pagos y facturación")
    assert payments.name_en == "Payments and billing"
    assert payments.reasons.filter(is_active=True).count() >= 3
    upsell = TypingReason.objects.get(category__name_es="Ventas", name_en="Upsell")
    assert upsell.name_es == "Venta adicional (upsell)"
    assert TypingReason.objects.filter(name_es="Venta cruzada (cross-sell)").exists()
    assert TypingCategory.objects.count() >= 7
    with translation.override("en"):
        assert payments.name == "Payments and billing"
    with translation.override("es"):
        assert payments.name == "Pagos y facturación"


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:cases_slasettings_changelist",
        "admin:cases_typingcategory_changelist",
        "admin:cases_typingcategory_add",
        "admin:cases_typingreason_changelist",
        "admin:cases_responsetemplate_changelist",
        "admin:cases_responsetemplate_add",
        "admin:cases_case_changelist",
        "admin:cases_interaction_changelist",
        "admin:cases_escalation_changelist",
        "admin:cases_slaevent_changelist",
        "admin:pae_ops_businesscalendar_changelist",
    ],
)
def test_admin_pages_of_the_cases_app_open_for_the_admin_role(client, url_name):
    """RULES: ROLE-1. Taxonomy, templates, SLA settings and the calendar in admin."""
    client.force_login(UserFactory(admin=True))
    assert client.get(reverse(url_name)).status_code == 200


def test_cases_are_read_only_in_the_admin(client):
    """RULES: ROLE-1. Cases change through the services only."""
    case = CaseFactory()
    client.force_login(UserFactory(admin=True))
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    response = client.post(reverse("admin:cases_case_change", args=[case.pk]), {"subject": "x"})
    assert response.status_code == 403


def test_the_admin_edits_the_sla_settings(client):
    """RULES: SLA-1. An admin changes a setting; new cases use it."""
    client.force_login(UserFactory(admin=True))
    url = reverse("admin:cases_slasettings_change", args=[1])
    response = client.post(
        url,
        {
            "first_response_hours": "4",
            "resolution_target_hours": "48",
            "resolution_limit_hours": "72",
            "warning_percent": "75",
            "no_follow_up_hours": "18",
        },
    )
    assert response.status_code == 302
    assert get_sla_settings().first_response_hours == Decimal("4")


@pytest.mark.parametrize("language", ["es", "en"])
def test_an_interactions_channel_and_direction_labels_are_the_fields_choices(language):
    """The timeline's fast labels say what Django's own choices say, in the active language."""
    for field_name in ("channel", "direction"):
        field = Interaction._meta.get_field(field_name)
        for value, label in field.choices:
            interaction = Interaction(**{field_name: value})
            with translation.override(language):
                shown = getattr(interaction, f"get_{field_name}_display")()
                assert shown == str(label)
    assert Interaction(channel="unknown").get_channel_display() == "unknown"
