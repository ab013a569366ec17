"""Surveys: CSAT after every case, NPS and CES on demand, the client's one
answer, detractor follow-up, the leader's weekly review.

Rules: COM-2, COM-3, RES-7, SEG-2, SEG-4, RES-2, RES-6, ROLE-1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import selectors
from cases.models import Case, Interaction, RescueStep, Survey, TypingReason
from cases.selectors import get_sla_settings
from cases.services._common import WORKERS, calendar_spec, ensure_can_change, ensure_open, lock_case
from cases.services.interactions import log_interaction
from cases.services.lifecycle import create_case
from cases.services.outbox import queue_survey_email
from cases.services.rescue import record_client_answer
from clients.models import Client
from clients.services import recompute_client_segment
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import Role, require_role
from pae_ops.services import Message, notify_each

User = get_user_model()

COMMENT_MAX = 2000
# How many answers the weekly digest lists before pointing to the page.
DIGEST_MAX_LINES = 40


class SurveyClosedError(DomainError):
    """The survey was answered already or its link expired (the page answers 410)."""


def _create_survey(
    *,
    client: Client,
    kind: str,
    now: datetime,
    case: Case | None = None,
    agent: AbstractBaseUser | None = None,
    sent_by: AbstractBaseUser | None = None,
) -> Survey:
    survey = Survey.objects.create(
        client=client,
        case=case,
        agent=agent,
        sent_by=sent_by,
        kind=kind,
        status=Survey.Status.SENT,
        language=selectors.survey_language(client.pk),
        sent_at=now,
        expires_at=now + timedelta(days=settings.SURVEY_LINK_DAYS),
    )
    queue_survey_email(survey=survey, client=client)
    return survey


def send_case_csat(*, case: Case, now: datetime) -> Survey | None:
    """COM-2: the CSAT survey of a case that was just resolved (the caller holds its lock).

    Once per case: a case resolved again after a reopen is not surveyed twice
    (a unique constraint backs it). A client without an email address gets
    none (nothing could reach them). Returns the survey or None.
    """
    if not case.client.email:
        return None
    if Survey.objects.filter(case=case, kind=Survey.Kind.CSAT).exists():
        return None
    return _create_survey(
        client=case.client,
        kind=Survey.Kind.CSAT,
        now=now,
        case=case,
        agent=case.assignee,
    )


def _survey_step_reason() -> TypingReason | None:
    return (
        TypingReason.objects.filter(
            rescue_step=RescueStep.SURVEY, is_active=True, category__is_active=True
        )
        .order_by("category__position", "position", "pk")
        .first()
    )


@transaction.atomic
def send_survey(
    *, actor: AbstractBaseUser, client_id: int, kind: str, case_id: int | None = None
) -> Survey:
    """Send a CSAT, NPS or CES survey to a client now (on demand).

    At most one survey of a kind waits for the client's answer at a time.
    Sent from an open rescue case, it is the protocol's quick survey: an
    outbound email interaction typed with the survey step's reason is logged
    on the case, which ticks the step (RES-2, RES-6).
    Rules: COM-2, RES-2, RES-6, ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    if kind not in Survey.Kind.values:
        raise DomainError(_("Choose CSAT, NPS or CES."), rule="COM-2")
    now = timezone.now()
    case = None
    if case_id is not None:
        # Lock: the case's quick survey racing its resolution.
        case = lock_case(case_id)
        if case.client_id != client_id:
            raise DomainError(_("That case belongs to another client."), rule="COM-2")
        ensure_can_change(actor, case)
        ensure_open(case)
    # Lock the client: two clicks on "send" would send two surveys.
    client = (
        Client.objects.select_for_update(of=("self",))
        .select_related("assigned_agent")
        .get(pk=client_id)
    )
    if not client.email:
        raise DomainError(
            _("This client has no email address to send the survey to."), rule="COM-2"
        )
    waiting = Survey.objects.filter(
        client=client, kind=kind, status=Survey.Status.SENT, expires_at__gt=now
    )
    if waiting.exists():
        raise DomainError(
            _("A %(kind)s survey sent to this client still waits for an answer.")
            % {"kind": Survey.Kind(kind).label},
            rule="COM-2",
        )
    if case is not None and kind == Survey.Kind.CSAT and case.surveys.filter(kind=kind).exists():
        raise DomainError(_("This case's CSAT survey was sent already."), rule="COM-2")
    agent = (case.assignee if case else None) or client.assigned_agent
    survey = _create_survey(
        client=client, kind=kind, now=now, case=case, agent=agent, sent_by=actor
    )
    if case is not None and case.kind == Case.Kind.RESCUE:
        reason = _survey_step_reason()
        with translation.override(settings.LANGUAGE_CODE):
            summary = _("%(kind)s survey sent by email (rescue protocol).") % {
                "kind": Survey.Kind(kind).label
            }
        log_interaction(
            actor=actor,
            client_id=client.pk,
            case_id=case.pk,
            channel=Interaction.Channel.EMAIL,
            direction=Interaction.Direction.OUTBOUND,
            occurred_at=now,
            summary=summary,
            reason_id=reason.pk if reason else None,
        )
    return survey


