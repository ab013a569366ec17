"""A case's life: open, assign, escalate, wait on the client, resolve, reopen, close.

Rules: SLA-1..3, SLA-5, COM-1, SEG-7, ROLE-1; COM-2 (a resolution sends the
CSAT survey), RES-1 (one open rescue case per client), KPI-7 (a rescue case
records its outcome when it ends).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases.clocks import first_response_deadlines, follow_up_due, resolution_deadlines
from cases.models import Case, Escalation, SlaSettings
from cases.selectors import get_director, get_sla_settings
from cases.services._clocks import pause_clocks, resume_clocks, stop_response_clocks
from cases.services._common import (
    WORKERS,
    calendar_spec,
    ensure_can_change,
    ensure_open,
    ensure_transition,
    lock_case,
    notify_people,
)
from cases.services.rescue import clean_rescue_outcome, default_rescue_area
from cases.services.sla_next import refresh_case
from clients.models import Client
from clients.selectors import watching_leader, watching_leader_ids
from pae_ops.business_hours import CalendarSpec
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import Role, has_role, require_role
from pae_ops.selectors import get_team_leader

User = get_user_model()

SUBJECT_MAX = 200


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise DomainError(_("Give the case a subject."))
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    return subject


def _clean_reason(reason: str, *, rule: str | None = None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Write the reason."), rule=rule)
    return reason


def create_case(
    *,
    actor: AbstractBaseUser | None,
    client: Client,
    subject: str,
    kind: str,
    assignee: AbstractBaseUser | None,
    opened_at: datetime,
    spec: CalendarSpec,
    sla: SlaSettings,
) -> Case:
    """Write a new case with its stored deadlines, watchers and notices.

    Shared by :func:`open_case`, ``log_interaction`` (a new inbound contact
    without a case) and a detractor's survey answer (``actor`` None: the
    system); the caller checked the role and loaded the calendar and the SLA
    settings once. A rescue case opened by hand gets the default escalation
    area; a client never has two open (RES-1, backed by a partial unique
    constraint). Rules: SLA-1, SLA-2, SLA-3, SLA-5, SEG-7, RES-1.
    """
    if kind not in Case.Kind.values:
        raise DomainError(_("Choose a kind of case."))
    rescue = {}
    if kind == Case.Kind.RESCUE:
        if Case.objects.filter(client=client, kind=Case.Kind.RESCUE, status_is_open=True).exists():
            raise DomainError(_("This client already has an open rescue case."), rule="RES-1")
        rescue = {"rescue_trigger": Case.RescueTrigger.MANUAL, "rescue_area": default_rescue_area()}
    case = Case.objects.create(
        client=client,
        subject=_clean_subject(subject),
        kind=kind,
        status=Case.Status.NEW,
        assignee=assignee,
        opened_by=actor,
        opened_at=opened_at,
        last_activity_at=opened_at,
        follow_up_due_at=follow_up_due(last_activity_at=opened_at, spec=spec, sla=sla),
        calendar_name=spec.name,
        **rescue,
        **asdict(first_response_deadlines(opened_at=opened_at, spec=spec, sla=sla)),
        **asdict(resolution_deadlines(started_at=opened_at, spec=spec, sla=sla)),
    )
    # SLA-4: the sweep's first look at it (the first-response warning).
    refresh_case(case)
    watchers = []
    # SEG-7: the leader of an A client watches every case of theirs.
    leader = watching_leader(client)
    if leader is not None:
        case.watchers.add(leader)
        watchers.append(leader)
    notify_people(
        case=case,
        people=[assignee],
        actor=actor,
        kind="case-assigned",
        title=format_lazy(
            _lazy("Case #{number} assigned to you: {subject}"),
            number=case.pk,
            subject=case.subject,
        ),
    )
    notify_people(
        case=case,
        people=watchers,
        actor=actor,
        kind="case-opened",
        title=format_lazy(
            _lazy("Case #{number} opened for your A client {client}"),
            number=case.pk,
            client=client.name,
        ),
    )
    return case


def _ensure_assignable(user: AbstractBaseUser) -> None:
    if not user.is_active or not has_role(user, *WORKERS):
        raise DomainError(_("Cases are assigned to active agents or leaders."))


@transaction.atomic
def open_case(
    *,
    actor: AbstractBaseUser,
    client_id: int,
    subject: str,
    kind: str = Case.Kind.REQUEST,
    assignee_id: int | None = None,
    opened_at: datetime | None = None,
) -> Case:
    """Open a case for a client and store its SLA deadlines.

    An agent opens cases for themselves; a leader may give it to anyone who
    works cases (default: the client's agent). ``opened_at`` (default now,
    never in the future) serves imports and the demo data: the deadlines are
    computed from it. Rules: SLA-1, SLA-2, SLA-3, SEG-7, ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now:
        raise DomainError(_("A case cannot open in the future."), rule="SLA-1")
    client = Client.objects.select_related("leader").get(pk=client_id)
    if has_role(actor, Role.LEADER):
        assignee = (
            User.objects.get(pk=assignee_id) if assignee_id else client.assigned_agent or actor
        )
    elif assignee_id and assignee_id != actor.pk:
        # An agent cannot give work to someone else.
        raise ActRefused(_("An agent opens cases for themselves only."), rule="ROLE-1")
    else:
        assignee = actor
    _ensure_assignable(assignee)
    return create_case(
        actor=actor,
        client=client,
        subject=subject,
        kind=kind,
        assignee=assignee,
        opened_at=opened_at,
        spec=calendar_spec(),
        sla=get_sla_settings(),
    )


