"""The business calendar in the database (BH-1): models, the default row,
the selector, the admin and the service that picks the default."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pae_ops.business_hours import ClosureKind, ClosureSpec, add_business_hours, explain_deadline
from pae_ops.models import BusinessCalendar, WorkingInterval
from pae_ops.selectors import load_calendar_spec
from pae_ops.services import make_default_business_calendar
from tests.factories import UserFactory
from tests.pae_ops.factories import (
    BusinessCalendarFactory,
    ClosureFactory,
    WorkingIntervalFactory,
)

pytestmark = pytest.mark.django_db

MX = ZoneInfo("America/Mexico_City")


# The default calendar (data migration) --------------------------------------


def test_data_migration_creates_the_default_calendar_of_bh1():
    """RULES: BH-1. America/Mexico_City, Monday-Friday 09:00-18:00, MX holidays."""
    calendar = BusinessCalendar.objects.get(is_default=True)

    assert calendar.name == "Default"
    assert calendar.time_zone == "America/Mexico_City"
    assert calendar.holiday_country == "MX"
    assert calendar.holiday_subdivision == ""
    assert sorted(calendar.intervals.values_list("weekday", "start_time", "end_time")) == [
        (weekday, time(9), time(18)) for weekday in range(5)
    ]
    assert not calendar.closures.exists()


def test_data_migration_gives_the_admin_role_the_calendar_permissions():
    """RULES: BH-1 (admins manage the business calendar)."""
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="Admin").permissions.values_list("codename", flat=True))
    assert {
        "change_businesscalendar",
        "add_workinginterval",
        "delete_workinginterval",
        "add_closure",
        "change_closure",
    } <= codenames


# load_calendar_spec ----------------------------------------------------------


@pytest.fixture
def no_kept_spec(monkeypatch):
    """The process keeps the default calendar's spec: start without it."""
    import pae_ops.selectors

    monkeypatch.setattr(pae_ops.selectors, "_default_spec", None)


def test_load_calendar_spec_reads_the_default_calendar_in_four_queries(
    no_kept_spec, django_assert_num_queries
):
    """RULES: BH-1. Friday 17:00 + 8 business hours is Monday 16:00."""
    with django_assert_num_queries(4):  # the fingerprint, the calendar, intervals, closures
        spec = load_calendar_spec()

    assert spec.name == "Default"
    assert spec.tz == MX
    assert spec.intervals == {day: ((time(9), time(18)),) for day in range(5)}
    assert spec.holiday_country == "MX"
    assert add_business_hours(datetime(2026, 11, 6, 17, tzinfo=MX), 8, spec) == datetime(
        2026, 11, 9, 16, tzinfo=MX
    )


def test_the_default_calendars_spec_is_kept_and_checked_in_one_query(
    no_kept_spec, django_assert_num_queries
):
    """RULES: BH-1. A page pays one query for the calendar, not three."""
    first = load_calendar_spec()
    with django_assert_num_queries(1):
        again = load_calendar_spec()
    assert again is first


def _closure_added(calendar):
    ClosureFactory(calendar=calendar, date=date(2026, 11, 10), reason="Inventario")


def _closure_removed(calendar):
    calendar.closures.filter(date=date(2026, 12, 24)).delete()


def _hours_changed_in_bulk(calendar):
    # No save(), no signal, updated_at untouched: the row's content changed.
    calendar.intervals.filter(weekday=0).update(end_time=time(14))


def _zone_changed_in_bulk(calendar):
    BusinessCalendar.objects.filter(pk=calendar.pk).update(time_zone="America/Monterrey")


def _default_moved(calendar):
    other = BusinessCalendarFactory(name="Otro", time_zone="America/Cancun")
    make_default_business_calendar(actor=UserFactory(admin=True), calendar_id=other.pk)


