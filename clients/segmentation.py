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

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
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


# SEG-1 and SEG-2's tiers as data: (threshold, tier) from the top, LOW below
# the last one. ``value_tier``/``engagement_tier`` read them in Python (the
# reference the tests check), ``_tier_sql`` turns the same tuples into the
# ``CASE`` the segmentation statement computes: the thresholds live here once.
VALUE_TIERS = ((HIGH_VALUE, Tier.HIGH), (MEDIUM_VALUE, Tier.MEDIUM))
ENGAGEMENT_TIERS = ((3, Tier.HIGH), (1, Tier.MEDIUM))


def _tier(amount, tiers) -> str:
    for threshold, tier in tiers:
        if amount >= threshold:
            return tier
    return Tier.LOW


def value_tier(net_paid: Decimal) -> str:
    """SEG-1: high >= 5,000.00; medium 500.00-4,999.99; low < 500.00."""
    return _tier(net_paid, VALUE_TIERS)


def engagement_tier(points: int) -> str:
    """SEG-2: 3 points high, 1-2 medium, 0 low."""
    return _tier(points, ENGAGEMENT_TIERS)


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


# The statement ------------------------------------------------------------------------
#
# ``annotate_signals`` (the ORM, so PROMOTER_SIGNALS plug in) selects each
# client's raw signals; ``segments_sql`` wraps it in the SEG-1..3 arithmetic,
# written once as SQL from the tuples above (``_tier_sql``) and used by the
# nightly run and the one-client recompute alike (``clients.services``). The
# Python ``value_tier``/``engagement_tier``/``segment_for`` stay as the
# readable reference the tests compare the statement with.


def _tier_sql(column: str, tiers) -> tuple[str, list]:
    whens = " ".join(f"WHEN {column} >= %s THEN %s" for _threshold, _tier in tiers)
    params = [value for threshold, tier in tiers for value in (threshold, str(tier))]
    return f"CASE {whens} ELSE %s END", [*params, str(Tier.LOW)]


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _reason_sql() -> tuple[str, list]:
    """The reason of ``SEG-4``'s history, in the active language, as one SQL expression."""
    template = _("Net paid %(net)s (value %(value)s); engagement %(points)d/3: %(met)s.")
    labels = " ".join("WHEN t.value = %s THEN %s" for _tier in Tier)
    label_params = [value for tier in Tier for value in (str(tier), str(tier.label))]
    fragments = {
        "net": ("to_char(s.net_paid_now, 'FM999,999,999,990.00')", []),
        "value": (f"CASE {labels} END", label_params),
        "points": ("p.points::text", []),
        "met": (
            "COALESCE(NULLIF(CONCAT_WS(', ', CASE WHEN p.participates THEN %s END, "
            "CASE WHEN s.promotes THEN %s END, CASE WHEN s.pays_on_time THEN %s END), ''), %s)",
            [_("participates"), _("promotes"), _("pays on time"), _("no signal")],
        ),
    }
    parts, params, position = [], [], 0
    for match in _PLACEHOLDER.finditer(template):
        sql, fragment_params = fragments[match.group(1)]
        parts += ["%s", sql]
        params += [template[position : match.start()].replace("%%", "%"), *fragment_params]
        position = match.end()
    parts.append("%s")
    params.append(template[position:].replace("%%", "%"))
    return f"LEFT({' || '.join(parts)}, 300)", params


def segments_sql(*, client_ids: Iterable[int] | None = None, now: datetime) -> tuple[str, list]:
    """One ``SELECT`` of every client's (or the given clients') SEG-1..3 result:
    ``id, net_paid, participates, promotes, pays_on_time, points, value,
    engagement, segment, reason`` and the stored ``old_segment, old_override,
    first_time``."""
    queryset = Client.objects.all()
    if client_ids is not None:
        queryset = queryset.filter(pk__in=list(client_ids))
    signals, params = (
        annotate_signals(queryset, now)
        .values(
            "pk",
            "net_paid_now",
            "sessions_scheduled",
            "sessions_attended",
            "answered_in_time",
            "promotes",
            "pays_on_time",
            "computed_segment",
            "segment_override",
            "segment_computed_at",
        )
        .order_by()
        .query.sql_with_params()
    )
    value_sql, value_params = _tier_sql("s.net_paid_now", VALUE_TIERS)
    engagement_sql, engagement_params = _tier_sql("p.points", ENGAGEMENT_TIERS)
    reason_sql, reason_params = _reason_sql()
    sql = (
        f"SELECT s.pk AS id, s.net_paid_now AS net_paid, p.participates, s.promotes, "  # noqa: S608
        f"s.pays_on_time, p.points, t.value, t.engagement, "
        # SEG-3, as segment_for
        f"CASE WHEN t.value = %s AND t.engagement = %s THEN %s "
        f"WHEN t.value = %s OR t.engagement = %s THEN %s ELSE %s END AS segment, "
        f"{reason_sql} AS reason, "
        # what is stored now (for the UPDATE … FROM of clients.services)
        "s.computed_segment AS old_segment, s.segment_override AS old_override, "
        "s.segment_computed_at IS NULL AS first_time "
        # OFFSET 0: the signals are computed once per client, not inlined
        # (subplans and all) into every expression that reads them.
        f"FROM ({signals} OFFSET 0) s "
        # SEG-2: participates (half the sessions, or answered within 7 days), the points
        f"CROSS JOIN LATERAL (SELECT q.participates, "
        f"q.participates::int + s.promotes::int + s.pays_on_time::int AS points FROM (SELECT "
        f"s.answered_in_time OR (s.sessions_scheduled > 0 "
        f"AND s.sessions_attended * 2 >= s.sessions_scheduled) AS participates) q) p "
        f"CROSS JOIN LATERAL (SELECT {value_sql} AS value, {engagement_sql} AS engagement) t"
    )
    segment_params = [
        *(str(Tier.HIGH), str(Tier.HIGH), str(Segment.A)),
        *(str(Tier.LOW), str(Tier.LOW), str(Segment.C), str(Segment.B)),
    ]
    return sql, [
        *segment_params,
        *reason_params,
        *params,
        *value_params,
        *engagement_params,
    ]


@dataclass(frozen=True)
class SegmentResult:
    client_id: int
    net_paid: Decimal
    participates: bool
    promotes: bool
    pays_on_time: bool
    points: int
    value: str
    engagement: str
    segment: str
    reason: str


def compute_results(
    *, client_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[SegmentResult]:
    """Each client's freshly computed result (the statement the services apply), by id."""
    sql, params = segments_sql(client_ids=client_ids, now=now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY s.pk", params)
        return [SegmentResult(*row[:10]) for row in cursor.fetchall()]