def watch_open_cases_of(client_ids: list[int]) -> None:
    """SEG-7 for clients who just became A: their leader watches each of
    their open cases from now on (set based, two queries; a watcher already
    there stays once). Registered in ``clients.segmentation.BECAME_A_HOOKS``;
    runs in the segment change's transaction."""
    leaders = watching_leader_ids(client_ids)
    through = Case.watchers.through
    rows = [
        through(case_id=case_id, user_id=leaders[client_id])
        for case_id, client_id in Case.objects.filter(
            client_id__in=list(leaders), status_is_open=True
        ).values_list("pk", "client_id")
    ]
    through.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def assign_case(*, actor: AbstractBaseUser, case_id: int, assignee_id: int) -> Case:
    """Give an open case to another agent or leader (leaders only).

    Rules: ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, Role.LEADER)
    # Lock: a reassignment racing a breach or another reassignment.
    case = lock_case(case_id)
    ensure_open(case)
    assignee = User.objects.get(pk=assignee_id)
    _ensure_assignable(assignee)
    if case.assignee_id == assignee.pk:
        return case
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    notify_people(
        case=case,
        people=[assignee],
        actor=actor,
        kind="case-assigned",
        title=format_lazy(
            _lazy("Case #{number} assigned to you: {subject}"),
            number=case.pk,
            subject=case.subject,
        ),
    )
    return case


@transaction.atomic
def escalate_case(*, actor: AbstractBaseUser, case_id: int, reason: str) -> Escalation:
    """Escalate a case: an agent to their leader, a leader to the director.

    The escalation is recorded with who, when, to whom and why; the case
    shows its level and the person it went to watches it. The director is
    the first active user with the Director role (by id).
    Rules: COM-1, SEG-7, SLA-3, SLA-5, ROLE-1. Raises DomainError or PermissionDenied.
    """
    reason = _clean_reason(reason, rule="COM-1")
    # Lock: two escalations of the same case at once would skip a level.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    ensure_open(case)
    if has_role(actor, Role.LEADER):
        level = Case.EscalationLevel.DIRECTOR
        target = get_director()
        if target is None:
            raise DomainError(_("There is no director to escalate to."), rule="COM-1")
    else:
        level = Case.EscalationLevel.LEADER
        target = get_team_leader(actor)
        if target is None:
            raise DomainError(
                _("You have no team leader to escalate to; ask an administrator."), rule="COM-1"
            )
    if case.escalation_level >= level:
        raise DomainError(
            _("This case is already escalated to the %(level)s.")
            % {"level": Case.EscalationLevel(case.escalation_level).label.lower()},
            rule="COM-1",
        )
    ensure_transition(case, Case.Status.ESCALATED)
    now = timezone.now()
    spec = calendar_spec()
    # SLA-3: the wait on the client (if it paused the clocks) ends here.
    clock_fields = resume_clocks(case, at=now, spec=spec)
    escalation = Escalation.objects.create(
        case=case,
        level=level,
        source=Escalation.Source.MANUAL,
        escalated_by=actor,
        escalated_to=target,
        reason=reason,
        created_at=now,
    )
    case.status = Case.Status.ESCALATED
    case.escalation_level = level
    case.last_activity_at = max(case.last_activity_at, now)
    case.follow_up_due_at = follow_up_due(
        last_activity_at=case.last_activity_at, spec=spec, sla=get_sla_settings()
    )
    case.save(
        update_fields=[
            "status",
            "escalation_level",
            "last_activity_at",
            "follow_up_due_at",
            "updated_at",
            *clock_fields,
        ]
    )
    refresh_case(case, now=now)
    case.watchers.add(target)
    notify_people(
        case=case,
        people=[target, *case.watchers.all()],
        actor=actor,
        kind="case-escalated",
        title=format_lazy(
            _lazy("Case #{number} escalated: {subject}"), number=case.pk, subject=case.subject
        ),
    )
    return escalation


@transaction.atomic
def wait_on_client(*, actor: AbstractBaseUser, case_id: int) -> Case:
    """Mark that the next step is the client's.

    The SLA clocks keep running, unless an admin turned pausing on
    (``SlaSettings.pause_while_waiting``, default off): then they pause
    until the case leaves this status, and their deadlines move then.
    Rules: SLA-3, ROLE-1. Raises DomainError or PermissionDenied.
    """
    # Lock: a status change racing an inbound interaction that resumes it.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    ensure_transition(case, Case.Status.WAITING_ON_CLIENT)
    case.status = Case.Status.WAITING_ON_CLIENT
    clock_fields = pause_clocks(case, now=timezone.now(), sla=get_sla_settings())
    case.save(update_fields=["status", "updated_at", *clock_fields])
    if clock_fields:
        refresh_case(case)
    return case


@transaction.atomic
def resume_case(*, actor: AbstractBaseUser, case_id: int) -> Case:
    """Put a new, waiting or escalated case back in progress; a pause of its
    clocks ends (SLA-3).

    Rules: SLA-3, ROLE-1. Raises DomainError or PermissionDenied.
    """
    # Lock: a status change racing another one.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    if case.status == Case.Status.IN_PROGRESS:
        return case
    if case.status == Case.Status.RESOLVED:
        raise DomainError(_("Reopen a resolved case instead."))
    ensure_transition(case, Case.Status.IN_PROGRESS)
    case.status = Case.Status.IN_PROGRESS
    clock_fields = resume_clocks(case, at=timezone.now())
    case.save(update_fields=["status", "updated_at", *clock_fields])
    if clock_fields:
        refresh_case(case)
    return case


@transaction.atomic
def resolve_case(*, actor: AbstractBaseUser, case_id: int, rescue_outcome: str = "") -> Case:
    """Resolve an open case: the resolution clock stops (SLA-2) and the client
    gets the CSAT survey at once (COM-2).

    The watchers (SEG-7) hear of it. A rescue case says whether the client was
    retained (``rescue_outcome``, KPI-7). The CSAT survey goes by email through
    the outbox (once per case; not when the client has no email).
    Rules: SLA-1, SLA-2, SLA-3, SEG-7, COM-2, ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    # Imported here: surveys opens follow-up cases with create_case (a cycle).
    from cases.services.surveys import send_case_csat

    # Lock: a resolution racing the sweep's breach of the same case.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    ensure_transition(case, Case.Status.RESOLVED)
    outcome = clean_rescue_outcome(case, rescue_outcome)
    now = timezone.now()
    # SLA-3: a pause ends first, so the resolution is compared with the
    # deadline moved by it; later contacts' clocks waiting stop (SLA-1).
    clock_fields = resume_clocks(case, at=now)
    stop_response_clocks(case, at=now)
    case.status = Case.Status.RESOLVED
    case.resolved_at = now
    fields = ["status", "resolved_at", "updated_at", *clock_fields]
    if outcome:
        case.rescue_outcome = outcome
        case.rescue_outcome_at = now
        fields += ["rescue_outcome", "rescue_outcome_at"]
    case.save(update_fields=fields)
    refresh_case(case, now=now)
    send_case_csat(case=case, now=now)
    notify_people(
        case=case,
        people=case.watchers.all(),
        actor=actor,
        kind="case-resolved",
        title=format_lazy(
            _lazy("Case #{number} resolved: {subject}"), number=case.pk, subject=case.subject
        ),
    )
    return case