@pytest.mark.parametrize(
    ("change", "seen"),
    [
        (_closure_added, lambda spec: date(2026, 11, 10) in spec.closures),
        (_closure_removed, lambda spec: date(2026, 12, 24) not in spec.closures),
        (_hours_changed_in_bulk, lambda spec: spec.intervals[0] == ((time(9), time(14)),)),
        (_zone_changed_in_bulk, lambda spec: spec.tz == ZoneInfo("America/Monterrey")),
        (_default_moved, lambda spec: spec.name == "Otro"),
    ],
    ids=["closure added", "closure removed", "hours in bulk", "zone in bulk", "default moved"],
)
def test_a_change_to_the_default_calendar_is_seen_by_the_next_load(no_kept_spec, change, seen):
    """RULES: BH-1. The kept spec is never served for rows that changed,
    whoever changed them and however."""
    calendar = BusinessCalendar.objects.get(is_default=True)
    ClosureFactory(calendar=calendar, date=date(2026, 12, 24), reason="Posada")
    before = load_calendar_spec()
    assert not seen(before)

    change(calendar)

    assert seen(load_calendar_spec())


def test_load_calendar_spec_reads_a_given_calendar_with_its_closures(
    django_assert_max_num_queries,
):
    """RULES: BH-1"""
    calendar = BusinessCalendarFactory(
        time_zone="America/Monterrey", holiday_subdivision="NLE", intervals=False
    )
    WorkingIntervalFactory(calendar=calendar, weekday=0, start_time=time(9), end_time=time(14))
    WorkingIntervalFactory(calendar=calendar, weekday=0, start_time=time(15), end_time=time(18))
    ClosureFactory(calendar=calendar, date=date(2026, 11, 10), reason="Inventario")
    ClosureFactory(
        calendar=calendar,
        date=date(2026, 11, 11),
        start_time=time(9),
        end_time=time(12),
        reason="Junta",
    )

    with django_assert_max_num_queries(2):
        spec = load_calendar_spec(calendar)

    assert spec.tz == ZoneInfo("America/Monterrey")
    assert spec.holiday_subdivision == "NLE"
    assert spec.intervals == {0: ((time(9), time(14)), (time(15), time(18)))}
    assert spec.closures == {
        date(2026, 11, 10): (ClosureSpec("Inventario"),),
        date(2026, 11, 11): (ClosureSpec("Junta", time(9), time(12)),),
    }


def test_load_calendar_spec_feeds_admin_closures_to_the_explanation():
    """RULES: BH-2"""
    calendar = BusinessCalendar.objects.get(is_default=True)
    ClosureFactory(calendar=calendar, date=date(2026, 11, 10), reason="Inventario anual")

    explanation = explain_deadline(datetime(2026, 11, 9, 17, tzinfo=MX), 2, load_calendar_spec())

    assert explanation.deadline == datetime(2026, 11, 11, 10, tzinfo=MX)
    assert [(s.kind, s.label) for s in explanation.skipped] == [
        (ClosureKind.ADMIN_CLOSURE, "Inventario anual")
    ]


def test_load_calendar_spec_says_so_when_no_calendar_is_the_default():
    """RULES: BH-1"""
    BusinessCalendar.objects.update(is_default=False)
    with pytest.raises(BusinessCalendar.DoesNotExist, match="default"):
        load_calendar_spec()


# Model constraints and validation -------------------------------------------


def test_only_one_calendar_can_be_the_default():
    """RULES: BH-1. The partial unique constraint, and its validation message."""
    other = BusinessCalendarFactory.build(name="Otro", is_default=True)
    with pytest.raises(ValidationError) as excinfo:
        other.full_clean()
    assert "__all__" in excinfo.value.message_dict

    with (
        pytest.raises(IntegrityError, match="pae_ops_businesscalendar_one_default"),
        transaction.atomic(),
    ):
        BusinessCalendarFactory(is_default=True)

    BusinessCalendarFactory(is_default=False)  # any number of non-default ones
    BusinessCalendarFactory(is_default=False)


def test_working_interval_must_end_after_it_starts():
    """RULES: BH-1"""
    calendar = BusinessCalendarFactory(intervals=False)
    backwards = WorkingInterval(calendar=calendar, weekday=0, start_time=time(18), end_time=time(9))
    with pytest.raises(ValidationError):
        backwards.full_clean()
    with (
        pytest.raises(IntegrityError, match="pae_ops_workinginterval_end_after_start"),
        transaction.atomic(),
    ):
        WorkingIntervalFactory(calendar=calendar, start_time=time(9), end_time=time(9))


