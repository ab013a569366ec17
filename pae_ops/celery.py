"""The Celery app and the defaults of the beat schedule.

The schedule lives in the database (django-celery-beat) so that admins can
edit it. ``BEAT_DEFAULTS`` below is only what a fresh installation starts
with: ``manage.py install_beat_schedule`` creates each entry by name and
never touches one that already exists, so an admin's edits survive deploys.
(``beat_schedule`` is not used: django-celery-beat rewrites those entries on
every start.) Later issues add their periodic tasks here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pae_ops.settings")

app = Celery("pae_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@dataclass(frozen=True)
class BeatDefault:
    """One periodic task as shipped: ``every_seconds`` or a ``crontab`` mapping."""

    name: str
    task: str
    description: str
    every_seconds: int | None = None
    crontab: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, object] = field(default_factory=dict)


BEAT_DEFAULTS: tuple[BeatDefault, ...] = (
    # Every minute: record that the worker and beat are alive (health page).
    BeatDefault(
        name="heartbeat",
        task="pae_ops.tasks.record_heartbeat_task",
        description="Records that beat and a worker are alive; shown on the health page.",
        every_seconds=60,
    ),
    # Every minute: send what the email outbox holds (staff notifications,
    # survey links, change notices), most urgent first; the safety net of
    # the nudge each act publishes after commit.
    BeatDefault(
        name="outbox-relay",
        task="pae_ops.tasks.relay_outbox_task",
        description="Sends the emails waiting in the outbox, most urgent first.",
        every_seconds=60,
    ),
    # Every night at 04:00: delete sent emails older than the retention.
    BeatDefault(
        name="outbox-retention",
        task="pae_ops.tasks.purge_outbox_task",
        description="Deletes sent outbox emails older than OUTBOX_RETENTION_DAYS.",
        crontab={"minute": "0", "hour": "4"},
    ),
    # Every night at 04:10: drop the survey rate limit's finished windows.
    BeatDefault(
        name="rate-limit-cleanup",
        task="pae_ops.tasks.purge_rate_limits_task",
        description="Deletes the rate-limit counters of windows that are over.",
        crontab={"minute": "10", "hour": "4"},
    ),
    # Every night at 02:30: recompute every client's segment (SEG-4).
    BeatDefault(
        name="nightly-segmentation",
        task="clients.tasks.sweep_segments_task",
        description="Recomputes every client's A/B/C segment, set-based.",
        crontab={"minute": "30", "hour": "2"},
    ),
    # Every 5 minutes: record and notify the SLA warnings and breaches that
    # are due, each once (SLA-4). The interval is the DESIGN's setting:
    # change it in the admin's periodic tasks.
    BeatDefault(
        name="sla-sweep",
        task="cases.tasks.sweep_sla_task",
        description="Records SLA warnings (75 %) and breaches once each and notifies.",
        every_seconds=300,
    ),
    # Every 15 minutes: bring the KPI roll-up up to yesterday and recompute
    # the current month and the last 7 days (late typing, payments, answers).
    BeatDefault(
        name="kpi-rollups",
        task="kpis.tasks.refresh_kpi_rollups_task",
        description="Refreshes the KPI daily roll-up, incrementally.",
        every_seconds=900,
    ),
    # Every night at 03:15 (after the segmentation): recompute the last 400
    # days, so older corrections and segment changes reach the dashboards.
    BeatDefault(
        name="kpi-rollups-nightly",
        task="kpis.tasks.refresh_kpi_rollups_task",
        description="Rebuilds the KPI roll-up of the last 400 days.",
        crontab={"minute": "15", "hour": "3"},
        kwargs={"rebuild_days": 400},
    ),
    # Every day at 07:00: alert agents of installments overdue > 7 days.
    BeatDefault(
        name="overdue-installments",
        task="clients.tasks.sweep_overdue_installments_task",
        description="Alerts agents of installments overdue more than 7 days.",
        crontab={"minute": "0", "hour": "7"},
    ),
    # Every day at 06:00: warn agents of clients silent for 7 days and open
    # rescue cases at 14 days, two missed sessions or three unanswered emails.
    BeatDefault(
        name="inactivity-sweep",
        task="cases.tasks.sweep_inactivity_task",
        description="Inactivity warnings at 7 days and rescue cases at 14.",
        crontab={"minute": "0", "hour": "6"},
    ),
    # Every hour, on the hour: escalate rescue cases whose client stayed
    # silent 3 days after the first protocol contact to their area.
    BeatDefault(
        name="rescue-escalation-sweep",
        task="cases.tasks.sweep_rescue_escalations_task",
        description="Escalates silent rescue cases to the Sales or Experience area.",
        crontab={"minute": "0"},
    ),
    # Every Monday at 08:00: each leader gets last week's survey answers of
    # their team, detractors and 0-2 stars first.
    BeatDefault(
        name="weekly-feedback-digest",
        task="cases.tasks.send_weekly_feedback_digest_task",
        description="Sends each leader the past week's survey answers of their team.",
        crontab={"minute": "0", "hour": "8", "day_of_week": "1"},
    ),
    # Every 15 minutes: send the change notices whose send time came.
    BeatDefault(
        name="change-notice-sender",
        task="cases.tasks.send_due_change_notices_task",
        description="Puts the emails of due change notices into the outbox, once.",
        every_seconds=900,
    ),
    # Every day at 03:15: mark survey links that expired unanswered.
    BeatDefault(
        name="survey-expiry",
        task="cases.tasks.sweep_expired_surveys_task",
        description="Marks surveys whose link expired unanswered as expired.",
        crontab={"minute": "15", "hour": "3"},
    ),
)
