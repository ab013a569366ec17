"""Who may do what on the refund pages (ROLE-1); the services check again."""

from __future__ import annotations

from pae_ops.roles import Role
from refunds.models import RefundRequest

QUEUE_PAGE_SIZE = 25
# Who works requests (the services check the same set).
WORKERS = (Role.AGENT, Role.LEADER)
# Who opens a request's page: staff read every one, a partner approver only
# those awaiting their partner (selectors.access_refund_request).
VIEWERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.PARTNER_APPROVER)
# Who may approve or reject; services.approver_role decides the rest.
DECIDERS = (Role.LEADER, Role.DIRECTOR, Role.PARTNER_APPROVER)

Status = RefundRequest.Status