def _clean_answer(survey: Survey, score: object, comment: str) -> tuple[int, str]:
    low, high = survey.scale
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise DomainError(
            _("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high},
            rule="COM-2",
        )
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(
            _("The comment is too long (at most %(max)d characters).") % {"max": COMMENT_MAX},
            rule="COM-2",
        )
    return score, comment


def _open_detractor_follow_up(survey: Survey, now: datetime) -> Case:
    """RES-7: a follow-up case for the client's agent; SEG-7 adds the A client's leader."""
    client = Client.objects.select_related("leader", "assigned_agent").get(pk=survey.client_id)
    _low, high = survey.scale
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Detractor follow-up: %(kind)s %(score)d of %(high)d") % {
            "kind": survey.kind.upper(),
            "score": survey.score,
            "high": high,
        }
    return create_case(
        actor=None,
        client=client,
        subject=subject,
        kind=Case.Kind.FOLLOW_UP,
        assignee=client.assigned_agent or survey.agent,
        opened_at=now,
        spec=calendar_spec(),
        sla=get_sla_settings(),
    )


@transaction.atomic
def answer_survey(*, survey_id: int, score: int, comment: str = "") -> Survey:
    """Record the client's one answer to a survey (the public page; no user).

    - Single use: under the survey's row lock only a survey still ``sent``
      and not expired takes an answer; a second one raises ``SurveyClosedError``.
    - The answer is the client answering us (RES-1 clocks restart).
    - SEG-4: the client's segment is recomputed at once (an NPS of 9–10
      counts as "promotes", SEG-2).
    - RES-7: a CSAT of 0–2 stars or an NPS of 0–6 opens a follow-up case for
      the client's agent at once (their leader watches it for an A client).

    Rules: COM-2, RES-7, SEG-2, SEG-4. Raises SurveyClosedError or DomainError.
    """
    # Lock: a double submit, or two tabs answering at once: one answer only.
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    now = timezone.now()
    if survey.status != Survey.Status.SENT or survey.expires_at <= now:
        raise SurveyClosedError(
            _("This survey was answered already or its link expired."), rule="COM-2"
        )
    score, comment = _clean_answer(survey, score, comment)
    survey.status = Survey.Status.ANSWERED
    survey.score = score
    survey.comment = comment
    survey.answered_at = now
    survey.save(update_fields=["status", "score", "comment", "answered_at", "updated_at"])
    record_client_answer(client_id=survey.client_id, answered_at=now)
    with translation.override(settings.LANGUAGE_CODE):
        recompute_client_segment(client_id=survey.client_id, reason=_("Survey answered"))
    if survey.is_detractor:
        survey.follow_up_case = _open_detractor_follow_up(survey, now)
        survey.save(update_fields=["follow_up_case", "updated_at"])
    return survey


