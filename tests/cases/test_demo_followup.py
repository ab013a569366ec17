"""The demo's follow-up data: made once, through the services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case, ChangeNotice, Survey
from pae_ops.models import Notification

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_follow_up_story_once():
    """RULES: COM-2, COM-4, RES-1, RES-2, RES-7"""
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Survey.objects.count(),
        Case.objects.count(),
        ChangeNotice.objects.count(),
        Notification.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        Survey.objects.count(),
        Case.objects.count(),
        ChangeNotice.objects.count(),
        Notification.objects.count(),
    )

    assert Survey.objects.filter(status="answered").count() >= 3
    assert Survey.objects.filter(status="sent").exists()
    # The detractor's answer opened a follow-up case (the history has others).
    assert Case.objects.filter(
        kind=Case.Kind.FOLLOW_UP, client__email="roberto.diaz@example.com"
    ).exists()
    assert Notification.objects.filter(
        kind="inactivity-warning", title__contains="Tomás Aguilar"
    ).exists()
    rescue = Case.objects.get(kind=Case.Kind.RESCUE, client__email="diego.navarro@example.com")
    assert rescue.rescue_first_contact_at is not None
    assert rescue.rescue_escalated_at is None
    assert rescue.rescue_area == "sales"
    assert ChangeNotice.objects.get().status == "scheduled"
