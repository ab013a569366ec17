"""Fixtures of the cases tests: a frozen clock, the default calendar, a team."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.cases.factories import ensure_default_calendar, mx
from tests.factories import UserFactory


class FrozenClock:
    """``timezone.now()`` under the test's control (services read only it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **kwargs) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    """Monday 9 November 2026, 10:00 in Mexico City, until the test moves it."""
    frozen = FrozenClock(mx(2026, 11, 9, 10))
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def default_calendar(db):
    """The BH-1 default calendar; transactional tests flush the migration's row."""
    return ensure_default_calendar()


@pytest.fixture
def team(db):
    """A leader with two agents, and a director above them."""
    leader = UserFactory(leader=True, username="lider-casos")
    return {
        "leader": leader,
        "agent": UserFactory(agent=True, username="agente-casos", profile__leader=leader),
        "other": UserFactory(agent=True, username="agente-otro", profile__leader=leader),
        "director": UserFactory(director=True, username="directora-casos"),
    }