@transaction.atomic
def reopen_case(*, actor: AbstractBaseUser, case_id: int, reason: str) -> Case:
    """Reopen a resolved case: a new resolution window from now (SLA-3).

    The resolution deadlines are recomputed from the reopening instant and a
    new SLA cycle begins, so the sweep warns and breaches the new window
    once more. The first response stays as it was.
    Rules: SLA-2, SLA-3, SLA-5, ROLE-1. Raises DomainError or PermissionDenied.
    """
    _clean_reason(reason)
    # Lock: two reopenings at once would start two cycles.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    if case.status != Case.Status.RESOLVED:
        raise DomainError(_("Only a resolved case can be reopened."), rule="SLA-3")
    now = timezone.now()
    spec, sla = calendar_spec(), get_sla_settings()
    for name, value in asdict(resolution_deadlines(started_at=now, spec=spec, sla=sla)).items():
        setattr(case, name, value)
    case.status = Case.Status.IN_PROGRESS
    case.resolved_at = None
    # KPI-7: a reopened rescue case has no outcome until it ends again.
    case.rescue_outcome = ""
    case.rescue_outcome_at = None
    case.sla_cycle += 1
    case.last_activity_at = now
    case.follow_up_due_at = follow_up_due(last_activity_at=now, spec=spec, sla=sla)
    case.calendar_name = spec.name
    case._change_reason = reason[:100]
    case.save(
        update_fields=[
            "status",
            "resolved_at",
            "rescue_outcome",
            "rescue_outcome_at",
            "sla_cycle",
            "resolution_started_at",
            "resolution_target_hours",
            "resolution_limit_hours",
            "resolution_target_at",
            "resolution_warn_at",
            "resolution_due_at",
            "last_activity_at",
            "follow_up_due_at",
            "calendar_name",
            "updated_at",
        ]
    )
    refresh_case(case, now=now)
    return case