def expire_surveys(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Mark the surveys whose link expired unanswered (COM-2); returns how many.

    Bounded batches of one UPDATE each; the conditional ``status = sent``
    makes a concurrent answer or a second run harmless.
    """
    now = now or timezone.now()
    total = 0
    while True:
        ids = list(
            Survey.objects.filter(status=Survey.Status.SENT, expires_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return total
        total += Survey.objects.filter(pk__in=ids, status=Survey.Status.SENT).update(
            status=Survey.Status.EXPIRED, updated_at=now
        )


# The weekly review (COM-3) ------------------------------------------------------


@transaction.atomic
def review_survey_answer(*, actor: AbstractBaseUser, survey_id: int, note: str) -> Survey:
    """A leader marks one of their team's answers reviewed, with a follow-up note.

    Reviewing again replaces the note. Rules: COM-3, ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, Role.LEADER)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write the follow-up note."), rule="COM-3")
    if len(note) > COMMENT_MAX:
        raise DomainError(
            _("The note is too long (at most %(max)d characters).") % {"max": COMMENT_MAX},
            rule="COM-3",
        )
    # Lock: two leaders (or two tabs) reviewing the same answer at once.
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    if not selectors.is_team_survey(actor, survey):
        raise ActRefused(
            _("Only the leader of the agent's team reviews this answer."), rule="ROLE-1"
        )
    if survey.status != Survey.Status.ANSWERED:
        raise DomainError(_("Only an answered survey can be reviewed."), rule="COM-3")
    survey.reviewed_at = timezone.now()
    survey.reviewed_by = actor
    survey.review_note = note
    survey.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    return survey


def _digest_line(survey: Survey) -> str:
    _low, high = survey.scale
    parts = [
        f"{'⚠ ' if survey.is_detractor else ''}{survey.kind.upper()} {survey.score}/{high}",
        survey.client.name,
    ]
    if survey.agent is not None:
        parts.append(survey.agent.get_full_name() or survey.agent.get_username())
    line = " · ".join(parts)
    if survey.comment:
        comment = " ".join(survey.comment.split())
        line += f" · “{comment[:200]}{'…' if len(comment) > 200 else ''}”"
    return f"- {line}"


def _digest_text(leader, answers: list[Survey], start: datetime, end: datetime, url: str):
    last_day = end - timedelta(days=1)
    period = (
        f"{date_format(start, 'SHORT_DATE_FORMAT')} – {date_format(last_day, 'SHORT_DATE_FORMAT')}"
    )
    title = _("Weekly feedback of your team: %(period)s") % {"period": period}
    if not answers:
        return title, _("Your team got no survey answers last week.")
    flagged = sum(1 for survey in answers if survey.is_detractor)
    lines = [
        ngettext("%(count)d answer last week.", "%(count)d answers last week.", len(answers))
        % {"count": len(answers)}
        + " "
        + ngettext(
            "%(flagged)d detractor or 0–2 star answer, listed first.",
            "%(flagged)d detractors or 0–2 star answers, listed first.",
            flagged,
        )
        % {"flagged": flagged},
        "",
        *(_digest_line(survey) for survey in answers[:DIGEST_MAX_LINES]),
    ]
    if len(answers) > DIGEST_MAX_LINES:
        lines.append(
            _("…and %(more)d more on the review page.") % {"more": len(answers) - DIGEST_MAX_LINES}
        )
    lines += ["", _("Mark each answer reviewed with a follow-up note:")]
    return title, "\n".join(lines)


def send_weekly_feedback_digests(*, now: datetime | None = None) -> int:
    """COM-3: every leader gets last week's survey answers of their team,
    detractors and 0–2 stars first; returns the notifications written.

    "Last week" is Monday 00:00 to Monday 00:00 in the portal's time zone,
    before ``now``. Each digest is a notification (bell and email through the
    notification outbox) in the leader's language, with a dedupe key per
    leader and week: running twice sends nothing more.
    """
    now = now or timezone.now()
    start, end = selectors.previous_week_bounds(now)
    leaders = list(
        User.objects.filter(groups__name=Role.LEADER.value, is_active=True)
        .select_related("profile")
        .order_by("pk")
        .distinct()
    )
    if not leaders:
        return 0
    by_leader = selectors.feedback_answers_by_leader(start=start, end=end)
    url = reverse("cases:feedback-review") + f"?week={start:%Y-%m-%d}"
    messages = []
    for leader in leaders:
        profile = getattr(leader, "profile", None)
        language = profile.language if profile is not None else settings.LANGUAGE_CODE
        with translation.override(language):
            title, body = _digest_text(leader, by_leader.get(leader.pk, []), start, end, url)
        messages.append(
            Message(
                recipient=leader,
                kind="feedback-digest",
                title=title,
                body=body,
                url=url,
                dedupe_key=f"feedback-digest:{start:%Y-%m-%d}",
            )
        )
    return notify_each(messages)
