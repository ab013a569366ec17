"""Business-hour arithmetic over one business calendar (BH-1, BH-2).

Pure functions over an immutable ``CalendarSpec``: no database access, so a
sweep loads the calendar once (``pae_ops.selectors.load_calendar_spec``) and
computes any number of deadlines with it.

The choices, also written down in ``docs/business-calendar.md``:

- **Wall clock, then real time.** Working intervals are wall-clock times in
  the calendar's zone. Each one is turned into a pair of aware instants with
  ``zoneinfo`` and then compared and subtracted in UTC, so an hour counted is
  an hour that really elapsed. A 09:00-18:00 day is 9 hours on a DST-change
  date too; an interval that straddles the change (01:00-04:00 on the
  spring-forward night) counts the 2 hours that really pass. A wall time
  that does not exist (02:30 on that night) is read with ``fold=0``, i.e.
  with the offset in force before the change, as ``zoneinfo`` does.
- **Start outside business hours**: counting begins at the next open instant.
- **Zero hours** returns ``start`` unchanged, even when ``start`` is outside
  business hours: nothing is owed, so nothing is due later than now.
- **A deadline that lands on the end of an interval** is that end (Monday
  09:00 + 9 h is Monday 18:00, not Tuesday 09:00): the earliest instant by
  which the hours have passed.
- **Closures** are a weekday without working intervals, a public holiday of
  the calendar's country (names in Spanish, the portal's language), and the
  whole or part days an admin adds. A public holiday closes the whole day.
- **Bounded search**: a deadline more than ``MAX_SEARCH_DAYS`` (about three
  years) away raises ``ValueError`` instead of looping; so does a calendar
  with no working intervals at all.
- **Paused intervals** (SLA-3: a case waiting on the client when pausing is
  on): ``paused`` stretches of real time are taken out of the count like a
  closure, and the explanation lists the ones that removed business time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import holidays
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_SEARCH_DAYS = 3 * 366
HOLIDAY_LANGUAGE = "es"

_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)

Hours = Decimal | float | int | timedelta
Paused = Iterable[tuple[datetime, datetime]]


# The calendar -----------------------------------------------------------


@dataclass(frozen=True)
class ClosureSpec:
    """An admin closure on one date: whole day when both times are None."""

    reason: str
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValueError("A part-day closure needs both a start and an end time.")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("A closure must end after it starts.")

    @property
    def is_whole_day(self) -> bool:
        return self.start is None


@dataclass(frozen=True, eq=False)
class CalendarSpec:
    """Everything the arithmetic needs to know about one business calendar.

    ``intervals`` maps a weekday (0 = Monday .. 6 = Sunday) to its working
    intervals as wall-clock ``(start, end)`` pairs; ``closures`` maps a date
    to the admin closures on it. Both are normalised on creation: intervals
    sorted, overlapping or touching ones merged. ``holiday_country`` None
    means no public holidays. The ``holidays`` object of each year is built
    once per spec and kept (see ``holiday_names``).
    """

    tz: ZoneInfo
    intervals: Mapping[int, Sequence[tuple[time, time]]]
    closures: Mapping[date, Sequence[ClosureSpec]] = field(default_factory=dict)
    holiday_country: str | None = "MX"
    holiday_subdivision: str | None = None
    name: str = ""
    _holidays_by_year: dict[int, holidays.HolidayBase] = field(
        default_factory=dict, init=False, repr=False
    )
    # Each local day's plan, computed once per spec: a page's hours-left of
    # many cases walks the same days (``_plan_day``). The spec is immutable,
    # so a day's plan never changes.
    _day_plans: dict[date, _DayPlan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        normalised: dict[int, tuple[tuple[time, time], ...]] = {}
        for weekday, pairs in self.intervals.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday}.")
            merged: list[tuple[time, time]] = []
            for start, end in sorted(pairs):
                if end <= start:
                    raise ValueError(f"A working interval must end after it starts: {start}-{end}")
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
                else:
                    merged.append((start, end))
            if merged:
                normalised[weekday] = tuple(merged)
        object.__setattr__(self, "intervals", normalised)
        object.__setattr__(
            self, "closures", {day: tuple(items) for day, items in self.closures.items() if items}
        )

    @property
    def has_working_hours(self) -> bool:
        return bool(self.intervals)

    def holiday_names(self, day: date) -> list[str]:
        """The public holidays on ``day``, by their Spanish names (empty if none)."""
        if not self.holiday_country:
            return []
        calendar = self._holidays_by_year.get(day.year)
        if calendar is None:
            # The language is passed explicitly: without it the names follow
            # the process locale. Countries without Spanish names fall back
            # to their default language.
            calendar = holidays.country_holidays(
                self.holiday_country,
                subdiv=self.holiday_subdivision or None,
                years=day.year,
                language=HOLIDAY_LANGUAGE,
            )
            self._holidays_by_year[day.year] = calendar
        return calendar.get_list(day)


# The explanation (BH-2) -------------------------------------------------


class ClosureKind(models.TextChoices):
    NO_WORKING_HOURS = "no_working_hours", _("No working hours (weekend)")
    PUBLIC_HOLIDAY = "public_holiday", _("Public holiday")
    ADMIN_CLOSURE = "admin_closure", _("Closure")


@dataclass(frozen=True)
class CountedInterval:
    """A stretch of business time that counted towards the deadline."""

    start: datetime
    end: datetime
    hours: Decimal


@dataclass(frozen=True)
class SkippedClosure:
    """A day, or part of one, that the count passed over.

    ``label`` is the holiday's Spanish name or the admin's reason (empty for a
    day without working hours); ``start``/``end`` are set only for a part-day
    admin closure, in the calendar's wall clock.
    """

    date: date
    kind: ClosureKind
    label: str = ""
    start: time | None = None
    end: time | None = None

    @property
    def is_whole_day(self) -> bool:
        return self.start is None

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)


@dataclass(frozen=True)
class PausedInterval:
    """A stretch during which the clock stood still, and the business hours it
    took out of the count (SLA-3: the case waited on the client)."""

    start: datetime
    end: datetime
    hours: Decimal


@dataclass(frozen=True)
class DeadlineExplanation:
    """How a deadline was computed: what the case page shows under "why?"."""

    calendar_name: str
    time_zone: str
    start: datetime
    hours: Decimal
    deadline: datetime
    counted: tuple[CountedInterval, ...]
    skipped: tuple[SkippedClosure, ...]
    paused: tuple[PausedInterval, ...] = ()


# Public functions -------------------------------------------------------


def add_business_hours(
    start: datetime, hours: Hours, spec: CalendarSpec, *, paused: Paused = ()
) -> datetime:
    """The instant at which ``hours`` business hours have passed since ``start``.

    ``start`` must be aware; when it is outside business hours the count
    begins at the next open instant. Zero hours returns ``start`` unchanged.
    ``paused`` are ``(start, end)`` pairs of aware instants that do not
    count (SLA-3). The result is in the calendar's time zone.

    Raises ValueError for a naive ``start`` or pause, negative or non-finite
    hours, a calendar without working intervals, or a deadline beyond the
    search horizon.
    """
    return _count(start, hours, spec, explain=False, paused=paused).deadline


def explain_deadline(
    start: datetime, hours: Hours, spec: CalendarSpec, *, paused: Paused = ()
) -> DeadlineExplanation:
    """``add_business_hours`` plus the intervals it counted, the closures it
    skipped and the pauses that removed business time.

    Rules: BH-2, SLA-3. Raises ValueError as ``add_business_hours`` does.
    """
    return _count(start, hours, spec, explain=True, paused=paused)


def business_hours_between(start: datetime, end: datetime, spec: CalendarSpec) -> Decimal:
    """The business hours from ``start`` to ``end``; 0 when ``end <= start``.

    Exact to the microsecond (a whole number of hours comes back as an integral
    Decimal); 0 for a calendar without working intervals. Raises ValueError
    for naive datetimes.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return Decimal(0)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    for plan in _days(start_utc, spec, last_day=end_utc.astimezone(spec.tz).date()):
        for seg_start, seg_end in plan.open_segments:
            lo, hi = max(seg_start, start_utc), min(seg_end, end_utc)
            if hi > lo:
                total += hi - lo
    return _to_hours(total)


