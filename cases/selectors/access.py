"""Who may read and change cases (ROLE-1), the SLA settings and the typing
choices on offer (TYP-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from cases.models import (
    Case,
    Interaction,
    ResponseTemplate,
    SlaSettings,
    TypingCategory,
    TypingReason,
)
from pae_ops.business_hours import CalendarSpec
from pae_ops.models import BusinessCalendar
from pae_ops.roles import Role, has_role
from pae_ops.selectors import load_calendar_spec

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


User = get_user_model()

# Who reads cases (RULES, Roles): agents and leaders work them, directors read.
CASE_READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)


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
