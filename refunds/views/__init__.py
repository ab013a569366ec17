"""Refund pages: a new request (history first), the request's step-by-step
page, the leader's and director's queues, and the partner approver's page.

Views check the role (403) and fetch through ``selectors.access_*`` (404),
then call one service inside ``try/except DomainError``; the rules are the
services'. Rules: ROLE-1, ROLE-2, REF-2, REF-6.
"""

from refunds.views.actions import (
    cancellation_complete,
    offer_answer,
    request_diagnose,
    request_offer,
    request_propose,
    request_withdraw,
    survey_record,
    survey_send,
)
from refunds.views.approvals import (
    director_queue,
    leader_queue,
    partner_approvals,
    request_approve,
    request_reject,
)
from refunds.views.attachments import attachment_add, attachment_download
from refunds.views.page import request_detail, request_new

__all__ = [
    "attachment_add",
    "attachment_download",
    "cancellation_complete",
    "director_queue",
    "leader_queue",
    "offer_answer",
    "partner_approvals",
    "request_approve",
    "request_detail",
    "request_diagnose",
    "request_new",
    "request_offer",
    "request_propose",
    "request_reject",
    "request_withdraw",
    "survey_record",
    "survey_send",
]