def next_open_instant(start: datetime, spec: CalendarSpec) -> datetime:
    """``start`` when it is inside business hours, else the next instant that is.

    In the calendar's time zone. Raises ValueError as ``add_business_hours``.
    """
    _require_aware(start, "start")
    _require_working_hours(spec)
    start_utc = start.astimezone(UTC)
    for plan in _days(start_utc, spec):
        for seg_start, seg_end in plan.open_segments:
            if seg_end > start_utc:
                return max(seg_start, start_utc).astimezone(spec.tz)
    raise AssertionError("unreachable: _days raises past the horizon")  # pragma: no cover


def open_segments(
    first_day: date, last_day: date, spec: CalendarSpec
) -> Iterator[tuple[datetime, datetime]]:
    """The open (business) intervals of each local day from ``first_day`` to
    ``last_day`` inclusive, as UTC instant pairs in order.

    The KPI business clock (``kpis.services``) stores them so that SQL can
    count business hours between two instants. Closures are applied as for
    every other function here.
    """
    for offset in range((last_day - first_day).days + 1):
        yield from _plan_day(first_day + timedelta(days=offset), spec).open_segments


# The walk ---------------------------------------------------------------


@dataclass(frozen=True)
class _Skip:
    closure: SkippedClosure
    # The working time the closure removed, in UTC; empty for a day with no
    # working hours. Used to list only closures that mattered to a count.
    removed: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class _DayPlan:
    day: date
    open_segments: tuple[tuple[datetime, datetime], ...]
    skips: tuple[_Skip, ...]


