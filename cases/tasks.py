"""Thin Celery tasks for the cases' periodic jobs."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def sweep_sla_task() -> dict[str, int]:
    """Record and notify the SLA warnings and breaches that are due (SLA-4)."""
    from cases.services import sweep_sla

    return sweep_sla().as_dict()
