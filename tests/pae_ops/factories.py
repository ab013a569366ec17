"""Factories for the business calendar (BH-1)."""

from __future__ import annotations

from datetime import date, time

import factory
from factory.django import DjangoModelFactory

from pae_ops.models import BusinessCalendar, Closure, WorkingInterval


class BusinessCalendarFactory(DjangoModelFactory[BusinessCalendar]):
    """A Monday-Friday 09:00-18:00 calendar in Mexico City (not the default).

    ``BusinessCalendarFactory(intervals=False)`` leaves it without working
    intervals.
    """

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "America/Mexico_City"
    holiday_country = "MX"
    is_default = False

    @factory.post_generation
    def intervals(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted is not False:
            WorkingInterval.objects.bulk_create(
                WorkingInterval(calendar=self, weekday=day, start_time=time(9), end_time=time(18))
                for day in range(5)
            )


class WorkingIntervalFactory(DjangoModelFactory[WorkingInterval]):
    class Meta:
        model = WorkingInterval

    calendar = factory.SubFactory(BusinessCalendarFactory, intervals=False)
    weekday = 0
    start_time = time(9)
    end_time = time(18)


class ClosureFactory(DjangoModelFactory[Closure]):
    """A whole-day closure; pass ``start_time`` and ``end_time`` for part of a day."""

    class Meta:
        model = Closure

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = date(2026, 11, 10)
    reason = factory.Faker("sentence", nb_words=3, locale="es_MX")
