"""Business-hour arithmetic (BH-1, BH-2): pure tests on specs built by hand.

The database side (models, the default calendar, the selector, the admin)
is in ``test_business_calendar.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pae_ops.business_hours import (
    MAX_SEARCH_DAYS,
    CalendarSpec,
    ClosureKind,
    ClosureSpec,
    CountedInterval,
    PausedInterval,
    SkippedClosure,
    add_business_hours,
    business_hours_between,
    explain_deadline,
    next_open_instant,
)

MX = ZoneInfo("America/Mexico_City")
NY = ZoneInfo("America/New_York")
NINE_TO_SIX = [(time(9), time(18))]


def mx_spec(**kwargs) -> CalendarSpec:
    """The BH-1 defaults: Mexico City, Monday-Friday 09:00-18:00, Mexican holidays."""
    return CalendarSpec(
        tz=MX,
        intervals=dict.fromkeys(range(5), NINE_TO_SIX),
        holiday_country="MX",
        name="Default",
        **kwargs,
    )


def mx(*args: int) -> datetime:
    return datetime(*args, tzinfo=MX)


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)


DEFAULT = mx_spec()
LUNCH = CalendarSpec(
    tz=MX,
    intervals={day: [(time(9), time(14)), (time(15), time(18))] for day in range(5)},
    name="Lunch",
)
# Every day of the week, so that the DST Sundays have working hours.
NY_EVERY_DAY = CalendarSpec(
    tz=NY, intervals=dict.fromkeys(range(7), NINE_TO_SIX), holiday_country=None, name="NY"
)


# add_business_hours: the basic cases ------------------------------------


def test_add_business_hours_friday_1700_plus_8_is_monday_1600():
    """RULES: BH-1. The hour left on Friday, then seven on Monday."""
    assert add_business_hours(mx(2026, 11, 6, 17), 8, DEFAULT) == mx(2026, 11, 9, 16)


def test_add_business_hours_ends_at_the_end_of_the_interval_when_it_fills_it():
    """RULES: BH-1. Monday 09:00 + 9 h is Monday 18:00, not Tuesday 09:00."""
    assert add_business_hours(mx(2026, 11, 9, 9), 9, DEFAULT) == mx(2026, 11, 9, 18)
    assert add_business_hours(mx(2026, 11, 9, 9), Decimal("9.01"), DEFAULT) == mx(
        2026, 11, 10, 9, 0, 36
    )


def test_add_business_hours_returns_the_calendars_time_zone():
    """RULES: BH-1"""
    start = datetime(2026, 11, 9, 15, tzinfo=UTC)  # 09:00 in Mexico City
    deadline = add_business_hours(start, 1, DEFAULT)
    assert deadline.tzinfo == MX
    assert deadline == mx(2026, 11, 9, 10)


@pytest.mark.parametrize(
    "hours", [Decimal("1.5"), 1.5, timedelta(minutes=90), Decimal("1.50")], ids=repr
)
def test_add_business_hours_accepts_decimal_float_and_timedelta(hours):
    """RULES: BH-1"""
    assert add_business_hours(mx(2026, 11, 9, 17), hours, DEFAULT) == mx(2026, 11, 10, 9, 30)


def test_add_business_hours_zero_returns_start_unchanged_even_outside_hours():
    """RULES: BH-1. Nothing owed is due at once, not at the next opening."""
    saturday = mx(2026, 11, 7, 10)
    assert add_business_hours(saturday, 0, DEFAULT) is saturday
    assert add_business_hours(saturday, timedelta(0), DEFAULT) is saturday


# Start outside business hours ------------------------------------------


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (mx(2026, 11, 9, 22), mx(2026, 11, 10, 10)),  # Monday night
        (mx(2026, 11, 10, 7, 30), mx(2026, 11, 10, 10)),  # Tuesday before opening
        (mx(2026, 11, 10, 18), mx(2026, 11, 11, 10)),  # Tuesday at closing time
        (mx(2026, 11, 7, 10), mx(2026, 11, 9, 10)),  # Saturday
        (mx(2026, 11, 8, 23, 59), mx(2026, 11, 9, 10)),  # Sunday night
    ],
)
def test_add_business_hours_starts_counting_at_the_next_open_instant(start, deadline):
    """RULES: BH-1"""
    assert add_business_hours(start, 1, DEFAULT) == deadline


def test_next_open_instant_is_start_inside_hours_else_the_next_opening():
    """RULES: BH-1"""
    assert next_open_instant(mx(2026, 11, 9, 11, 15), DEFAULT) == mx(2026, 11, 9, 11, 15)
    assert next_open_instant(mx(2026, 11, 6, 18), DEFAULT) == mx(2026, 11, 9, 9)
    assert next_open_instant(mx(2026, 11, 9, 14, 30), LUNCH) == mx(2026, 11, 9, 15)


# Lunch breaks ----------------------------------------------------------------


def test_add_business_hours_skips_the_lunch_break():
    """RULES: BH-1. 09:00-14:00 and 15:00-18:00: 13:00 + 2 h is 16:00."""
    assert add_business_hours(mx(2026, 11, 9, 13), 2, LUNCH) == mx(2026, 11, 9, 16)


def test_add_business_hours_from_inside_the_lunch_break_starts_after_it():
    """RULES: BH-1"""
    assert add_business_hours(mx(2026, 11, 9, 14, 30), 1, LUNCH) == mx(2026, 11, 9, 16)


def test_a_lunch_break_day_has_eight_business_hours():
    """RULES: BH-1"""
    assert business_hours_between(mx(2026, 11, 9), mx(2026, 11, 10), LUNCH) == 8
    # Friday 17:00 + 8 h: 1 h on Friday, then 5 + 2 on Monday.
    assert add_business_hours(mx(2026, 11, 6, 17), 8, LUNCH) == mx(2026, 11, 9, 17)


# Public holidays -------------------------------------------------------------


def test_add_business_hours_skips_the_revolution_day_monday():
    """RULES: BH-1. 2026-11-16 (third Monday of November) is a Mexican holiday."""
    assert add_business_hours(mx(2026, 11, 13, 17), 8, DEFAULT) == mx(2026, 11, 17, 16)


def test_add_business_hours_skips_independence_day_wednesday():
    """RULES: BH-1. 2026-09-16 is a Wednesday."""
    assert add_business_hours(mx(2026, 9, 15, 17), 2, DEFAULT) == mx(2026, 9, 17, 10)


def test_a_calendar_without_holiday_country_works_on_holidays():
    """RULES: BH-1"""
    spec = CalendarSpec(tz=MX, intervals=dict.fromkeys(range(5), NINE_TO_SIX), holiday_country=None)
    assert add_business_hours(mx(2026, 11, 13, 17), 8, spec) == mx(2026, 11, 16, 16)


def test_holiday_names_are_spanish_and_built_once_per_year():
    """RULES: BH-1. The language is passed explicitly; the object is cached."""
    spec = mx_spec()
    with mock.patch(
        "pae_ops.business_hours.holidays.country_holidays", wraps=holidays.country_holidays
    ) as country_holidays:
        assert spec.holiday_names(date(2026, 11, 16)) == ["Día de la Revolución"]
        assert spec.holiday_names(date(2026, 9, 16)) == ["Día de la Independencia"]
        assert spec.holiday_names(date(2026, 9, 17)) == []
        add_business_hours(mx(2026, 1, 1), 200, spec)
    assert country_holidays.call_count == 1
    assert country_holidays.call_args.kwargs == {
        "subdiv": None,
        "years": 2026,
        "language": "es",
    }


# Admin closures --------------------------------------------------------------


def test_add_business_hours_skips_an_admin_whole_day_closure():
    """RULES: BH-1"""
    spec = mx_spec(closures={date(2026, 11, 10): [ClosureSpec("Inventario anual")]})
    assert add_business_hours(mx(2026, 11, 9, 17), 2, spec) == mx(2026, 11, 11, 10)


def test_add_business_hours_skips_an_admin_part_day_closure():
    """RULES: BH-1. Closed 10:00-12:00: 09:00 + 3 h is 09-10 and 12-14."""
    spec = mx_spec(closures={date(2026, 11, 10): [ClosureSpec("Capacitación", time(10), time(12))]})
    assert add_business_hours(mx(2026, 11, 10, 9), 3, spec) == mx(2026, 11, 10, 14)
    assert business_hours_between(mx(2026, 11, 10), mx(2026, 11, 11), spec) == 7


def test_a_part_day_closure_outside_working_hours_changes_nothing():
    """RULES: BH-1"""
    spec = mx_spec(
        closures={date(2026, 11, 10): [ClosureSpec("Mantenimiento", time(19), time(22))]}
    )
    assert business_hours_between(mx(2026, 11, 10), mx(2026, 11, 11), spec) == 9
    assert explain_deadline(mx(2026, 11, 10, 9), 9, spec).skipped == ()


# DST (America/New_York; Mexico has had none since 2022) ----------------------


def test_a_nine_to_six_day_is_nine_hours_on_the_spring_forward_date():
    """RULES: BH-1. 2026-03-08: clocks go from 02:00 EST to 03:00 EDT."""
    assert business_hours_between(ny(2026, 3, 8), ny(2026, 3, 9), NY_EVERY_DAY) == 9
    assert add_business_hours(ny(2026, 3, 8, 9), 9, NY_EVERY_DAY) == ny(2026, 3, 8, 18)


def test_add_business_hours_across_the_spring_forward_night():
    """RULES: BH-1. Saturday 17:00 EST + 2 h is Sunday 10:00 EDT."""
    deadline = add_business_hours(ny(2026, 3, 7, 17), 2, NY_EVERY_DAY)
    assert deadline == ny(2026, 3, 8, 10)
    assert deadline.utcoffset() == timedelta(hours=-4)
    assert deadline == datetime(2026, 3, 8, 14, tzinfo=UTC)


def test_add_business_hours_across_the_fall_back_night():
    """RULES: BH-1. 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST."""
    deadline = add_business_hours(ny(2026, 10, 31, 17), 2, NY_EVERY_DAY)
    assert deadline == ny(2026, 11, 1, 10)
    assert deadline.utcoffset() == timedelta(hours=-5)
    assert business_hours_between(ny(2026, 11, 1), ny(2026, 11, 2), NY_EVERY_DAY) == 9


def test_an_interval_that_straddles_the_change_counts_the_hours_that_really_pass():
    """RULES: BH-1. 01:00-04:00 is 2 real hours in spring, 4 in autumn."""
    night = CalendarSpec(
        tz=NY, intervals={d: [(time(1), time(4))] for d in range(7)}, holiday_country=None
    )
    assert business_hours_between(ny(2026, 3, 8), ny(2026, 3, 9), night) == 2
    assert business_hours_between(ny(2026, 11, 1), ny(2026, 11, 2), night) == 4
    assert business_hours_between(ny(2026, 11, 2), ny(2026, 11, 3), night) == 3
    # One hour after 01:00 EDT is 01:00 EST (the second 01:00). Aware times
    # in the same zone compare by wall clock, so compare in UTC.
    deadline = add_business_hours(ny(2026, 11, 1, 1), 1, night)
    assert deadline.astimezone(UTC) == ny(2026, 11, 1, 1, fold=1).astimezone(UTC)
    assert deadline.utcoffset() == timedelta(hours=-5)


# business_hours_between --------------------------------------------------------


def test_business_hours_between_is_the_inverse_of_add_business_hours():
    """RULES: BH-1"""
    start = mx(2026, 11, 13, 17)
    for hours in [Decimal(1), Decimal("8"), Decimal("12.25"), Decimal("72")]:
        assert business_hours_between(
            start, add_business_hours(start, hours, DEFAULT), DEFAULT
        ) == (hours)


def test_business_hours_between_is_fractional_and_zero_when_end_is_not_after_start():
    """RULES: BH-1"""
    assert business_hours_between(mx(2026, 11, 9, 9), mx(2026, 11, 9, 10, 30), DEFAULT) == (
        Decimal("1.5")
    )
    assert business_hours_between(mx(2026, 11, 9, 12), mx(2026, 11, 9, 12), DEFAULT) == 0
    assert business_hours_between(mx(2026, 11, 9, 12), mx(2026, 11, 9, 11), DEFAULT) == 0


def test_business_hours_between_a_full_week_with_a_holiday():
    """RULES: BH-1. The week of 2026-11-16 has four working days."""
    assert business_hours_between(mx(2026, 11, 16), mx(2026, 11, 23), DEFAULT) == 36


def test_business_hours_between_years_apart_needs_no_horizon():
    """RULES: BH-1"""
    hours = business_hours_between(mx(2025, 1, 1), mx(2030, 1, 1), DEFAULT)
    assert 5 * 240 * 9 < hours < 5 * 262 * 9


# Guards ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: add_business_hours(naive, 1, DEFAULT),
        lambda naive: explain_deadline(naive, 1, DEFAULT),
        lambda naive: next_open_instant(naive, DEFAULT),
        lambda naive: business_hours_between(naive, mx(2026, 11, 9), DEFAULT),
        lambda naive: business_hours_between(mx(2026, 11, 9), naive, DEFAULT),
    ],
)
def test_naive_datetimes_are_refused(call):
    """RULES: BH-1"""
    naive = datetime(2026, 11, 9, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        call(naive)


def test_a_calendar_without_working_intervals_is_refused_instead_of_looping():
    """RULES: BH-1"""
    empty = CalendarSpec(tz=MX, intervals={}, name="Vacío")
    with pytest.raises(ValueError, match="Vacío"):
        add_business_hours(mx(2026, 11, 9, 10), 1, empty)
    with pytest.raises(ValueError, match="Vacío"):
        next_open_instant(mx(2026, 11, 9, 10), empty)
    assert business_hours_between(mx(2026, 11, 9), mx(2026, 11, 30), empty) == 0


def test_a_deadline_beyond_the_search_horizon_is_refused():
    """RULES: BH-1. About three years of 9-hour days hold fewer than 7,500 hours."""
    with pytest.raises(ValueError, match=str(MAX_SEARCH_DAYS)):
        add_business_hours(mx(2026, 11, 9, 10), 10_000, DEFAULT)


def test_a_calendar_closed_for_years_is_refused():
    """RULES: BH-1. Only Mondays open, and every Monday closed."""
    first = date(2026, 11, 9)
    mondays = {first + timedelta(weeks=n): [ClosureSpec("Cerrado")] for n in range(170)}
    spec = CalendarSpec(tz=MX, intervals={0: NINE_TO_SIX}, closures=mondays, holiday_country=None)
    with pytest.raises(ValueError, match=str(MAX_SEARCH_DAYS)):
        add_business_hours(mx(2026, 11, 9, 10), 1, spec)


@pytest.mark.parametrize("hours", [-1, Decimal("-0.5"), timedelta(hours=-1)], ids=repr)
def test_negative_hours_are_refused(hours):
    """RULES: BH-1"""
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(mx(2026, 11, 9, 10), hours, DEFAULT)


@pytest.mark.parametrize("hours", [float("nan"), float("inf"), Decimal("NaN")], ids=repr)
def test_non_finite_hours_are_refused(hours):
    """RULES: BH-1"""
    with pytest.raises(ValueError, match="finite"):
        add_business_hours(mx(2026, 11, 9, 10), hours, DEFAULT)


def test_calendar_spec_merges_overlapping_intervals_and_refuses_bad_ones():
    """RULES: BH-1"""
    spec = CalendarSpec(
        tz=MX, intervals={0: [(time(13), time(18)), (time(9), time(14)), (time(18), time(19))]}
    )
    assert spec.intervals == {0: ((time(9), time(19)),)}
    with pytest.raises(ValueError, match="Weekday"):
        CalendarSpec(tz=MX, intervals={7: NINE_TO_SIX})
    with pytest.raises(ValueError, match="end after"):
        CalendarSpec(tz=MX, intervals={0: [(time(18), time(9))]})
    with pytest.raises(ValueError, match="both"):
        ClosureSpec("Media jornada", start=time(9))


# explain_deadline (BH-2) -------------------------------------------------------


def test_explain_deadline_lists_the_intervals_counted_and_the_weekend_skipped():
    """RULES: BH-2"""
    explanation = explain_deadline(mx(2026, 11, 6, 17), 8, DEFAULT)

    assert explanation.calendar_name == "Default"
    assert explanation.time_zone == "America/Mexico_City"
    assert explanation.start == mx(2026, 11, 6, 17)
    assert explanation.hours == 8
    assert explanation.deadline == add_business_hours(mx(2026, 11, 6, 17), 8, DEFAULT)
    assert explanation.counted == (
        CountedInterval(mx(2026, 11, 6, 17), mx(2026, 11, 6, 18), Decimal(1)),
        CountedInterval(mx(2026, 11, 9, 9), mx(2026, 11, 9, 16), Decimal(7)),
    )
    assert explanation.skipped == (
        SkippedClosure(date(2026, 11, 7), ClosureKind.NO_WORKING_HOURS),
        SkippedClosure(date(2026, 11, 8), ClosureKind.NO_WORKING_HOURS),
    )


def test_explain_deadline_names_the_holiday_in_spanish_and_the_admin_reasons():
    """RULES: BH-2"""
    spec = mx_spec(
        closures={
            date(2026, 11, 17): [ClosureSpec("Inventario anual")],
            date(2026, 11, 18): [ClosureSpec("Capacitación", time(9), time(11))],
        }
    )

    explanation = explain_deadline(mx(2026, 11, 13, 17), 8, spec)

    assert explanation.deadline == mx(2026, 11, 18, 18)
    assert [(s.date, s.kind, s.label, s.start, s.end) for s in explanation.skipped] == [
        (date(2026, 11, 14), ClosureKind.NO_WORKING_HOURS, "", None, None),
        (date(2026, 11, 15), ClosureKind.NO_WORKING_HOURS, "", None, None),
        (date(2026, 11, 16), ClosureKind.PUBLIC_HOLIDAY, "Día de la Revolución", None, None),
        (date(2026, 11, 17), ClosureKind.ADMIN_CLOSURE, "Inventario anual", None, None),
        (date(2026, 11, 18), ClosureKind.ADMIN_CLOSURE, "Capacitación", time(9), time(11)),
    ]
    assert [c.hours for c in explanation.counted] == [1, 7]
    assert explanation.skipped[2].kind_label  # translated label for the page


def test_explain_deadline_leaves_out_closures_that_removed_nothing_from_the_count():
    """RULES: BH-2. A part-day closure before the start, a holiday after closing
    time, and a closure after the deadline are not why the deadline is what it is."""
    spec = mx_spec(
        closures={
            date(2026, 11, 10): [ClosureSpec("Junta", time(9), time(10))],
            date(2026, 11, 11): [ClosureSpec("Mantenimiento", time(15), time(16))],
        }
    )
    assert explain_deadline(mx(2026, 11, 10, 11), 2, spec).skipped == ()
    assert explain_deadline(mx(2026, 11, 11, 9), 3, spec).skipped == ()
    holiday_evening = explain_deadline(mx(2026, 11, 16, 20), 1, spec)
    assert holiday_evening.skipped == ()
    assert holiday_evening.deadline == mx(2026, 11, 17, 10)


def test_explain_deadline_of_zero_hours_counts_nothing():
    """RULES: BH-2"""
    explanation = explain_deadline(mx(2026, 11, 7, 10), 0, DEFAULT)
    assert explanation.deadline == mx(2026, 11, 7, 10)
    assert explanation.counted == ()
    assert explanation.skipped == ()


# Paused intervals (SLA-3) ---------------------------------------------------


def test_a_paused_interval_is_left_out_of_the_count_and_explained():
    """RULES: SLA-3, BH-2. Monday 10:00 + 8 h, paused Monday 12:00 to Tuesday
    12:00: 2 h on Monday, 6 h on Tuesday afternoon; the pause took 9 business
    hours (6 + 3)."""
    pause = (mx(2026, 11, 9, 12), mx(2026, 11, 10, 12))
    assert add_business_hours(mx(2026, 11, 9, 10), 8, DEFAULT, paused=[pause]) == mx(
        2026, 11, 10, 18
    )
    why = explain_deadline(mx(2026, 11, 9, 10), 8, DEFAULT, paused=[pause])
    assert [(c.start, c.end) for c in why.counted] == [
        (mx(2026, 11, 9, 10), mx(2026, 11, 9, 12)),
        (mx(2026, 11, 10, 12), mx(2026, 11, 10, 18)),
    ]
    assert why.paused == (PausedInterval(start=pause[0], end=pause[1], hours=Decimal(9)),)


def test_a_pause_that_removed_no_business_time_is_not_a_reason():
    """RULES: SLA-3, BH-2. After the deadline, or over a weekend night: same
    deadline, no pause listed."""
    start = mx(2026, 11, 9, 10)
    for pause in [
        (mx(2026, 11, 9, 18), mx(2026, 11, 10, 12)),  # from the deadline on
        (mx(2026, 11, 7, 10), mx(2026, 11, 8, 20)),  # Saturday to Sunday, before
    ]:
        why = explain_deadline(start, 8, DEFAULT, paused=[pause])
        assert why.deadline == mx(2026, 11, 9, 18)
        assert why.paused == ()


def test_overlapping_pauses_count_once():
    """RULES: SLA-3"""
    pauses = [
        (mx(2026, 11, 9, 12), mx(2026, 11, 9, 15)),
        (mx(2026, 11, 9, 14), mx(2026, 11, 9, 16)),
    ]
    assert add_business_hours(mx(2026, 11, 9, 10), 4, DEFAULT, paused=pauses) == mx(2026, 11, 9, 18)


def test_a_naive_pause_is_refused():
    """RULES: SLA-3"""
    with pytest.raises(ValueError, match="aware"):
        add_business_hours(
            mx(2026, 11, 9, 10),
            1,
            DEFAULT,
            paused=[(datetime(2026, 11, 9, 12), mx(2026, 11, 9, 13))],  # noqa: DTZ001
        )


# Properties ------------------------------------------------------------------
# Compared in UTC: aware datetimes that share a zone compare by wall clock,
# which misorders the repeated hour of a fall-back night.


SPECS = st.sampled_from([DEFAULT, LUNCH, NY_EVERY_DAY])
HOURS = st.decimals(
    min_value=Decimal(0), max_value=Decimal(150), places=4, allow_nan=False, allow_infinity=False
)


@st.composite
def spec_and_start(draw):
    spec = draw(SPECS)
    start = draw(
        st.datetimes(
            min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
            max_value=datetime(2028, 12, 31),  # noqa: DTZ001
            timezones=st.just(spec.tz),
            allow_imaginary=False,
        )
    )
    return spec, start


@settings(max_examples=200, deadline=None)
@given(spec_and_start(), HOURS)
def test_business_hours_between_inverts_add_business_hours(spec_start, hours):
    """RULES: BH-1. From any start, inside business hours or not."""
    spec, start = spec_start
    deadline = add_business_hours(start, hours, spec)
    assert business_hours_between(start, deadline, spec) == hours
    if hours:
        again = add_business_hours(next_open_instant(start, spec), hours, spec)
        assert again.astimezone(UTC) == deadline.astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(spec_and_start(), HOURS, HOURS)
def test_add_business_hours_is_monotonic(spec_start, some, more):
    """RULES: BH-1. More hours never give an earlier deadline."""
    spec, start = spec_start
    low, high = sorted([some, more])
    earlier = add_business_hours(start, low, spec).astimezone(UTC)
    assert earlier <= add_business_hours(start, high, spec).astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(spec_and_start(), HOURS, HOURS)
def test_adding_in_two_steps_equals_adding_at_once(spec_start, first, second):
    """RULES: BH-1"""
    spec, start = spec_start
    if first == 0:  # zero hours leaves start where it is, possibly outside hours
        return
    halfway = add_business_hours(start, first, spec)
    in_two_steps = add_business_hours(halfway, second, spec).astimezone(UTC)
    assert in_two_steps == add_business_hours(start, first + second, spec).astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(spec_and_start(), HOURS)
def test_explain_deadline_adds_up(spec_start, hours):
    """RULES: BH-2. The counted intervals sum to the hours and end at the deadline."""
    spec, start = spec_start
    explanation = explain_deadline(start, hours, spec)
    deadline = add_business_hours(start, hours, spec).astimezone(UTC)
    assert explanation.deadline.astimezone(UTC) == deadline
    assert sum((c.hours for c in explanation.counted), Decimal(0)) == hours
    if explanation.counted:
        assert explanation.counted[-1].end.astimezone(UTC) == deadline
        assert all(c.end.astimezone(UTC) > c.start.astimezone(UTC) for c in explanation.counted)
