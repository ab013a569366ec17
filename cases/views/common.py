"""What the cases app's pages share: who may read and work cases, page sizes,
the safe "next" and hours-left on lists."""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme

from cases.clocks import signed_hours_left
from pae_ops.business_hours import business_hours_between
from pae_ops.roles import Role

READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
WORKERS = (Role.AGENT, Role.LEADER)
PAGE_SIZE = 25
HOME_ROWS = 20
CASE_TIMELINE_PAGE = 100
CLIENT_TIMELINE_PAGE = 20
CLIENT_SURVEYS = 5


class CountedPaginator(Paginator):
    """A paginator whose row count comes from ``count`` (a cheaper query of
    the same rows) instead of counting the listed queryset."""

    def __init__(self, object_list, per_page, *, count: Callable[[], int]) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def attach_hours_left(cases, *, now, spec) -> None:
    """Business hours left to each case's next deadline; a deadline a pause
    holds (SLA-3) shows the hours it had left when the pause began."""
    for case in cases:
        paused_at = case.sla_paused_at
        case.is_paused = paused_at is not None and case.next_due_at > paused_at
        if spec is None:
            case.hours_left = None
        elif case.is_paused:
            case.hours_left = business_hours_between(paused_at, case.next_due_at, spec)
        else:
            case.hours_left = signed_hours_left(now, case.next_due_at, spec)
