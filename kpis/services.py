"""Refresh the KPI roll-ups and the business clock (the only writes of the app).

Only ``kpis`` tables are written; the domain tables are read. The periodic
tasks call ``refresh_kpi_rollups`` (incremental, every 15 minutes, and a
nightly rebuild of the last ``KPI_ROLLUP_REBUILD_DAYS`` days). See
``docs/kpis.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from cases.models import Case, Interaction
from cases.selectors import typing_compliance
from clients.models import Payment, Purchase
from kpis import facts
from kpis.models import (
    CUBOIDS,
    MEASURES,
    Family,
    Grain,
    KpiBusinessClock,
    KpiRollup,
    KpiRollupState,
)
from kpis.queries import add_months, month_start, months_between
from pae_ops.business_hours import CalendarSpec, open_segments
from pae_ops.models import BusinessCalendar
from pae_ops.selectors import load_calendar_spec

MICROSECOND = Decimal("0.000001")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass(frozen=True)
class RefreshResult:
    first_day: date | None
    last_day: date | None
    rows: int
    months: tuple[date, ...]


@transaction.atomic
def refresh_kpi_rollups(*, since: date | None = None, now: datetime | None = None) -> RefreshResult:
    """Recompute the daily roll-up rows from ``since`` through today (today up to
    ``now``), and the monthly rows of every month they touch (month to date
    for the current one). Idempotent.

    Incremental by default: from the last covered day (which may have been
    held only partly), the current month and the last
    ``KPI_ROLLUP_TRAILING_DAYS`` days (7), which late changes (typing an
    interaction, a payment toward a plan, a survey answer) still move. The
    first run starts at the first day of the month of the earliest data, or 25
    months back (``KPI_ROLLUP_HISTORY_MONTHS``) if that is earlier. What
    happens after ``now`` the selectors read live (``Window.since``).

    Two refreshes never interleave: the state row is locked first.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, facts.local_zone())
    KpiRollupState.objects.get_or_create(pk=KpiRollupState.SINGLETON_PK)
    # Lock: a second beat or a redelivered task waits here instead of
    # deleting rows the first one is writing.
    state = KpiRollupState.objects.select_for_update().get(pk=KpiRollupState.SINGLETON_PK)
    ensure_business_clock(state=state, today=today)

    first = _first_day(state, since=since, today=today)
    KpiRollup.objects.filter(grain="d", period__gte=first, period__lte=today).delete()
    window = facts.Window.of(first, today, now=now)
    rows = _insert_daily(window) + _insert_typing(first, today, now=now)

    state.covered_from = min(first, state.covered_from or first)
    state.covered_through = today
    state.covered_until = now
    # Every month the refresh touched gets its monthly rows again, the
    # current one too (month to date): the dashboards read a month in one
    # row per group instead of its days.
    months = tuple(month for month in months_between(first, today) if state.covered_from <= month)
    if months:
        KpiRollup.objects.exclude(grain=Grain.DAY).filter(period__in=months).delete()
        rows += _insert_monthly(months)
    state.refreshed_at = now
    state.save(update_fields=["covered_from", "covered_through", "covered_until", "refreshed_at"])
    return RefreshResult(first, today, rows, months)


def _first_day(state: KpiRollupState, *, since: date | None, today: date) -> date:
    if state.covered_through is None:
        # The first run covers whole months back to the earliest data, and
        # at least the last KPI_ROLLUP_HISTORY_MONTHS (25): the dashboards'
        # 13 months then never fall outside the roll-up.
        history = add_months(month_start(today), -_setting("KPI_ROLLUP_HISTORY_MONTHS", 25))
        return month_start(min(since or today, earliest_day() or today, history))
    trailing = today - timedelta(days=_setting("KPI_ROLLUP_TRAILING_DAYS", 7) - 1)
    first = since or min(month_start(today), trailing)
    # Never leave a gap: the last covered day is recomputed (it may have
    # been held only up to the last refresh).
    return min(first, state.covered_through)


def earliest_day() -> date | None:
    """The first day with any data to roll up (None on an empty database)."""
    zone = facts.local_zone()
    candidates = [
        Purchase.objects.aggregate(first=Min("purchased_on"))["first"],
        Payment.objects.aggregate(first=Min("received_on"))["first"],
    ]
    for model, field in ((Case, "opened_at"), (Interaction, "occurred_at")):
        instant = model.objects.aggregate(first=Min(field))["first"]
        if instant is not None:
            candidates.append(timezone.localdate(instant, zone))
    found = [day for day in candidates if day is not None]
    return min(found) if found else None


