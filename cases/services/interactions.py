"""Logging and typing interactions with clients.

Rules: TYP-1, TYP-2, SLA-1, SLA-5, COM-6, ROLE-1; RES-1 (an inbound
interaction is the client's answer), RES-2/RES-6 (a typed protocol contact on
a rescue case ticks its step).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.clocks import follow_up_due
from cases.mentions import notify_mentions
from cases.models import Case, Interaction, ResponseTemplate, TypingCategory, TypingReason
from cases.selectors import get_sla_settings
from cases.services._clocks import answer_response_clocks, resume_clocks, start_response_clock
from cases.services._common import WORKERS, calendar_spec, ensure_can_change, lock_case
from cases.services.lifecycle import create_case
from cases.services.rescue import note_protocol_contact, record_client_answer
from cases.services.sla_next import refresh_case
from clients.models import Client
from clients.services import record_client_contact
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import Role, has_role, require_role

SUMMARY_MAX = 5000


def _typing(
    *, category_id: int | None, reason_id: int | None
) -> tuple[TypingCategory | None, TypingReason | None]:
    """The category and reason chosen for new typing; both active (TYP-2).

    A reason alone is enough (its category is implied); a category without a
    reason is not typing.
    """
    if reason_id is None:
        if category_id is not None:
            raise DomainError(_("Choose a reason of the category too."), rule="TYP-2")
        return None, None
    reason = TypingReason.objects.select_related("category").filter(pk=reason_id).first()
    if reason is None:
        raise DomainError(_("Choose a reason from the typing list."), rule="TYP-2")
    if category_id is not None and reason.category_id != category_id:
        raise DomainError(_("The reason does not belong to that category."), rule="TYP-2")
    if not (reason.is_active and reason.category.is_active):
        raise DomainError(
            _("“%(reason)s” is no longer in use; choose an active reason.")
            % {"reason": reason.name},
            rule="TYP-2",
        )
    return reason.category, reason


def _clean_summary(summary: str) -> str:
    summary = (summary or "").strip()
    if not summary:
        raise DomainError(_("Write a summary of the interaction."), rule="TYP-1")
    if len(summary) > SUMMARY_MAX:
        raise DomainError(
            _("The summary is too long (at most %(max)d characters).") % {"max": SUMMARY_MAX},
            rule="TYP-1",
        )
    return summary


def _already_submitted(actor: AbstractBaseUser, key: UUID) -> Interaction | None:
    """The interaction a form with this key already logged for ``actor``.

    A transaction-scoped advisory lock on (actor, key) comes first: a second
    submission of the same form (a double click, a retried request) waits
    here until the first one commits, and then finds its row instead of
    logging (and opening a case) again. The unique constraint on
    (handled_by, submission_key) is the last defence.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"cases.interaction:{actor.pk}:{key}"],
        )
    return (
        Interaction.objects.select_related("case")
        .filter(handled_by=actor, submission_key=key)
        .first()
    )


