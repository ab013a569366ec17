"""Every figure of RULES.md KPI-1…KPI-7, defined once over the additive counters.

A figure is computed from ``Measures`` (the sums of ``kpis.models.MEASURES``
over a period and a set of filters); ``None`` means *no data* (KPI-8): no
purchase, answer, case or offer behind the figure in its period, so the page
shows "no data" instead of a 0 or a division error. Percentages are rounded
half-up to one decimal; money keeps its two decimals. The texts here are the
tooltips of the dashboards and match ``docs/kpis.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.selectors import TypingCompliance
from kpis.models import AMOUNT_MEASURES, MEASURES

ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")
HUNDRED = Decimal(100)


class Unit(StrEnum):
    MONEY = "money"
    PERCENT = "percent"
    POINTS = "points"
    HOURS = "hours"
    COUNT = "count"
    AVERAGE = "average"


# Sets for the lookups below: the dashboard adds ~3,000 values a page.
_MEASURE_NAMES = frozenset(MEASURES)
_AMOUNT_NAMES = frozenset(AMOUNT_MEASURES)
_NO_AMOUNT = Decimal("0.00")


class Measures(dict):
    """Sums of the counters (0 for a counter nobody counted)."""

    def __missing__(self, key: str):
        if key not in _MEASURE_NAMES:
            raise KeyError(key)
        return _NO_AMOUNT if key in _AMOUNT_NAMES else 0

    def add(self, other: Mapping[str, object]) -> None:
        # Amounts as Decimals, counts as ints; a counter met the first time
        # starts from its zero without a ``__missing__`` call.
        for name, value in other.items():
            if not value:
                continue
            if name in _AMOUNT_NAMES:
                amount = value if isinstance(value, Decimal) else Decimal(str(value))
                self[name] = self.get(name, _NO_AMOUNT) + amount
            elif name in _MEASURE_NAMES:
                self[name] = self.get(name, 0) + int(value)
            else:
                raise KeyError(name)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part ÷ whole × 100`` to one decimal, or None (no data) when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def average(total: int | Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def median_hours(buckets: Mapping[int, int]) -> Decimal | None:
    """The median of first-response times given as counts per tenth of an hour.

    The middle value, or the mean of the two middle values for an even count,
    in hours with two decimals. None without any case.
    """
    items = sorted((tenths, count) for tenths, count in buckets.items() if count)
    total = sum(count for _tenths, count in items)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle
    found: list[int] = []
    seen = 0
    for tenths, count in items:
        while wanted and wanted[0] < seen + count:
            found.append(tenths)
            wanted.pop(0)
        seen += count
    return (Decimal(sum(found)) / Decimal(20)).quantize(TWO_DECIMALS, ROUND_HALF_UP)


def growth(current: Measures, year_ago: Measures) -> Decimal | None:
    """KPI-2: total sold against the same month a year before, in %.

    No data when nothing was sold a year before (a division by zero).
    """
    if not year_ago["sold_count"] or not year_ago["sold_amount"]:
        return None
    change = current["sold_amount"] - year_ago["sold_amount"]
    return (change * HUNDRED / year_ago["sold_amount"]).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def typing_of(measures: Measures, agent_id: int = 0) -> TypingCompliance:
    """TYP-3/TYP-4 through the cases app's own figure (same rounding and rule)."""
    return TypingCompliance(agent_id=agent_id, logged=measures["logged"], typed=measures["typed"])


def _money(total: str, count: str) -> Callable[[Measures], Decimal | None]:
    return lambda m: m[total] if m[count] else None


def _financed(m: Measures) -> Decimal | None:
    if not m["plan_total"]:
        return None
    return m["plan_total"] - m["plan_paid"]


def _nps(m: Measures) -> Decimal | None:
    return percent(m["nps_promoters"] - m["nps_detractors"], m["nps_answers"])


def _churn(m: Measures) -> Decimal | None:
    return percent(m["guarantees_churned"], m["guarantees_ended"])


def _retention(m: Measures) -> Decimal | None:
    churn = _churn(m)
    return None if churn is None else HUNDRED - churn


def _count(name: str, whole: str) -> Callable[[Measures], int | None]:
    return lambda m: m[name] if m[whole] else None


@dataclass(frozen=True)
class FigureDef:
    """One figure: its name, rule, unit, definition (for the tooltip) and math.

    ``by_product``: narrowed by the partner and product filters (figures about
    purchases and offers); the others ignore those two filters. ``headline``:
    shown as a card with a 12-month trend chart.
    """

    key: str
    label: Promise
    rule: str
    unit: Unit
    what: Promise
    formula: Promise
    compute: Callable[[Measures], Decimal | int | None]
    headline: bool = False
    by_product: bool = False
    higher_is_better: bool = True


