"""Install the beat defaults of ``pae_ops.celery`` into django-celery-beat."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from pae_ops.celery import BEAT_DEFAULTS, BeatDefault


@dataclass(frozen=True)
class InstallReport:
    created: list[str]
    kept: list[str]


@transaction.atomic
def install_beat_defaults(defaults: tuple[BeatDefault, ...] = BEAT_DEFAULTS) -> InstallReport:
    """Create each default periodic task by name; leave existing ones untouched.

    Idempotent: a second run creates nothing, and an entry an admin edited
    (schedule, enabled flag, arguments) keeps the admin's values.
    """
    created: list[str] = []
    kept: list[str] = []
    for default in defaults:
        if PeriodicTask.objects.filter(name=default.name).exists():
            kept.append(default.name)
            continue
        schedule: dict[str, object]
        if default.every_seconds is not None:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=default.every_seconds, period=IntervalSchedule.SECONDS
            )
            schedule = {"interval": interval}
        else:
            from django.conf import settings

            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=default.crontab.get("minute", "*"),
                hour=default.crontab.get("hour", "*"),
                day_of_week=default.crontab.get("day_of_week", "*"),
                day_of_month=default.crontab.get("day_of_month", "*"),
                month_of_year=default.crontab.get("month_of_year", "*"),
                timezone=settings.TIME_ZONE,
            )
            schedule = {"crontab": crontab}
        PeriodicTask.objects.create(
            name=default.name,
            task=default.task,
            description=default.description,
            kwargs=json.dumps(default.kwargs),
            **schedule,
        )
        created.append(default.name)
    return InstallReport(created=created, kept=kept)
