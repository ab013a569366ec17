"""The KPI reads: one function per figure group, then the two dashboards.

Every function takes its time bounds as parameters (local dates, inclusive;
``now`` for "as of"), sums the counters of ``kpis.facts`` with
``kpis.queries.totals`` (daily roll-ups plus the days not rolled up yet,
live, in a fixed number of queries) and turns them into figures with
``kpis.figures``. ``use_rollups=False`` reads every day live: the tests prove
both give the same figures. Definitions: ``kpis.figures`` and docs/kpis.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from cases.selectors import TypingCompliance
from clients.models import Product, Segment
from kpis import figures as fig
from kpis.figures import FIGURES_BY_KEY, FigureDef, Measures
from kpis.models import Family
from kpis.queries import (
    NO_FILTERS,
    KpiFilters,
    Part,
    Totals,
    add_months,
    month_end,
    month_start,
    totals,
)
from pae_ops.roles import Role
from pae_ops.timezones import portal_today

User = get_user_model()

ALL_FAMILIES = (Family.SALES, Family.DEFECT, Family.SERVICE, Family.TYPING)
TREND_MONTHS = 12


def _total(
    *,
    start: date,
    end: date,
    families: tuple[str, ...],
    filters: KpiFilters,
    now: datetime | None,
    use_rollups: bool,
) -> Measures:
    result = totals(
        ranges=[(start, end)],
        parts=[Part("total", (), families)],
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    return result.get("total")


# One function per figure group ------------------------------------------------------


@dataclass(frozen=True)
class SalesRevenue:
    """KPI-1. None: no data (KPI-8)."""

    sold: Decimal | None
    received: Decimal | None
    financed: Decimal | None
    purchases: int
    payments: int


def sales_revenue(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> SalesRevenue:
    """KPI-1 over ``[start, end]``: total sold (Σ price of the purchases made),
    received (Σ payments received) and financed (of the purchases made, Σ
    payment-plan totals − Σ payments of their installments received by the
    end of each purchase's month). Narrowed by every filter."""
    m = _total(
        start=start,
        end=end,
        families=(Family.SALES,),
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    return SalesRevenue(
        sold=fig.compute("sold", m),
        received=fig.compute("received", m),
        financed=fig.compute("financed", m),
        purchases=m["sold_count"],
        payments=m["received_count"],
    )


@dataclass(frozen=True)
class SalesGrowth:
    month: date
    sold: Decimal | None
    year_ago_sold: Decimal | None
    growth: Decimal | None


def sales_growth(
    *,
    month: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> SalesGrowth:
    """KPI-2: total sold in ``month`` against the same month a year before, in %
    (one decimal). No data when nothing was sold a year before."""
    month, year_ago = month_start(month), add_months(month_start(month), -12)
    result = totals(
        ranges=[(year_ago, month_end(year_ago)), (month, month_end(month))],
        parts=[Part("month", ("month",), (Family.SALES,))],
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    current, before = result.get("month", month), result.get("month", year_ago)
    return SalesGrowth(
        month=month,
        sold=fig.compute("sold", current),
        year_ago_sold=fig.compute("sold", before),
        growth=fig.growth(current, before),
    )


@dataclass(frozen=True)
class Rate:
    """A share in %, with what it counts (``rate`` None: no data)."""

    part: int
    whole: int
    rate: Decimal | None


def upsell_acceptance(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> Rate:
    """KPI-3: accepted ÷ (accepted + declined) offers decided in the period."""
    m = _total(
        start=start,
        end=end,
        families=(Family.SALES,),
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    decided = m["offers_accepted"] + m["offers_declined"]
    return Rate(m["offers_accepted"], decided, fig.compute("upsell", m))


def csat(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> Rate:
    """KPI-4: CSAT answers of 4 or 5 stars ÷ all CSAT answers received in the period."""
    m = _total(
        start=start,
        end=end,
        families=(Family.SERVICE,),
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    return Rate(m["csat_satisfied"], m["csat_answers"], fig.compute("csat", m))


@dataclass(frozen=True)
class NetPromoterScore:
    answers: int
    promoters: int
    detractors: int
    score: Decimal | None


def nps(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> NetPromoterScore:
    """KPI-5: % promoters (9–10) − % detractors (0–6) of the NPS answers received
    in the period, from −100 to 100 (one decimal)."""
    m = _total(
        start=start,
        end=end,
        families=(Family.SERVICE,),
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    return NetPromoterScore(
        m["nps_answers"], m["nps_promoters"], m["nps_detractors"], fig.compute("nps", m)
    )


@dataclass(frozen=True)
class Churn:
    ended: int
    churned: int
    churn: Decimal | None
    retention: Decimal | None


def churn(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> Churn:
    """KPI-6: of the purchases whose guarantee ended in the period (at 00:00 of
    purchase date + the product's guarantee days), the share cancelled or
    fully refunded before it ended; retention = 100 % − churn."""
    m = _total(
        start=start,
        end=end,
        families=(Family.SALES,),
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    return Churn(
        m["guarantees_ended"],
        m["guarantees_churned"],
        fig.compute("churn", m),
        fig.compute("retention", m),
    )


@dataclass(frozen=True)
class ServiceLevels:
    """KPI-7 (and TYP-3/TYP-4 per agent). None: no data."""

    first_response: Rate
    resolution: Rate
    resolution_target: Rate
    median_first_response_hours: Decimal | None
    first_contact_resolution: Rate
    typing: dict[int, TypingCompliance]
    typing_overall: TypingCompliance
    refunds_count: int | None
    refunds_amount: Decimal | None
    credits_count: int | None
    credits_amount: Decimal | None
    rescue_success: Rate
    defect_rate: Rate
    ces_average: Decimal | None


def service_levels(
    *,
    start: date,
    end: date,
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> ServiceLevels:
    """KPI-7 over ``[start, end]``: SLA compliance (first response, resolution
    by the limit and by the target), median first-response time in business
    hours, first-contact resolution, typing compliance and commission
    adjustment per agent (``cases.selectors.typing_compliance``: TYP-3,
    TYP-4), refunds and credits, rescue success, defect rate and CES average.
    """
    result = totals(
        ranges=[(start, end)],
        parts=[
            Part("total", (), ALL_FAMILIES),
            Part("agent", ("agent_id",), (Family.TYPING,)),
            Part("response", ("tenths",), (Family.RESPONSE,)),
        ],
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    m = result.get("total")
    typing = {
        agent_id: fig.typing_of(measures, agent_id)
        for (agent_id,), measures in result.rows("agent").items()
        if agent_id is not None
    }
    for agent_id in filters.agent_ids or ():
        typing.setdefault(agent_id, TypingCompliance(agent_id=agent_id, logged=0, typed=0))
    return ServiceLevels(
        first_response=Rate(m["fr_met"], m["fr_settled"], fig.compute("fr_compliance", m)),
        resolution=Rate(m["res_met"], m["res_settled"], fig.compute("res_compliance", m)),
        resolution_target=Rate(m["res_target_met"], m["res_settled"], fig.compute("res_target", m)),
        median_first_response_hours=fig.median_hours(result.buckets("response")),
        first_contact_resolution=Rate(
            m["resolved_first_contact"], m["resolved"], fig.compute("fcr", m)
        ),
        typing=typing,
        typing_overall=fig.typing_of(m),
        refunds_count=fig.compute("refunds_count", m),
        refunds_amount=fig.compute("refunds_amount", m),
        credits_count=fig.compute("credits_count", m),
        credits_amount=fig.compute("credits_amount", m),
        rescue_success=Rate(m["rescue_retained"], m["rescue_closed"], fig.compute("rescue", m)),
        defect_rate=Rate(m["cases_opened"], m["purchases_all"], fig.compute("defect_rate", m)),
        ces_average=fig.compute("ces", m),
    )


# Filter choices ------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    """What the filters offer, and the labels of the breakdowns (two queries)."""

    agents: list[tuple[int, str]]
    partners: list[tuple[int, str]]
    products: list[tuple[int, str]]

    def labels(self) -> dict[str, dict]:
        return {
            "agent_id": dict(self.agents),
            "partner_id": dict(self.partners),
            "product_id": dict(self.products),
            "segment": {code: str(label) for code, label in Segment.choices},
        }


def list_kpi_agents() -> QuerySet:
    """Who the agent filter offers: active agents and leaders."""
    return (
        User.objects.filter(groups__name__in=[Role.AGENT.value, Role.LEADER.value], is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def filter_choices(agents: QuerySet | None = None, *, products: bool = True) -> FilterChoices:
    """Agents (``agents``, or every agent and leader) and, with ``products``, the
    products and their partners: one query each."""
    people = [
        (user.pk, user.get_full_name() or user.username)
        for user in (agents if agents is not None else list_kpi_agents()).only(
            "pk", "first_name", "last_name", "username"
        )
    ]
    if not products:
        return FilterChoices(agents=people, partners=[], products=[])
    products = list(
        Product.objects.select_related("partner").only("pk", "name", "partner__brand_name")
    )
    partners = sorted(
        {(p.partner_id, p.partner.brand_name) for p in products}, key=lambda item: item[1]
    )
    return FilterChoices(
        agents=people,
        partners=partners,
        products=sorted(
            ((p.pk, f"{p.name} · {p.partner.brand_name}") for p in products),
            key=lambda item: item[1],
        ),
    )


def list_leaders() -> QuerySet:
    return User.objects.filter(groups__name=Role.LEADER.value, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def team_agents(leader) -> QuerySet:
    """The leader's team (``pae_ops``'s meaning of "my team")."""
    return User.objects.filter(Q(profile__leader=leader), is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def scoped_to_team(filters: KpiFilters, team_ids: tuple[int, ...]) -> KpiFilters:
    """``filters`` narrowed to a team: the agent asked for when they are in
    it, else every member (none: no data). What a leader's dashboard counts
    (RULES, KPIs; ROLE-1): each row by the agent of its agent dimension
    (docs/kpis.md), so a row with no agent or another team's is left out."""
    asked = tuple(pk for pk in filters.agent_ids or () if pk in team_ids)
    return replace(filters, agent_ids=asked or team_ids)


# The director's dashboard --------------------------------------------------------------

SUMMARY_KEYS = (
    "sold",
    "received",
    "financed",
    "upsell",
    "csat",
    "nps",
    "churn",
    "retention",
    "fr_compliance",
    "res_compliance",
    "res_target",
    "median_first_response",
    "fcr",
    "typing",
    "refunds_count",
    "refunds_amount",
    "credits_count",
    "credits_amount",
    "rescue",
    "defect_rate",
    "ces",
)
BREAKDOWN_KEYS = {
    "segment": (
        "sold",
        "received",
        "financed",
        "upsell",
        "churn",
        "refunds_amount",
        "credits_amount",
        "csat",
        "nps",
        "fr_compliance",
        "res_compliance",
        "defect_rate",
    ),
    "partner": (
        "sold",
        "received",
        "financed",
        "upsell",
        "churn",
        "refunds_amount",
        "credits_amount",
    ),
    "product": (
        "sold",
        "received",
        "financed",
        "upsell",
        "churn",
        "refunds_amount",
        "credits_amount",
    ),
    "agent": (
        "sold",
        "received",
        "upsell",
        "csat",
        "nps",
        "fr_compliance",
        "res_compliance",
        "typing",
        "commission",
        "rescue",
    ),
}
BREAKDOWN_COLUMN = {
    "segment": "segment",
    "partner": "partner_id",
    "product": "product_id",
    "agent": "agent_id",
}


@dataclass(frozen=True)
class SummaryRow:
    figure: FigureDef
    value: Decimal | int | None
    year_ago: Decimal | int | None

    @property
    def change(self) -> Decimal | int | None:
        """The difference with the year before, in the figure's unit (points for %)."""
        if self.value is None or self.year_ago is None:
            return None
        return self.value - self.year_ago


@dataclass(frozen=True)
class Trend:
    figure: FigureDef
    points: list[tuple[date, Decimal | int | None]]


@dataclass(frozen=True)
class BreakdownRow:
    key: object
    label: str
    values: dict[str, Decimal | int | None]


@dataclass(frozen=True)
class Breakdown:
    name: str
    figures: list[FigureDef]
    rows: list[BreakdownRow]


@dataclass
class DirectorDashboard:
    month: date
    year_ago: date
    months: list[date]
    growth: Decimal | None
    summary: list[SummaryRow]
    trends: list[Trend]
    breakdowns: list[Breakdown]
    as_of: datetime | None
    covered_through: date | None
    live_days: int
    narrows_products: bool
    extra: dict = field(default_factory=dict)


def value_of(key: str, measures: Measures, buckets: Mapping[int, int] | None = None):
    if key == "commission":
        return fig.typing_of(measures).commission_reduction
    return fig.compute(key, measures, buckets)


def director_dashboard(
    *,
    month: date,
    filters: KpiFilters = NO_FILTERS,
    labels: Mapping[str, Mapping] | None = None,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> DirectorDashboard:
    """Every figure of ``month`` and of the same month a year before, a 12-month
    trend of each headline figure, and breakdowns by segment, partner,
    product and agent. Queries: see ``kpis.queries.totals`` (at most four)."""
    month = month_start(month)
    year_ago = add_months(month, -12)
    months = [add_months(month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
    result = totals(
        ranges=[(year_ago, month_end(month))],
        parts=[
            Part("month", ("month",), ALL_FAMILIES),
            Part("segment", ("segment",), (Family.SALES, Family.DEFECT, Family.SERVICE), (month,)),
            Part("partner", ("partner_id",), (Family.SALES,), (month,)),
            Part("product", ("product_id",), (Family.SALES,), (month,)),
            Part("agent", ("agent_id",), ALL_FAMILIES, (month,)),
            Part("response", ("month", "tenths"), (Family.RESPONSE,), (month, year_ago)),
        ],
        filters=filters,
        now=now,
        use_rollups=use_rollups,
    )
    labels = labels or {}
    current, before = result.get("month", month), result.get("month", year_ago)
    summary = [
        SummaryRow(
            FIGURES_BY_KEY[key],
            value_of(key, current, result.buckets("response", month)),
            value_of(key, before, result.buckets("response", year_ago)),
        )
        for key in SUMMARY_KEYS
    ]
    trends = [
        Trend(
            FIGURES_BY_KEY[key],
            [(m, value_of(key, result.get("month", m))) for m in months],
        )
        for key in fig.HEADLINE_KEYS
    ]
    breakdowns = [
        _breakdown(name, result, labels.get(BREAKDOWN_COLUMN[name], {})) for name in BREAKDOWN_KEYS
    ]
    return DirectorDashboard(
        month=month,
        year_ago=year_ago,
        months=months,
        growth=fig.growth(current, before),
        summary=summary,
        trends=trends,
        breakdowns=breakdowns,
        as_of=result.as_of,
        covered_through=result.covered_through,
        live_days=result.live_days,
        narrows_products=filters.narrows_products,
    )


def _breakdown(name: str, result: Totals, labels: Mapping) -> Breakdown:
    keys = BREAKDOWN_KEYS[name]
    rows = []
    for (key,), measures in result.rows(name).items():
        if name == "segment" and not key:
            continue
        buckets = None  # the medians per agent are on the team view
        rows.append(
            BreakdownRow(
                key=key,
                label=_label(name, key, labels),
                values={k: value_of(k, measures, buckets) for k in keys},
            )
        )
    rows.sort(key=lambda row: (row.key is None, row.label))
    return Breakdown(name, [FIGURES_BY_KEY[k] for k in keys], rows)


def _label(name: str, key, labels: Mapping) -> str:
    from django.utils.translation import gettext as _

    if key is None:
        return {
            "agent": _("Unassigned"),
            "partner": _("No partner"),
            "product": _("No product"),
        }.get(name, "—")
    if key in labels:
        return str(labels[key])
    return _("#%(id)s") % {"id": key}


# The leader's team view ----------------------------------------------------------------

TEAM_KEYS = (
    "fr_compliance",
    "res_compliance",
    "median_first_response",
    "fcr",
    "typing",
    "commission",
    "csat",
    "rescue",
)


@dataclass
class TeamView:
    month: date
    figures: list[FigureDef]
    rows: list[BreakdownRow]
    total: BreakdownRow
    as_of: datetime | None
    covered_through: date | None
    live_days: int


def team_view(
    *,
    month: date,
    agents: list[tuple[int, str]],
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> TeamView:
    """The team's service levels, typing compliance and commission adjustment
    (TYP-3, TYP-4), CSAT and rescue success in ``month``, per agent and for the
    whole team. ``agents`` are (id, name) of the team; ``filters.agent_ids``
    narrows to some of them."""
    from django.utils.translation import gettext as _

    month = month_start(month)
    team_ids = tuple(pk for pk, _name in agents)
    wanted = (
        team_ids
        if filters.agent_ids is None
        else tuple(pk for pk in filters.agent_ids if pk in team_ids)
    )
    scoped = KpiFilters(
        agent_ids=wanted,
        segment=filters.segment,
        partner_id=filters.partner_id,
        product_id=filters.product_id,
    )
    families = (Family.SERVICE, Family.TYPING)
    result = totals(
        ranges=[(month, month_end(month))],
        parts=[
            Part("agent", ("agent_id",), families),
            Part("total", (), families),
            Part("agent_response", ("agent_id", "tenths"), (Family.RESPONSE,)),
            Part("response", ("tenths",), (Family.RESPONSE,)),
        ],
        filters=scoped,
        now=now,
        use_rollups=use_rollups,
    )
    names = dict(agents)
    rows = [
        BreakdownRow(
            key=pk,
            label=names[pk],
            values={
                key: value_of(key, result.get("agent", pk), result.buckets("agent_response", pk))
                for key in TEAM_KEYS
            },
        )
        for pk in wanted
    ]
    total = BreakdownRow(
        key=None,
        label=_("Team"),
        values={
            key: None
            if key == "commission"
            else value_of(key, result.get("total"), result.buckets("response"))
            for key in TEAM_KEYS
        },
    )
    return TeamView(
        month=month,
        figures=[FIGURES_BY_KEY[key] for key in TEAM_KEYS],
        rows=rows,
        total=total,
        as_of=result.as_of,
        covered_through=result.covered_through,
        live_days=result.live_days,
    )


def default_month(now: datetime | None = None) -> date:
    return month_start(portal_today(now))
