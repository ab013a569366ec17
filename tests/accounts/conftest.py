"""Fixtures of the accounts tests: the second factor switched on as in
production, and a clock that both TOTP and the throttles read."""

from __future__ import annotations

import time as real_time
from datetime import UTC, datetime

import pytest
from django.utils import timezone


class TotpClock:
    """The instant TOTP codes, django-otp's throttle and the sessions see."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:  # stands in for the ``time`` module in django-otp
        return self.now

    def aware(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def totp_clock(monkeypatch) -> TotpClock:
    """A clock 5 s into a 30 s step (codes do not roll over mid-test by accident)."""
    start = (int(real_time.time()) // 30) * 30 + 5
    clock = TotpClock(float(start))
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", clock)
    monkeypatch.setattr(timezone, "now", clock.aware)
    return clock


@pytest.fixture
def second_factor_required(settings):
    """TWO_FACTOR_REQUIRED as in production (the suite's default is off)."""
    settings.TWO_FACTOR_REQUIRED = True
    return settings
