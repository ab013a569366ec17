"""Case pages, one module per concern; ``cases.urls`` imports them from here.

- ``home``: the agent's home;
- ``board``: the leader's board and its bulk reassign;
- ``case``: the case page and what is done on it;
- ``interactions``: logging and typing interactions, templates, the client's timeline;
- ``common``: roles, page sizes and helpers they share.

Views parse, call one selector or service, and render or redirect; the rules
are the services' (ROLE-1 is checked here first, and again in the service).
Notes and attachments, follow-up, surveys and search have their own modules
(``cases.timeline_views``, ``cases.followup_views``, ``cases.survey_views``,
``cases.search_views``).
"""

from cases.views.board import board, board_reassign
from cases.views.case import (
    case_assign,
    case_close,
    case_detail,
    case_escalate,
    case_open,
    case_reopen,
    case_resolve,
    case_resume,
    case_wait,
)
from cases.views.common import READERS, WORKERS, attach_hours_left, safe_next
from cases.views.home import my_work
from cases.views.interactions import (
    client_timeline,
    interaction_log,
    interaction_type,
    template_body,
)

__all__ = [
    "READERS",
    "WORKERS",
    "attach_hours_left",
    "board",
    "board_reassign",
    "case_assign",
    "case_close",
    "case_detail",
    "case_escalate",
    "case_open",
    "case_reopen",
    "case_resolve",
    "case_resume",
    "case_wait",
    "client_timeline",
    "interaction_log",
    "interaction_type",
    "my_work",
    "safe_next",
    "template_body",
]
