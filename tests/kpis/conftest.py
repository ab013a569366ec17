"""The KPI tests run at a fixed instant: Sunday 15 March 2026, 12:00 in Mexico City.

Rows get that instant as their ``created_at`` (the roll-up reads the rest of
today by when a row was written), and ``clock.advance`` moves on.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.cases.conftest import FrozenClock
from tests.cases.factories import mx

NOW = mx(2026, 3, 15, 12)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> FrozenClock:
    frozen = FrozenClock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen
