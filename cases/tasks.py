"""Thin Celery tasks for the cases' periodic jobs."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def sweep_sla_task() -> dict[str, int]:
    """Record and notify the SLA warnings and breaches that are due (SLA-4)."""
    from cases.services import sweep_sla

    return sweep_sla().as_dict()


@shared_task(acks_late=True)
def sweep_inactivity_task() -> dict[str, int]:
    """Warn agents of silent clients and open rescue cases (RES-1)."""
    from cases.services import sweep_inactivity

    return sweep_inactivity().as_dict()


@shared_task(acks_late=True)
def sweep_rescue_escalations_task() -> int:
    """Escalate silent rescue cases to their area (RES-3)."""
    from cases.services import sweep_rescue_escalations

    return sweep_rescue_escalations()


@shared_task(acks_late=True)
def send_weekly_feedback_digest_task() -> int:
    """Send each leader last week's survey answers of their team (COM-3)."""
    from cases.services import send_weekly_feedback_digests

    return send_weekly_feedback_digests()


@shared_task(acks_late=True)
def send_due_change_notices_task() -> int:
    """Put the emails of the change notices whose send time came into the outbox (COM-4)."""
    from cases.services import send_due_change_notices

    return send_due_change_notices()


@shared_task(acks_late=True)
def sweep_expired_surveys_task() -> int:
    """Mark the surveys whose link expired unanswered (COM-2)."""
    from cases.services import expire_surveys

    return expire_surveys()
