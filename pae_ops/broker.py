"""Publishing to the broker from a request without ever waiting on it.

A page that commits a change may publish a task after commit (the outbox's
nudge). Whatever the broker does (stopped, hung, slow), that must not add
more than about ``CELERY_PUBLISH_TIMEOUT`` to the request (DESIGN: no page
waits on Redis): the publish goes over its own connection with short
connect and socket timeouts and no retries, and a failure is only logged.
What it asked for is never lost: it is in the database already, and the
periodic job that does the same work picks it up.
"""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings

logger = logging.getLogger(__name__)


def quick_transport_options() -> dict[str, object]:
    """The broker options of a publish that must not wait (Redis transport)."""
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "max_retries": 0,
        # redis-py would otherwise retry a timed-out command with backoff.
        "retry_on_timeout": False,
    }


def publish_quietly(task: Task, *args: object, expires: float | None = None) -> bool:
    """Publish ``task`` now, bounded by ``CELERY_PUBLISH_TIMEOUT``; True when it went.

    Only for work that a periodic job also does (it is a nudge): a broker
    outage only delays it.
    """
    app = task.app
    try:
        with app.connection_for_write(
            transport_options=quick_transport_options(),
            connect_timeout=settings.CELERY_PUBLISH_TIMEOUT,
        ) as connection:
            task.apply_async(args=args, connection=connection, retry=False, expires=expires)
    except Exception as exc:  # the broker is down or hung: the periodic job will do it
        logger.warning(
            "Could not publish %s (%s); the periodic job will do it.",
            task.name,
            type(exc).__name__,
        )
        return False
    return True
