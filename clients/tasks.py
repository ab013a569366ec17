"""Thin Celery tasks for the clients' periodic jobs."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def sweep_segments_task() -> int:
    """Recompute every client's segment (SEG-4); returns how many changed."""
    from clients.services import recompute_all_segments

    return recompute_all_segments()


@shared_task(acks_late=True)
def sweep_overdue_installments_task() -> int:
    """Alert the agents of installments overdue more than 7 days (PAY-5)."""
    from clients.services import alert_overdue_installments

    return alert_overdue_installments()
