"""What the KPIs count: one query per source, at the roll-up's grain.

Each source reads one domain table over a window of days and returns rows of
(family, day, month, agent, segment, partner, product, tenths) with additive
counters, computed with conditional aggregation (``Count``/``Sum`` with
``filter=Q(...)``). The same querysets feed the daily roll-up
(``kpis.services.refresh_kpi_rollups``) and the live part of every selector
(``kpis.queries``), so a roll-up row and a live query can't disagree: the
definitions are written once, here. ``docs/kpis.md`` explains each figure.

Time: a day is a local date in the portal's zone (``TIME_ZONE``,
America/Mexico_City); an instant belongs to the day it falls in. A window is
``[first_day, last_day]`` clipped to ``now``: nothing that happens later than
``now`` (a first-response deadline later today, a guarantee ending tomorrow)
is counted yet.

Dimensions (the filters of the dashboards):

- *agent*: the client's assigned agent for money (purchases, payments,
  refunds, credits, guarantees); who made the offer (KPI-3); the case's
  assignee (service levels); the survey's agent (KPI-4, KPI-5, CES); who
  logged the interaction (TYP-3).
- *segment*: the client's segment in force (SEG-5) when the figures are
  computed.
- *partner*, *product*: the purchase's (or the offer's) product and its
  partner. Cases, surveys and interactions have no product: the service
  figures are not narrowed by these two filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Floor, Least, NullIf, TruncDate, TruncMonth
from django.utils import timezone

from cases.models import Case, Interaction, ResponseClock, Survey, ended_after
from clients.models import Client, CreditEntry, Offer, Payment, PaymentPlan, Product, Purchase
from kpis.models import AMOUNT_MEASURES, MEASURES, Family, KpiBusinessClock
from refunds.models import RefundRequest

# The client's own cases: what a client asked for. Rescue and detractor
# follow-up cases are opened by us and are not defects (defect rate, FCR).
CLIENT_CASE_KINDS = (Case.Kind.REQUEST, Case.Kind.COMPLAINT, Case.Kind.CANCELLATION)
# A first-response time is rounded to the nearest tenth of a business hour.
SECONDS_PER_TENTH = 360

GRAIN = ("family", "period", "month", "agent_id", "segment", "partner_id", "product_id", "tenths")


# SQL helpers ------------------------------------------------------------


class AddDays(Func):
    """``date + days`` as a date (days may be negative)."""

    arity = 2
    output_field = models.DateField()
    template = "(%(expressions)s)"
    arg_joiner = " + "


class NextMonthStart(Func):
    """The first day of the month after a date."""

    arity = 1
    output_field = models.DateField()
    template = "CAST(DATE_TRUNC('month', %(expressions)s) + INTERVAL '1 month' AS date)"


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of an instant (exact numeric)."""

    arity = 1
    output_field = DecimalField(max_digits=20, decimal_places=6)
    template = "EXTRACT(EPOCH FROM %(expressions)s)"


# Windows ---------------------------------------------------------------------------


def local_zone():
    return timezone.get_default_timezone()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class Window:
    """Days ``first_day``..``last_day`` (inclusive) and their instants, up to ``now``."""

    first_day: date
    last_day: date
    start_at: datetime
    end_at: datetime
    # Only what happened (instants) or was written (rows keyed by a date)
    # after this instant: the rest of a day the roll-up holds up to it.
    since: datetime | None = None

    @classmethod
    def of(
        cls, first_day: date, last_day: date, *, now: datetime, since: datetime | None = None
    ) -> Window | None:
        """The window, clipped to ``now``; None when nothing of it has begun."""
        today = timezone.localdate(now, local_zone())
        last_day = min(last_day, today)
        if last_day < first_day:
            return None
        start_at = local_midnight(first_day)
        if since is not None:
            start_at = max(start_at, since)
        end_at = min(local_midnight(last_day + timedelta(days=1)), now)
        return cls(first_day, last_day, start_at, end_at, since)

    @property
    def is_short(self) -> bool:
        """A few days: the live part of a page, not a roll-up refresh."""
        return (self.last_day - self.first_day).days < 7

    def instants(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start_at, f"{field}__lt": self.end_at})

    def days(self, field: str, *, written: str = "created_at") -> Q:
        """Rows keyed by the date in ``field``; after ``since``, only those whose
        ``written`` instant (when the row was recorded) is later."""
        q = Q(**{f"{field}__gte": self.first_day, f"{field}__lte": self.last_day})
        if self.since is not None:
            q &= Q(**{f"{written}__gt": self.since})
        return q