def _count(
    start: datetime, hours: Hours, spec: CalendarSpec, *, explain: bool, paused: Paused = ()
) -> DeadlineExplanation:
    _require_aware(start, "start")
    budget = _to_timedelta(hours)
    _require_working_hours(spec)
    amount = _to_hours(budget)
    pauses = _normalise_pauses(paused)
    if budget == timedelta(0):
        return DeadlineExplanation(
            calendar_name=spec.name,
            time_zone=spec.tz.key,
            start=start,
            hours=amount,
            deadline=start,
            counted=(),
            skipped=(),
        )

    start_utc = start.astimezone(UTC)
    remaining = budget
    counted: list[CountedInterval] = []
    skips: list[_Skip] = []
    for plan in _days(start_utc, spec):
        if explain:
            skips.extend(plan.skips)
        for seg_start, seg_end in _without_pauses(plan.open_segments, pauses):
            lo = max(seg_start, start_utc)
            if seg_end <= lo:
                continue
            taken = min(seg_end - lo, remaining)
            remaining -= taken
            if explain:
                counted.append(
                    CountedInterval(
                        start=lo.astimezone(spec.tz),
                        end=(lo + taken).astimezone(spec.tz),
                        hours=_to_hours(taken),
                    )
                )
            if remaining == timedelta(0):
                deadline = lo + taken
                return DeadlineExplanation(
                    calendar_name=spec.name,
                    time_zone=spec.tz.key,
                    start=start,
                    hours=amount,
                    deadline=deadline.astimezone(spec.tz),
                    counted=tuple(counted),
                    # Only the closures that removed time between start and
                    # deadline (a day without working hours always counts).
                    skipped=tuple(
                        skip.closure
                        for skip in skips
                        if not skip.removed
                        or any(a < deadline and b > start_utc for a, b in skip.removed)
                    ),
                    paused=_pauses_that_counted(pauses, start_utc, deadline, spec)
                    if explain
                    else (),
                )
    raise AssertionError("unreachable: _days raises past the horizon")  # pragma: no cover


def _days(
    start_utc: datetime, spec: CalendarSpec, *, last_day: date | None = None
) -> Iterator[_DayPlan]:
    """The plan of each local day from the one holding ``start_utc`` on.

    With ``last_day`` the walk stops after that day. Without it, it raises
    ValueError once it passes ``MAX_SEARCH_DAYS``.
    """
    first = start_utc.astimezone(spec.tz).date()
    if last_day is not None:
        for offset in range((last_day - first).days + 1):
            yield _plan_day(first + timedelta(days=offset), spec)
        return
    for offset in range(MAX_SEARCH_DAYS + 1):
        yield _plan_day(first + timedelta(days=offset), spec)
    raise ValueError(
        gettext(
            "No business hours found within %(days)d days of %(start)s in calendar "
            "“%(calendar)s”: check its working intervals and closures."
        )
        % {"days": MAX_SEARCH_DAYS, "start": start_utc.isoformat(), "calendar": spec.name}
    )


def _plan_day(day: date, spec: CalendarSpec) -> _DayPlan:
    """The open segments of one local day and the closures that shaped it
    (computed once per spec and day)."""
    plan = spec._day_plans.get(day)
    if plan is None:
        plan = spec._day_plans[day] = _make_day_plan(day, spec)
    return plan