@transaction.atomic
def log_interaction(
    *,
    actor: AbstractBaseUser,
    client_id: int,
    channel: str,
    direction: str,
    summary: str,
    occurred_at: datetime | None = None,
    case_id: int | None = None,
    reason_id: int | None = None,
    category_id: int | None = None,
    template_id: int | None = None,
    subject: str = "",
    kind: str = Case.Kind.REQUEST,
    submission_key: UUID | None = None,
) -> Interaction:
    """Log one interaction with a client, typed or not.

    - ``submission_key`` (the form's): a form submitted again returns the
      interaction it logged the first time, and changes nothing; the same
      key with other content is refused.
    - A new inbound contact without a case opens one (assigned to the agent
      who logs it; a leader gives it to the client's agent), with its
      deadlines computed from when the contact happened.
    - The first outbound answer on a case stops its first-response clock;
      every outbound one answers the later contacts' clocks (SLA-1).
    - A later inbound contact on an open case, after its first response,
      starts a response clock when none is waiting (SLA-1); on a case
      waiting on the client it ends the wait (and a pause, SLA-3).
    - Logged activity restarts the case's no-follow-up clock.
    - The client's last-answer (inbound) or last-contact (outbound) time
      moves forward; an inbound one marks the client's earlier outbound
      emails answered (RES-1).
    - On a rescue case, an outbound interaction typed with a protocol-step
      reason ticks that step; the first stores when the case escalates if
      the client stays silent (RES-2, RES-3, RES-6).
    - Each colleague ``@mentioned`` in the summary is notified once
      (``cases.mentions``).

    Rules: TYP-1, TYP-2, SLA-1, SLA-3, SLA-5, COM-6, ROLE-1, RES-1, RES-2, RES-6.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    if submission_key is not None:
        existing = _already_submitted(actor, submission_key)
        if existing is not None:
            same = (existing.client_id, existing.channel, existing.direction, existing.summary)
            if same != (client_id, channel, direction, (summary or "").strip()):
                # The same form with other content (a page restored by the
                # back button): never drop a different contact silently.
                raise DomainError(
                    _(
                        "This form was already used to log an interaction; "
                        "open it again to log another one."
                    ),
                    rule="TYP-1",
                )
            return existing
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now:
        raise DomainError(_("An interaction cannot happen in the future."), rule="TYP-1")
    if channel not in Interaction.Channel.values:
        raise DomainError(_("Choose a channel."), rule="TYP-1")
    if direction not in Interaction.Direction.values:
        raise DomainError(_("Choose inbound or outbound."), rule="TYP-1")
    summary = _clean_summary(summary)
    category, reason = _typing(category_id=category_id, reason_id=reason_id)
    template = None
    if template_id is not None:
        template = ResponseTemplate.objects.filter(pk=template_id, is_active=True).first()
        if template is None:
            raise DomainError(_("That response template is not available."), rule="COM-6")
        if direction != Interaction.Direction.OUTBOUND:
            raise DomainError(_("Response templates are for outbound interactions."), rule="COM-6")
    client = Client.objects.select_related("leader", "assigned_agent").get(pk=client_id)
    spec = sla = None

    case = None
    opened_here = False
    if case_id is not None:
        # Lock: two answers logged at once must agree on the first response
        # and the status.
        case = lock_case(case_id)
        if case.client_id != client.pk:
            raise DomainError(_("That case belongs to another client."), rule="TYP-1")
        ensure_can_change(actor, case)
        if case.status == Case.Status.CLOSED:
            raise DomainError(_("This case is closed; log it without a case."), rule="TYP-1")
        if occurred_at < case.opened_at:
            raise DomainError(_("The interaction happened before the case opened."), rule="TYP-1")
    elif direction == Interaction.Direction.INBOUND:
        spec, sla = calendar_spec(), get_sla_settings()
        # An agent owns what they log; a leader hands it to the client's agent.
        leader = has_role(actor, Role.LEADER)
        assignee = (client.assigned_agent or actor) if leader else actor
        case = create_case(
            actor=actor,
            client=client,
            subject=subject or summary.splitlines()[0],
            kind=kind,
            assignee=assignee,
            opened_at=occurred_at,
            spec=spec,
            sla=sla,
        )
        opened_here = True

    # RES-1: an email logged late, for an instant the client has answered
    # since, is answered already.
    answered_at = None
    if (
        direction == Interaction.Direction.OUTBOUND
        and channel == Interaction.Channel.EMAIL
        and client.last_answered_at is not None
        and client.last_answered_at >= occurred_at
    ):
        answered_at = client.last_answered_at
    interaction = Interaction.objects.create(
        client=client,
        case=case,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        handled_by=actor,
        summary=summary,
        category=category,
        reason=reason,
        typed_at=now if reason else None,
        template=template,
        answered_at=answered_at,
        submission_key=submission_key,
    )
    # @login in the summary notifies that colleague, once.
    notify_mentions(
        actor=actor,
        text=summary,
        source=f"interaction:{interaction.pk}",
        case=case,
        client=client,
        anchor=f"interaction-{interaction.pk}",
    )

    if case is not None:
        fields: list[str] = []
        outbound = direction == Interaction.Direction.OUTBOUND
        if outbound and case.first_responded_at is not None:
            # SLA-1: later contacts' clocks exist only after a first response.
            answer_response_clocks(case, at=occurred_at)
        if outbound and case.first_responded_at is None and case.is_open:
            case.first_responded_at = occurred_at
            fields.append("first_responded_at")
        # A later contact waits for an answer (SLA-1) once the first
        # response is given.
        waits = not outbound and not opened_here and case.is_open
        waits = waits and case.first_responded_at is not None
        if spec is None and (waits or case.sla_paused_at or occurred_at > case.last_activity_at):
            spec, sla = calendar_spec(), get_sla_settings()
        # An answer starts the work; the client's reply ends the wait (and
        # a pause of the clocks, from the reply's instant: SLA-3).
        resumes = Case.Status.NEW if outbound else Case.Status.WAITING_ON_CLIENT
        if case.status == resumes:
            if case.sla_paused_at is not None:
                fields += resume_clocks(case, at=max(occurred_at, case.sla_paused_at), spec=spec)
            case.status = Case.Status.IN_PROGRESS
            fields.append("status")
        if occurred_at > case.last_activity_at:
            case.last_activity_at = occurred_at
            case.follow_up_due_at = follow_up_due(last_activity_at=occurred_at, spec=spec, sla=sla)
            fields += ["last_activity_at", "follow_up_due_at"]
        if fields:
            case.save(update_fields=[*fields, "updated_at"])
        if waits:
            start_response_clock(case, contact=interaction, spec=spec, sla=sla)
        if not opened_here and (fields or waits or outbound):
            # SLA-4: an answer, a new wait or its end changes what is checked.
            refresh_case(case, now=now)
        note_protocol_contact(case=case, interaction=interaction)

    if direction == Interaction.Direction.INBOUND:
        record_client_answer(client_id=client.pk, answered_at=occurred_at)
    else:
        record_client_contact(client_id=client.pk, contacted_at=occurred_at)
    return interaction


@transaction.atomic
def type_interaction(
    *,
    actor: AbstractBaseUser,
    interaction_id: int,
    reason_id: int,
    category_id: int | None = None,
) -> Interaction:
    """Type (or retype) an interaction with an active category and reason.

    The agent who handled it or any leader may type it; old typing with an
    entry made inactive since stays valid until someone retypes it. Typing
    a protocol contact on a rescue case ticks its step (RES-2, RES-6).
    Rules: TYP-2, ROLE-1, RES-2, RES-6. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    case_id = (
        Interaction.objects.filter(pk=interaction_id).values_list("case_id", flat=True).first()
    )
    # Lock the case first (parents before children): typing a protocol
    # contact races the escalation sweep and other contacts on the case.
    case = lock_case(case_id) if case_id is not None else None
    # Lock: two people typing the same interaction at once.
    interaction = Interaction.objects.select_for_update().get(pk=interaction_id)
    if interaction.handled_by_id != actor.pk and not has_role(actor, Role.LEADER):
        raise ActRefused(
            _("Only who handled the interaction, or a leader, can type it."), rule="ROLE-1"
        )
    category, reason = _typing(category_id=category_id, reason_id=reason_id)
    if reason is None:
        raise DomainError(_("Choose a reason from the typing list."), rule="TYP-2")
    if interaction.reason_id == reason.pk:
        return interaction
    interaction.category = category
    interaction.reason = reason
    interaction.typed_at = timezone.now()
    interaction.save(update_fields=["category", "reason", "typed_at", "updated_at"])
    if case is not None:
        note_protocol_contact(case=case, interaction=interaction)
    return interaction
