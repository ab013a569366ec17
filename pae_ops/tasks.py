"""Thin Celery tasks for the portal-wide jobs."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def record_heartbeat_task() -> int:
    """Record the heartbeat; returns the run count."""
    from pae_ops.services import record_heartbeat

    return record_heartbeat(name="heartbeat").run_count


@shared_task(acks_late=True, ignore_result=True)
def relay_outbox_task() -> dict[str, int]:
    """Send what the email outbox holds, most urgent first, for one bounded run."""
    from pae_ops.outbox import relay_outbox

    return relay_outbox().as_dict()


@shared_task(acks_late=True)
def purge_rate_limits_task() -> int:
    """Delete the rate-limit windows that are over (a day old)."""
    from pae_ops.throttle import purge_rate_limits

    return purge_rate_limits(older_than_seconds=24 * 3600)


@shared_task(acks_late=True)
def purge_outbox_task() -> int:
    """Delete sent emails older than OUTBOX_RETENTION_DAYS."""
    from pae_ops.outbox import purge_sent_emails

    return purge_sent_emails()