def _day_of(expression) -> TruncDate:
    return TruncDate(expression, tzinfo=local_zone())


def _segment(client: str) -> Coalesce:
    """The client's segment in force: the leader's override, else the computed one."""
    return Coalesce(
        NullIf(F(f"{client}segment_override"), Value("")),
        F(f"{client}computed_segment"),
        output_field=models.CharField(),
    )


def _grain(
    window: Window,
    family: str,
    day,
    *,
    agent: str | None,
    client: str | None,
    product: str | None = None,
    tenths=None,
) -> dict:
    """The grain annotations (prefixed ``g_``: some names are model fields).

    ``client`` and ``product`` are relation paths ending in ``__`` (e.g.
    ``"purchase__client__"``); ``agent`` a field path. Over a few days (the
    live part of a page: today) the client's and product's columns are read
    with a lookup per row; over longer windows (the roll-up's refresh) with
    joins. Same values either way: it only spares the planner the choice of
    hashing a whole table for a day's few hundred rows.
    """
    null_id = Value(None, output_field=models.BigIntegerField())
    lookups = window.is_short
    segment: object = Value("")
    agent_expr: object = F(agent) if agent else null_id
    if client is not None:
        if lookups:
            row = Client.objects.filter(pk=OuterRef(f"{client[:-2]}_id"))
            segment = Subquery(row.annotate(value=_segment("")).values("value")[:1])
            if agent == f"{client}assigned_agent_id":
                agent_expr = Subquery(row.values("assigned_agent_id")[:1])
        else:
            segment = _segment(client)
    partner, product_id = null_id, null_id
    if product is not None:
        product_id = F(f"{product}id")
        if lookups:
            if product.startswith("purchase__"):
                row = Purchase.objects.filter(pk=OuterRef("purchase_id"))
                product_id = Subquery(row.values("product_id")[:1])
                partner = Subquery(row.values("product__partner_id")[:1])
            else:
                partner = Subquery(
                    Product.objects.filter(pk=OuterRef(f"{product[:-2]}_id")).values("partner_id")[
                        :1
                    ]
                )
        else:
            partner = F(f"{product}partner_id")
    return {
        "g_family": Value(family, output_field=models.CharField()),
        "g_period": day,
        "g_month": Cast(TruncMonth(day, output_field=models.DateField()), models.DateField()),
        "g_agent": agent_expr,
        "g_segment": segment,
        "g_partner": partner,
        "g_product": product_id,
        "g_tenths": tenths if tenths is not None else Value(None, output_field=IntegerField()),
    }


def _rows(queryset: QuerySet, grain: dict, measures: dict) -> QuerySet:
    return queryset.annotate(**grain).values(*grain).annotate(**measures).order_by()


# Sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One domain table read at the roll-up's grain."""

    name: str
    family: str
    build: Callable[..., QuerySet]


def purchases(window: Window) -> QuerySet:
    """KPI-1 total sold and the payment plans of the period's sales.

    sold = Σ price of purchases made in the window (whatever happened to
    them later); plan_total = Σ plan totals of those with a payment plan.
    """
    return _rows(
        Purchase.objects.filter(window.days("purchased_on")),
        _grain(
            window,
            Family.SALES,
            F("purchased_on"),
            agent="client__assigned_agent_id",
            client="client__",
            product="product__",
        ),
        {
            "sold_count": Count("pk"),
            "sold_amount": Sum("price"),
            # A lookup per purchase (unique index), not a join of every plan.
            "plan_total": Sum(
                Subquery(
                    PaymentPlan.objects.filter(purchase=OuterRef("pk")).values("total")[:1],
                    output_field=DecimalField(max_digits=12, decimal_places=2),
                )
            ),
        },
    )


