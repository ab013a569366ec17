"""Segmentation (SEG-1..SEG-4), computed set-based in the database.

One query annotates every client with the three SEG-2 signals and the SEG-1
net paid amount; Python only compares the result with what is stored and
writes the changed rows (with history) in batches.

Adding a signal source (the follow-up issue's NPS answers) is one clause:
append a function to ``PROMOTER_SIGNALS`` that returns a boolean expression
over ``Client`` rows, e.g. ``Exists(Survey.objects.filter(client=OuterRef("pk"),
kind="nps", score__gte=9, answered_at__gte=now - 365 days))``. Apps to the
right register it in their ``AppConfig.ready()``; clients never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Attendance, Client, Installment, Payment, Purchase, Segment, Tier
from pae_ops.formatting import money

HIGH_VALUE = Decimal("5000.00")
MEDIUM_VALUE = Decimal("500.00")
PARTICIPATION_WINDOW = timedelta(days=90)
ANSWER_WITHIN = timedelta(days=7)
LATE_TOLERANCE_DAYS = 7
PROMOTER_WINDOW = timedelta(days=365)

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

# Extra "promotes" signals (SEG-2), registered by apps to the right.
PROMOTER_SIGNALS: list[Callable[[datetime], Q | Exists]] = []

# SEG-7: what a client becoming A (the segment in force, however it changed:
# nightly or per-client recomputation, a leader's override set or removed)
# means for the rows of the apps to the right: their leader starts watching
# the client's open cases (cases) and open refund requests (refunds). Each
# hook takes the client ids and runs inside the change's transaction, set
# based. Registered in those apps' ``AppConfig.ready()``, like
# PROMOTER_SIGNALS: clients never imports them.
BECAME_A_HOOKS: list[Callable[[list[int]], None]] = []


def value_tier(net_paid: Decimal) -> str:
    """SEG-1: high >= 5,000.00; medium 500.00-4,999.99; low < 500.00."""
    if net_paid >= HIGH_VALUE:
        return Tier.HIGH
    if net_paid >= MEDIUM_VALUE:
        return Tier.MEDIUM
    return Tier.LOW


def engagement_tier(points: int) -> str:
    """SEG-2: 3 points high, 1-2 medium, 0 low."""
    if points >= 3:
        return Tier.HIGH
    if points >= 1:
        return Tier.MEDIUM
    return Tier.LOW


def segment_for(value: str, engagement: str) -> str:
    """SEG-3: A = high value and high engagement; C = low value or low engagement."""
    if value == Tier.HIGH and engagement == Tier.HIGH:
        return Segment.A
    if value == Tier.LOW or engagement == Tier.LOW:
        return Segment.C
    return Segment.B


def annotate_signals(queryset, now: datetime):
    """Annotate clients with ``net_paid_now`` and the three SEG-2 signals."""
    today = timezone.localdate(now)
    paid = (
        Payment.objects.filter(client=OuterRef("pk"))
        .values("client")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    refunded = (
        Purchase.objects.filter(client=OuterRef("pk"))
        .values("client")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    recent = Attendance.objects.filter(
        client=OuterRef("pk"),
        session_starts_at__gte=now - PARTICIPATION_WINDOW,
        session_starts_at__lte=now,
        status__in=[Attendance.Status.ATTENDED, Attendance.Status.MISSED],
    )
    scheduled = recent.values("client").annotate(n=Count("id")).values("n")
    attended = (
        recent.filter(status=Attendance.Status.ATTENDED)
        .values("client")
        .annotate(n=Count("id"))
        .values("n")
    )
    overdue_now = Installment.objects.filter(
        plan__purchase__client=OuterRef("pk"),
        paid_on__isnull=True,
        due_on__lt=today - timedelta(days=LATE_TOLERANCE_DAYS),
    )
    paid_late = Installment.objects.filter(
        plan__purchase__client=OuterRef("pk"),
        paid_on__isnull=False,
        paid_on__gte=today - timedelta(days=365),
        paid_on__gt=F("due_on") + timedelta(days=LATE_TOLERANCE_DAYS),
    )
    promotes: Q | Exists = Exists(Client.objects.filter(referred_by=OuterRef("pk")))
    for signal in PROMOTER_SIGNALS:
        promotes = promotes | signal(now)
    return queryset.annotate(
        net_paid_now=ExpressionWrapper(
            Coalesce(Subquery(paid, output_field=MONEY), ZERO)
            - Coalesce(Subquery(refunded, output_field=MONEY), ZERO),
            output_field=MONEY,
        ),
        sessions_scheduled=Coalesce(Subquery(scheduled), Value(0)),
        sessions_attended=Coalesce(Subquery(attended), Value(0)),
        answered_in_time=Case(
            When(
                Q(last_contacted_at__isnull=False)
                & Q(last_answered_at__gte=F("last_contacted_at"))
                & Q(last_answered_at__lte=F("last_contacted_at") + ANSWER_WITHIN),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        promotes=Case(When(promotes, then=Value(True)), default=Value(False)),
        pays_on_time=Case(
            When(Exists(overdue_now) | Exists(paid_late), then=Value(False)),
            default=Value(True),
        ),
    )


@dataclass(frozen=True)
class SegmentResult:
    client_id: int
    net_paid: Decimal
    value: str
    engagement: str
    segment: str
    reason: str


def _result(row) -> SegmentResult:
    participates = row.answered_in_time or (
        row.sessions_scheduled > 0 and row.sessions_attended * 2 >= row.sessions_scheduled
    )
    signals = {
        _("participates"): participates,
        _("promotes"): row.promotes,
        _("pays on time"): row.pays_on_time,
    }
    points = sum(signals.values())
    value = value_tier(row.net_paid_now)
    engagement = engagement_tier(points)
    met = ", ".join(name for name, ok in signals.items() if ok) or _("no signal")
    reason = _("Net paid %(net)s (value %(value)s); engagement %(points)d/3: %(met)s.") % {
        "net": money(row.net_paid_now),
        "value": Tier(value).label,
        "points": points,
        "met": met,
    }
    return SegmentResult(
        client_id=row.pk,
        net_paid=row.net_paid_now,
        value=value,
        engagement=engagement,
        segment=segment_for(value, engagement),
        reason=reason[:300],
    )


def compute_results(
    *, client_ids: Iterable[int] | None = None, now: datetime | None = None
) -> Iterable[tuple[Client, SegmentResult]]:
    """Yield each client with its freshly computed segment (one query per chunk)."""
    now = now or timezone.now()
    queryset = Client.objects.order_by("pk")
    if client_ids is not None:
        queryset = queryset.filter(pk__in=list(client_ids))
    # Whole rows: the history written for changed clients reads every field.
    for row in annotate_signals(queryset, now).iterator(chunk_size=2000):
        yield row, _result(row)