FIGURES: tuple[FigureDef, ...] = (
    FigureDef(
        "sold",
        _("Total sold"),
        "KPI-1",
        Unit.MONEY,
        _("What clients bought in the period, whatever happened to the purchase later."),
        _("Σ price of the purchases whose purchase date is in the period."),
        _money("sold_amount", "sold_count"),
        headline=True,
        by_product=True,
    ),
    FigureDef(
        "received",
        _("Received"),
        "KPI-1",
        Unit.MONEY,
        _("Money that came in during the period, for purchases of any date."),
        _("Σ payments whose received date is in the period."),
        _money("received_amount", "received_count"),
        headline=True,
        by_product=True,
    ),
    FigureDef(
        "financed",
        _("Financed"),
        "KPI-1",
        Unit.MONEY,
        _("The part of the period's sales still owed under payment plans."),
        _(
            "For the period's purchases with a payment plan: Σ plan totals − Σ payments of "
            "their installments received by the end of the purchase's month."
        ),
        _financed,
        by_product=True,
    ),
    FigureDef(
        "upsell",
        _("Upsell/cross-sell acceptance"),
        "KPI-3",
        Unit.PERCENT,
        _("How many of the offers clients decided on they accepted; pending offers are left out."),
        _("accepted ÷ (accepted + declined) × 100, offers decided in the period."),
        lambda m: percent(m["offers_accepted"], m["offers_accepted"] + m["offers_declined"]),
        headline=True,
        by_product=True,
    ),
    FigureDef(
        "csat",
        _("CSAT"),
        "KPI-4",
        Unit.PERCENT,
        _("Satisfied answers to the post-attention survey (0–5 stars)."),
        _("answers of 4 or 5 stars ÷ all CSAT answers × 100, answered in the period."),
        lambda m: percent(m["csat_satisfied"], m["csat_answers"]),
        headline=True,
    ),
    FigureDef(
        "nps",
        _("NPS"),
        "KPI-5",
        Unit.POINTS,
        _("Net promoter score of the NPS answers (0–10), from −100 to 100."),
        _("% promoters (9–10) − % detractors (0–6), answers received in the period."),
        _nps,
        headline=True,
    ),
    FigureDef(
        "churn",
        _("Churn over the guarantee window"),
        "KPI-6",
        Unit.PERCENT,
        _(
            "Of the purchases whose guarantee ended in the period, the share cancelled or "
            "fully refunded before it ended."
        ),
        _(
            "churned ÷ guarantees ended × 100; the guarantee ends at 00:00 of purchase date + "
            "the product's guarantee days; churned: a cancellation, service change or full "
            "refund executed before then."
        ),
        _churn,
        headline=True,
        by_product=True,
        higher_is_better=False,
    ),
    FigureDef(
        "retention",
        _("Retention over the guarantee window"),
        "KPI-6",
        Unit.PERCENT,
        _("The purchases whose guarantee ended in the period and were kept."),
        _("100 % − churn."),
        _retention,
        by_product=True,
    ),
    FigureDef(
        "fr_compliance",
        _("First-response SLA compliance"),
        "KPI-7",
        Unit.PERCENT,
        _(
            "Answers given within 8 business hours: a new case's first response and the answer "
            "to each later contact of the client."
        ),
        _(
            "windows met ÷ windows settled × 100; a window is settled when it is answered in "
            "time, or when its deadline passes while the case is open, in the period."
        ),
        lambda m: percent(m["fr_met"], m["fr_settled"]),
        headline=True,
    ),
    FigureDef(
        "res_compliance",
        _("Resolution SLA compliance"),
        "KPI-7",
        Unit.PERCENT,
        _("Cases resolved (or closed) by the resolution limit, in business hours."),
        _(
            "windows met ÷ windows settled × 100; settled when the case is resolved or closed "
            "in time, or when the limit passes, in the period."
        ),
        lambda m: percent(m["res_met"], m["res_settled"]),
        headline=True,
    ),
    FigureDef(
        "res_target",
        _("Resolved within the 48-hour target"),
        "KPI-7",
        Unit.PERCENT,
        _("Cases resolved (or closed) by the resolution target, in business hours."),
        _("windows resolved by the target ÷ windows settled × 100, as above."),
        lambda m: percent(m["res_target_met"], m["res_settled"]),
    ),
    FigureDef(
        "median_first_response",
        _("Median first-response time"),
        "KPI-7",
        Unit.HOURS,
        _("The typical time to the first answer, in business hours of the default calendar."),
        _(
            "median of (first response − opening) in business hours, each rounded to 0.1 h, "
            "cases first answered in the period."
        ),
        lambda m: None,  # from the response buckets: see ``median_hours``
        higher_is_better=False,
    ),
    FigureDef(
        "fcr",
        _("First-contact resolution"),
        "KPI-7",
        Unit.PERCENT,
        _("Client cases solved with a single answer from us."),
        _(
            "client cases resolved with at most one outbound interaction and never reopened "
            "÷ client cases resolved in the period × 100."
        ),
        lambda m: percent(m["resolved_first_contact"], m["resolved"]),
    ),
    FigureDef(
        "typing",
        _("Typing compliance"),
        "TYP-3",
        Unit.PERCENT,
        _("Interactions typed with a category and reason."),
        _(
            "typed ÷ logged interactions in the period × 100 (per agent; commission "
            "reduction: 95.0 − compliance, below 95.0 %)."
        ),
        lambda m: typing_of(m).compliance,
        headline=True,
    ),
    FigureDef(
        "commission",
        _("Commission adjustment"),
        "TYP-4",
        Unit.PERCENT,
        _("How much the agent's commissions are reduced for typing below 95.0 %."),
        _("95.0 − typing compliance, in percentage points, when below 95.0 %; else 0.0."),
        lambda m: typing_of(m).commission_reduction,
        higher_is_better=False,
    ),
    FigureDef(
        "refunds_count",
        _("Refunds"),
        "KPI-7",
        Unit.COUNT,
        _("Refund requests that paid money back in the period."),
        _("count of requests executed in the period with a partial or full refund."),
        _count("refunds_count", "refunds_count"),
        by_product=True,
        higher_is_better=False,
    ),
    FigureDef(
        "refunds_amount",
        _("Amount refunded"),
        "KPI-7",
        Unit.MONEY,
        _("Money paid back by those refunds."),
        _("Σ refunded amounts of the requests executed in the period."),
        _money("refunds_amount", "refunds_count"),
        by_product=True,
        higher_is_better=False,
    ),
    FigureDef(
        "credits_count",
        _("Credits"),
        "KPI-7",
        Unit.COUNT,
        _("Credit given to clients: service changes, duplicated credits, incentives."),
        _("count of credit-ledger lines above zero written in the period."),
        _count("credits_count", "credits_count"),
        by_product=True,
    ),
    FigureDef(
        "credits_amount",
        _("Credit given"),
        "KPI-7",
        Unit.MONEY,
        _("The amount of that credit."),
        _("Σ credit-ledger lines above zero written in the period."),
        _money("credits_amount", "credits_count"),
        by_product=True,
    ),
    FigureDef(
        "rescue",
        _("Rescue success"),
        "KPI-7",
        Unit.PERCENT,
        _("Rescue cases that ended with the client retained."),
        _(
            "rescue cases closed with the client retained ÷ rescue cases closed in the period "
            "× 100."
        ),
        lambda m: percent(m["rescue_retained"], m["rescue_closed"]),
        headline=True,
    ),
    FigureDef(
        "defect_rate",
        _("Defect rate"),
        "KPI-7",
        Unit.PERCENT,
        _("Client cases opened for every 100 purchases (requests, complaints, cancellations)."),
        _("client cases opened ÷ purchases made in the period × 100."),
        lambda m: percent(m["cases_opened"], m["purchases_all"]),
        higher_is_better=False,
    ),
    FigureDef(
        "ces",
        _("CES average"),
        "KPI-7",
        Unit.AVERAGE,
        _("Customer effort score answers (1–7)."),
        _("Σ CES scores ÷ CES answers received in the period."),
        lambda m: average(m["ces_score_sum"], m["ces_answers"]),
    ),
)

FIGURES_BY_KEY: dict[str, FigureDef] = {figure.key: figure for figure in FIGURES}
HEADLINE_KEYS: tuple[str, ...] = tuple(figure.key for figure in FIGURES if figure.headline)


def compute(
    key: str, measures: Measures, buckets: Mapping[int, int] | None = None
) -> Decimal | int | None:
    """The value of figure ``key`` (None: no data)."""
    if key == "median_first_response":
        return median_hours(buckets or {})
    return FIGURES_BY_KEY[key].compute(measures)


def definitions(keys: Iterable[str] | None = None) -> list[FigureDef]:
    wanted = set(keys) if keys is not None else None
    return [f for f in FIGURES if wanted is None or f.key in wanted]
