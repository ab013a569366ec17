"""Sum the counters of ``kpis.facts`` over periods, grouped, from roll-ups plus live rows.

``totals()`` is the one engine behind every selector of ``kpis.selectors``:

1. **Plan** (``plan_coverage``): the days asked for are split into months
   the roll-up holds as monthly rows, days it holds as daily rows, and what
   it doesn't hold yet, computed live: what happened or was written since the
   last refresh (normally minutes of today, ``Window.since``) and whole days
   after the last covered one. Without roll-ups (``use_rollups=False``) every
   day is live.
2. **Roll-up query**: one SQL statement over ``kpis_kpirollup``, one
   ``SELECT … GROUP BY`` per requested grouping joined with ``UNION ALL``.
3. **Live query**: the same groupings over ``WITH live AS (<every fact source
   over the live days>)``: one SQL statement.
4. **Typing, live** (TYP-3): ``cases.selectors.typing_compliance`` once per
   month that has live days (the roll-up holds what it returned for the
   earlier days).

So a page costs the same few queries whatever the number of rows, and the
figures are the same whichever way a day is read (``tests/kpis/test_rollups``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.db import connection
from django.utils import timezone

from cases.selectors import typing_compliance
from kpis import facts
from kpis.figures import Measures
from kpis.models import (
    AMOUNT_MEASURES,
    CUBOIDS,
    FAMILY_MEASURES,
    MEASURES,
    Family,
    Grain,
    KpiRollupState,
)

GROUP_KEYS = ("month", "segment", "partner_id", "product_id", "agent_id", "tenths")
INT_KEYS = {"partner_id", "product_id", "agent_id", "tenths"}
FAMILIES_WITH_SEGMENT = (Family.SALES, Family.DEFECT, Family.SERVICE, Family.RESPONSE)


# Periods ----------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


# Filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiFilters:
    """The dashboards' filters. ``agent_ids`` None: every agent.

    Agent narrows every figure; segment every figure but typing (an agent's
    own figure, TYP-3); partner and product only the figures about purchases
    and offers (``FigureDef.by_product``).
    """

    agent_ids: tuple[int, ...] | None = None
    segment: str = ""
    partner_id: int | None = None
    product_id: int | None = None

    def sql(self) -> tuple[str, list]:
        clauses: list[str] = []
        params: list = []
        if self.agent_ids is not None:
            if self.agent_ids:
                clauses.append(f"agent_id IN ({', '.join(['%s'] * len(self.agent_ids))})")
                params.extend(self.agent_ids)
            else:
                clauses.append("1 = 0")
        if self.segment:
            clauses.append(f"(family = '{Family.TYPING}' OR segment = %s)")
            params.append(self.segment)
        if self.partner_id is not None:
            clauses.append(f"(family <> '{Family.SALES}' OR partner_id = %s)")
            params.append(self.partner_id)
        if self.product_id is not None:
            clauses.append(f"(family <> '{Family.SALES}' OR product_id = %s)")
            params.append(self.product_id)
        return " AND ".join(clauses) or "1 = 1", params

    @property
    def narrows_products(self) -> bool:
        return self.partner_id is not None or self.product_id is not None


NO_FILTERS = KpiFilters()


# Groupings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One grouping: sums per value of ``keys`` (none: one total row), over
    ``months`` (None: every month asked for), for rows of ``families``."""

    name: str
    keys: tuple[str, ...]
    families: tuple[str, ...]
    months: tuple[date, ...] | None = None

    def __post_init__(self) -> None:
        assert len(self.keys) <= 2  # noqa: S101
        assert set(self.keys) <= set(GROUP_KEYS)  # noqa: S101
        # Typing rows only carry an agent (cases.selectors.typing_compliance).
        if Family.TYPING in self.families:
            assert set(self.keys) <= {"month", "agent_id"}  # noqa: S101


@dataclass
class Totals:
    """Per part, per key tuple: the summed ``Measures``."""

    parts: dict[str, dict[tuple, Measures]] = field(default_factory=dict)
    as_of: datetime | None = None
    covered_through: date | None = None
    live_days: int = 0
    _buckets: dict = field(default_factory=dict, repr=False, compare=False)

    def get(self, part: str, *key) -> Measures:
        return self.parts.get(part, {}).get(tuple(key), Measures())

    def rows(self, part: str) -> dict[tuple, Measures]:
        return self.parts.get(part, {})

    def add(self, part: str, key: tuple, values: dict) -> None:
        self.parts.setdefault(part, {}).setdefault(key, Measures()).add(values)

    def buckets(self, part: str, *key) -> dict[int, int]:
        """``{tenths: cases}`` of a part grouped by (…, tenths)."""
        index = self._buckets.get(part)
        if index is None:
            index = defaultdict(lambda: defaultdict(int))
            for row_key, measures in self.rows(part).items():
                if row_key[-1] is not None:
                    index[row_key[:-1]][row_key[-1]] += measures["responded"]
            self._buckets[part] = index
        return dict(index.get(tuple(key), {}))