def plan_payments(window: Window) -> QuerySet:
    """KPI-1 financed: what was paid toward the plans of the window's sales.

    Payments on a plan's installments received before the first day of the
    month after the purchase: financed =
    plan_total − plan_paid is what was still owed at the end of the month.
    """
    cutoff = NextMonthStart(F("purchase__purchased_on"))
    return _rows(
        Payment.objects.filter(
            window.days("purchase__purchased_on"),
            installment__isnull=False,
            received_on__lt=cutoff,
        ),
        _grain(
            window,
            Family.SALES,
            F("purchase__purchased_on"),
            agent="purchase__client__assigned_agent_id",
            client="purchase__client__",
            product="purchase__product__",
        ),
        {"plan_paid": Sum("amount")},
    )


def payments(window: Window) -> QuerySet:
    """KPI-1 received: payments received in the window, of any purchase."""
    return _rows(
        Payment.objects.filter(window.days("received_on")),
        _grain(
            window,
            Family.SALES,
            F("received_on"),
            agent="client__assigned_agent_id",
            client="client__",
            product="purchase__product__",
        ),
        {"received_count": Count("pk"), "received_amount": Sum("amount")},
    )


def offers(window: Window) -> QuerySet:
    """KPI-3: offers decided in the window (pending offers are not decided)."""
    return _rows(
        Offer.objects.filter(
            window.instants("decided_at"),
            outcome__in=[Offer.Outcome.ACCEPTED, Offer.Outcome.DECLINED],
        ),
        _grain(
            window,
            Family.SALES,
            _day_of("decided_at"),
            agent="offered_by_id",
            client="client__",
            product="product__",
        ),
        {
            "offers_accepted": Count("pk", filter=Q(outcome=Offer.Outcome.ACCEPTED)),
            "offers_declined": Count("pk", filter=Q(outcome=Offer.Outcome.DECLINED)),
        },
    )


# A request that ended its purchase: a completed cancellation, a service
# change (credit for another product; it cancels the purchase) or a full
# refund. A duplicated credit or a partial refund keeps the purchase.
ENDING_REQUEST = (
    Q(resolution=RefundRequest.Resolution.CANCELLED)
    | Q(resolution=RefundRequest.Resolution.REFUNDED, proposal=RefundRequest.Proposal.FULL_REFUND)
    | (
        Q(resolution=RefundRequest.Resolution.CREDITED)
        & ~Q(proposal=RefundRequest.Proposal.DUPLICATED_CREDIT)
    )
)


def guarantees(window: Window) -> QuerySet:
    """KPI-6: purchases whose guarantee ended in the window, and the churned ones.

    The guarantee of a purchase ends at 00:00 of purchased_on +
    guarantee_period_days (its product's). Churned: a request that ended the
    purchase (``ENDING_REQUEST``) was executed before that instant.
    """
    days = F("product__guarantee_period_days")
    ends_on = AddDays(F("purchased_on"), days)
    ended_before = RefundRequest.objects.filter(
        ENDING_REQUEST,
        purchase=OuterRef("pk"),
        status=RefundRequest.Status.EXECUTED,
    ).filter(
        # executed on a local day before the guarantee's end date
        Q(
            executed_at__lt=_local_midnight_sql(
                AddDays(OuterRef("purchased_on"), OuterRef("product__guarantee_period_days"))
            )
        )
    )
    longest = Product.objects.order_by("-guarantee_period_days").values("guarantee_period_days")
    shortest = Product.objects.order_by("guarantee_period_days").values("guarantee_period_days")
    return _rows(
        Purchase.objects.filter(
            # The purchase dates whose guarantee can end in the window, for
            # any product: a range the purchase-date index serves…
            purchased_on__gte=AddDays(Value(window.first_day), -Subquery(longest[:1])),
            purchased_on__lte=AddDays(Value(window.last_day), -Subquery(shortest[:1])),
        )
        .filter(Q(created_at__gt=window.since) if window.since else Q())
        .filter(
            # …then each purchase's own product.
            purchased_on__gte=AddDays(Value(window.first_day), -days),
            purchased_on__lte=AddDays(Value(window.last_day), -days),
        ),
        _grain(
            window,
            Family.SALES,
            ends_on,
            agent="client__assigned_agent_id",
            client="client__",
            product="product__",
        ),
        {
            "guarantees_ended": Count("pk"),
            "guarantees_churned": Count("pk", filter=Q(Exists(ended_before))),
        },
    )


