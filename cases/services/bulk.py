"""Bulk work on the board: a leader covering an absence gives many cases to
one person of the team at once (``reassign_cases``).

Set-based: the cases are locked in one query (pk order), updated in one,
their history rows written in one, and the notifications (with their emails)
through ``notify_each`` in a constant number of queries, whatever the number
of cases up to ``MAX_BULK_CASES``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.utils import bulk_update_with_history

from cases.models import Case
from cases.selectors import team_member_ids
from cases.services._common import WORKERS, case_url
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import Role, has_role, require_role
from pae_ops.services import Message, notify_each

User = get_user_model()

# A leader's board holds a few hundred open cases at most; past this the
# request is a mistake (or a forged form), not an absence to cover.
MAX_BULK_CASES = 500


def _numbers(cases: Iterable[Case]) -> str:
    return ", ".join(f"#{case.pk}" for case in cases)


@transaction.atomic
def reassign_cases(
    *, actor: AbstractBaseUser, case_ids: Iterable[int], assignee_id: int
) -> list[Case]:
    """Give every one of these open cases of the leader's board to one person
    of the leader's team (or the leader): all or nothing.

    The leader may change only the cases on their own team's board (assigned
    to them or to an active member of their team) and give them only to the
    same people; a case outside it, or no longer open, refuses the whole act
    and changes nothing. Each reassigned case gets one history entry and its
    new assignee one notification (none for a case already theirs, none to
    the leader about their own act). Returns the cases reassigned.
    Rules: ROLE-1. Raises DomainError or ActRefused.
    """
    require_role(actor, Role.LEADER)
    ids = sorted({int(pk) for pk in case_ids})
    if not ids:
        raise DomainError(_("Choose at least one case."))
    if len(ids) > MAX_BULK_CASES:
        raise DomainError(
            _("At most %(limit)s cases can be reassigned at once.") % {"limit": MAX_BULK_CASES}
        )
    team = set(team_member_ids(actor))
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None or assignee.pk not in team or not has_role(assignee, *WORKERS):
        raise ActRefused(
            _("Cases can be given only to an active person of your team."), rule="ROLE-1"
        )
    # Lock every case, in pk order: two bulk reassignments (or one and a
    # single reassignment, an escalation or the SLA sweep) that share cases
    # queue behind each other instead of deadlocking or overwriting.
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    if len(cases) != len(ids):
        raise DomainError(_("Some of these cases no longer exist. Nothing was changed."))
    outside = [case for case in cases if case.assignee_id not in team]
    if outside:
        raise ActRefused(
            _("%(numbers)s are not on your team's board. Nothing was changed.")
            % {"numbers": _numbers(outside)},
            rule="ROLE-1",
        )
    closed = [case for case in cases if not case.is_open]
    if closed:
        raise DomainError(
            _("%(numbers)s are no longer open. Nothing was changed.")
            % {"numbers": _numbers(closed)},
            rule="ROLE-1",
        )
    moving = [case for case in cases if case.assignee_id != assignee.pk]
    if not moving:
        return []
    now = timezone.now()
    for case in moving:
        case.assignee = assignee
        case.updated_at = now
    bulk_update_with_history(
        moving,
        Case,
        ["assignee", "updated_at"],
        default_user=actor,
        default_change_reason=_("Reassigned with others from the board"),
        default_date=now,
    )
    if assignee.pk != actor.pk:
        notify_each(
            Message(
                recipient=assignee,
                kind="case-assigned",
                title=format_lazy(
                    _lazy("Case #{number} assigned to you: {subject}"),
                    number=case.pk,
                    subject=case.subject,
                ),
                url=case_url(case),
            )
            for case in moving
        )
    return moving