def _make_day_plan(day: date, spec: CalendarSpec) -> _DayPlan:
    wall = spec.intervals.get(day.weekday(), ())
    if not wall:
        skip = SkippedClosure(date=day, kind=ClosureKind.NO_WORKING_HOURS)
        return _DayPlan(day, (), (_Skip(skip, ()),))

    working = tuple((_instant(day, s, spec.tz), _instant(day, e, spec.tz)) for s, e in wall)
    working = tuple((lo, hi) for lo, hi in working if hi > lo)

    holiday_names = spec.holiday_names(day)
    if holiday_names:
        skip = SkippedClosure(
            date=day, kind=ClosureKind.PUBLIC_HOLIDAY, label="; ".join(holiday_names)
        )
        return _DayPlan(day, (), (_Skip(skip, working),))

    closures = spec.closures.get(day, ())
    whole = [c for c in closures if c.is_whole_day]
    if whole:
        skips = tuple(
            _Skip(SkippedClosure(date=day, kind=ClosureKind.ADMIN_CLOSURE, label=c.reason), working)
            for c in whole
        )
        return _DayPlan(day, (), skips)

    segments = list(working)
    skips_list: list[_Skip] = []
    for closure in closures:
        if closure.start is None or closure.end is None:  # whole days are handled above
            continue
        cut = (_instant(day, closure.start, spec.tz), _instant(day, closure.end, spec.tz))
        removed = tuple(
            (max(lo, cut[0]), min(hi, cut[1])) for lo, hi in segments if lo < cut[1] and hi > cut[0]
        )
        if not removed:
            continue
        segments = _subtract(segments, cut)
        skips_list.append(
            _Skip(
                SkippedClosure(
                    date=day,
                    kind=ClosureKind.ADMIN_CLOSURE,
                    label=closure.reason,
                    start=closure.start,
                    end=closure.end,
                ),
                removed,
            )
        )
    return _DayPlan(day, tuple(segments), tuple(skips_list))


def _normalise_pauses(paused: Paused) -> tuple[tuple[datetime, datetime], ...]:
    """The pauses as sorted, merged UTC pairs; empty ones dropped."""
    pairs: list[tuple[datetime, datetime]] = []
    for lo, hi in paused:
        _require_aware(lo, "pause start")
        _require_aware(hi, "pause end")
        lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
        if hi > lo:
            pairs.append((lo, hi))
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(pairs):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _without_pauses(
    segments: Sequence[tuple[datetime, datetime]], pauses: Sequence[tuple[datetime, datetime]]
) -> Sequence[tuple[datetime, datetime]]:
    if not pauses:
        return segments
    result = list(segments)
    for cut in pauses:
        result = _subtract(result, cut)
    return result


def _pauses_that_counted(
    pauses: Sequence[tuple[datetime, datetime]],
    start_utc: datetime,
    deadline: datetime,
    spec: CalendarSpec,
) -> tuple[PausedInterval, ...]:
    """The pauses that took business time out of ``[start, deadline]``."""
    result = []
    for lo, hi in pauses:
        removed = business_hours_between(max(lo, start_utc), min(hi, deadline), spec)
        if removed > 0:
            result.append(
                PausedInterval(
                    start=lo.astimezone(spec.tz), end=hi.astimezone(spec.tz), hours=removed
                )
            )
    return tuple(result)


def _subtract(
    segments: list[tuple[datetime, datetime]], cut: tuple[datetime, datetime]
) -> list[tuple[datetime, datetime]]:
    result: list[tuple[datetime, datetime]] = []
    for lo, hi in segments:
        if hi <= cut[0] or lo >= cut[1]:
            result.append((lo, hi))
            continue
        if lo < cut[0]:
            result.append((lo, cut[0]))
        if hi > cut[1]:
            result.append((cut[1], hi))
    return result


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date (``fold=0``)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


# Conversions and guards -------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be an aware datetime, not {value!r}.")


def _require_working_hours(spec: CalendarSpec) -> None:
    if not spec.has_working_hours:
        raise ValueError(
            gettext(
                "Business calendar “%(calendar)s” has no working intervals: deadlines "
                "cannot be computed until an admin adds its working hours."
            )
            % {"calendar": spec.name}
        )


def _to_timedelta(hours: Hours) -> timedelta:
    """``hours`` as a timedelta, rounded to the microsecond."""
    if isinstance(hours, timedelta):
        amount = hours
    else:
        if isinstance(hours, bool) or not isinstance(hours, Decimal | float | int):
            raise TypeError(f"hours must be a Decimal, float, int or timedelta, not {hours!r}.")
        try:
            # str() keeps a float's shortest repr: 0.1 becomes Decimal("0.1").
            value = Decimal(str(hours)) if isinstance(hours, float) else Decimal(hours)
            if not value.is_finite():
                raise InvalidOperation
            micro = (value * _MICROSECONDS_PER_HOUR).to_integral_value(ROUND_HALF_UP)
            amount = timedelta(microseconds=int(micro))
        except (InvalidOperation, OverflowError) as exc:
            raise ValueError(f"hours must be a finite number, not {hours!r}.") from exc
    if amount < timedelta(0):
        raise ValueError(f"hours must not be negative, not {hours!r}.")
    return amount


def _to_hours(amount: timedelta) -> Decimal:
    micro = (amount.days * 86_400 + amount.seconds) * 1_000_000 + amount.microseconds
    return Decimal(micro) / _MICROSECONDS_PER_HOUR
