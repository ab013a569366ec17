"""Thin Celery tasks for the portal-wide jobs."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def record_heartbeat_task() -> int:
    """Record the heartbeat; returns the run count."""
    from pae_ops.services import record_heartbeat

    return record_heartbeat(name="heartbeat").run_count


@shared_task(acks_late=True, ignore_result=True)
def sweep_notification_outbox_task() -> int:
    """Send one bounded batch of pending notification emails."""
    from pae_ops.services import send_pending_notification_emails

    return send_pending_notification_emails()
