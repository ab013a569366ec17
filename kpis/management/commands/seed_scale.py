"""``manage.py seed_scale``: the scale data set of DESIGN.md into its own database.

100,000 clients, 250,000 purchases, 200,000 cases (20,000 open), 1,000,000
interactions, 50,000 survey answers and 50 agents (the counts are options),
from a fixed random seed, with ``COPY``; then ``VACUUM ANALYZE`` and the KPI
roll-up. It writes into the database of ``DATABASE_URL`` and refuses one whose
name does not contain "scale" or "bench" (``--force`` overrides), so that it
never lands in real data. See docs/benchmarks.md.
"""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from kpis import scale


class Command(BaseCommand):
    help = "Build the scale data set (DESIGN.md) in the database named by DATABASE_URL."

    def add_arguments(self, parser):
        defaults = scale.ScaleCounts()
        for name in (
            "clients",
            "purchases",
            "cases",
            "open_cases",
            "interactions",
            "surveys",
            "agents",
            "months",
        ):
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
            )
        parser.add_argument("--seed", type=int, default=20260101, help="Random seed (fixed).")
        parser.add_argument(
            "--anchor",
            type=date.fromisoformat,
            default=None,
            help="The data set's today (YYYY-MM-DD), default today.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even if the database name is not a scale one."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the seeded tables first (scale databases only).",
        )
        parser.add_argument("--no-rollups", action="store_true", help="Skip the KPI roll-up.")

    def handle(self, *args, **options):
        name = connection.settings_dict["NAME"]
        if not options["force"] and "scale" not in name and "bench" not in name:
            raise CommandError(
                f"Refusing to seed {name!r}: its name does not contain 'scale' or 'bench'. "
                "Point DATABASE_URL at a scale database (make bench uses pae_ops_scale) "
                "or pass --force."
            )
        if scale.is_seeded():
            if not options["reset"]:
                raise CommandError(f"{name!r} already holds the scale data; --reset replaces it.")
            self._reset()
        counts = scale.ScaleCounts(
            **{
                key: options[key]
                for key in (
                    "clients",
                    "purchases",
                    "cases",
                    "open_cases",
                    "interactions",
                    "surveys",
                    "agents",
                    "months",
                )
            }
        )
        if counts.open_cases < sum(scale.QUEUE_SIZES) or counts.agents < 4:
            raise CommandError("Need at least 260 open cases and 4 agents (the bench queues).")
        from pae_ops.selectors import load_calendar_spec

        now = timezone.now()
        anchor = options["anchor"] or timezone.localdate(now)
        if options["anchor"]:
            now = timezone.make_aware(
                timezone.datetime.combine(anchor, timezone.localtime(now).time())
            )
        started = time.monotonic()
        seeder = scale.ScaleSeeder(
            counts=counts,
            seed=options["seed"],
            anchor=anchor,
            now=now,
            spec=load_calendar_spec(),
            progress=lambda message: self.stdout.write(
                f"  {time.monotonic() - started:6.1f} s  {message}"
            ),
        )
        with transaction.atomic():
            seeder.run()
        loaded = time.monotonic() - started
        self.stdout.write(f"  {loaded:6.1f} s  rows written; VACUUM ANALYZE…")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        vacuumed = time.monotonic() - started
        self.stdout.write(f"  {vacuumed:6.1f} s  vacuumed and analysed")
        if not options["no_rollups"]:
            from kpis.services import refresh_kpi_rollups

            result = refresh_kpi_rollups(now=now)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE kpis_kpirollup")
            self.stdout.write(
                f"  {time.monotonic() - started:6.1f} s  KPI roll-up: {result.rows} rows, "
                f"{result.first_day} to {result.last_day}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Scale data set ready in {time.monotonic() - started:.1f} s.")
        )

    def _reset(self) -> None:
        from django.contrib.auth import get_user_model

        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table) for model in scale.SEEDED_TABLES
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {tables}, kpis_kpirollup, kpis_kpirollupstate, kpis_kpibusinessclock "
                "RESTART IDENTITY CASCADE"
            )
            from pae_ops.models import Profile

            Profile.objects.filter(user__username__startswith="scale-").update(leader=None)
            get_user_model().objects.filter(username__startswith="scale-").delete()
        self.stdout.write("Emptied the seeded tables.")
