"""The renderers of the outbox: one per kind, registered by the app that owns it.

A renderer turns a claimed row into its subject and plain-text body when the
email is sent, in the row's language (the relay activates it). It may read
``row.context`` and the database, and derive secrets (a survey's signed link,
a password-reset link) that are never stored. It raises :class:`SkipEmail`
when the email should no longer go out (the survey was answered, the notice
cancelled). ``prepare`` (optional) receives the batch's rows of that kind
first, to load what they need in a few queries instead of one per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from pae_ops.models import OutboxEmail

Renderer = Callable[[OutboxEmail], tuple[str, str]]
Preparer = Callable[[list[OutboxEmail]], None]


class SkipEmail(Exception):  # noqa: N818 (an outcome, not an error)
    """Raised by a renderer: this email must not be sent; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = str(reason)


@dataclass(frozen=True)
class _Kind:
    render: Renderer
    prepare: Preparer | None = None


_KINDS: dict[str, _Kind] = {}


def register_renderer(kind: str, render: Renderer, *, prepare: Preparer | None = None) -> None:
    """Make ``render`` the renderer of ``kind`` (call it from ``AppConfig.ready``).

    Registering the same function again is harmless; a second, different
    renderer for a kind is a programming error.
    """
    existing = _KINDS.get(kind)
    if existing is not None and existing.render is not render:
        raise ValueError(f"The outbox kind {kind!r} already has a renderer.")
    _KINDS[kind] = _Kind(render=render, prepare=prepare)


def renderer_for(kind: str) -> _Kind | None:
    return _KINDS.get(kind)


def is_registered(kind: str) -> bool:
    return kind in _KINDS


# The staff notification's email -------------------------------------------


def prepare_notifications(rows: list[OutboxEmail]) -> None:
    """Load the batch's notifications in one query."""
    from pae_ops.models import Notification

    ids = [row.notification_id for row in rows if row.notification_id]
    by_id = Notification.objects.in_bulk(ids)
    for row in rows:
        row._notification = by_id.get(row.notification_id)


def render_notification(row: OutboxEmail) -> tuple[str, str]:
    """A notification's title and body (written in the recipient's language)."""
    notification = getattr(row, "_notification", None) or row.notification
    if notification is None:
        raise SkipEmail("The notification no longer exists.")
    parts = [notification.body] if notification.body else []
    if notification.url:
        base = settings.PORTAL_BASE_URL.rstrip("/")
        parts.append(f"{base}{notification.url}")
    return notification.title, "\n\n".join(parts) or notification.title
