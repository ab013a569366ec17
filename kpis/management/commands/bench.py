"""``manage.py bench`` (``make bench``): the performance budgets of DESIGN.md on the scale data.

Creates the database of ``DATABASE_URL`` when missing, migrates it, seeds it
(``seed_scale``) when the data isn't there, then measures each budget (see
``kpis.bench``) and writes the results into docs/benchmarks.md with the date
and the machine. The KPI dashboard is also measured on a copy of the data
set with 100,000 interactions instead of 1,000,000 (database
``<name>_100k``, made once from the first with ``CREATE DATABASE … TEMPLATE``).
Never run by ``make test``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from kpis import bench, scale

SMALL_INTERACTIONS = 100_000
# Issue 15's budgets where they are tighter than DESIGN.md's (in brackets);
# every page also within twice its own SQL run bare.
BUDGETS = {
    "dashboard": (
        "p95 ≤ 40 ms [≤ 100]; ÷ bare SQL ≤ 2; ≤ 10 queries; 1M ÷ 100k interactions ≤ 1.5"
    ),
    "queue": (
        "p95 ≤ 35 ms [≤ 50]; ÷ bare SQL ≤ 2; same queries at 10, 50, 200 rows;"
        " no seq scan of cases/interactions"
    ),
    "board": "p95 ≤ 50 ms; ÷ bare SQL ≤ 2; no seq scan of cases/interactions",
    "client": "p95 ≤ 20 ms [≤ 50]; ÷ bare SQL ≤ 2; no seq scan of cases/interactions",
    "case": "p95 ≤ 40 ms [≤ 60]; ÷ bare SQL ≤ 2; constant query count",
    "sweep": "≤ 3 s, bounded queries",
    "rerun": "≤ 100 ms, changes 0 rows",
    "segmentation": "≤ 10 s, set-based",
    "search": "p95 ≤ 50 ms at 100k clients; no seq scan of cases/interactions",
}
# The navigation bar's search (cases.search) as people type it: a surname (a
# few thousand matches, capped), a full name, part of an email, part of a
# phone, a case number, a case subject, and three letters (the broadest).
SEARCHES = (
    ("a surname", "garcía"),
    ("a full name", "Sofía Peña Álvarez"),
    ("part of an email", "jose.lopez12"),
    ("part of a phone", "55 1234"),
    ("a case number", "#150000"),
    ("a case subject", "caso 4321"),
    ("three letters", "mar"),
)


def _maintenance(url: str):
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def _database_exists(url: str, name: str) -> bool:
    with _maintenance(url) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


class Command(BaseCommand):
    help = "Measure the performance budgets of DESIGN.md on the scale data set (make bench)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--warmups", type=int, default=3)
        parser.add_argument(
            "--job-runs", type=int, default=5, help="Runs of the multi-second jobs."
        )
        parser.add_argument("--job-warmups", type=int, default=1)
        parser.add_argument("--output", default="docs/benchmarks.md")
        parser.add_argument("--explain-dir", default="var/bench/explain")
        parser.add_argument("--no-small", action="store_true", help="Skip the 100k comparison.")
        parser.add_argument(
            "--only-search",
            action="store_true",
            help="Measure only the search (the data set must be seeded); print, write nothing.",
        )
        parser.add_argument(
            "--only-segmentation",
            action="store_true",
            help="Only the segmentation of every client (and its re-run).",
        )
        parser.add_argument(
            "--only-sweep",
            action="store_true",
            help="Measure only the SLA sweep and its re-run (the data set must be seeded); print.",
        )
        parser.add_argument("--only-dashboard", action="store_true", help=_HIDDEN)
        parser.add_argument("--shrink-interactions", type=int, default=0, help=_HIDDEN)

    def handle(self, *args, **options):
        url = os.environ.get("DATABASE_URL", "")
        if not url:
            raise CommandError("bench needs DATABASE_URL naming its scale database.")
        name = connection.settings_dict["NAME"]
        if "scale" not in name and "bench" not in name:
            raise CommandError(f"Refusing to bench {name!r}: use a scale database (pae_ops_scale).")
        settings.DEBUG = False
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        if options["only_dashboard"]:
            return self._only_dashboard(options)

        if not _database_exists(url, name):
            with _maintenance(url) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self.stdout.write(f"Created database {name}.")
        call_command("migrate", verbosity=0)
        if options["only_search"]:
            return self._only_search(options)
        if options["only_segmentation"]:
            return self._only_segmentation(options)
        if options["only_sweep"]:
            return self._only_sweep(options)
        seed_note = ""
        if not scale.is_seeded():
            started = time.monotonic()
            call_command("seed_scale", stdout=self.stdout)
            seed_note = f"seed_scale took {time.monotonic() - started:.0f} s in this run."
        self._measure_all(url, name, options, seed_note)

    # The full run -----------------------------------------------------------------------

    def _measure_all(self, url: str, name: str, options, seed_note: str) -> None:
        from cases.services.sla import sweep_sla
        from clients.models import Client as ClientRow
        from clients.services import recompute_all_segments

        runs, warmups = options["runs"], options["warmups"]
        explain_dir = Path(options["explain_dir"])
        machine = bench.machine()
        self.stdout.write(f"Machine: {machine}")
        # Dead rows of an earlier run (the sweep's rolled-back updates) would
        # slow every page: measure a vacuumed database, as autovacuum keeps it.
        _vacuum()
        calibration = bench.calibration()
        users = {user.username: user for user in _scale_users()}
        results: list[bench.Measure] = []

        def client_for(username: str) -> Client:
            return bench.signed_in(users[username])

        def page(label, budget, username, url_):
            self.stdout.write(f"… {label}")
            if results:
                self.stdout.write(_line(results[-1], calibration))
            results.append(
                bench.measure_page(
                    label,
                    budget,
                    client_for(username),
                    url_,
                    runs=runs,
                    warmups=warmups,
                    explain_dir=explain_dir,
                )
            )
            return results[-1]

        dashboard = page(
            "KPI dashboard (director, this month)", BUDGETS["dashboard"], "scale-director", "/kpis/"
        )
        page(
            "KPI team view (leader, this month)",
            BUDGETS["dashboard"],
            "scale-leader-1",
            "/kpis/team/",
        )
        queue_counts = []
        for size, agent in zip(scale.QUEUE_SIZES, _queue_agents(users), strict=True):
            measure = page(
                f"Agent case queue ({size} open cases)", BUDGETS["queue"], agent, "/my-work/"
            )
            queue_counts.append(measure.queries)
        page("Leader team board", BUDGETS["board"], "scale-leader-1", "/cases/board/")
        busiest = (
            ClientRow.objects.filter(pk__gt=600)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        page("Client 360 page", BUDGETS["client"], "scale-agent-01", f"/clients/{busiest}/")
        case_owner = _case_owner(users)
        page("Case page with 200 interactions", BUDGETS["case"], case_owner, "/cases/1/")
        for what, text in SEARCHES:
            page(f"Search: {what} ({text})", BUDGETS["search"], "scale-agent-01", _search_url(text))

        self.stdout.write(_line(results[-1], calibration))
        self.stdout.write("… SLA sweep over 100,000 due cases (and its re-run)")
        sweep, rerun, changed = self._sweep(sweep_sla, options)
        results += [sweep, rerun]
        _vacuum(
            "cases_case",
            "cases_slaevent",
            "cases_escalation",
            "cases_historicalcase",
            "pae_ops_notification",
        )
        self.stdout.write(_line(sweep, calibration))
        self.stdout.write(_line(rerun, calibration))
        self.stdout.write("… segmentation of every client")
        segmentation, _changed = bench.measure_job(
            "Segmentation of all clients",
            BUDGETS["segmentation"],
            recompute_all_segments,
            between=_vacuum_clients,
            runs=options["job_runs"],
            warmups=options["job_warmups"],
        )
        results.append(segmentation)

        small = None
        if not options["no_small"]:
            self.stdout.write("… KPI dashboard on the 100k-interactions copy")
            small = self._small_dashboard(url, name, options)
        calibration = (calibration + bench.calibration()) / 2
        notes = {
            "queue_counts": queue_counts,
            "rerun_changed": changed,
            "small": small,
            "dashboard": dashboard,
            "seed": seed_note,
        }
        report = _report(results, calibration, machine, notes)
        self.stdout.write(report)
        _write(Path(options["output"]), report)
        self.stdout.write(self.style.SUCCESS(f"Results written to {options['output']}."))

    def _sweep(self, sweep_sla, options):
        """The sweep over 100,000 due cases and its re-run, committed as in
        production (each batch its own transaction), then undone.

        A rolled-back run would measure a re-run that walks the index entries
        of the row versions its own open transaction replaced (they cannot be
        pruned until it ends): production's re-run comes 5 minutes later, in
        a new transaction. So each run: the cases made open (their columns
        saved first in ``bench_sweep_saved``), the sweep, the re-run at once
        (it meets the sweep's dead index entries first and marks them), a
        ``VACUUM`` as autovacuum does after such a change (100,000 dead rows
        are far above its threshold; its nap is a minute), the re-run again;
        then everything the sweep wrote is deleted and the cases restored.
        """
        from cases.models import Case, SlaEvent

        now = timezone.now()
        chosen = (
            Case.objects.filter(status__in=["resolved", "closed"])
            .exclude(kind=Case.Kind.RESCUE)
            .order_by("pk")
            .values("pk")[:100_000]
        )
        _restore_swept_cases()  # a run that died before its cleanup
        count = chosen.count()
        columns = "c.status, c.resolved_at, c.closed_at, c.first_responded_at"
        columns += ", c.escalation_level, c.updated_at"
        columns += ", s.case_id IS NOT NULL AS had_check, s.at AS check_at"
        firsts, right_after, vacuumed, queries = [], [], [], {}
        changed = None
        for index in range(options["job_warmups"] + options["job_runs"]):
            marks = _sweep_marks()
            with transaction.atomic(), connection.cursor() as cursor:
                sql, params = chosen.query.sql_with_params()
                cursor.execute(
                    f"CREATE TABLE bench_sweep_saved AS SELECT c.id, {columns}"  # noqa: S608
                    " FROM cases_case c LEFT JOIN cases_slacheck s ON s.case_id = c.id"
                    f" WHERE c.id IN ({sql})",
                    params,
                )
                # Closed cases made open again: every deadline of theirs has
                # passed; their next SLA check as open_case stores it.
                Case.objects.filter(pk__in=chosen).update(
                    status=Case.Status.NEW,
                    resolved_at=None,
                    closed_at=None,
                    first_responded_at=None,
                )
                cursor.execute(
                    "INSERT INTO cases_slacheck (case_id, at)"
                    " SELECT id, first_response_warn_at FROM cases_case"
                    " WHERE id IN (SELECT id FROM bench_sweep_saved)"
                    " ON CONFLICT (case_id) DO UPDATE SET at = excluded.at"
                )
                SlaEvent.objects.filter(case__in=chosen).delete()
            # Statistics and visibility as a database with that many open cases.
            _vacuum("cases_case", "cases_slacheck", "cases_slaevent")
            times = []
            for step in ("sweep", "rerun", "vacuum", "rerun-vacuumed"):
                if step == "vacuum":
                    _vacuum("cases_case", "cases_slacheck")
                    continue
                counter = bench._QueryCounter()
                with connection.execute_wrapper(counter):
                    started = time.perf_counter()
                    report = sweep_sla(now=now)
                    times.append(time.perf_counter() - started)
                queries[step] = counter.count
                if step != "sweep":
                    # Events recorded and cases read (0 and 0: nothing changed).
                    changed = max(changed or 0, report.total + report.cases)
            _undo_sweep(marks)
            if index >= options["job_warmups"]:
                firsts.append(times[0])
                right_after.append(times[1])
                vacuumed.append(times[2])
        # Leave the database as autovacuum would a minute later: the undone
        # runs' dead case versions keep their entries in the open cases'
        # indexes (~26,000 for the board's ~4,300 rows) until a vacuum.
        _vacuum("cases_case", "cases_slacheck", "cases_slaevent")
        runs, warmups = options["job_runs"], options["job_warmups"]
        rerun = bench.Measure(
            "SLA sweep re-run (after autovacuum)",
            BUDGETS["rerun"],
            vacuumed,
            queries["rerun-vacuumed"],
            runs=runs,
            warmups=warmups,
        )
        rerun.notes.append(
            "right after the sweep, before any vacuum: median "
            f"{statistics.median(right_after) * 1000:.0f} ms, p95-ish (max) "
            f"{max(right_after) * 1000:.0f} ms"
        )
        self._rerun_right_after = right_after
        return (
            bench.Measure(
                f"SLA sweep, {count:,} due cases",
                BUDGETS["sweep"],
                firsts,
                queries["sweep"],
                runs=runs,
                warmups=warmups,
            ),
            rerun,
            changed,
        )

    def _small_dashboard(self, url: str, name: str, options) -> dict | None:
        small = f"{name}_100k"
        if not _database_exists(url, small):
            connections.close_all()
            with _maintenance(url) as conn:
                conn.execute(f'CREATE DATABASE "{small}" TEMPLATE "{name}"')
        parts = urlparse(url)
        small_url = parts._replace(path=f"/{small}").geturl()
        command = [
            sys.executable,
            "manage.py",
            "bench",
            "--only-dashboard",
            f"--shrink-interactions={SMALL_INTERACTIONS}",
            f"--runs={options['runs']}",
            f"--warmups={options['warmups']}",
        ]
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            command,
            env={**os.environ, "DATABASE_URL": small_url},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            self.stderr.write(done.stderr[-3000:])
            return None
        return json.loads(done.stdout.strip().splitlines()[-1])

    # The sweep alone (--only-sweep) ------------------------------------------------------

    def _only_sweep(self, options) -> None:
        from cases.models import Case
        from cases.services.sla import sweep_sla

        if not scale.is_seeded():
            raise CommandError("--only-sweep needs the seeded data set: run make bench once.")
        _vacuum("cases_case", "cases_slaevent", "pae_ops_notification")
        calibration = bench.calibration()
        self.stdout.write(f"Machine: {bench.machine()}")
        self.stdout.write(f"Calibration: median {calibration * 1000:.1f} ms")
        sweep, rerun, changed = self._sweep(sweep_sla, options)
        open_cases = Case.objects.filter(status_is_open=True).count()
        self.stdout.write(_line(sweep, calibration))
        self.stdout.write(_line(rerun, calibration))
        self.stdout.write(
            f"Re-run: {changed} events recorded and cases read; {open_cases:,} open cases"
            " outside the runs (each run adds the 100,000 made open)."
        )
        self.stdout.write("Sweep times: " + ", ".join(f"{t:.2f} s" for t in sweep.times))
        self.stdout.write(
            "Re-run times after the vacuum: " + ", ".join(f"{t * 1000:.1f} ms" for t in rerun.times)
        )
        self.stdout.write(
            "Re-run times right after the sweep: "
            + ", ".join(f"{t * 1000:.1f} ms" for t in self._rerun_right_after)
        )
        self.stdout.write(f"Queries: sweep {sweep.queries}, re-run {rerun.queries}")

    # The search alone (--only-search) -------------------------------------------------------

    def _only_search(self, options) -> None:
        if not scale.is_seeded():
            raise CommandError("--only-search needs the seeded data set: run make bench once.")
        _vacuum("clients_client", "cases_case")
        calibration = bench.calibration()
        client = bench.signed_in(_scale_users().get(username="scale-agent-01"))
        for what, text in SEARCHES:
            measure = bench.measure_page(
                f"Search: {what} ({text})",
                BUDGETS["search"],
                client,
                _search_url(text),
                runs=options["runs"],
                warmups=options["warmups"],
                explain_dir=Path(options["explain_dir"]) / "search",
            )
            self.stdout.write(_line(measure, calibration))
            if measure.seq_scans:
                self.stdout.write(f"   sequential scans: {', '.join(measure.seq_scans)}")

    # The segmentation alone (--only-segmentation) -------------------------------------------

    def _only_segmentation(self, options) -> None:
        from clients.services import recompute_all_segments

        if not scale.is_seeded():
            raise CommandError("--only-segmentation needs the seeded data set: run make bench.")
        calibration = bench.calibration()
        self.stdout.write(f"Machine: {bench.machine()}; calibration {_ms(calibration)}")
        # The seed's stored segments don't follow its signals: nearly every
        # client changes (the worst case, a first run); the re-run changes none.
        first, changed = bench.measure_job(
            "Segmentation of all clients",
            BUDGETS["segmentation"],
            recompute_all_segments,
            between=_vacuum_clients,
            runs=options["job_runs"],
            warmups=options["job_warmups"],
        )
        self.stdout.write(_line(first, calibration) + f", {changed:,} clients changed")
        rerun, changed = bench.measure_job(
            "Segmentation re-run (nothing changed)",
            BUDGETS["segmentation"],
            recompute_all_segments,
            prepare=recompute_all_segments,
            between=_vacuum_clients,
            runs=options["job_runs"],
            warmups=options["job_warmups"],
        )
        self.stdout.write(_line(rerun, calibration) + f", {changed:,} clients changed")

    # The 100k copy (a subprocess on the other database) ---------------------------------

    def _only_dashboard(self, options) -> None:
        from cases.models import Interaction
        from kpis.models import KpiRollupState
        from kpis.services import refresh_kpi_rollups

        target = options["shrink_interactions"]
        total = Interaction.objects.count()
        if target and total > target * 1.05:
            # Keep every k-th interaction: the same spread over time and cases.
            step = round(total / target)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM cases_interaction WHERE id %% %s <> 0", [step])
                cursor.execute("VACUUM FULL ANALYZE cases_interaction")
            state = KpiRollupState.objects.get()
            refresh_kpi_rollups(since=state.covered_from)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE kpis_kpirollup")
        calibration = bench.calibration()
        client = bench.signed_in(_scale_users().get(username="scale-director"))
        measure = bench.measure_page(
            "KPI dashboard (100k interactions)",
            BUDGETS["dashboard"],
            client,
            "/kpis/",
            runs=options["runs"],
            warmups=options["warmups"],
            explain_dir=Path(options["explain_dir"]) / "100k",
        )
        self.stdout.write(
            json.dumps(
                {
                    "interactions": Interaction.objects.count(),
                    "median": measure.median,
                    "p95": measure.p95,
                    "queries": measure.queries,
                    "calibration": calibration,
                }
            )
        )


_HIDDEN = "Internal: the 100k-interactions run in a subprocess."


def _search_url(text: str) -> str:
    from urllib.parse import urlencode

    return f"/search/?{urlencode({'q': text})}"


def _scale_users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username__startswith="scale-")


def _queue_agents(users) -> list[str]:
    agents = sorted(name for name in users if name.startswith("scale-agent-"))
    return agents[-len(scale.QUEUE_SIZES) :]


def _case_owner(users) -> str:
    from cases.models import Case

    assignee = Case.objects.filter(pk=1).values_list("assignee__username", flat=True).first()
    return assignee or "scale-director"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


# In the order they can be deleted (the digests and emails refer to the notifications).
_SWEPT_TABLES = (
    "cases_slaevent",
    "cases_escalation",
    "cases_historicalcase",
    "pae_ops_outboxemail",
    "cases_sladigestpart",
    "cases_sladigest",
    "pae_ops_notification",
)


_KEYS = {"cases_historicalcase": "history_id", "cases_sladigest": "notification_id"}


def _sweep_marks() -> dict[str, int]:
    """The largest id of each table the sweep writes, before it runs."""
    marks = {}
    with connection.cursor() as cursor:
        for table in _SWEPT_TABLES:
            cursor.execute(f"SELECT COALESCE(max({_KEYS.get(table, 'id')}), 0) FROM {table}")  # noqa: S608
            marks[table] = cursor.fetchone()[0]
    return marks


def _undo_sweep(marks: dict[str, int]) -> None:
    """Delete what the bench's sweep wrote and give the cases back their columns."""
    with transaction.atomic(), connection.cursor() as cursor:
        for table in _SWEPT_TABLES:
            key = _KEYS.get(table, "id")
            cursor.execute(f"DELETE FROM {table} WHERE {key} > %s", [marks[table]])  # noqa: S608
        _restore_swept_cases()


def _restore_swept_cases() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_sweep_saved')")
        if cursor.fetchone()[0] is None:
            return
        cursor.execute(
            "UPDATE cases_case c SET status = s.status, resolved_at = s.resolved_at,"
            " closed_at = s.closed_at, first_responded_at = s.first_responded_at,"
            " escalation_level = s.escalation_level,"
            " updated_at = s.updated_at FROM bench_sweep_saved s WHERE s.id = c.id"
        )
        cursor.execute(
            "DELETE FROM cases_slacheck ck USING bench_sweep_saved s WHERE ck.case_id = s.id"
        )
        cursor.execute(
            "INSERT INTO cases_slacheck (case_id, at)"
            " SELECT id, check_at FROM bench_sweep_saved WHERE had_check"
        )
        cursor.execute(
            "DELETE FROM cases_slaevent e USING bench_sweep_saved s WHERE e.case_id = s.id"
        )
        cursor.execute("DROP TABLE bench_sweep_saved")


def _vacuum(*tables: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def _vacuum_clients() -> None:
    """What autovacuum does between two nightly segmentations: the rows a run
    replaced are dead, their room on the page free again (a rolled-back run
    leaves the same dead versions a committed one does)."""
    _vacuum("clients_client", "clients_historicalclient")


def _line(item: bench.Measure, calibration: float) -> str:
    return (
        f"   {item.name}: median {_ms(item.median)}, p95 {_ms(item.p95)}, "
        f"{item.queries} queries, {item.median / calibration:.1f}× calibration"
    )


def _commit() -> str:
    """The measured commit (and whether the checkout had changes), for the record."""
    git = shutil.which("git")
    if git is None:
        return "unknown commit"
    try:
        head = subprocess.run(  # noqa: S603 (git, found on PATH, with fixed arguments)
            [git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain"], capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {head}{' with uncommitted changes' if dirty.stdout.strip() else ''}"


def _report(results, calibration: float, machine: str, notes: dict) -> str:
    now = timezone.localtime()
    lines = [
        f"## Results of {now:%Y-%m-%d %H:%M} ({now.tzname()})",
        "",
        f"Machine: {machine}. Code: {_commit()}.",
        "",
        f"Calibration query (`{bench.CALIBRATION_SQL}`): median {_ms(calibration)}.",
        "",
        "| what | budget | runs | median | p95 | queries | ÷ calibration (median) "
        "| ÷ bare SQL (median) | seq scans of cases/interactions |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for item in results:
        ratio_bare = f"{item.median / item.bare:.1f}" if item.bare else "—"
        lines.append(
            f"| {item.name} | {item.budget} | {item.runs} after {item.warmups} warm-ups "
            f"| {_ms(item.median)} | {_ms(item.p95)} | {item.queries} "
            f"| {item.median / calibration:.1f} | {ratio_bare} "
            f"| {', '.join(item.seq_scans) or 'none'} |"
        )
    lines.append("")
    counts = notes["queue_counts"]
    lines.append(
        f"- Agent queue query counts at 10, 50 and 200 open cases: {', '.join(map(str, counts))}"
        f" ({'equal' if len(set(counts)) == 1 else 'NOT equal'})."
    )
    lines.append(
        f"- SLA sweep re-run: {notes['rerun_changed']} events recorded and cases read (budget: 0)."
    )
    small, dashboard = notes["small"], notes["dashboard"]
    if small:
        small_ratio = small["median"] / small["calibration"]
        big_ratio = dashboard.median / calibration
        lines.append(
            f"- KPI dashboard with {small['interactions']:,} interactions: median "
            f"{_ms(small['median'])}, p95 {_ms(small['p95'])}, {small['queries']} queries; "
            f"1,000,000 ÷ 100,000 interactions = {dashboard.median / small['median']:.2f} "
            f"(calibrated: {big_ratio / small_ratio:.2f}; budget ≤ 1.5)."
        )
    if notes["seed"]:
        lines.append(f"- {notes['seed']}")
    lines.append("")
    return "\n".join(lines)


RESULTS_MARK = "<!-- bench results below: make bench appends here -->"


def _write(path: Path, report: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{RESULTS_MARK}\n"
    if RESULTS_MARK not in text:
        text = f"{text.rstrip()}\n\n{RESULTS_MARK}\n"
    head, _mark, tail = text.partition(RESULTS_MARK)
    path.write_text(f"{head}{RESULTS_MARK}\n\n{report}\n{tail.lstrip()}")
