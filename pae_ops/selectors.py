"""Portal-wide reads: teams, notifications, health, the business calendar."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone

from pae_ops.business_hours import CalendarSpec, ClosureSpec
from pae_ops.models import BusinessCalendar, Heartbeat, Notification, SavedView

User = get_user_model()


def list_team_members(leader: AbstractBaseUser) -> QuerySet:
    """The users in ``leader``'s team: the one meaning of "my team" everywhere."""
    return (
        User.objects.filter(profile__leader=leader, is_active=True)
        .select_related("profile")
        .order_by("first_name", "last_name", "username")
    )


def list_leaders() -> QuerySet:
    """Every active leader, by name (what a director chooses a team by)."""
    from pae_ops.roles import Role

    return User.objects.filter(groups__name=Role.LEADER.value, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


@dataclass(frozen=True)
class TeamMembers:
    leader: AbstractBaseUser
    members: list[AbstractBaseUser]


def list_teams_with_members() -> list[TeamMembers]:
    """Every leader with the members of their team, by name (two queries):
    the director reads every team on the team page."""
    leaders = list(list_leaders())
    members = defaultdict(list)
    for member in list_team_members_of([leader.pk for leader in leaders]):
        members[member.profile.leader_id].append(member)
    return [TeamMembers(leader, members[leader.pk]) for leader in leaders]


def list_team_members_of(leader_ids: list[int]) -> QuerySet:
    """The active members of these leaders' teams, with their profile."""
    return (
        User.objects.filter(profile__leader_id__in=leader_ids, is_active=True)
        .select_related("profile")
        .order_by("first_name", "last_name", "username")
    )


def chosen_leader(leaders: list[AbstractBaseUser], value: str) -> AbstractBaseUser | None:
    """The leader of ``leaders`` whose id is ``value`` (a ``?leader=`` query), or None."""
    return next((leader for leader in leaders if str(leader.pk) == value), None)


def get_team_leader(user: AbstractBaseUser) -> AbstractBaseUser | None:
    """The leader of ``user``'s team, or None when they have none."""
    return User.objects.filter(team_profiles__user=user).first() if user.is_authenticated else None


def list_notifications(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def count_unread_notifications(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class HeartbeatStatus:
    name: str
    last_run_at: datetime | None
    run_count: int
    hostname: str
    stale: bool


def heartbeat_status(name: str = "heartbeat") -> HeartbeatStatus:
    """The heartbeat job's last run and whether it is older than the stale limit."""
    row = Heartbeat.objects.filter(name=name).first()
    limit = timedelta(minutes=settings.HEARTBEAT_STALE_MINUTES)
    if row is None:
        return HeartbeatStatus(name, None, 0, "", stale=True)
    return HeartbeatStatus(
        name,
        row.last_run_at,
        row.run_count,
        row.hostname,
        stale=timezone.now() - row.last_run_at > limit,
    )


def outbox_status():
    """The outbox's waiting and problem rows (see ``pae_ops.outbox.outbox_status``)."""
    from pae_ops.outbox import outbox_status as status

    return status()


@dataclass(frozen=True)
class TeamSummary:
    leader: AbstractBaseUser
    size: int


def list_teams() -> list[TeamSummary]:
    """Every leader with the number of active members in their team (one query)."""
    from django.db.models import Count, Q

    from pae_ops.roles import Role

    leaders = (
        User.objects.filter(groups__name=Role.LEADER.value, is_active=True)
        .annotate(size=Count("team_profiles", filter=Q(team_profiles__user__is_active=True)))
        .order_by("first_name", "last_name", "username")
    )
    return [TeamSummary(leader=leader, size=leader.size) for leader in leaders]


def load_calendar_spec(calendar: BusinessCalendar | None = None) -> CalendarSpec:
    """The immutable spec of ``calendar`` (the default one when None) for the arithmetic.

    The default calendar's spec is kept by the process and checked against
    the database in one query (a fingerprint of the calendar's row and of
    every interval and closure of it): a page pays ~0.3 ms instead of three
    queries, and the spec's day plans and holiday tables stay warm between
    requests. Any change to those rows, by the admin or by a bulk update,
    changes the fingerprint and the spec is loaded again.

    Otherwise at most three queries: the calendar, its working intervals,
    its closures (none for a calendar whose ``intervals`` and ``closures``
    are prefetched already). Every closure is loaded, past ones included, so
    that a deadline can be recomputed for any start. Load once per request or
    sweep and reuse.

    Rules: BH-1. Raises BusinessCalendar.DoesNotExist when no calendar is
    marked as the default.
    """
    if calendar is None:
        fingerprint = _default_calendar_fingerprint()
        cached = _default_spec
        if fingerprint is not None and cached is not None and cached[0] == fingerprint:
            return cached[1]
        try:
            calendar = BusinessCalendar.objects.prefetch_related("intervals", "closures").get(
                is_default=True
            )
        except BusinessCalendar.DoesNotExist:
            raise BusinessCalendar.DoesNotExist(
                "No business calendar is marked as the default; mark one in the admin."
            ) from None
        spec = _spec_of(calendar)
        if fingerprint is not None:
            _remember_default_spec(fingerprint, spec)
        return spec
    prefetch_related_objects([calendar], "intervals", "closures")
    return _spec_of(calendar)


def _spec_of(calendar: BusinessCalendar) -> CalendarSpec:
    intervals: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for interval in calendar.intervals.all():
        intervals[interval.weekday].append((interval.start_time, interval.end_time))
    closures: dict[date, list[ClosureSpec]] = defaultdict(list)
    for closure in calendar.closures.all():
        closures[closure.date].append(
            ClosureSpec(reason=closure.reason, start=closure.start_time, end=closure.end_time)
        )
    return CalendarSpec(
        tz=ZoneInfo(calendar.time_zone),
        intervals=dict(intervals),
        closures=dict(closures),
        holiday_country=calendar.holiday_country or None,
        holiday_subdivision=calendar.holiday_subdivision or None,
        name=calendar.name,
    )


# The default calendar's spec as last loaded by this process, with the
# fingerprint of the rows it was made from (replaced whole, never mutated).
_default_spec: tuple[str, CalendarSpec] | None = None


def _remember_default_spec(fingerprint: str, spec: CalendarSpec) -> None:
    global _default_spec  # one process-wide value, swapped whole
    _default_spec = (fingerprint, spec)


def _default_calendar_fingerprint() -> str | None:
    """An md5 of the default calendar's row and of its intervals' and
    closures' rows (every column, as PostgreSQL prints a row); None when no
    single calendar is the default (the caller then reads the rows and
    reports it)."""
    calendar = BusinessCalendar._meta.db_table
    interval = BusinessCalendar.intervals.rel.related_model._meta.db_table
    closure = BusinessCalendar.closures.rel.related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT md5(concat_ws('#', c::text,
                (SELECT string_agg(i::text, ';' ORDER BY i.id) FROM {interval} i
                 WHERE i.calendar_id = c.id),
                (SELECT string_agg(x::text, ';' ORDER BY x.id) FROM {closure} x
                 WHERE x.calendar_id = c.id)))
            FROM {calendar} c WHERE c.is_default LIMIT 2
            """  # noqa: S608 (table names from the models)
        )
        rows = cursor.fetchall()
    return rows[0][0] if len(rows) == 1 else None


# Saved views ---------------------------------------------------------------------


def list_saved_views(user: AbstractBaseUser) -> list[SavedView]:
    """The user's own saved views and those their leader shares with the team,
    of the pages the user may open (one query)."""
    from django.db.models import Q

    from pae_ops.roles import user_roles
    from pae_ops.saved_views import PAGES

    roles = user_roles(user)
    pages = [key for key, page in PAGES.items() if roles & page.roles]
    if not pages or not user.is_authenticated:
        return []
    return list(
        SavedView.objects.filter(
            Q(owner=user) | Q(shared_with_team=True, owner__team_profiles__user=user),
            page__in=pages,
        )
        .select_related("owner")
        .order_by("page", "name", "id")
    )


def access_saved_view(user: AbstractBaseUser, pk: int) -> SavedView:
    """A saved view the user may open (their own, or shared by their leader);
    404 otherwise (another's private view is not there for them)."""
    from django.http import Http404

    view = next((view for view in list_saved_views(user) if view.pk == pk), None)
    if view is None:
        raise Http404
    return view
