"""Segmentation in one statement (SEG-1..5): the nightly run equals the one-client
recompute and the rules' Python reference, writes history only where the segment
changed, and costs the same statements at any number of clients."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clients import services
from clients.models import Attendance, Client, Segment, Tier
from clients.segmentation import compute_results, engagement_tier, segment_for, value_tier
from tests.clients.factories import (
    AttendanceFactory,
    ClientFactory,
    InstallmentFactory,
    PaymentFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STORED = ("computed_segment", "value_tier", "engagement_tier", "net_paid", "segment_reason")

# Amounts on both sides of SEG-1's boundaries, and SEG-2's day boundaries.
PAID = st.sampled_from(["0.00", "499.99", "500.00", "4999.99", "5000.00", "5000.01", "12000.00"])
REFUNDED = st.sampled_from(["0.00", "0.01", "500.00"])
SPEC = st.fixed_dictionaries(
    {
        "paid": PAID,
        "refunded": REFUNDED,
        "attended": st.integers(0, 3),
        "missed": st.integers(0, 3),
        # days after the last contact that they answered (None: never contacted)
        "answered_after": st.sampled_from([None, 0, 7, 8]),
        "referred": st.booleans(),
        # an unpaid installment this many days past due (None: none)
        "overdue_days": st.sampled_from([None, 7, 8]),
        # an installment paid this many days late, 60 days ago (None: none)
        "paid_late_days": st.sampled_from([None, 7, 8]),
    }
)


BOUNDARY = {
    "paid": "5000.00",
    "refunded": "0.00",
    "attended": 0,
    "missed": 0,
    "answered_after": None,
    "referred": True,
    "overdue_days": None,
    "paid_late_days": None,
}


def _client_from(spec: dict) -> tuple[Client, dict]:
    """A client with the spec's signals, and what SEG-1..3 say it is."""
    now = timezone.now()
    today = timezone.localdate(now)
    answered = spec["answered_after"]
    contacted = now - datetime.timedelta(days=20)
    client = ClientFactory(
        last_contacted_at=contacted if answered is not None else None,
        last_answered_at=contacted + datetime.timedelta(days=answered)
        if answered is not None
        else None,
    )
    paid, refunded = Decimal(spec["paid"]), Decimal(spec["refunded"])
    if paid or refunded:
        purchase = PurchaseFactory(
            client=client, price=Decimal("20000.00"), refunded_amount=refunded
        )
        if paid:
            PaymentFactory(purchase=purchase, amount=paid)
    for status, count in (
        (Attendance.Status.ATTENDED, "attended"),
        (Attendance.Status.MISSED, "missed"),
    ):
        AttendanceFactory.create_batch(spec[count], client=client, status=status)
    if spec["referred"]:
        ClientFactory(referred_by=client)
    if spec["overdue_days"] is not None:
        InstallmentFactory(
            plan__purchase__client=client,
            amount=Decimal("100.00"),
            due_on=today - datetime.timedelta(days=spec["overdue_days"]),
        )
    if spec["paid_late_days"] is not None:
        due = today - datetime.timedelta(days=60)
        InstallmentFactory(
            plan__purchase__client=client,
            amount=Decimal("100.00"),
            paid_amount=Decimal("100.00"),
            due_on=due,
            paid_on=due + datetime.timedelta(days=spec["paid_late_days"]),
        )
    scheduled = spec["attended"] + spec["missed"]
    participates = (answered is not None and answered <= 7) or (
        scheduled > 0 and spec["attended"] * 2 >= scheduled
    )
    pays_on_time = spec["overdue_days"] in (None, 7) and spec["paid_late_days"] in (None, 7)
    points = int(participates) + int(spec["referred"]) + int(pays_on_time)
    net = paid - refunded
    value, engagement = value_tier(net), engagement_tier(points)
    return client, {
        "participates": participates,
        "promotes": spec["referred"],
        "pays_on_time": pays_on_time,
        "points": points,
        "net_paid": net,
        "value_tier": value,
        "engagement_tier": engagement,
        "computed_segment": segment_for(value, engagement),
    }


