"""``manage.py seed_scale``: a tiny run of the real thing, and its guard."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, Interaction, Survey
from clients.models import Client, Purchase
from kpis import scale
from kpis.models import KpiRollupState

TINY = {
    "clients": 800,
    "purchases": 900,
    "cases": 500,
    "open_cases": 300,
    "interactions": 2600,
    "surveys": 120,
    "agents": 6,
    "months": 3,
}


@pytest.mark.django_db(transaction=True)
def test_seed_scale_builds_the_counts_asked_for_deterministically(role_groups):
    """The counts, the bench's special rows, VACUUM ANALYZE and the roll-up."""
    from tests.cases.factories import TypingReasonFactory, ensure_default_calendar

    # A transactional test flushed what the data migrations seed.
    ensure_default_calendar()
    TypingReasonFactory()
    out = io.StringIO()
    options = {f"--{name.replace('_', '-')}": value for name, value in TINY.items()}
    args = [f"{key}={value}" for key, value in options.items()]
    call_command("seed_scale", *args, "--force", "--anchor=2026-03-15", stdout=out)

    assert Client.objects.count() == 800
    assert Purchase.objects.count() == 900
    assert Case.objects.count() == 500
    assert Case.objects.filter(status__in=Case.OPEN_STATUSES).count() == 300
    assert Interaction.objects.count() == 2600
    assert Interaction.objects.filter(reason__isnull=False).exists()
    assert Interaction.objects.filter(case_id=1).count() == scale.BIG_CASE_INTERACTIONS
    assert Survey.objects.filter(status=Survey.Status.ANSWERED).count() == 120
    queue_agents = sorted(
        Case.objects.filter(
            status__in=Case.OPEN_STATUSES,
            assignee__username__in=["scale-agent-04", "scale-agent-05", "scale-agent-06"],
        ).values_list("assignee__username", flat=True)
    )
    assert [queue_agents.count(f"scale-agent-0{n}") for n in (4, 5, 6)] == [10, 50, 200]
    assert KpiRollupState.objects.get().covered_through is not None
    assert "Scale data set ready" in out.getvalue()

    # The same seed and anchor give the same rows.
    first = list(
        Purchase.objects.order_by("pk").values_list("client_id", "product__name", "purchased_on")[
            :50
        ]
    )
    call_command(
        "seed_scale", *args, "--force", "--reset", "--anchor=2026-03-15", stdout=io.StringIO()
    )
    again = list(
        Purchase.objects.order_by("pk").values_list("client_id", "product__name", "purchased_on")[
            :50
        ]
    )
    assert again == first


@pytest.mark.django_db
def test_seed_scale_refuses_a_database_not_named_for_it():
    """Real data is safe: the test database's name has neither "scale" nor "bench"."""
    with pytest.raises(CommandError, match="scale"):
        call_command("seed_scale", "--clients=10", stdout=io.StringIO())
