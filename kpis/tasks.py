"""Thin Celery tasks for the KPI roll-ups."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task


@shared_task(acks_late=True)
def refresh_kpi_rollups_task(rebuild_days: int | None = None) -> int:
    """Refresh the KPI roll-up (incremental; ``rebuild_days``: recompute that
    many days back). Idempotent. Returns the rows written."""
    from django.utils import timezone

    from kpis.services import refresh_kpi_rollups

    since = None
    if rebuild_days:
        since = timezone.localdate() - timedelta(days=int(rebuild_days))
    return refresh_kpi_rollups(since=since).rows