def _stored() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in Client.objects.order_by("pk").values_list("pk", *STORED)}


def _forget_segments() -> None:
    Client.objects.update(
        computed_segment=Segment.C,
        value_tier=Tier.LOW,
        engagement_tier=Tier.LOW,
        net_paid=Decimal("0.00"),
        segment_reason="",
        segment_computed_at=None,
    )


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(SPEC, min_size=1, max_size=4))
# Half the sessions attended is participating (SEG-2's boundary), every time.
@example(specs=[{**BOUNDARY, "attended": 1, "missed": 1}, {**BOUNDARY, "attended": 1, "missed": 2}])
def test_the_nightly_statement_equals_the_one_client_recompute_for_every_client(specs):
    """RULES: SEG-1, SEG-2, SEG-3, SEG-4. Random signals around every boundary: the
    nightly set-based run stores, for every client, what the one-client recompute
    (on an event) stores, and what the rules' Python reference says."""
    expected = dict(_client_from(spec) for spec in specs)

    _forget_segments()
    for pk in Client.objects.values_list("pk", flat=True):
        services.recompute_client_segment(client_id=pk)
    one_by_one = _stored()

    _forget_segments()
    services.recompute_all_segments()
    nightly = _stored()

    assert nightly == one_by_one
    results = {result.client_id: result for result in compute_results()}
    for client, reference in expected.items():
        row = Client.objects.get(pk=client.pk)
        signals = ("participates", "promotes", "pays_on_time", "points")
        stored = {
            key: getattr(results[client.pk] if key in signals else row, key) for key in reference
        }
        assert stored == reference, row.segment_reason


def test_the_reason_reads_like_the_rules(settings):
    """RULES: SEG-4. The reason kept with the segment, in the active language."""
    from django.utils import translation

    client, _ = _client_from(
        {
            "paid": "12000.00",
            "refunded": "0.00",
            "attended": 0,
            "missed": 0,
            "answered_after": None,
            "referred": True,
            "overdue_days": None,
            "paid_late_days": None,
        }
    )
    with translation.override("en"):
        services.recompute_all_segments()
    client.refresh_from_db()
    assert client.segment_reason == (
        "Net paid 12,000.00 (value High); engagement 2/3: promotes, pays on time."
    )
    assert client.history.first().history_change_reason.startswith("Nightly segmentation: Net")


def _history_since(moment) -> dict[int, object]:
    return {row.id: row for row in Client.history.filter(history_date__gte=moment)}


def test_history_rows_for_exactly_the_clients_whose_segment_changed():
    """RULES: SEG-4. One history row per client whose computed segment changed, with
    the new values and the previous ones in the row before it; a client whose net
    paid moved inside the same tier is updated without a history row; an unchanged
    client is not written."""
    moves = ClientFactory()  # C → B: pays 600.00 and refers a client
    shifts = ClientFactory()  # C stays C: pays 100.00
    stays = ClientFactory()
    services.recompute_all_segments()
    before = {c.pk: c.updated_at for c in Client.objects.all()}
    PaymentFactory(
        purchase=PurchaseFactory(client=moves, price=Decimal("900.00")), amount=Decimal("600.00")
    )
    ClientFactory(referred_by=moves)  # first computation of this one: history too
    PaymentFactory(
        purchase=PurchaseFactory(client=shifts, price=Decimal("900.00")), amount=Decimal("100.00")
    )

    moment = timezone.now()
    changed = services.recompute_all_segments(now=moment)

    history = _history_since(moment)
    referred = Client.objects.get(referred_by=moves)
    assert set(history) == {moves.pk, referred.pk}
    assert changed == 3  # moves, shifts (net paid) and the new client
    row = history[moves.pk]
    assert (row.computed_segment, row.value_tier, row.net_paid) == (
        Segment.B,
        Tier.MEDIUM,
        Decimal("600.00"),
    )
    assert row.history_type == "~"
    assert row.history_date == moment
    assert row.history_change_reason.startswith(str(services._("Nightly segmentation")))
    previous = row.prev_record
    assert (previous.computed_segment, previous.value_tier) == (Segment.C, Tier.LOW)
    shifts.refresh_from_db()
    assert shifts.net_paid == Decimal("100.00")
    assert shifts.computed_segment == Segment.C
    stays.refresh_from_db()
    assert stays.updated_at == before[stays.pk]
    assert services.recompute_all_segments() == 0
    assert Client.history.filter(history_date__gt=moment).count() == 0


