"""Helpers the case services share: locking, role checks, transitions, notices."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from cases.models import Case
from cases.selectors import can_change_case
from pae_ops.business_hours import CalendarSpec
from pae_ops.errors import ActRefused, DomainError
from pae_ops.models import BusinessCalendar
from pae_ops.roles import Role, require_role
from pae_ops.selectors import load_calendar_spec
from pae_ops.services import notify

# Who works cases (RULES, Roles); directors read, admins use the admin.
WORKERS = (Role.AGENT, Role.LEADER)


def calendar_spec() -> CalendarSpec:
    """The default calendar's spec, loaded once per service call (BH-1)."""
    try:
        return load_calendar_spec()
    except BusinessCalendar.DoesNotExist:
        raise DomainError(
            _("No business calendar is the default; an administrator must mark one."),
            rule="BH-1",
        ) from None


def lock_case(case_id: int) -> Case:
    """Re-read the case under a row lock (callers name the race they prevent)."""
    return Case.objects.select_for_update(of=("self",)).select_related("client").get(pk=case_id)


def ensure_can_change(actor: AbstractBaseUser, case: Case) -> None:
    """Agents change only their own cases, leaders every case (ROLE-1)."""
    require_role(actor, *WORKERS)
    if not can_change_case(actor, case):
        raise ActRefused(
            _("Only the case's assignee or a leader can change this case."), rule="ROLE-1"
        )


def ensure_transition(case: Case, to: str) -> None:
    if not case.can_transition_to(to):
        raise DomainError(
            _("A case that is “%(current)s” cannot become “%(next)s”.")
            % {
                "current": Case.Status(case.status).label,
                "next": Case.Status(to).label,
            }
        )


def ensure_open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(_("This case is no longer open."))


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def notify_people(
    *,
    case: Case,
    people: Iterable[AbstractBaseUser | None],
    actor: AbstractBaseUser | None,
    kind: str,
    title: Promise | str,
    dedupe_key: str = "",
) -> int:
    """One notification per person (never the actor), rows first (outbox)."""
    recipients = [
        person
        for person in people
        if person is not None and (actor is None or person.pk != actor.pk)
    ]
    if not recipients:
        return 0
    return notify(
        recipients=recipients,
        kind=kind,
        title=title,
        url=case_url(case),
        dedupe_key=dedupe_key,
    )
