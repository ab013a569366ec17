"""The inactivity sweep over 10,000 clients: set-based, bounded batches (RES-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import services
from cases.models import Case
from clients.models import Client
from pae_ops.models import Notification
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]

CLIENTS = 10_000


def test_inactivity_sweep_over_10000_clients_runs_in_a_bounded_number_of_queries(
    clock, django_assert_max_num_queries
):
    """RULES: RES-1. A tenth silent 7–13 days (warned), a tenth 14 days or
    more (rescued), the rest active; a fixed number of queries per batch of
    1,000, and a second run opens nothing."""
    agents = [UserFactory(agent=True) for _ in range(5)]
    now = clock.now
    rows = []
    for number in range(CLIENTS):
        bucket = number % 10
        days = 8 if bucket == 0 else 20 if bucket == 1 else 1
        rows.append(
            Client(
                name=f"Cliente {number}",
                email=f"c{number}@example.com",
                assigned_agent=agents[number % len(agents)],
                last_answered_at=now - timedelta(days=days),
            )
        )
    Client.objects.bulk_create(rows, batch_size=2000)
    Client.objects.update(created_at=now - timedelta(days=90))

    # 10 batches of 1,000 candidates at most per pass: a handful of queries each.
    with django_assert_max_num_queries(40):
        report = services.sweep_inactivity()

    assert report.as_dict() == {"warnings": CLIENTS // 10, "rescue_cases": CLIENTS // 10}
    assert Case.objects.filter(kind=Case.Kind.RESCUE).count() == CLIENTS // 10
    assert Notification.objects.filter(kind="inactivity-warning").count() == CLIENTS // 10

    # The warned clients are read again (their warning's dedupe key is what
    # makes it once): still a fixed number per batch, and nothing is written.
    with django_assert_max_num_queries(25):
        again = services.sweep_inactivity()
    assert again.as_dict() == {"warnings": 0, "rescue_cases": 0}
    assert Case.objects.filter(kind=Case.Kind.RESCUE).count() == CLIENTS // 10
