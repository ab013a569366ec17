"""The one email outbox (DESIGN: side effects are rows first).

Every email the portal sends (staff notifications, survey links, change
notices, password resets, invitations) is written with :func:`queue_email`
in the transaction of the act it belongs to and sent by the relay
(:func:`relay_outbox`, ``pae_ops.tasks.relay_outbox_task``: nudged after
commit, and every minute by beat). The app that owns a kind registers its
renderer with :func:`register_renderer` in its ``AppConfig.ready``; the
renderer runs at send time, so secrets are derived then and never stored.

How a killed relay neither re-sends nor loses an email: ``relay``'s
docstring and docs/operations.md.
"""

from pae_ops.outbox.maintenance import (
    OutboxStatus,
    confirm_emails_sent,
    outbox_status,
    purge_sent_emails,
    requeue_emails,
)
from pae_ops.outbox.queue import (
    Email,
    Priority,
    nudge_relay,
    queue_email,
    queue_emails,
    queue_notification_emails,
)
from pae_ops.outbox.relay import RelayReport, reconcile_outbox, relay_outbox
from pae_ops.outbox.renderers import SkipEmail, register_renderer

__all__ = [
    "Email",
    "OutboxStatus",
    "Priority",
    "RelayReport",
    "SkipEmail",
    "confirm_emails_sent",
    "nudge_relay",
    "outbox_status",
    "purge_sent_emails",
    "queue_email",
    "queue_emails",
    "queue_notification_emails",
    "reconcile_outbox",
    "register_renderer",
    "relay_outbox",
    "requeue_emails",
]
