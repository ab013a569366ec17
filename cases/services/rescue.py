"""Rescue cases and their protocol: RES-1 (answers), RES-2, RES-3, RES-6, KPI-7.

- ``record_client_answer``: the client answered us (an inbound interaction or
  a survey answer): their last-answer time moves forward and every outbound
  email of theirs sent before it counts as answered (one UPDATE each).
- ``note_protocol_contact``: an outbound interaction on an open rescue case,
  typed with a reason that names a protocol step, ticks that step; the first
  one stores when the case escalates if the client stays silent (RES-2/3).
- ``set_rescue_area`` and ``clean_rescue_outcome``: the area a silent rescue
  escalates to, and whether the client was retained (KPI-7).

The sweeps that open and escalate rescue cases are in ``rescue_sweeps``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Case, Interaction
from cases.services._common import ensure_can_change, ensure_open, lock_case
from clients.services import record_client_contact
from pae_ops.errors import DomainError

User = get_user_model()

# RES-3: the Django groups whose members are the Sales and Experience areas
# (created by the data migration 0007; admins put people in them).
AREA_GROUPS = {
    Case.RescueArea.SALES: "Sales area",
    Case.RescueArea.EXPERIENCE: "Experience area",
}


# The client answered ------------------------------------------------------------


def record_client_answer(*, client_id: int, answered_at: datetime) -> int:
    """The client answered us at ``answered_at``: RES-1's clocks restart.

    Moves ``Client.last_answered_at`` forward (never back) and marks every
    unanswered outbound email sent to them up to then as answered; returns
    how many emails it marked. Rules: RES-1, SEG-2.
    """
    record_client_contact(client_id=client_id, answered_at=answered_at)
    return Interaction.objects.filter(
        client_id=client_id,
        direction=Interaction.Direction.OUTBOUND,
        channel=Interaction.Channel.EMAIL,
        answered_at__isnull=True,
        occurred_at__lte=answered_at,
    ).update(answered_at=answered_at)


# The protocol (RES-2, RES-3, RES-6) -------------------------------------------------


def ticks_protocol_step(case: Case, interaction: Interaction) -> bool:
    """An outbound interaction on a rescue case typed with a protocol-step reason."""
    return (
        case.kind == Case.Kind.RESCUE
        and interaction.direction == Interaction.Direction.OUTBOUND
        and interaction.reason is not None
        and bool(interaction.reason.rescue_step)
    )


def note_protocol_contact(*, case: Case, interaction: Interaction) -> bool:
    """Store the first protocol contact of a rescue case and when it escalates.

    ``case`` is locked by the caller. The escalation instant is the first
    protocol contact + ``RESCUE_ESCALATION_DAYS`` (3): the sweep compares it
    with now. A contact logged late for an earlier instant moves both back;
    nothing changes once the case escalated or closed. Returns whether the
    case changed. Rules: RES-2, RES-3, RES-6.
    """
    if not ticks_protocol_step(case, interaction) or not case.is_open:
        return False
    if case.rescue_escalated_at is not None:
        return False
    at = interaction.occurred_at
    if case.rescue_first_contact_at is not None and case.rescue_first_contact_at <= at:
        return False
    case.rescue_first_contact_at = at
    case.rescue_escalate_at = at + timedelta(days=settings.RESCUE_ESCALATION_DAYS)
    case.save(update_fields=["rescue_first_contact_at", "rescue_escalate_at", "updated_at"])
    return True


@transaction.atomic
def set_rescue_area(*, actor: AbstractBaseUser, case_id: int, area: str) -> Case:
    """Choose the area (Sales or Experience) a silent rescue case escalates to.

    Rules: RES-3, ROLE-1. Raises DomainError or PermissionDenied.
    """
    # Lock: a change of area racing the escalation sweep.
    case = lock_case(case_id)
    ensure_can_change(actor, case)
    if case.kind != Case.Kind.RESCUE:
        raise DomainError(_("Only a rescue case has an escalation area."), rule="RES-3")
    ensure_open(case)
    if area not in Case.RescueArea.values:
        raise DomainError(_("Choose the Sales or the Experience area."), rule="RES-3")
    if case.rescue_escalated_at is not None:
        raise DomainError(_("This rescue case already escalated to its area."), rule="RES-3")
    if case.rescue_area != area:
        case.rescue_area = area
        case.save(update_fields=["rescue_area", "updated_at"])
    return case


def clean_rescue_outcome(case: Case, outcome: str) -> str:
    """KPI-7: a rescue case records whether the client was retained when it ends."""
    if case.kind != Case.Kind.RESCUE:
        return ""
    if outcome not in Case.RescueOutcome.values:
        raise DomainError(
            _("Say whether the client was retained or lost to end a rescue case."), rule="RES-2"
        )
    return outcome


# Area members -----------------------------------------------------------------------


def area_members(area: str) -> list[AbstractBaseUser]:
    """The active users of an area's group (RES-3)."""
    name = AREA_GROUPS.get(area)
    if not name:
        return []
    return list(User.objects.filter(groups__name=name, is_active=True).order_by("pk"))


def default_rescue_area() -> str:
    area = getattr(settings, "RESCUE_DEFAULT_AREA", Case.RescueArea.EXPERIENCE)
    return area if area in Case.RescueArea.values else Case.RescueArea.EXPERIENCE