@transaction.atomic
def close_case(
    *, actor: AbstractBaseUser, case_id: int, note: str = "", rescue_outcome: str = ""
) -> Case:
    """Close a case for good. A case that was not resolved needs a note (why);
    a rescue case closed unresolved says whether the client was retained (KPI-7).

    Rules: SLA-1, SLA-3, SEG-7 (the watchers hear of it), ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    # Lock: a close racing a reopen or the sweep.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    ensure_transition(case, Case.Status.CLOSED)
    now = timezone.now()
    fields = ["status", "closed_at", "updated_at"]
    if case.status != Case.Status.RESOLVED:
        # As on resolving: the pause ends, waiting clocks stop (SLA-3, SLA-1).
        fields += resume_clocks(case, at=now)
        stop_response_clocks(case, at=now)
        note = _clean_reason(note)
        outcome = clean_rescue_outcome(case, rescue_outcome)
        if outcome:
            case.rescue_outcome = outcome
            case.rescue_outcome_at = now
            fields += ["rescue_outcome", "rescue_outcome_at"]
    case.status = Case.Status.CLOSED
    case.closed_at = now
    if note:
        case._change_reason = note[:100]
    case.save(update_fields=fields)
    refresh_case(case, now=now)
    notify_people(
        case=case,
        people=case.watchers.all(),
        actor=actor,
        kind="case-closed",
        title=format_lazy(
            _lazy("Case #{number} closed: {subject}"), number=case.pk, subject=case.subject
        ),
    )
    return case
