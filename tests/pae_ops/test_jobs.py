"""The periodic jobs end to end: beat (DB schedule) -> Redis -> a real worker -> the DB."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from pae_ops.beat import install_beat_defaults
from pae_ops.models import Heartbeat

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.celery_worker


def _celery(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pae_ops", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_env(test_database_url, tmp_path) -> dict[str, str]:
    # Each run gets its own queue so that parallel test workers never take
    # each other's tasks from the shared Redis.
    return {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "CELERY_TASK_DEFAULT_QUEUE": f"pae-test-{uuid.uuid4().hex[:10]}",
    }


@pytest.fixture
def celery_worker(celery_env, tmp_path):
    worker = _celery(
        "worker",
        "--loglevel=INFO",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "-Q",
        celery_env["CELERY_TASK_DEFAULT_QUEUE"],
        env=celery_env,
        log=tmp_path / "worker.log",
    )
    yield worker
    _stop(worker)


def _wait_for(predicate, timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail("timed out; logs:\n" + "\n".join(p.read_text()[-3000:] for p in logs))


@pytest.mark.django_db(transaction=True)
def test_heartbeat_task_runs_on_a_real_worker(celery_env, celery_worker, tmp_path):
    from pae_ops.tasks import record_heartbeat_task

    # when: the task is published to Redis on this run's queue
    record_heartbeat_task.apply_async(queue=celery_env["CELERY_TASK_DEFAULT_QUEUE"])
    # then: the worker process records it in the test database
    _wait_for(
        lambda: Heartbeat.objects.filter(name="heartbeat").exists(),
        60,
        [tmp_path / "worker.log"],
    )


@pytest.mark.django_db(transaction=True)
def test_beat_schedules_the_heartbeat_from_the_database(celery_env, celery_worker, tmp_path):
    # given: the defaults installed and an admin's edit to run every second
    install_beat_defaults()
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(name="heartbeat").update(interval=every_second)
    PeriodicTask.objects.exclude(name="heartbeat").update(enabled=False)
    # when: beat runs with the database scheduler
    beat = _celery(
        "beat",
        "--loglevel=INFO",
        f"--schedule={tmp_path / 'beat-schedule'}",
        env=celery_env,
        log=tmp_path / "beat.log",
    )
    try:
        # then: beat sends it, the worker runs it, more than once
        _wait_for(
            lambda: Heartbeat.objects.filter(name="heartbeat", run_count__gte=2).exists(),
            60,
            [tmp_path / "beat.log", tmp_path / "worker.log"],
        )
    finally:
        _stop(beat)