# Coverage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    monthly: tuple[date, ...]
    daily: tuple[tuple[date, date], ...]
    # (first day, last day, since): ``since`` for the rest of a day the
    # roll-up holds up to that instant; None for whole days.
    live: tuple[tuple[date, date, datetime | None], ...]


def plan_coverage(
    ranges: Iterable[tuple[date, date]],
    *,
    today: date,
    covered: tuple[date, date] | None,
    covered_until: datetime | None = None,
) -> Coverage:
    """Split the days of ``ranges`` (clipped to today) into monthly roll-up rows,
    daily roll-up rows and live days; the last covered day, when the roll-up
    holds it only up to ``covered_until``, is read live after that instant."""
    monthly: list[date] = []
    daily: list[tuple[date, date]] = []
    live_days: set[date] = set()
    partial: date | None = None
    if (
        covered is not None
        and covered_until is not None
        and covered_until < facts.local_midnight(covered[1] + timedelta(days=1))
    ):
        partial = covered[1]
    rest_of: set[date] = set()
    for first, last in ranges:
        last = min(last, today)
        for month in months_between(first, last):
            lo, hi = max(first, month), min(last, month_end(month))
            if lo > hi:
                continue
            if covered is None:
                live_days.update(_days(lo, hi))
                continue
            cov_lo, cov_hi = covered
            if partial is not None and lo <= partial <= hi:
                rest_of.add(partial)
            # The monthly row of a covered month holds it up to cov_hi.
            row_end = min(month_end(month), cov_hi)
            if lo == month and cov_lo <= month <= row_end <= hi:
                monthly.append(month)
                live_days.update(_days(row_end + timedelta(days=1), hi))
                continue
            in_lo, in_hi = max(lo, cov_lo), min(hi, cov_hi)
            if in_lo <= in_hi:
                daily.append((in_lo, in_hi))
            live_days.update(day for day in _days(lo, hi) if not in_lo <= day <= in_hi)
    live = [(lo, hi, None) for lo, hi in _contiguous(live_days)]
    live += [(day, day, covered_until) for day in sorted(rest_of)]
    return Coverage(tuple(sorted(set(monthly))), tuple(daily), tuple(live))


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _contiguous(days: set[date]) -> tuple[tuple[date, date], ...]:
    """Runs of consecutive days, split at month starts (one typing query a month)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day and day.day != 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return tuple(runs)


def rollup_state() -> KpiRollupState | None:
    return KpiRollupState.objects.filter(pk=KpiRollupState.SINGLETON_PK).first()


# The engine ------------------------------------------------------------------------------


def totals(
    *,
    ranges: Sequence[tuple[date, date]],
    parts: Sequence[Part],
    filters: KpiFilters = NO_FILTERS,
    now: datetime | None = None,
    use_rollups: bool = True,
) -> Totals:
    """Sum the counters over ``ranges`` for each of ``parts``, under ``filters``.

    Queries: the roll-up state (with roll-ups), one roll-up statement when
    some days are rolled up, one live statement when some days are not, and
    one ``typing_compliance`` call per month with live days when a part asks
    for typing.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, facts.local_zone())
    result = Totals()
    covered = covered_until = None
    if use_rollups:
        state = rollup_state()
        if state and state.covered_from and state.covered_through:
            covered = (state.covered_from, state.covered_through)
            covered_until = state.covered_until
            result.as_of = state.covered_until or state.refreshed_at
            result.covered_through = state.covered_through
    coverage = plan_coverage(ranges, today=today, covered=covered, covered_until=covered_until)
    where, params = filters.sql()

    if coverage.monthly or coverage.daily:
        sql, sql_params = _grouped_sql(
            "kpis_kpirollup",
            where,
            params,
            parts,
            selection=lambda part: _selection(coverage, _cuboid(part, filters), part.months),
        )
        _collect(result, sql, sql_params, parts)

    windows = [
        w
        for lo, hi, since in coverage.live
        if (w := facts.Window.of(lo, hi, now=now, since=since)) and w.start_at < w.end_at
    ]
    if windows:
        result.live_days = sum((w.last_day - w.first_day).days + 1 for w in windows)
        families = {family for part in parts for family in part.families}
        union, union_params = facts.union_sql(_joined(windows, now=now), families=families)
        grouped, grouped_params = _grouped_sql("live", where, params, parts)
        if grouped:
            _collect(
                result, f"WITH live AS ({union}) {grouped}", [*union_params, *grouped_params], parts
            )
        if any(Family.TYPING in part.families for part in parts):
            for window in windows:
                _add_live_typing(result, window, parts, filters)
    return result


def _joined(windows: list[facts.Window], *, now: datetime) -> list[facts.Window]:
    """Whole-day windows that follow each other as one (the month splits are for
    typing's one query a month): the live statement has one ``UNION ALL`` branch
    per source and window, and before the first roll-up, 13 months of monthly
    windows made ~200 branches whose planning alone took most of a second."""
    joined: list[facts.Window] = []
    for window in windows:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.since is None
            and window.since is None
            and last.last_day + timedelta(days=1) == window.first_day
        ):
            joined[-1] = facts.Window.of(last.first_day, window.last_day, now=now)
        else:
            joined.append(window)
    return joined


