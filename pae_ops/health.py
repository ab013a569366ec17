"""Health endpoints for the orchestrator (docker compose healthchecks).

Unauthenticated, cheap, and answered before any other middleware
(``ProbeMiddleware``, first in ``MIDDLEWARE``): a probe from inside the
container uses ``127.0.0.1`` as its host and plain http, which
``ALLOWED_HOSTS`` and the SSL redirect would refuse. They show check names
and ``OK`` or a generic error, nothing else.

- ``/health/live/`` — the process answers (liveness; no backend touched).
- ``/health/ready/`` — the web can serve: the database answers and every
  migration is applied (readiness). Redis is **not** part of it: no page
  needs Redis, so a broker outage must not take the portal off the load
  balancer.
- ``/health/jobs/`` — the periodic jobs flow: the broker answers and the
  heartbeat (a beat-scheduled task run by a worker, every minute) is younger
  than ``HEARTBEAT_STALE_MINUTES``. The worker and beat services check it
  with ``manage.py health_check health-jobs --no-http``.

The checks are django-health-check's (its ``Database``) and three small ones
here; the views are its ``HealthCheckView`` (so its management command runs
them), answered as JSON with 200 or 503.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import logging

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration on disk is applied to the database."""

    timeout = datetime.timedelta(seconds=5)

    def run(self) -> None:
        executor = MigrationExecutor(connections["default"])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations are not applied.")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers a ping within ``CELERY_PUBLISH_TIMEOUT`` × 5."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        from pae_ops.broker import quick_transport_options
        from pae_ops.celery import app

        try:
            with app.connection_for_write(
                transport_options=quick_transport_options(), connect_timeout=1
            ) as connection:
                connection.ensure_connection(max_retries=1, timeout=1)
        except Exception as exc:
            raise ServiceUnavailable(f"The broker does not answer ({type(exc).__name__}).") from exc


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """The heartbeat job ran within ``HEARTBEAT_STALE_MINUTES`` (beat and a worker live)."""

    timeout = datetime.timedelta(seconds=5)

    def run(self) -> None:
        from pae_ops.models import Heartbeat

        last = (
            Heartbeat.objects.filter(name="heartbeat").values_list("last_run_at", flat=True).first()
        )
        if last is None:
            raise ServiceUnavailable("The heartbeat has never run.")
        age = timezone.now() - last
        if age > datetime.timedelta(minutes=settings.HEARTBEAT_STALE_MINUTES):
            raise ServiceUnavailable(f"The heartbeat is {int(age.total_seconds() // 60)} min old.")


class LiveView(HealthCheckView):
    checks = ()


class ReadyView(HealthCheckView):
    checks = ("health_check.checks.Database", "pae_ops.health.MigrationsApplied")


class JobsView(HealthCheckView):
    checks = ("pae_ops.health.Broker", "pae_ops.health.BeatHeartbeat")


PROBES = {"/health/live/": LiveView, "/health/ready/": ReadyView, "/health/jobs/": JobsView}


def _run(check: HealthCheck) -> str:
    """One check in this thread (on this request's database connection)."""
    try:
        if inspect.iscoroutinefunction(check.run):
            async_to_sync(check.run)()
        else:
            check.run()
    except HealthCheckException as exc:
        return str(exc)
    except Exception:
        logger.exception("Health check %r crashed.", check)
        return "unknown error"
    return ""


def probe(view_class: type[HealthCheckView]) -> JsonResponse:
    """Run a probe's checks; 200 when all pass, 503 otherwise."""
    errors = {repr(check): _run(check) for check in view_class().get_checks()}
    body = {name: error or "OK" for name, error in errors.items()}
    failed = any(errors.values())
    response = JsonResponse({"status": "fail" if failed else "ok", "checks": body})
    response.status_code = 503 if failed else 200
    response["Cache-Control"] = "no-store"
    # A failing probe is the orchestrator's business, not a 5xx to report
    # to the admins every ten seconds (django.request skips logged ones).
    response._has_been_logged = True
    return response


class ProbeMiddleware:
    """Answer the probes before host validation, redirects and sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        view_class = PROBES.get(request.path_info)
        if view_class is not None and request.method in ("GET", "HEAD"):
            return probe(view_class)
        return self.get_response(request)
