"""The measurements of ``make bench`` (DESIGN.md, "Performance targets").

Each budget is timed in-process (``DEBUG=False``, Django's test client for
pages: every middleware, the view, the template), 30 times after 3 warm-ups
(fewer for the multi-second jobs, and the report says how many). Beside the
median and p95 it prints:

- the query count (pages: the same at 10, 50 and 200 rows where it matters);
- the ratio to a calibration query timed in the same run (a fixed
  ``generate_series`` sum), so that a slower or busier machine shows the
  same ratio;
- the ratio to the same SQL run bare (the page's captured statements re-run
  through a cursor): how much of the time is the database;
- for the KPI dashboard, the ratio between the data set with 1,000,000
  interactions and a copy with 100,000.

The ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement slower than 1 ms goes to
``var/bench/explain/``; a sequential scan of cases or interactions is flagged.
"""

from __future__ import annotations

import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

CALIBRATION_SQL = "SELECT SUM(g) FROM generate_series(1, 200000) AS g"
SEQ_SCAN = re.compile(r"Seq Scan on (cases_case|cases_interaction)\b")


class _RollbackError(Exception):
    """Raised to undo a measured job's writes."""


@dataclass
class Measure:
    name: str
    budget: str
    times: list[float]
    queries: int | None = None
    bare: float | None = None
    notes: list[str] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)
    runs: int = 0
    warmups: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(run: Callable[[], object], *, runs: int, warmups: int) -> list[float]:
    for _ in range(warmups):
        run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def calibration(runs: int = 30) -> float:
    with connection.cursor() as cursor:

        def run():
            cursor.execute(CALIBRATION_SQL)
            cursor.fetchall()

        return statistics.median(timed(run, runs=runs, warmups=3))


def capture(run: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [query["sql"] for query in queries.captured_queries]


def bare_time(statements: list[str], *, runs: int) -> float:
    """The median time of the statements re-run bare, back to back."""
    reads = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]

    def run():
        with connection.cursor() as cursor:
            for sql in reads:
                cursor.execute(sql)
                cursor.fetchall()

    return statistics.median(timed(run, runs=runs, warmups=2))


def explain(name: str, statements: list[str], directory: Path) -> list[str]:
    """Save EXPLAIN (ANALYZE, BUFFERS) of the reads slower than 1 ms; return the
    sequential scans of cases or interactions found."""
    directory.mkdir(parents=True, exist_ok=True)
    flags = []
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    with connection.cursor() as cursor:
        for index, sql in enumerate(statements, start=1):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            if time.perf_counter() - started < 0.001:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            (directory / f"{slug}-{index:02d}.txt").write_text(f"{sql}\n\n{plan}\n")
            flags += [f"{slug}-{index:02d}: {match}" for match in SEQ_SCAN.findall(plan)]
    return flags


def signed_in(user) -> Client:
    """A test client signed in as ``user`` the way a person works: with the
    second factor verified (leaders and directors must have one outside the
    test settings, and the pages would answer with the verification page)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session.update(second_factor_session(user))
    session.save()
    return client


def second_factor_session(user) -> dict[str, object]:
    """The session keys of a sign-in whose second factor was verified, with
    a confirmed TOTP device of ``user`` (made for the bench when missing)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pae_ops.accounts.services import ENROLLED_SESSION_KEY

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return {DEVICE_ID_SESSION_KEY: device.persistent_id, ENROLLED_SESSION_KEY: True}


def page(client: Client, url: str) -> Callable[[], object]:
    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response

    return run


def measure_page(
    name: str,
    budget: str,
    client: Client,
    url: str,
    *,
    runs: int,
    warmups: int,
    explain_dir: Path,
) -> Measure:
    run = page(client, url)
    times = timed(run, runs=runs, warmups=warmups)
    statements = capture(run)
    result = Measure(name, budget, times, queries=len(statements), runs=runs, warmups=warmups)
    result.bare = bare_time(statements, runs=min(runs, 10))
    result.seq_scans = explain(name, statements, explain_dir)
    return result


class _QueryCounter:
    """Counts statements (Django's query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure_job(
    name: str,
    budget: str,
    job: Callable[[], object],
    *,
    prepare: Callable[[], object] | None = None,
    between: Callable[[], object] | None = None,
    runs: int,
    warmups: int,
) -> tuple[Measure, object]:
    """Time ``job`` in a transaction rolled back after each run (so every run
    does the same work), after ``prepare`` (also rolled back). ``between`` runs
    before each run, outside the transaction: e.g. the ``VACUUM`` that
    autovacuum does between two nightly runs, so that a run doesn't meet the
    dead row versions of the one rolled back before it."""
    times: list[float] = []
    last = None
    queries = None
    for index in range(warmups + runs):
        if between is not None:
            between()
        try:
            with transaction.atomic():
                if prepare is not None:
                    prepare()
                counter = _QueryCounter()
                with connection.execute_wrapper(counter):
                    started = time.perf_counter()
                    last = job()
                    elapsed = time.perf_counter() - started
                queries = counter.count
                raise _RollbackError
        except _RollbackError:
            pass
        if index >= warmups:
            times.append(elapsed)
    return Measure(name, budget, times, queries=queries, runs=runs, warmups=warmups), last


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        settings = []
        for name in ("shared_buffers", "work_mem", "random_page_cost", "jit"):
            cursor.execute(f"SHOW {name}")
            settings.append(f"{name}={cursor.fetchone()[0]}")
    return (
        f"{platform.node()}: {cpu or platform.processor()}, {os.cpu_count()} cores, {memory}; "
        f"Python {platform.python_version()}; PostgreSQL {version} ({', '.join(settings)})"
    )