def test_working_interval_weekday_is_0_to_6():
    """RULES: BH-1"""
    with (
        pytest.raises(IntegrityError, match="pae_ops_workinginterval_weekday_range"),
        transaction.atomic(),
    ):
        WorkingIntervalFactory(weekday=7)


def test_working_interval_clean_refuses_an_overlap_on_the_same_weekday():
    """RULES: BH-1. Lunch breaks are several intervals; overlaps are refused."""
    calendar = BusinessCalendarFactory(intervals=False)
    WorkingIntervalFactory(calendar=calendar, weekday=0, start_time=time(9), end_time=time(14))

    overlapping = WorkingInterval(
        calendar=calendar, weekday=0, start_time=time(13), end_time=time(18)
    )
    with pytest.raises(ValidationError) as excinfo:
        overlapping.full_clean()
    assert excinfo.value.error_dict["__all__"][0].code == "overlapping_interval"

    # Touching, after a lunch break, or on another weekday: all fine.
    WorkingInterval(calendar=calendar, weekday=0, start_time=time(14), end_time=time(15)).clean()
    WorkingInterval(calendar=calendar, weekday=0, start_time=time(15), end_time=time(18)).clean()
    WorkingInterval(calendar=calendar, weekday=1, start_time=time(13), end_time=time(18)).clean()


def test_working_interval_clean_ignores_the_row_itself():
    """RULES: BH-1"""
    interval = WorkingIntervalFactory(start_time=time(9), end_time=time(14))
    interval.end_time = time(15)
    interval.full_clean()


@pytest.mark.parametrize(
    ("start_time", "end_time"),
    [(time(9), None), (None, time(12))],
)
def test_closure_needs_both_times_or_neither(start_time, end_time):
    """RULES: BH-1"""
    closure = ClosureFactory.build(
        calendar=BusinessCalendarFactory(), start_time=start_time, end_time=end_time
    )
    with pytest.raises(ValidationError):
        closure.full_clean()
    with (
        pytest.raises(IntegrityError, match="pae_ops_closure_times_both_or_neither"),
        transaction.atomic(),
    ):
        closure.save()


def test_closure_must_end_after_it_starts():
    """RULES: BH-1"""
    with (
        pytest.raises(IntegrityError, match="pae_ops_closure_end_after_start"),
        transaction.atomic(),
    ):
        ClosureFactory(start_time=time(12), end_time=time(10))


def test_closure_whole_and_part_day_are_valid():
    """RULES: BH-1"""
    whole = ClosureFactory(reason="Inventario")
    part = ClosureFactory(start_time=time(9), end_time=time(11), reason="Junta")
    whole.full_clean()
    part.full_clean()
    assert whole.is_whole_day
    assert not part.is_whole_day


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "America/Ciudad_Gotica"),
        ("holiday_country", "XX"),
        ("holiday_subdivision", "ZZZ"),
    ],
)
def test_business_calendar_validates_zone_country_and_subdivision(field, value):
    """RULES: BH-1"""
    calendar = BusinessCalendarFactory.build(**{field: value})
    with pytest.raises(ValidationError) as excinfo:
        calendar.full_clean()
    assert field in excinfo.value.message_dict


def test_business_calendar_accepts_a_valid_subdivision():
    """RULES: BH-1"""
    BusinessCalendarFactory.build(holiday_country="US", holiday_subdivision="NY").full_clean()


def test_business_calendar_keeps_its_history():
    """RULES: BH-1 (calendar changes are audited)."""
    calendar = BusinessCalendarFactory()
    calendar.time_zone = "America/Cancun"
    calendar.save()
    assert calendar.history.count() == 2


# make_default_business_calendar ----------------------------------------------


def test_make_default_business_calendar_moves_the_default():
    """RULES: BH-1"""
    old = BusinessCalendar.objects.get(is_default=True)
    new = BusinessCalendarFactory()

    make_default_business_calendar(actor=UserFactory(admin=True), calendar_id=new.pk)

    assert list(BusinessCalendar.objects.filter(is_default=True)) == [new]
    old.refresh_from_db()
    assert not old.is_default


