"""Reads about cases and interactions that pages, sweeps and the KPIs reuse.

Rules: ROLE-1 (``access_*``), TYP-2 (what may be chosen), TYP-3/TYP-4
(``typing_compliance``), SLA-2/SLA-5 (what the boards show first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404

from cases.models import (
    Case,
    ChangeNotice,
    Escalation,
    Interaction,
    RescueStep,
    ResponseClock,
    ResponseTemplate,
    SlaEvent,
    SlaSettings,
    Survey,
    TypingCategory,
    TypingReason,
)
from pae_ops.business_hours import CalendarSpec
from pae_ops.models import BusinessCalendar
from pae_ops.roles import Role, has_role
from pae_ops.selectors import load_calendar_spec
from pae_ops.timezones import portal_today, portal_zone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from cases.filters import BoardFilter

User = get_user_model()

# Who reads cases (RULES, Roles): agents and leaders work them, directors read.
CASE_READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
COMPLIANCE_THRESHOLD = Decimal("95.0")
ONE_DECIMAL = Decimal("0.1")


# Settings ---------------------------------------------------------------


def get_sla_settings() -> SlaSettings:
    """The SLA settings row (one query); the model's defaults when it is missing."""
    return SlaSettings.objects.filter(pk=SlaSettings.SINGLETON_PK).first() or SlaSettings(
        pk=SlaSettings.SINGLETON_PK
    )


def calendar_spec_or_none() -> CalendarSpec | None:
    """The default calendar's spec for a page, or None when no calendar is the
    default (the page then shows deadlines without business hours left)."""
    try:
        return load_calendar_spec()
    except BusinessCalendar.DoesNotExist:
        return None


# Access (ROLE-1) ------------------------------------------------------------


def _ensure_reader(actor: AbstractBaseUser | AnonymousUser | None) -> None:
    # 404 rather than 403: a partner approver learns nothing about cases.
    if not has_role(actor, *CASE_READERS):
        raise Http404


