"""The KPI roll-ups: summary rows the dashboards read instead of the live tables.

Nothing here is a domain row. ``kpis.services`` rebuilds these tables from the
domain tables (clients, cases, refunds) and nothing else writes them; the
domain tables are only read. See ``docs/kpis.md``.

- ``KpiRollup``: one row per day (``grain="d"``) or per month (``grain="m"``,
  month to date for the current one; and the summed months of ``Grain``),
  figure family and dimension values (agent, segment,
  partner, product, first-response bucket), holding additive counters
  (counts and sums). Every figure of the dashboards is a ratio or a sum of
  these counters, so summing rows gives exactly what the live query gives.
- ``KpiRollupState``: which days the roll-up covers and when it was last
  refreshed (the dashboards' "as of HH:MM").
- ``KpiBusinessClock``: the business-hour intervals of the default calendar,
  so that SQL can count business hours between two instants (median first
  response time, KPI-7).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

COUNT_MEASURES: tuple[str, ...] = (
    # sales family (KPI-1, KPI-3, KPI-6, KPI-7 refunds and credits)
    "sold_count",
    "received_count",
    "offers_accepted",
    "offers_declined",
    "guarantees_ended",
    "guarantees_churned",
    "refunds_count",
    "credits_count",
    # defect family (the defect rate's purchases, not narrowed by partner/product)
    "purchases_all",
    # service family (KPI-4, KPI-5, KPI-7)
    "cases_opened",
    "fr_settled",
    "fr_met",
    "res_settled",
    "res_met",
    "res_target_met",
    "resolved",
    "resolved_first_contact",
    "rescue_closed",
    "rescue_retained",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "ces_answers",
    "ces_score_sum",
    # response family (median first response time, KPI-7)
    "responded",
    # typing family (TYP-3, TYP-4)
    "logged",
    "typed",
)
AMOUNT_MEASURES: tuple[str, ...] = (
    "sold_amount",
    "received_amount",
    "plan_total",
    "plan_paid",
    "refunds_amount",
    "credits_amount",
)
MEASURES: tuple[str, ...] = COUNT_MEASURES + AMOUNT_MEASURES


class Family(models.TextChoices):
    """Which filters a row answers to (see ``kpis.facts``)."""

    SALES = "sales", _("Sales")
    DEFECT = "defect", _("Purchases for the defect rate")
    SERVICE = "service", _("Service")
    RESPONSE = "response", _("First response time")
    TYPING = "typing", _("Typing")


# The counters each family fills (the others stay 0 on its rows).
FAMILY_MEASURES: dict[str, tuple[str, ...]] = {
    "sales": (
        "sold_count",
        "received_count",
        "offers_accepted",
        "offers_declined",
        "guarantees_ended",
        "guarantees_churned",
        "refunds_count",
        "credits_count",
        *AMOUNT_MEASURES,
    ),
    "defect": ("purchases_all",),
    "service": COUNT_MEASURES[
        COUNT_MEASURES.index("cases_opened") : COUNT_MEASURES.index("responded")
    ],
    "response": ("responded",),
    "typing": ("logged", "typed"),
}


class Grain(models.TextChoices):
    """A day or a month at every dimension, or a month summed over some of them.

    The summed months ("cuboids") keep the dimensions named and leave the
    others empty, so that a dashboard without filters reads a handful of rows
    per month instead of thousands (``kpis.queries`` picks the smallest that
    holds what a grouping and the filters need).
    """

    DAY = "d", _("Day")
    MONTH = "m", _("Month")
    MONTH_TOTAL = "t", _("Month, all dimensions summed")
    MONTH_SEGMENT = "s", _("Month, by segment")
    MONTH_AGENT = "a", _("Month, by agent")
    MONTH_PRODUCT = "p", _("Month, by partner and product")


# The dimensions each summed month keeps (tenths are always kept).
CUBOIDS: dict[str, frozenset[str]] = {
    Grain.MONTH_TOTAL: frozenset(),
    Grain.MONTH_SEGMENT: frozenset({"segment"}),
    Grain.MONTH_AGENT: frozenset({"agent_id"}),
    Grain.MONTH_PRODUCT: frozenset({"partner_id", "product_id"}),
}


# ``db_default``: the roll-up is written with ``INSERT … SELECT`` naming only
# the counters a source has.
def _counter(name: str) -> models.BigIntegerField:
    return models.BigIntegerField(name.replace("_", " "), default=0, db_default=0)


def _amount(name: str) -> models.DecimalField:
    return models.DecimalField(
        name.replace("_", " "), max_digits=16, decimal_places=2, default=0, db_default=0
    )


class KpiRollup(models.Model):
    """Additive counters of one day or month, family and set of dimension values.

    The dimension columns hold ids, not foreign keys: a roll-up row must never
    stop a user, partner or product from being changed, and it is rebuilt
    from the live tables anyway. ``segment`` is the client's segment in force
    when the row was computed; ``tenths`` is a first-response time rounded to
    0.1 business hour (response family only).
    """

    grain = models.CharField(_("grain"), max_length=1, choices=Grain.choices)
    period = models.DateField(_("day or month"))
    month = models.DateField(_("month"))
    family = models.CharField(_("family"), max_length=8, choices=Family.choices)
    agent_id = models.BigIntegerField(_("agent"), null=True)
    segment = models.CharField(_("segment"), max_length=1, blank=True, default="")
    partner_id = models.BigIntegerField(_("partner"), null=True)
    product_id = models.BigIntegerField(_("product"), null=True)
    tenths = models.IntegerField(_("first response (tenths of an hour)"), null=True)

    # The counters (see COUNT_MEASURES and AMOUNT_MEASURES).
    sold_count = _counter("sold_count")
    received_count = _counter("received_count")
    offers_accepted = _counter("offers_accepted")
    offers_declined = _counter("offers_declined")
    guarantees_ended = _counter("guarantees_ended")
    guarantees_churned = _counter("guarantees_churned")
    refunds_count = _counter("refunds_count")
    credits_count = _counter("credits_count")
    purchases_all = _counter("purchases_all")
    cases_opened = _counter("cases_opened")
    fr_settled = _counter("fr_settled")
    fr_met = _counter("fr_met")
    res_settled = _counter("res_settled")
    res_met = _counter("res_met")
    res_target_met = _counter("res_target_met")
    resolved = _counter("resolved")
    resolved_first_contact = _counter("resolved_first_contact")
    rescue_closed = _counter("rescue_closed")
    rescue_retained = _counter("rescue_retained")
    csat_answers = _counter("csat_answers")
    csat_satisfied = _counter("csat_satisfied")
    nps_answers = _counter("nps_answers")
    nps_promoters = _counter("nps_promoters")
    nps_detractors = _counter("nps_detractors")
    ces_answers = _counter("ces_answers")
    ces_score_sum = _counter("ces_score_sum")
    responded = _counter("responded")
    logged = _counter("logged")
    typed = _counter("typed")
    sold_amount = _amount("sold_amount")
    received_amount = _amount("received_amount")
    plan_total = _amount("plan_total")
    plan_paid = _amount("plan_paid")
    refunds_amount = _amount("refunds_amount")
    credits_amount = _amount("credits_amount")

    class Meta:
        verbose_name = _("KPI roll-up row")
        verbose_name_plural = _("KPI roll-up rows")
        ordering = ["grain", "period", "family"]
        indexes = [
            models.Index(fields=["grain", "period"], name="kpis_rollup_period_idx"),
            models.Index(fields=["agent_id", "grain", "period"], name="kpis_rollup_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period} {self.family}"


class KpiRollupState(models.Model):
    """One row (pk 1): the days the roll-up covers and its last refresh."""

    SINGLETON_PK = 1

    covered_from = models.DateField(_("covered from"), null=True, blank=True)
    covered_through = models.DateField(_("covered through"), null=True, blank=True)
    # The last covered day is held up to this instant (today: the refresh's).
    covered_until = models.DateTimeField(_("covered until"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    clock_fingerprint = models.CharField(_("business clock fingerprint"), max_length=64, blank=True)
    clock_from = models.DateField(_("business clock from"), null=True, blank=True)
    clock_until = models.DateField(_("business clock until"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPI roll-up state")
        verbose_name_plural = _("KPI roll-up state")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.covered_from}…{self.covered_through}"


class KpiBusinessClock(models.Model):
    """One business interval of the default calendar, with the business
    seconds counted before it since ``KpiRollupState.clock_from``.

    Business seconds until an instant t = ``seconds_before`` + min(t −
    ``starts_at``, ``seconds``) of the last interval starting at or before t.
    """

    starts_at = models.DateTimeField(_("starts at"), unique=True)
    starts_epoch = models.DecimalField(
        _("starts at (epoch seconds)"), max_digits=18, decimal_places=6
    )
    seconds = models.DecimalField(_("length (seconds)"), max_digits=18, decimal_places=6)
    seconds_before = models.DecimalField(
        _("business seconds before"), max_digits=18, decimal_places=6
    )

    class Meta:
        verbose_name = _("business clock interval")
        verbose_name_plural = _("business clock intervals")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"
