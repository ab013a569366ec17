"""Follow-up reads: surveys, the weekly review, rescue, change notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q, QuerySet, Value

from cases.models import (
    Case,
    ChangeNotice,
    Interaction,
    RescueStep,
    Survey,
)
from cases.selectors.access import User
from pae_ops.roles import Role
from pae_ops.timezones import portal_today, portal_zone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