class _LocalMidnight(Func):
    """The instant a local date begins, in the portal's zone."""

    arity = 1
    output_field = models.DateTimeField()

    def as_sql(self, compiler, connection, **extra):
        zone = local_zone().key
        return super().as_sql(
            compiler,
            connection,
            template=f"(CAST(%(expressions)s AS timestamp) AT TIME ZONE '{zone}')",
            **extra,
        )


def _local_midnight_sql(expression) -> _LocalMidnight:
    return _LocalMidnight(expression)


def refunds(window: Window) -> QuerySet:
    """KPI-7 refunds: money refunded (partial or full) by requests executed in the window."""
    return _rows(
        RefundRequest.objects.filter(
            window.instants("executed_at"),
            status=RefundRequest.Status.EXECUTED,
            resolution=RefundRequest.Resolution.REFUNDED,
        ),
        _grain(
            window,
            Family.SALES,
            _day_of("executed_at"),
            agent="client__assigned_agent_id",
            client="client__",
            product="purchase__product__",
        ),
        {"refunds_count": Count("pk"), "refunds_amount": Sum("proposed_amount")},
    )


def credits(window: Window) -> QuerySet:
    """KPI-7 credits: credit given in the window (ledger lines above zero)."""
    return _rows(
        CreditEntry.objects.filter(window.instants("created_at"), amount__gt=0),
        _grain(
            window,
            Family.SALES,
            _day_of("created_at"),
            agent="client__assigned_agent_id",
            client="client__",
            product="purchase__product__",
        ),
        {"credits_count": Count("pk"), "credits_amount": Sum("amount")},
    )


def defect_purchases(window: Window) -> QuerySet:
    """KPI-7 defect rate's denominator: purchases made in the window."""
    return _rows(
        Purchase.objects.filter(window.days("purchased_on")),
        _grain(
            window,
            Family.DEFECT,
            F("purchased_on"),
            agent="client__assigned_agent_id",
            client="client__",
        ),
        {"purchases_all": Count("pk")},
    )


def _fr_settled_at() -> Least:
    """When a first-response window was settled: the answer when it came in
    time, else the deadline (missed, answered late or not at all)."""
    return Least(
        F("first_response_due_at"), Coalesce(F("first_responded_at"), F("first_response_due_at"))
    )


def _res_settled_at() -> Least:
    """When a resolution window was settled: resolved (or closed) in time,
    else the 72-hour limit."""
    return Least(
        F("resolution_due_at"),
        Coalesce(F("resolved_at"), F("closed_at"), F("resolution_due_at")),
    )


def _not_held_by_a_pause(due_field: str, *, paused_at: str = "sla_paused_at") -> Q:
    """SLA-3: a deadline a running pause holds is not settled yet (it moves when
    the pause ends), as the sweep records nothing for it."""
    return Q(**{f"{paused_at}__isnull": True}) | Q(**{f"{due_field}__lte": F(paused_at)})


def first_responses(window: Window) -> QuerySet:
    """KPI-7 first-response SLA: windows settled in the window, met or not (SLA-1).

    The same windows the sweep judges (SLA-4): a missed one is one with a
    breach record. Answered, or open when its deadline passed (a case that
    ended unanswered before it was never due); not held by a pause.
    """
    answered_in_time = Q(first_responded_at__lte=F("first_response_due_at"))
    return _rows(
        Case.objects.alias(settled_at=_fr_settled_at())
        .filter(window.instants("settled_at"))
        .filter(
            Q(first_responded_at__isnull=False)
            | Q(status_is_open=True)
            | ended_after("first_response_due_at")
        )
        .filter(answered_in_time | _not_held_by_a_pause("first_response_due_at")),
        _grain(
            window, Family.SERVICE, _day_of(F("settled_at")), agent="assignee_id", client="client__"
        ),
        {
            "fr_settled": Count("pk"),
            "fr_met": Count("pk", filter=answered_in_time),
        },
    )