def _insert_daily(window: facts.Window | None) -> int:
    """One ``INSERT … SELECT`` of every source, grouped at the grain."""
    if window is None:
        return 0
    union, params = facts.union_sql([window])
    grain = ", ".join(facts.GRAIN)
    sums = ", ".join(f"SUM({name})" for name in MEASURES)
    sql = (
        f"INSERT INTO {KpiRollup._meta.db_table} (grain, {grain}, {', '.join(MEASURES)}) "  # noqa: S608
        f"SELECT 'd', {grain}, {sums} FROM ({union}) u GROUP BY {grain}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _insert_typing(first: date, last: date, *, now: datetime) -> int:
    """TYP-3 counts per agent and day (up to ``now``), from the cases app's own selector."""
    rows = []
    day = first
    while day <= last:
        start = facts.local_midnight(day)
        end = min(facts.local_midnight(day + timedelta(days=1)), now)
        for agent_id, figure in typing_compliance(start=start, end=end).items():
            rows.append(
                (
                    "d",
                    day,
                    month_start(day),
                    Family.TYPING,
                    agent_id,
                    "",
                    figure.logged,
                    figure.typed,
                )
            )
        day += timedelta(days=1)
    sql = (
        f"INSERT INTO {KpiRollup._meta.db_table} "  # noqa: S608
        "(grain, period, month, family, agent_id, segment, logged, typed) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[offset : offset + 5000])
    return len(rows)


def _insert_monthly(months: tuple[date, ...]) -> int:
    """The monthly rows of ``months`` from their daily rows, then each summed month."""
    table = KpiRollup._meta.db_table
    dims = ("agent_id", "segment", "partner_id", "product_id")
    columns = f"family, {', '.join(dims)}, tenths"
    sums = ", ".join(f"SUM({name})" for name in MEASURES)
    marks = ", ".join(["%s"] * len(months))
    statements = [
        f"INSERT INTO {table} (grain, period, month, {columns}, {', '.join(MEASURES)}) "  # noqa: S608
        f"SELECT 'm', month, month, {columns}, {sums} FROM {table} "
        f"WHERE grain = 'd' AND month IN ({marks}) GROUP BY month, {columns}"
    ]
    empty = {"agent_id": "NULL", "segment": "''", "partner_id": "NULL", "product_id": "NULL"}
    for grain, kept in CUBOIDS.items():
        select = ", ".join(name if name in kept else empty[name] for name in dims)
        group = ", ".join(["month", "family", *sorted(kept), "tenths"])
        statements.append(
            f"INSERT INTO {table} (grain, period, month, {columns}, {', '.join(MEASURES)}) "  # noqa: S608
            f"SELECT '{grain}', month, month, family, {select}, tenths, {sums} FROM {table} "
            f"WHERE grain = 'm' AND month IN ({marks}) GROUP BY {group}"
        )
    written = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, list(months))
            written += max(cursor.rowcount, 0)
    return written


# The business clock ------------------------------------------------------------------


def calendar_fingerprint(spec: CalendarSpec) -> str:
    """A digest of everything that moves business hours in ``spec``."""
    parts = [
        spec.tz.key,
        repr(sorted(spec.intervals.items())),
        repr(sorted((day, tuple(map(repr, items))) for day, items in spec.closures.items())),
        spec.holiday_country or "",
        spec.holiday_subdivision or "",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def ensure_business_clock(*, state: KpiRollupState, today: date) -> bool:
    """Rebuild ``KpiBusinessClock`` when the default calendar changed or the
    clock no longer spans the cases (from the first case, or three years
    back, to 90 days ahead). Returns True when it was rebuilt.

    Without a default calendar the clock is emptied: the median first
    response time then shows no data rather than a wrong number.
    """
    try:
        spec = load_calendar_spec()
    except BusinessCalendar.DoesNotExist:
        if state.clock_fingerprint:
            KpiBusinessClock.objects.all().delete()
            state.clock_fingerprint, state.clock_from, state.clock_until = "", None, None
            state.save(update_fields=["clock_fingerprint", "clock_from", "clock_until"])
        return False
    first_case = Case.objects.aggregate(first=Min("opened_at"))["first"]
    wanted_from = add_months(month_start(today), -36)
    if first_case is not None:
        wanted_from = min(wanted_from, timezone.localdate(first_case, spec.tz))
    wanted_from -= timedelta(days=7)
    fingerprint = calendar_fingerprint(spec)
    fresh = (
        state.clock_fingerprint == fingerprint
        and state.clock_from is not None
        and state.clock_from <= wanted_from + timedelta(days=7)
        and state.clock_until is not None
        and state.clock_until >= today + timedelta(days=7)
    )
    if fresh:
        return False
    until = today + timedelta(days=90)
    rebuild_business_clock(spec=spec, first_day=wanted_from, last_day=until)
    state.clock_fingerprint, state.clock_from, state.clock_until = fingerprint, wanted_from, until
    state.save(update_fields=["clock_fingerprint", "clock_from", "clock_until"])
    return True


def rebuild_business_clock(*, spec: CalendarSpec, first_day: date, last_day: date) -> int:
    """Write every business interval of ``spec`` from ``first_day`` to ``last_day``."""
    KpiBusinessClock.objects.all().delete()
    rows, before = [], Decimal(0)
    for start, end in open_segments(first_day, last_day, spec):
        seconds = Decimal((end - start).total_seconds()).quantize(MICROSECOND)
        rows.append(
            KpiBusinessClock(
                starts_at=start,
                starts_epoch=Decimal(start.timestamp()).quantize(MICROSECOND),
                seconds=seconds,
                seconds_before=before,
            )
        )
        before += seconds
    KpiBusinessClock.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
