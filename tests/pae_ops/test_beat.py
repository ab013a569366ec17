import json

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from pae_ops.beat import install_beat_defaults
from pae_ops.celery import BEAT_DEFAULTS, app

pytestmark = pytest.mark.django_db


def test_install_creates_every_default_once():
    first = install_beat_defaults()
    second = install_beat_defaults()
    assert set(first.created) == {d.name for d in BEAT_DEFAULTS}
    assert second.created == []
    assert PeriodicTask.objects.filter(name__in=first.created).count() == len(BEAT_DEFAULTS)


def test_install_keeps_an_admins_edits():
    install_beat_defaults()
    task = PeriodicTask.objects.get(name="heartbeat")
    slow, _ = IntervalSchedule.objects.get_or_create(every=300, period=IntervalSchedule.SECONDS)
    task.interval = slow
    task.enabled = False
    task.save()

    call_command("install_beat_schedule")

    task.refresh_from_db()
    assert (task.interval.every, task.enabled) == (300, False)


def test_every_default_names_a_registered_task():
    app.loader.import_default_modules()
    for default in BEAT_DEFAULTS:
        assert default.task in app.tasks, default.task
        assert (default.every_seconds is None) != (not default.crontab)
        json.dumps(default.kwargs)


def test_beat_schedule_is_not_configured_in_settings(settings):
    """django-celery-beat would rewrite beat_schedule entries on every start."""
    assert not getattr(settings, "CELERY_BEAT_SCHEDULE", None)