def test_make_default_business_calendar_is_for_admins_only():
    """RULES: BH-1, ROLE-1"""
    new = BusinessCalendarFactory()
    with pytest.raises(PermissionDenied):
        make_default_business_calendar(actor=UserFactory(leader=True), calendar_id=new.pk)
    new.refresh_from_db()
    assert not new.is_default


# Admin -------------------------------------------------------------------------


def _interval_formset_data(rows, closures=()):
    data = {
        "intervals-TOTAL_FORMS": str(len(rows)),
        "intervals-INITIAL_FORMS": "0",
        "intervals-MIN_NUM_FORMS": "1",
        "intervals-MAX_NUM_FORMS": "1000",
        "closures-TOTAL_FORMS": str(len(closures)),
        "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, start, end) in enumerate(rows):
        data |= {
            f"intervals-{i}-weekday": str(weekday),
            f"intervals-{i}-start_time": start,
            f"intervals-{i}-end_time": end,
        }
    for i, (day, start, end, reason) in enumerate(closures):
        data |= {
            f"closures-{i}-date": day,
            f"closures-{i}-start_time": start,
            f"closures-{i}-end_time": end,
            f"closures-{i}-reason": reason,
        }
    return data


def _calendar_data(name, **extra):
    return {
        "name": name,
        "time_zone": "America/Mexico_City",
        "holiday_country": "MX",
        "holiday_subdivision": "",
        **extra,
    }


def test_admin_pages_of_the_calendar_open_for_the_admin_role(client):
    """RULES: BH-1, ROLE-1"""
    client.force_login(UserFactory(admin=True))
    calendar = BusinessCalendar.objects.get(is_default=True)

    for url in [
        "/admin/pae_ops/businesscalendar/",
        f"/admin/pae_ops/businesscalendar/{calendar.pk}/change/",
        f"/admin/pae_ops/businesscalendar/{calendar.pk}/history/",
        "/admin/pae_ops/businesscalendar/add/",
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_adds_a_calendar_with_a_lunch_break_and_a_part_day_closure(client):
    """RULES: BH-1"""
    client.force_login(UserFactory(admin=True))
    data = _calendar_data("Con comida") | _interval_formset_data(
        [(0, "09:00", "14:00"), (0, "15:00", "18:00")],
        closures=[("2026-11-10", "10:00", "12:00", "Capacitación")],
    )

    response = client.post("/admin/pae_ops/businesscalendar/add/", data)

    assert response.status_code == 302, response.context["errors"]
    calendar = BusinessCalendar.objects.get(name="Con comida")
    assert calendar.intervals.count() == 2
    assert calendar.closures.get().start_time == time(10)


def test_admin_refuses_overlapping_intervals_submitted_together(client):
    """RULES: BH-1"""
    client.force_login(UserFactory(admin=True))
    data = _calendar_data("Traslape") | _interval_formset_data(
        [(0, "09:00", "14:00"), (0, "13:00", "18:00")]
    )

    response = client.post("/admin/pae_ops/businesscalendar/add/", data)

    assert response.status_code == 200
    assert not BusinessCalendar.objects.filter(name="Traslape").exists()


def test_admin_refuses_a_calendar_without_working_intervals(client):
    """RULES: BH-1. Without them no deadline could be computed."""
    client.force_login(UserFactory(admin=True))
    data = _calendar_data("Sin horario") | _interval_formset_data([])

    response = client.post("/admin/pae_ops/businesscalendar/add/", data)

    assert response.status_code == 200
    assert not BusinessCalendar.objects.filter(name="Sin horario").exists()


def test_admin_action_makes_a_calendar_the_default(client):
    """RULES: BH-1"""
    client.force_login(UserFactory(admin=True))
    new = BusinessCalendarFactory()

    response = client.post(
        "/admin/pae_ops/businesscalendar/",
        {"action": "make_default", "_selected_action": [str(new.pk)]},
    )

    assert response.status_code == 302
    new.refresh_from_db()
    assert new.is_default
    assert BusinessCalendar.objects.filter(is_default=True).count() == 1