def access_case(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> Case:
    """The case ``pk`` with its client, people and watchers; 404 for non-readers."""
    _ensure_reader(actor)
    case = (
        Case.objects.select_related("client", "assignee", "opened_by")
        .prefetch_related("watchers", "client__languages")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def access_interaction(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> Interaction:
    _ensure_reader(actor)
    interaction = (
        Interaction.objects.select_related("client", "case", "handled_by").filter(pk=pk).first()
    )
    if interaction is None:
        raise Http404
    return interaction


def can_change_case(actor: AbstractBaseUser, case: Case) -> bool:
    """Leaders change every case; agents the cases assigned to them (ROLE-1)."""
    if has_role(actor, Role.LEADER):
        return True
    return has_role(actor, Role.AGENT) and case.assignee_id == actor.pk


# Typing taxonomy and templates ------------------------------------------------


def list_reason_choices() -> list[tuple[TypingCategory, list[TypingReason]]]:
    """Active categories with their active reasons, for new typing (TYP-2). One query."""
    reasons = (
        TypingReason.objects.filter(is_active=True, category__is_active=True)
        .select_related("category")
        .order_by("category__position", "category__name_es", "position", "name_es")
    )
    grouped: dict[int, tuple[TypingCategory, list[TypingReason]]] = {}
    for reason in reasons:
        grouped.setdefault(reason.category_id, (reason.category, []))[1].append(reason)
    return list(grouped.values())


def list_active_templates() -> QuerySet[ResponseTemplate]:
    return ResponseTemplate.objects.filter(is_active=True).order_by("position", "name_es")


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
    waiting = ResponseClock.objects.filter(
        case=OuterRef("pk"), answered_at__isnull=True, stopped_at__isnull=True
    ).order_by("started_at")
    queryset = queryset.annotate(
        response_due_at=Subquery(waiting.values("due_at")[:1]),
        response_warn_at=Subquery(waiting.values("warn_at")[:1]),
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
        _with_sla_rank(Case.objects.filter(assignee=user, status__in=Case.OPEN_STATUSES), now)
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
    queryset = Case.objects.filter(status__in=Case.OPEN_STATUSES, follow_up_due_at__lte=now)
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
    queryset = Case.objects.all()
    if assignee_ids is not None:
        queryset = queryset.filter(assignee_id__in=list(assignee_ids))
    queryset = _with_sla_rank(queryset, now)
    status = ""
    if filters is not None and filters.is_bound:
        filters.is_valid()  # fills cleaned_data with the values that validate
        queryset = filters.filter_queryset(queryset)
        status = filters.form.cleaned_data.get("status") or ""
    if not status:
        queryset = queryset.filter(status__in=Case.OPEN_STATUSES)
    return queryset.select_related("client", "assignee").order_by("sla_rank", "next_due_at", "pk")


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
    queryset = Case.objects.filter(status__in=Case.OPEN_STATUSES)
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


def list_case_interactions(case: Case) -> QuerySet[Interaction]:
    """The case's timeline, oldest first, with what each row shows."""
    return (
        Interaction.objects.filter(case=case)
        .select_related("handled_by", "category", "reason", "template")
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
        Case.objects.filter(client_id=client_id, status__in=Case.OPEN_STATUSES)
        .select_related("assignee")
        .order_by("-opened_at", "-pk")
    )


def get_director() -> AbstractBaseUser | None:
    """The director a leader escalates to (COM-1): the first active Director by id."""
    return (
        User.objects.filter(groups__name=Role.DIRECTOR.value, is_active=True).order_by("pk").first()
    )


# Typing compliance (TYP-3, TYP-4) --------------------------------------------


@dataclass(frozen=True)
class TypingCompliance:
    """One agent's typing over a period: counts, the % and the commission cut.

    ``compliance`` is None when the agent logged nothing (no figure, not 0 %
    or 100 %), and so is ``commission_reduction``.
    """

    agent_id: int
    logged: int
    typed: int

    @property
    def compliance(self) -> Decimal | None:
        if not self.logged:
            return None
        return (Decimal(self.typed) * 100 / Decimal(self.logged)).quantize(
            ONE_DECIMAL, rounding=ROUND_HALF_UP
        )

    @property
    def commission_reduction(self) -> Decimal | None:
        """TYP-4: 95.0 minus compliance points below 95.0 %, else 0.0."""
        compliance = self.compliance
        if compliance is None:
            return None
        if compliance >= COMPLIANCE_THRESHOLD:
            return Decimal("0.0")
        return COMPLIANCE_THRESHOLD - compliance


def typing_compliance(
    *,
    start: datetime,
    end: datetime,
    agent_ids: Iterable[int] | None = None,
) -> dict[int, TypingCompliance]:
    """Typing compliance per agent for interactions in ``[start, end)``: one query.

    With ``agent_ids`` every one of them is in the result (with no figure
    when they logged nothing); without it, every agent who logged something.
    The KPI dashboard reuses this. Rules: TYP-3, TYP-4.
    """
    queryset = Interaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    ids = None if agent_ids is None else list(agent_ids)
    if ids is not None:
        queryset = queryset.filter(handled_by_id__in=ids)
    rows = (
        queryset.order_by()
        .values("handled_by_id")
        .annotate(logged=Count("pk"), typed=Count("pk", filter=Q(reason__isnull=False)))
    )
    result = {
        row["handled_by_id"]: TypingCompliance(
            agent_id=row["handled_by_id"], logged=row["logged"], typed=row["typed"]
        )
        for row in rows
    }
    for agent_id in ids or ():
        result.setdefault(agent_id, TypingCompliance(agent_id=agent_id, logged=0, typed=0))
    return result


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware start of ``day``'s month and of the next one, in the portal's zone."""
    tz = portal_zone()
    first = day.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(following, time.min, tzinfo=tz),
    )


# Follow-up: surveys, the weekly review, rescue, change notices ----------------------


def survey_language(client_id: int) -> str:
    """The language a client's survey is in: Spanish unless they speak only English."""
    from partners.models import Language

    codes = set(Language.objects.filter(clients__pk=client_id).values_list("code", flat=True))
    if "es" in codes or "en" not in codes:
        return "es"
    return "en"


def get_survey_for_answer(survey_id: int) -> Survey | None:
    """The survey a valid link names, with what its page shows (the public page)."""
    return Survey.objects.select_related("client").filter(pk=survey_id).first()


def team_surveys_q(leader: AbstractBaseUser) -> Q:
    """The surveys of a leader's team: their agents' and their own, and for
    surveys without an agent, those of the clients they lead (COM-3)."""
    return (
        Q(agent__profile__leader=leader)
        | Q(agent=leader)
        | Q(agent__isnull=True, client__leader=leader)
    )


def is_team_survey(leader: AbstractBaseUser, survey: Survey) -> bool:
    return Survey.objects.filter(team_surveys_q(leader), pk=survey.pk).exists()


DETRACTOR_Q = Q(kind=Survey.Kind.CSAT, score__lte=2) | Q(kind=Survey.Kind.NPS, score__lte=6)


def _with_feedback_rank(queryset: QuerySet[Survey]) -> QuerySet[Survey]:
    """Detractors and 0–2 stars first (rank 0), then the rest; within each,
    the lowest share of the scale first (COM-3)."""
    scaled = models.Case(
        models.When(kind=Survey.Kind.CSAT, then=F("score") * 1.0 / 5),
        models.When(kind=Survey.Kind.NPS, then=F("score") * 1.0 / 10),
        default=(F("score") - 1) * 1.0 / 6,
        output_field=models.FloatField(),
    )
    return queryset.annotate(
        feedback_rank=models.Case(
            models.When(DETRACTOR_Q, then=Value(0)),
            default=Value(1),
            output_field=models.IntegerField(),
        ),
        scaled_score=scaled,
    )


def week_start(day: date) -> datetime:
    """The aware Monday 00:00 of ``day``'s week in the portal's time zone."""
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time.min, tzinfo=portal_zone())


def previous_week_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Last week's Monday 00:00 and this week's (COM-3's "past week")."""
    end = week_start(portal_today(now))
    return week_start(end.date() - timedelta(days=7)), end


def list_feedback_answers(
    *,
    leader: AbstractBaseUser | None,
    start: datetime,
    end: datetime | None = None,
    pending: bool = False,
) -> QuerySet[Survey]:
    """The team's answers (``leader`` None: every team's, what the director
    reads) in ``[start, end)`` for the review page: not yet reviewed first,
    then detractors and 0–2 stars, then the lowest scores. ``pending``: only
    those not reviewed yet (COM-3; what the leader's home counts)."""
    queryset = Survey.objects.filter(status=Survey.Status.ANSWERED, answered_at__gte=start)
    if pending:
        queryset = queryset.filter(reviewed_at__isnull=True)
    if leader is not None:
        queryset = queryset.filter(team_surveys_q(leader))
    if end is not None:
        queryset = queryset.filter(answered_at__lt=end)
    return (
        _with_feedback_rank(queryset)
        .select_related("client", "agent", "case", "follow_up_case", "reviewed_by")
        .annotate(
            reviewed=models.Case(
                models.When(reviewed_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=models.IntegerField(),
            )
        )
        .order_by("reviewed", "feedback_rank", "scaled_score", "-answered_at", "pk")
    )


def feedback_answers_by_leader(*, start: datetime, end: datetime) -> dict[int, list[Survey]]:
    """Each leader's team answers in ``[start, end)``, detractors and 0–2 stars
    first (the weekly digest): one query, grouped in Python."""
    rows = (
        _with_feedback_rank(
            Survey.objects.filter(
                status=Survey.Status.ANSWERED, answered_at__gte=start, answered_at__lt=end
            )
        )
        .select_related("client", "agent__profile")
        .order_by("feedback_rank", "scaled_score", "answered_at", "pk")
    )
    leaders = set(User.objects.filter(groups__name=Role.LEADER.value).values_list("pk", flat=True))
    grouped: dict[int, list[Survey]] = {}
    for survey in rows:
        leader_id = None
        if survey.agent is not None:
            profile = getattr(survey.agent, "profile", None)
            leader_id = profile.leader_id if profile is not None else None
            if leader_id is None and survey.agent_id in leaders:
                leader_id = survey.agent_id
        else:
            leader_id = survey.client.leader_id
        if leader_id is not None:
            grouped.setdefault(leader_id, []).append(survey)
    return grouped


def list_client_surveys(client_id: int) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(client_id=client_id)
        .select_related("case")
        .order_by("-sent_at", "-pk")
    )


@dataclass(frozen=True)
class ChecklistStep:
    step: str
    label: str
    interaction: Interaction | None

    @property
    def done(self) -> bool:
        return self.interaction is not None


def rescue_checklist(case: Case) -> list[ChecklistStep]:
    """RES-2: the protocol's three steps, each with the first outbound
    interaction on the case typed with that step's reason (one query)."""
    first: dict[str, Interaction] = {}
    rows = (
        Interaction.objects.filter(
            case=case, direction=Interaction.Direction.OUTBOUND, reason__rescue_step__gt=""
        )
        .select_related("handled_by", "reason")
        .order_by("occurred_at", "pk")
    )
    for interaction in rows:
        first.setdefault(interaction.reason.rescue_step, interaction)
    return [
        ChecklistStep(step=step.value, label=str(step.label), interaction=first.get(step.value))
        for step in RescueStep
    ]


def list_change_notices() -> QuerySet[ChangeNotice]:
    return ChangeNotice.objects.select_related("product", "created_by").order_by(
        "-scheduled_send_at", "-pk"
    )


__all__ = [
    "CASE_READERS",
    "CaseCounts",
    "TypingCompliance",
    "access_case",
    "access_interaction",
    "calendar_spec_or_none",
    "can_change_case",
    "count_open_cases_by_assignee",
    "count_untyped_interactions_by_agent",
    "feedback_answers_by_leader",
    "get_director",
    "get_sla_settings",
    "get_survey_for_answer",
    "is_team_survey",
    "latest_response_clock",
    "list_active_templates",
    "list_assignable_users",
    "list_board_cases",
    "list_case_escalations",
    "list_case_interactions",
    "list_case_pauses",
    "list_case_sla_events",
    "list_change_notices",
    "list_client_interactions",
    "list_client_open_cases",
    "list_client_surveys",
    "list_feedback_answers",
    "list_no_follow_up_cases",
    "list_open_cases_of",
    "list_reason_choices",
    "list_untyped_interactions",
    "month_bounds",
    "previous_week_bounds",
    "rescue_checklist",
    "survey_language",
    "team_member_ids",
    "team_surveys_q",
    "typing_compliance",
]
