"""The leader's and the director's homes: each role's first screen, built from
the selectors the lists they link to already use, so that every count equals
the rows of the list it links to.

They live in ``kpis``, the right-most app, because they read cases, refunds,
partners and the KPI figures (imports flow one way). Every function runs a
fixed number of set-based queries whatever the size of the team or of the
data: no per-agent or per-partner query.

Rules: SLA-2 (at risk, breached: the board's ranks), SLA-5 (no follow-up),
TYP-2 (untyped), TYP-3/TYP-4 (typing compliance and commission adjustment),
COM-3 (answers to review), RES-7 (detractor follow-ups), RES-1 (rescue),
REF-3/REF-8 (the director's queue), PAR-2 (onboarding stages), KPI-4/KPI-5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce

from cases import selectors as case_selectors
from cases.models import Case, Survey
from cases.selectors import CaseCounts, TypingCompliance
from kpis import figures as fig
from kpis import selectors as kpi_selectors
from pae_ops.selectors import list_leaders, list_team_members_of
from pae_ops.timezones import portal_today
from partners.models import Partner, PartnerStatus, Stage
from refunds import selectors as refund_selectors
from refunds.models import RefundRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum_counts(counts: list[CaseCounts]) -> CaseCounts:
    return CaseCounts(
        **{
            name: sum(getattr(c, name) for c in counts)
            for name in ("open", "at_risk", "breached", "no_follow_up", "follow_up", "rescue")
        }
    )


# The leader's home -------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    person: AbstractBaseUser
    cases: CaseCounts
    untyped: int
    typing: TypingCompliance


@dataclass(frozen=True)
class LeaderHome:
    month_start: datetime
    rows: list[AgentRow]
    totals: CaseCounts
    untyped: int
    typing: TypingCompliance  # the team's Σ typed ÷ Σ logged (no commission: per agent)
    approvals: int
    answers_to_review: int


def leader_home(leader: AbstractBaseUser, *, now: datetime) -> LeaderHome:
    """Per person of the leader's board (the team and the leader): open cases,
    at risk, breached, no follow-up, untyped interactions, this month's
    typing compliance and commission adjustment; the team's totals; the
    approvals awaiting a leader and the answers still to review. Six queries."""
    people = list(case_selectors.list_assignable_users(leader))
    ids = [person.pk for person in people]
    cases = case_selectors.count_open_cases_by_assignee(assignee_ids=ids, now=now)
    untyped = case_selectors.count_untyped_interactions_by_agent(ids)
    start, end = case_selectors.month_bounds(portal_today(now))
    typing = case_selectors.typing_compliance(start=start, end=end, agent_ids=ids)
    rows = [
        AgentRow(
            person=person,
            cases=cases.get(person.pk, CaseCounts()),
            untyped=untyped.get(person.pk, 0),
            typing=typing[person.pk],
        )
        for person in people
    ]
    review_start, _end = case_selectors.previous_week_bounds(now)
    return LeaderHome(
        month_start=start,
        rows=rows,
        totals=_sum_counts([row.cases for row in rows]),
        untyped=sum(row.untyped for row in rows),
        typing=TypingCompliance(
            agent_id=0,
            logged=sum(row.typing.logged for row in rows),
            typed=sum(row.typing.typed for row in rows),
        ),
        approvals=refund_selectors.list_awaiting_leader().count(),
        answers_to_review=case_selectors.list_feedback_answers(
            leader=leader, start=review_start, pending=True
        ).count(),
    )


# The director's home ----------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    leader: AbstractBaseUser
    size: int
    cases: CaseCounts


@dataclass(frozen=True)
class PartnerRow:
    partner: Partner
    open_cases: int
    open_refunds: int
    refund_amount: Decimal
    csat: Decimal | None
    nps: Decimal | None


@dataclass(frozen=True)
class StageCount:
    stage: Stage
    count: int


@dataclass
class DirectorHome:
    month: date
    year_ago: date
    headline: list  # kpis.selectors.SummaryRow of the headline figures
    growth: Decimal | None
    decisions: int
    teams: list[TeamRow]
    totals: CaseCounts
    partners: list[PartnerRow]
    pipeline: list[StageCount]
    extra: dict = field(default_factory=dict)


def _team_rows(now: datetime) -> tuple[list[TeamRow], CaseCounts]:
    """Every leader's board (the team and the leader) with its open cases,
    at risk and breached; totals over every open case (the director's board
    of every team, unassigned included). Three queries."""
    leaders = list(list_leaders())
    members: dict[int, list[int]] = {leader.pk: [leader.pk] for leader in leaders}
    for user_id, leader_id in list_team_members_of(list(members)).values_list(
        "pk", "profile__leader_id"
    ):
        members[leader_id].append(user_id)
    cases = case_selectors.count_open_cases_by_assignee(assignee_ids=None, now=now)
    rows = [
        TeamRow(
            leader=leader,
            size=len(members[leader.pk]) - 1,
            cases=_sum_counts([cases.get(pk, CaseCounts()) for pk in members[leader.pk]]),
        )
        for leader in leaders
    ]
    return rows, _sum_counts(list(cases.values()))


def _partner_rows(month: date) -> list[PartnerRow]:
    """The active (directory) partners with their clients' open cases, their
    products' open refund requests and the amounts proposed so far, and this
    month's CSAT and NPS of their clients (the KPI figures' own formulas). A
    case or an answer is a partner's when its client bought one of the
    partner's products (cases and surveys name no product): a client of two
    partners counts for both. Four queries."""
    partners = list(
        Partner.objects.filter(stage=Stage.DIRECTORY, status=PartnerStatus.OPEN).order_by(
            "brand_name", "id"
        )
    )
    ids = [partner.pk for partner in partners]
    partner_of = "client__purchases__product__partner_id"
    cases = dict(
        Case.objects.filter(status_is_open=True, **{f"{partner_of}__in": ids})
        .order_by()
        .values_list(partner_of)
        .annotate(n=Count("pk", distinct=True))
    )
    refunds = {
        row["purchase__product__partner_id"]: row
        for row in RefundRequest.objects.filter(
            status__in=RefundRequest.OPEN_STATUSES, purchase__product__partner_id__in=ids
        )
        .order_by()
        .values("purchase__product__partner_id")
        .annotate(n=Count("pk"), amount=Coalesce(Sum("proposed_amount"), ZERO, output_field=MONEY))
    }
    start, end = case_selectors.month_bounds(month)
    csat, nps = Q(kind=Survey.Kind.CSAT), Q(kind=Survey.Kind.NPS)
    surveys = {
        row[partner_of]: row
        for row in Survey.objects.filter(
            status=Survey.Status.ANSWERED,
            answered_at__gte=start,
            answered_at__lt=end,
            **{f"{partner_of}__in": ids},
        )
        .order_by()
        .values(partner_of)
        .annotate(
            csat_answers=Count("pk", filter=csat, distinct=True),
            csat_satisfied=Count("pk", filter=csat & Q(score__gte=4), distinct=True),
            nps_answers=Count("pk", filter=nps, distinct=True),
            nps_promoters=Count("pk", filter=nps & Q(score__gte=9), distinct=True),
            nps_detractors=Count("pk", filter=nps & Q(score__lte=6), distinct=True),
        )
    }
    rows = []
    for partner in partners:
        measures = fig.Measures()
        measures.add({k: v for k, v in surveys.get(partner.pk, {}).items() if k != partner_of})
        refund = refunds.get(partner.pk, {})
        rows.append(
            PartnerRow(
                partner=partner,
                open_cases=cases.get(partner.pk, 0),
                open_refunds=refund.get("n", 0),
                refund_amount=refund.get("amount", ZERO),
                csat=fig.compute("csat", measures),
                nps=fig.compute("nps", measures),
            )
        )
    return rows


def onboarding_pipeline() -> list[StageCount]:
    """How many partners still moving (not paused or rejected) are at each
    PAR-2 stage, in the stages' order: one query."""
    counts = dict(
        Partner.objects.filter(status=PartnerStatus.OPEN)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("pk"))
    )
    return [StageCount(stage=stage, count=counts.get(stage.value, 0)) for stage in Stage]


def director_home(*, now: datetime) -> DirectorHome:
    """The director's first screen: this month's headline KPIs against the
    same month a year before (the dashboard's own selector), the requests
    awaiting her decision (REF-3, REF-8), open, at-risk and breached cases by
    team, and the partner panel with the onboarding pipeline. A fixed
    number of queries (the dashboard's four at most, and nine)."""
    month = kpi_selectors.default_month(now)
    dashboard = kpi_selectors.director_dashboard(month=month, now=now)
    teams, totals = _team_rows(now)
    return DirectorHome(
        month=dashboard.month,
        year_ago=dashboard.year_ago,
        headline=[row for row in dashboard.summary if row.figure.headline],
        growth=dashboard.growth,
        decisions=refund_selectors.list_awaiting_director().count(),
        teams=teams,
        totals=totals,
        partners=_partner_rows(month),
        pipeline=onboarding_pipeline(),
    )


__all__ = [
    "AgentRow",
    "DirectorHome",
    "LeaderHome",
    "PartnerRow",
    "StageCount",
    "TeamRow",
    "director_home",
    "leader_home",
    "onboarding_pipeline",
]
