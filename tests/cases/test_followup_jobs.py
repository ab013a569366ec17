"""The Monday digest end to end: Redis -> a real Celery worker -> the test database.

A worker process has its own ``mail.outbox``, so this test asserts on what it
writes in the database (the digest notifications, in the notification
outbox); ``test_feedback_review`` checks the emails' content in both
languages by calling the relay in this process.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Survey
from pae_ops.models import Notification
from tests.cases.factories import SurveyFactory, ensure_default_calendar
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

# The worker fixtures of the portal's job tests: each run gets its own queue.
from tests.pae_ops.test_jobs import _wait_for, celery_env, celery_worker  # noqa: F401

pytestmark = pytest.mark.celery_worker


@pytest.mark.django_db(transaction=True)
def test_the_weekly_digest_runs_on_a_real_worker(
    role_groups,
    celery_env,  # noqa: F811 (the imported fixture)
    celery_worker,  # noqa: F811 (the imported fixture)
    tmp_path,
):
    """RULES: COM-3. Each leader's digest of last week's answers, written once."""
    from cases.selectors import previous_week_bounds
    from cases.tasks import send_weekly_feedback_digest_task

    ensure_default_calendar()
    leader = UserFactory(leader=True, username="digest-leader")
    english = UserFactory(leader=True, username="digest-leader-en", profile__language="en")
    agent = UserFactory(agent=True, profile__leader=leader)
    start, _end = previous_week_bounds(timezone.now())
    answered_at = start + timedelta(days=2)
    SurveyFactory(
        client=ClientFactory(assigned_agent=agent, name="Marta Ruiz"),
        agent=agent,
        kind="csat",
        status=Survey.Status.ANSWERED,
        score=1,
        comment="Nadie me llamó",
        sent_at=answered_at - timedelta(hours=1),
        answered_at=answered_at,
    )

    # when: the task is published to Redis on this run's queue
    send_weekly_feedback_digest_task.apply_async(queue=celery_env["CELERY_TASK_DEFAULT_QUEUE"])

    # then: the worker writes one digest per leader, in their language
    digests = Notification.objects.filter(kind="feedback-digest")
    _wait_for(lambda: digests.count() == 2, 60, [tmp_path / "worker.log"])
    spanish = digests.get(recipient=leader)
    assert spanish.title.startswith("Comentarios semanales de su equipo")
    assert "CSAT 1/5 · Marta Ruiz" in spanish.body
    assert "Nadie me llamó" in spanish.body
    # its email is in the outbox (the worker may have relayed it already)
    assert spanish.emails.get().status in {"pending", "claimed", "sending", "sent"}
    assert digests.get(recipient=english).title.startswith("Weekly feedback of your team")