def later_responses(window: Window) -> QuerySet:
    """KPI-7 first-response SLA, the later contacts (SLA-1): each response clock
    settled in the window, met (answered by its deadline) or not, into the
    same counters as the cases' first responses. A clock stopped unanswered
    before its deadline (the case ended) was never due."""
    answered_in_time = Q(answered_at__lte=F("due_at"))
    return _rows(
        ResponseClock.objects.alias(
            settled_at=Least(F("due_at"), Coalesce(F("answered_at"), F("due_at")))
        )
        .filter(window.instants("settled_at"))
        .exclude(answered_at__isnull=True, stopped_at__lte=F("due_at"))
        .filter(answered_in_time | _not_held_by_a_pause("due_at", paused_at="case__sla_paused_at")),
        _grain(
            window,
            Family.SERVICE,
            _day_of(F("settled_at")),
            agent="case__assignee_id",
            client="case__client__",
        ),
        {"fr_settled": Count("pk"), "fr_met": Count("pk", filter=answered_in_time)},
    )


def resolutions(window: Window) -> QuerySet:
    """KPI-7 resolution SLA: resolution windows settled in the window (SLA-2).

    Met: resolved (or closed) by the 72-hour limit; within target: by 48 h.
    A reopened case counts with its latest window; a limit a pause holds
    (SLA-3) is not settled yet.
    """
    done = Coalesce(F("resolved_at"), F("closed_at"))
    return _rows(
        Case.objects.alias(settled_at=_res_settled_at(), done_at=done)
        .filter(window.instants("settled_at"))
        .filter(Q(done_at__lte=F("resolution_due_at")) | _not_held_by_a_pause("resolution_due_at")),
        _grain(
            window, Family.SERVICE, _day_of(F("settled_at")), agent="assignee_id", client="client__"
        ),
        {
            "res_settled": Count("pk"),
            "res_met": Count("pk", filter=Q(done_at__lte=F("resolution_due_at"))),
            "res_target_met": Count("pk", filter=Q(done_at__lte=F("resolution_target_at"))),
        },
    )


