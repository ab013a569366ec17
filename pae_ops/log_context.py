"""Request and task ids in every log line.

``RequestIdMiddleware`` gives each request an id (the proxy's
``X-Request-ID`` when it is a plain token, else a new one), answers it in
``X-Request-ID`` and keeps it in a context variable; ``ContextFilter`` adds
``request_id`` and ``task_id`` (the running Celery task's) to each record,
which the log format prints. A 500's log line, its admins' email and the
proxy's access log can then be matched.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _TOKEN.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover
        return ""
    task = current_task
    request = getattr(task, "request", None) if task else None
    return (getattr(request, "id", None) or "") if request else ""


class ContextFilter(logging.Filter):
    """Add ``request_id`` and ``task_id`` (``-`` when none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or _request_id.get() or "-"
        record.task_id = getattr(record, "task_id", None) or _task_id() or "-"
        return True
