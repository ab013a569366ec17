"""``manage.py refresh_kpi_rollups``: the periodic task's work, by hand (docs/kpis.md)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand

from kpis.services import refresh_kpi_rollups


class Command(BaseCommand):
    help = "Refresh the KPI roll-up: incremental, or every day since --since (YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, default=None)

    def handle(self, *args, **options):
        result = refresh_kpi_rollups(since=options["since"])
        if result.first_day is None:
            self.stdout.write("The KPI roll-up is up to date (nothing before today to add).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"KPI roll-up refreshed from {result.first_day} to {result.last_day}: "
                f"{result.rows} rows, {len(result.months)} months."
            )
        )