def test_an_override_holds_and_only_the_segment_in_force_becoming_a_calls_the_hooks(monkeypatch):
    """RULES: SEG-5, SEG-7. Computed A under a leader's C override: stored beside it,
    not "became A"; computed A without an override: became A."""
    leader = UserFactory(leader=True)
    seen: list[list[int]] = []
    monkeypatch.setattr("clients.services.BECAME_A_HOOKS", [seen.append])
    contacted = timezone.now() - datetime.timedelta(days=3)  # and answered at once
    overridden, plain = (
        ClientFactory(last_contacted_at=contacted, last_answered_at=contacted) for _ in range(2)
    )
    services.override_segment(actor=leader, client_id=overridden.pk, segment="C", reason="Pausa")
    for client in (overridden, plain):
        PaymentFactory(
            purchase=PurchaseFactory(client=client, price=Decimal("9000.00")),
            amount=Decimal("6000.00"),
        )
        ClientFactory(referred_by=client)
    services.recompute_all_segments()
    overridden.refresh_from_db()
    plain.refresh_from_db()
    assert (overridden.segment, overridden.computed_segment) == (Segment.C, Segment.A)
    assert plain.segment == Segment.A
    assert seen == [[plain.pk]]


def _clients(count: int) -> None:
    agent = UserFactory(agent=True)
    Client.objects.bulk_create(
        Client(name=f"Cliente {index}", email=f"c{index}@example.com", assigned_agent=agent)
        for index in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_the_nightly_run_costs_the_same_statements_at_10_and_1000_clients(
    count, django_assert_num_queries
):
    """RULES: SEG-4. Set-based: one statement computes, updates and keeps history,
    whatever the number of clients (and of clients that became A)."""
    _clients(count)
    # Some become A at each size: the SEG-7 hooks run set-based too.
    for client in Client.objects.order_by("pk")[:3]:
        PaymentFactory(
            purchase=PurchaseFactory(client=client, price=Decimal("9000.00")),
            amount=Decimal("6000.00"),
        )
        ClientFactory(referred_by=client)
    with django_assert_num_queries(STATEMENTS):
        assert services.recompute_all_segments() >= count


# The statement count of a nightly run (the segmentation statement, the SEG-7
# hooks of the cases and refunds apps) at any size.
STATEMENTS = 3


def test_the_clients_table_keeps_room_for_segmentation_to_rewrite_rows_in_place():
    """Segmentation rewrites the computed columns of every client whose result
    changed: half of each page stays free and none of those columns is indexed
    (migration clients/0009), so that PostgreSQL keeps the new row version on
    its page and adds nothing to the table's indexes (docs/clients.md)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
            [Client._meta.db_table],
        )
        (options,) = cursor.fetchone()
        indexed = {
            column
            for constraint in connection.introspection.get_constraints(
                cursor, Client._meta.db_table
            ).values()
            if constraint["index"]
            for column in constraint["columns"] or ()
        }
    assert "fillfactor=50" in options
    written = {
        "computed_segment",
        "value_tier",
        "engagement_tier",
        "net_paid",
        "segment_reason",
        "segment_computed_at",
    }
    assert indexed, "the introspection found the table's indexes"
    assert not indexed & written
