"""The lists agents and leaders work from, and one case's and one client's
records; what the boards show first (SLA-2, SLA-5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, F, FilteredRelation, Q, QuerySet, Value

from cases.models import (
    Case,
    Escalation,
    Interaction,
    ResponseClock,
    SlaEvent,
)
from cases.selectors.access import User
from pae_ops.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from cases.filters import BoardFilter


# Lists -----------------------------------------------------------------------


def _running(due_field: str) -> Q:
    """The window of ``due_field`` is not held by a pause (SLA-3): no pause
    runs, or its deadline came before the pause began."""
    return Q(sla_paused_at__isnull=True) | Q(**{f"{due_field}__lte": F("sla_paused_at")})


def _with_sla_rank(queryset: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    """Annotate ``sla_rank`` (0 breached, 1 at risk or warned, 2 on time),
    ``next_due_at`` and ``next_due_window`` (the first response until it is
    answered; then a later contact's answer while one waits (SLA-1), or the
    72 h limit when it comes first) and ``response_due_at``. A window a
    pause holds (SLA-3) is neither breached nor at risk."""
    # The clock the case waits on, joined: at most one per case (the
    # constraint cases_respclock_one_pending), so no row is repeated; a
    # subquery instead ran once per case and per use of it (~13,000 on a
    # board of 4,000 open cases).
    queryset = queryset.annotate(
        waiting_clock=FilteredRelation(
            "response_clocks",
            condition=Q(
                response_clocks__answered_at__isnull=True,
                response_clocks__stopped_at__isnull=True,
            ),
        ),
        response_due_at=F("waiting_clock__due_at"),
        response_warn_at=F("waiting_clock__warn_at"),
    )
    unanswered = Q(first_responded_at__isnull=True)
    breached = (
        (unanswered & Q(first_response_due_at__lte=now) & _running("first_response_due_at"))
        | (Q(resolution_due_at__lte=now) & _running("resolution_due_at"))
        | (Q(response_due_at__lte=now) & _running("response_due_at"))
    )
    at_risk = (
        (
            (Q(resolution_target_at__lte=now) | Q(resolution_warn_at__lte=now))
            & _running("resolution_due_at")
        )
        | (unanswered & Q(first_response_warn_at__lte=now) & _running("first_response_due_at"))
        | (Q(response_warn_at__lte=now) & _running("response_due_at"))
    )
    response_first = Q(response_due_at__isnull=False, response_due_at__lt=F("resolution_due_at"))
    return queryset.annotate(
        sla_rank=models.Case(
            models.When(breached, then=Value(0)),
            models.When(at_risk, then=Value(1)),
            default=Value(2),
            output_field=models.IntegerField(),
        ),
        next_due_at=models.Case(
            models.When(unanswered, then=F("first_response_due_at")),
            models.When(response_first, then=F("response_due_at")),
            default=F("resolution_due_at"),
            output_field=models.DateTimeField(),
        ),
        next_due_window=models.Case(
            models.When(unanswered, then=Value(SlaEvent.Window.FIRST_RESPONSE.value)),
            models.When(response_first, then=Value(SlaEvent.Window.RESPONSE.value)),
            default=Value(SlaEvent.Window.RESOLUTION.value),
            output_field=models.CharField(),
        ),
    )


def list_open_cases_of(user: AbstractBaseUser, *, now: datetime) -> QuerySet[Case]:
    """The open cases assigned to ``user``, nearest deadline first."""
    return (
        _with_sla_rank(Case.objects.filter(assignee=user, status_is_open=True), now)
        .select_related("client")
        .order_by("next_due_at", "pk")
    )


def list_untyped_interactions(user: AbstractBaseUser) -> QuerySet[Interaction]:
    """The interactions ``user`` handled that are not typed yet (TYP-2)."""
    return (
        Interaction.objects.filter(handled_by=user, reason__isnull=True)
        .select_related("client", "case")
        .order_by("-occurred_at", "-pk")
    )


def list_no_follow_up_cases(*, assignee_ids: Iterable[int] | None, now: datetime) -> QuerySet[Case]:
    """Open cases of these assignees (None: everyone's) with no logged
    activity for 2 business days (SLA-5)."""
    queryset = Case.objects.filter(status_is_open=True, follow_up_due_at__lte=now)
    if assignee_ids is not None:
        queryset = queryset.filter(assignee_id__in=list(assignee_ids))
    return queryset.select_related("client", "assignee").order_by("last_activity_at", "pk")


def team_member_ids(leader: AbstractBaseUser) -> list[int]:
    """The leader and the active members of their team (one query)."""
    members = User.objects.filter(profile__leader=leader, is_active=True).values_list(
        "pk", flat=True
    )
    return [leader.pk, *members]


def list_case_workers() -> QuerySet:
    """Everyone who works cases (active agents and leaders): the director's
    board reads all of them."""
    return (
        User.objects.filter(groups__name__in=[Role.AGENT.value, Role.LEADER.value], is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def list_assignable_users(leader: AbstractBaseUser) -> QuerySet:
    """Whom a leader may give a case to: their team and themselves."""
    return (
        User.objects.filter(Q(profile__leader=leader) | Q(pk=leader.pk), is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def list_board_cases(
    *, assignee_ids: Iterable[int] | None, now: datetime, filters: BoardFilter | None = None
) -> QuerySet[Case]:
    """The team's cases for the leader's board (``assignee_ids`` None: every
    case, the director's board): breached, then at risk, then the rest,
    nearest deadline first. Open cases unless a status is chosen.

    ``filters`` is a bound :class:`cases.filters.BoardFilter`; values that do
    not validate are ignored, like django-filter's own ``qs``.
    """
    # prefetch, not select_related: a join would make PostgreSQL join every
    # open team case with the clients table (a scan of it) before sorting
    # and keeping a page; prefetching reads the page's clients and people by
    # id, one query each (docs/benchmarks.md, 2026-12-04).
    return (
        _board_cases(assignee_ids=assignee_ids, now=now, filters=filters, ranked=True)
        .prefetch_related("client", "assignee")
        .order_by("sla_rank", "next_due_at", "pk")
    )


def count_board_cases(
    *, assignee_ids: Iterable[int] | None, now: datetime, filters: BoardFilter | None = None
) -> int:
    """How many rows :func:`list_board_cases` has, counted without the SLA
    rank (and its join of the waiting response clock) unless an SLA state is
    filtered on."""
    return _board_cases(assignee_ids=assignee_ids, now=now, filters=filters, ranked=False).count()


def _board_cases(
    *,
    assignee_ids: Iterable[int] | None,
    now: datetime,
    filters: BoardFilter | None,
    ranked: bool,
) -> QuerySet[Case]:
    queryset = Case.objects.all()
    if assignee_ids is not None:
        queryset = queryset.filter(assignee_id__in=list(assignee_ids))
    bound = filters is not None and filters.is_bound
    chosen = {}
    if bound:
        filters.is_valid()  # fills cleaned_data with the values that validate
        chosen = filters.form.cleaned_data
    if ranked or (bound and chosen.get("state") in filters.RANKED_STATES):
        queryset = _with_sla_rank(queryset, now)
    if bound:
        queryset = filters.filter_queryset(queryset)
    if not chosen.get("status"):
        queryset = queryset.filter(status_is_open=True)
    return queryset


@dataclass(frozen=True)
class CaseCounts:
    """One assignee's open cases as the board counts them (SLA-2, SLA-5)."""

    open: int = 0
    at_risk: int = 0
    breached: int = 0
    no_follow_up: int = 0
    follow_up: int = 0
    rescue: int = 0


def count_open_cases_by_assignee(
    *, assignee_ids: Iterable[int] | None, now: datetime
) -> dict[int | None, CaseCounts]:
    """Open cases per assignee (``assignee_ids`` None: everyone's) with the
    board's own SLA ranks (breached, at risk), the no-follow-up list's test
    (SLA-5) and the detractor follow-up and rescue kinds: one query, by
    conditional aggregation over :func:`_with_sla_rank`. Each count equals
    the board's rows for the same filter."""
    queryset = Case.objects.filter(status_is_open=True)
    if assignee_ids is not None:
        queryset = queryset.filter(assignee_id__in=list(assignee_ids))
    rows = (
        _with_sla_rank(queryset, now)
        .order_by()
        .values("assignee_id")
        .annotate(
            n_open=Count("pk"),
            n_breached=Count("pk", filter=Q(sla_rank=0)),
            n_at_risk=Count("pk", filter=Q(sla_rank=1)),
            n_no_follow_up=Count("pk", filter=Q(follow_up_due_at__lte=now)),
            n_follow_up=Count("pk", filter=Q(kind=Case.Kind.FOLLOW_UP)),
            n_rescue=Count("pk", filter=Q(kind=Case.Kind.RESCUE)),
        )
    )
    return {
        row["assignee_id"]: CaseCounts(
            open=row["n_open"],
            at_risk=row["n_at_risk"],
            breached=row["n_breached"],
            no_follow_up=row["n_no_follow_up"],
            follow_up=row["n_follow_up"],
            rescue=row["n_rescue"],
        )
        for row in rows
    }


def count_untyped_interactions_by_agent(agent_ids: Iterable[int]) -> dict[int, int]:
    """Untyped interactions (TYP-2) per agent who handled them: one query."""
    rows = (
        Interaction.objects.filter(handled_by_id__in=list(agent_ids), reason__isnull=True)
        .order_by()
        .values("handled_by_id")
        .annotate(n=Count("pk"))
    )
    return {row["handled_by_id"]: row["n"] for row in rows}


# One case and one client -----------------------------------------------------


# What an interaction's timeline row shows (cases/partials/_interaction_row.html).
TIMELINE_ROW_FIELDS = (
    "id",
    "case_id",
    "channel",
    "direction",
    "occurred_at",
    "summary",
    "handled_by",
    "category",
    "reason",
    "template",
    "handled_by__username",
    "handled_by__first_name",
    "handled_by__last_name",
    "category__name_es",
    "category__name_en",
    "reason__name_es",
    "reason__name_en",
    "template__name_es",
    "template__name_en",
)


def list_case_interactions(case: Case) -> QuerySet[Interaction]:
    """The case's timeline, oldest first, with what each row shows (only
    those columns: a hundred rows of every column of five tables cost a
    third more to load)."""
    return (
        Interaction.objects.filter(case=case)
        .select_related("handled_by", "category", "reason", "template")
        .only(*TIMELINE_ROW_FIELDS)
        .order_by("occurred_at", "pk")
    )


def list_case_escalations(case: Case) -> list[Escalation]:
    return list(case.escalations.select_related("escalated_by", "escalated_to"))


def list_case_sla_events(case: Case) -> list[SlaEvent]:
    return list(case.sla_events.all())


def latest_response_clock(case: Case) -> ResponseClock | None:
    """The case's latest later-contact clock (SLA-1), waiting or settled."""
    return case.response_clocks.order_by("-number").first()


def list_case_pauses(case: Case) -> list[tuple[datetime, datetime]]:
    """The case's ended pauses (SLA-3), oldest first, as (start, end) pairs."""
    return list(case.sla_pauses.order_by("started_at").values_list("started_at", "ended_at"))


def list_client_interactions(client_id: int) -> QuerySet[Interaction]:
    """The client's interactions, newest first (the 360 page's timeline)."""
    return (
        Interaction.objects.filter(client_id=client_id)
        .select_related("handled_by", "category", "reason", "case", "template")
        .order_by("-occurred_at", "-pk")
    )


def list_client_open_cases(client_id: int) -> QuerySet[Case]:
    return (
        Case.objects.filter(client_id=client_id, status_is_open=True)
        .select_related("assignee")
        .order_by("-opened_at", "-pk")
    )


def get_director() -> AbstractBaseUser | None:
    """The director a leader escalates to (COM-1): the first active Director by id."""
    return (
        User.objects.filter(groups__name=Role.DIRECTOR.value, is_active=True).order_by("pk").first()
    )