def _cuboid(part: Part, filters: KpiFilters) -> str:
    """The smallest monthly grain that holds the part's keys and the filters' dimensions."""
    needed = set(part.keys) - {"month", "tenths"}
    if filters.agent_ids is not None:
        needed.add("agent_id")
    if filters.segment:
        needed.add("segment")
    if filters.narrows_products:
        needed |= {"partner_id", "product_id"}
    for grain, kept in CUBOIDS.items():
        if needed <= kept:
            return grain
    return Grain.MONTH


def _selection(
    coverage: Coverage, grain: str, months: tuple[date, ...] | None
) -> tuple[str, list] | None:
    """The roll-up rows of a part: its months' monthly rows (at ``grain``) and
    daily rows; None when the roll-up holds none of its days."""
    monthly = [m for m in coverage.monthly if months is None or m in months]
    daily = [
        (lo, hi)
        for lo, hi in coverage.daily
        if months is None or month_start(lo) in months or month_start(hi) in months
    ]
    clauses, params = [], []
    if monthly:
        marks = ", ".join(["%s"] * len(monthly))
        clauses.append(f"(grain = %s AND period IN ({marks}))")
        params.extend([grain, *monthly])
    for lo, hi in daily:
        clauses.append("(grain = 'd' AND period BETWEEN %s AND %s)")
        params.extend([lo, hi])
    if not clauses:
        return None
    return " OR ".join(clauses), params


# Typed, so that the UNION of the parts lines up.
_NULLS = {
    name: "CAST(NULL AS NUMERIC)" if name in AMOUNT_MEASURES else "CAST(NULL AS BIGINT)"
    for name in MEASURES
}


def _grouped_sql(
    source: str,
    where: str,
    params: list,
    parts: Sequence[Part],
    selection: Callable[[Part], tuple[str, list]] | None = None,
) -> tuple[str, list]:
    selects, all_params = [], []
    for part in parts:
        keys = [*part.keys, None, None][:2]
        key_sql = [f"CAST({key} AS TEXT)" if key else "CAST(NULL AS TEXT)" for key in keys]
        # Only the counters of the part's families are summed.
        wanted = {name for family in part.families for name in FAMILY_MEASURES[family]}
        # NULL, not 0, for the others: nothing to send or decode.
        sums = ", ".join(
            f"SUM({name}) AS {name}" if name in wanted else f"{_NULLS[name]} AS {name}"
            for name in MEASURES
        )
        clauses = [where, f"family IN ({', '.join(['%s'] * len(part.families))})"]
        part_params = [*params, *part.families]
        if selection is not None:
            rows = selection(part)
            if rows is None:
                continue
            clauses.insert(0, f"({rows[0]})")
            part_params = [*rows[1], *part_params]
        if part.months is not None:
            if not part.months:
                continue
            clauses.append(f"month IN ({', '.join(['%s'] * len(part.months))})")
            part_params.extend(part.months)
        group_by = f" GROUP BY {', '.join(part.keys)}" if part.keys else ""
        # Identifiers are this module's constants; every value is a parameter.
        selects.append(
            f"SELECT %s AS part, {key_sql[0]} AS k1, {key_sql[1]} AS k2, {sums} "  # noqa: S608
            f"FROM {source} WHERE {' AND '.join(clauses)}{group_by}"
        )
        all_params.extend([part.name, *part_params])
    return " UNION ALL ".join(selects), all_params


def _collect(result: Totals, sql: str, params: list, parts: Sequence[Part]) -> None:
    if not sql:
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    # Per part: where its key columns and its families' counters are.
    layout = {}
    for part in parts:
        wanted = {name for family in part.families for name in FAMILY_MEASURES[family]}
        layout[part.name] = (
            part.keys,
            [(index, name) for index, name in enumerate(names) if name in wanted],
        )
    # Keys come as text, and a month or an id recurs on hundreds of rows.
    parse = cache(_parse)
    for row in rows:
        keys, measures = layout[row[0]]
        values = {name: row[index] for index, name in measures if row[index]}
        if not keys and not values:
            continue  # an empty total row (SUM over nothing)
        result.add(row[0], tuple(map(parse, keys, row[1:3])), values)


def _parse(name: str, value):
    if value is None:
        return None
    if name == "month":
        return date.fromisoformat(str(value)[:10])
    if name in INT_KEYS:
        return int(Decimal(str(value)))
    return value


def _add_live_typing(result: Totals, window, parts: Sequence[Part], filters: KpiFilters) -> None:
    figures = typing_compliance(
        start=window.start_at,
        end=window.end_at,
        agent_ids=None if filters.agent_ids is None else list(filters.agent_ids),
    )
    month = month_start(window.first_day)
    for part in parts:
        if Family.TYPING not in part.families:
            continue
        if part.months is not None and month not in part.months:
            continue
        for agent_id, figure in figures.items():
            if not figure.logged:
                continue
            key = tuple(month if name == "month" else agent_id for name in part.keys)
            result.add(part.name, key, {"logged": figure.logged, "typed": figure.typed})
