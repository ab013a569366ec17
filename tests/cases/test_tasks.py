"""The SLA sweep as a Celery task: the beat default, a direct call, and a real
worker on Redis running it against the test database."""

from __future__ import annotations

import pytest

from cases.models import Case, SlaEvent
from cases.tasks import sweep_sla_task
from pae_ops.celery import BEAT_DEFAULTS, app
from tests.cases.factories import CaseFactory, mx

# The real-worker fixtures of the skeleton's job tests (own queue per run).
from tests.pae_ops.test_jobs import _wait_for, celery_env, celery_worker  # noqa: F401


def test_the_sweep_is_a_beat_default_every_5_minutes():
    """RULES: SLA-4. Installed into the database schedule, editable in the admin."""
    default = next(d for d in BEAT_DEFAULTS if d.name == "sla-sweep")
    assert default.task == "cases.tasks.sweep_sla_task"
    assert default.every_seconds == 300
    assert default.task in app.tasks


@pytest.mark.django_db
def test_sweep_task_called_directly_records_the_breach():
    """RULES: SLA-4"""
    case = CaseFactory(opened_at=mx(2026, 1, 5, 10))
    result = sweep_sla_task()
    assert result["first_response_breach"] == 1
    assert SlaEvent.objects.filter(case=case, kind="breach").count() == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_sweep_runs_on_a_real_celery_worker_on_redis(
    celery_env,  # noqa: F811
    celery_worker,  # noqa: F811
    tmp_path,
    role_groups,
):
    """RULES: SLA-4. Published to Redis, run by a worker process, recorded in
    the database once; the case is escalated."""
    case = CaseFactory(opened_at=mx(2026, 1, 5, 10))
    sweep_sla_task.apply_async(queue=celery_env["CELERY_TASK_DEFAULT_QUEUE"])
    _wait_for(
        lambda: SlaEvent.objects.filter(case=case, kind="breach").count() == 2,
        60,
        [tmp_path / "worker.log"],
    )
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
