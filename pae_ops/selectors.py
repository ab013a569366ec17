"""Portal-wide reads: teams, notifications, health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from pae_ops.models import Heartbeat, Notification

User = get_user_model()


def list_team_members(leader: AbstractBaseUser) -> QuerySet:
    """The users in ``leader``'s team: the one meaning of "my team" everywhere."""
    return (
        User.objects.filter(profile__leader=leader, is_active=True)
        .select_related("profile")
        .order_by("first_name", "last_name", "username")
    )


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


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failed: int


def outbox_status() -> OutboxStatus:
    from django.db.models import Count, Q

    counts = Notification.objects.aggregate(
        pending=Count("id", filter=Q(email_status=Notification.EmailStatus.PENDING)),
        failed=Count("id", filter=Q(email_status=Notification.EmailStatus.FAILED)),
    )
    return OutboxStatus(pending=counts["pending"], failed=counts["failed"])


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