def first_contact_resolutions(window: Window) -> QuerySet:
    """KPI-7 first-contact resolution: client cases resolved in the window, and
    those resolved with at most one outbound contact and never reopened."""
    outbound = (
        Interaction.objects.filter(
            case=OuterRef("pk"),
            direction=Interaction.Direction.OUTBOUND,
            occurred_at__lte=OuterRef("resolved_at"),
        )
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return _rows(
        Case.objects.filter(window.instants("resolved_at"), kind__in=CLIENT_CASE_KINDS).alias(
            outbound_n=Coalesce(Subquery(outbound, output_field=IntegerField()), 0)
        ),
        _grain(
            window, Family.SERVICE, _day_of("resolved_at"), agent="assignee_id", client="client__"
        ),
        {
            "resolved": Count("pk"),
            "resolved_first_contact": Count("pk", filter=Q(sla_cycle=1, outbound_n__lte=1)),
        },
    )


def opened_cases(window: Window) -> QuerySet:
    """KPI-7 defect rate's numerator: client cases opened in the window."""
    return _rows(
        Case.objects.filter(window.instants("opened_at"), kind__in=CLIENT_CASE_KINDS),
        _grain(
            window, Family.SERVICE, _day_of("opened_at"), agent="assignee_id", client="client__"
        ),
        {"cases_opened": Count("pk")},
    )


def rescues(window: Window) -> QuerySet:
    """KPI-7 rescue success: rescue cases whose outcome was recorded in the window."""
    return _rows(
        Case.objects.filter(
            window.instants("rescue_outcome_at"),
            kind=Case.Kind.RESCUE,
            rescue_outcome__in=[Case.RescueOutcome.RETAINED, Case.RescueOutcome.LOST],
        ),
        _grain(
            window,
            Family.SERVICE,
            _day_of("rescue_outcome_at"),
            agent="assignee_id",
            client="client__",
        ),
        {
            "rescue_closed": Count("pk"),
            "rescue_retained": Count("pk", filter=Q(rescue_outcome=Case.RescueOutcome.RETAINED)),
        },
    )


def surveys(window: Window) -> QuerySet:
    """KPI-4, KPI-5, KPI-7 CES: survey answers received in the window."""
    csat, nps, ces = Survey.Kind.CSAT, Survey.Kind.NPS, Survey.Kind.CES
    return _rows(
        # Every kind named: the (kind, answered_at) index serves the range.
        Survey.objects.filter(
            window.instants("answered_at"),
            kind__in=[csat, nps, ces],
            status=Survey.Status.ANSWERED,
        ),
        _grain(window, Family.SERVICE, _day_of("answered_at"), agent="agent_id", client="client__"),
        {
            "csat_answers": Count("pk", filter=Q(kind=csat)),
            "csat_satisfied": Count("pk", filter=Q(kind=csat, score__gte=4)),
            "nps_answers": Count("pk", filter=Q(kind=nps)),
            "nps_promoters": Count("pk", filter=Q(kind=nps, score__gte=9)),
            "nps_detractors": Count("pk", filter=Q(kind=nps, score__lte=6)),
            "ces_answers": Count("pk", filter=Q(kind=ces)),
            "ces_score_sum": Sum("score", filter=Q(kind=ces)),
        },
    )


def business_seconds(field: str) -> Subquery:
    """Business seconds from the clock's origin until the instant in ``field``
    (an outer reference), from ``KpiBusinessClock``; NULL before the clock."""
    return Subquery(
        KpiBusinessClock.objects.filter(starts_at__lte=OuterRef(field))
        .order_by("-starts_at")
        .annotate(
            value=F("seconds_before")
            + Least(Epoch(OuterRef(field)) - F("starts_epoch"), F("seconds"))
        )
        .values("value")[:1],
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )


def response_times(window: Window) -> QuerySet:
    """KPI-7 median first-response time: cases first answered in the window,
    counted per first-response time in business hours rounded to 0.1 h."""
    seconds = business_seconds("first_responded_at") - business_seconds("opened_at")
    tenths = Cast(
        Floor(
            (seconds + Value(Decimal(SECONDS_PER_TENTH // 2))) / Value(Decimal(SECONDS_PER_TENTH))
        ),
        IntegerField(),
    )
    return _rows(
        Case.objects.filter(window.instants("first_responded_at")),
        _grain(
            window,
            Family.RESPONSE,
            _day_of("first_responded_at"),
            agent="assignee_id",
            client="client__",
            tenths=tenths,
        ),
        {"responded": Count("pk")},
    )


SOURCES: tuple[Source, ...] = (
    Source("purchases", Family.SALES, purchases),
    Source("plan_payments", Family.SALES, plan_payments),
    Source("payments", Family.SALES, payments),
    Source("offers", Family.SALES, offers),
    Source("guarantees", Family.SALES, guarantees),
    Source("refunds", Family.SALES, refunds),
    Source("credits", Family.SALES, credits),
    Source("defect_purchases", Family.DEFECT, defect_purchases),
    Source("first_responses", Family.SERVICE, first_responses),
    Source("later_responses", Family.SERVICE, later_responses),
    Source("resolutions", Family.SERVICE, resolutions),
    Source("first_contact_resolutions", Family.SERVICE, first_contact_resolutions),
    Source("opened_cases", Family.SERVICE, opened_cases),
    Source("rescues", Family.SERVICE, rescues),
    Source("surveys", Family.SERVICE, surveys),
    Source("response_times", Family.RESPONSE, response_times),
)


_COMPILED: dict[tuple, tuple[str, list, list]] = {}


def _sentinel(*, short: bool, since: bool) -> Window:
    """A window of impossible values (1901) to compile a source once: each of
    its values is told apart from the others, and from any other parameter."""
    return Window(
        first_day=date(1901, 1, 1),
        last_day=date(1901, 1, 3) if short else date(1901, 2, 27),
        start_at=datetime(1901, 1, 1, 6, 1, tzinfo=UTC),
        end_at=datetime(1901, 3, 1, 6, 2, tzinfo=UTC),
        since=datetime(1901, 1, 1, 6, 3, tzinfo=UTC) if since else None,
    )


_WINDOW_FIELDS = ("first_day", "last_day", "start_at", "end_at", "since")


def source_sql(source: Source, window: Window) -> tuple[str, list]:
    """``SELECT <GRAIN>, <MEASURES> FROM (<source rows>)``: every measure, 0 when
    the source has none of it, in ``kpis.models.MEASURES`` order.

    The SQL is compiled once per source and shape of window
    (short or not, with ``since`` or not) and its window values swapped in:
    building fifteen querysets on every page cost more than running them.
    """
    key = (source.name, window.is_short, window.since is not None)
    if key not in _COMPILED:
        sentinel = _sentinel(short=window.is_short, since=window.since is not None)
        sql, params = _source_sql(source, sentinel)
        slots = [
            next(
                (
                    name
                    for name in _WINDOW_FIELDS
                    if type(value) is type(getattr(sentinel, name))
                    and value == getattr(sentinel, name)
                ),
                None,
            )
            for value in params
        ]
        _COMPILED[key] = (sql, params, slots)
    sql, params, slots = _COMPILED[key]
    return sql, [
        getattr(window, slot) if slot else value for value, slot in zip(params, slots, strict=True)
    ]


def _source_sql(source: Source, window: Window) -> tuple[str, list]:
    queryset = source.build(window)
    inner, params = queryset.query.sql_with_params()
    own = set(queryset.query.annotation_select) - {f"g_{name}" for name in _GRAIN_ALIASES.values()}
    # NULL literals come as untyped parameters: give every column its type so
    # that the UNION of the sources lines up.
    types = _GRAIN_TYPES
    columns = [
        f"CAST(s.g_{_GRAIN_ALIASES[name]} AS {types[name]}) AS {name}"
        if name in types
        else f"s.g_{_GRAIN_ALIASES[name]} AS {name}"
        for name in GRAIN
    ]
    # One type per counter in every source (bigint, numeric): the UNION of the
    # sources then needs no conversions and PostgreSQL plans it as one Append.
    kinds = {name: "NUMERIC" if name in AMOUNT_MEASURES else "BIGINT" for name in MEASURES}
    columns += [
        f"CAST(COALESCE(s.{name}, 0) AS {kinds[name]}) AS {name}"
        if name in own
        else f"CAST(0 AS {kinds[name]}) AS {name}"
        for name in MEASURES
    ]
    # Column names are the model's constants; the values are parameters.
    return f"SELECT {', '.join(columns)} FROM ({inner}) s", list(params)  # noqa: S608


_GRAIN_TYPES = {
    "family": "text",
    "period": "date",
    "month": "date",
    "agent_id": "bigint",
    "segment": "text",
    "partner_id": "bigint",
    "product_id": "bigint",
    "tenths": "integer",
}

# Grain column -> annotation suffix.
_GRAIN_ALIASES = {
    "family": "family",
    "period": "period",
    "month": "month",
    "agent_id": "agent",
    "segment": "segment",
    "partner_id": "partner",
    "product_id": "product",
    "tenths": "tenths",
}


def union_sql(windows: list[Window], *, families: Iterable[str] | None = None) -> tuple[str, list]:
    """Every source (of ``families``) over every window, as one ``UNION ALL``."""
    wanted = None if families is None else set(families)
    parts: list[str] = []
    params: list = []
    for window in windows:
        for source in SOURCES:
            if wanted is not None and source.family not in wanted:
                continue
            sql, source_params = source_sql(source, window)
            parts.append(sql)
            params.extend(source_params)
    return " UNION ALL ".join(parts), params
