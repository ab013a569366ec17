"""Every act that changes a case, an interaction, a survey or the SLA records.

One function per act (see ``docs/cases.md`` and ``docs/follow-up.md``); the
modules:

- ``lifecycle``: open, assign, escalate, wait on the client, resume,
  resolve (which sends the CSAT survey), reopen, close.
- ``interactions``: log and type interactions.
- ``sla``: the SLA sweep.
- ``surveys``: send surveys, the client's answer, detractor follow-up, the
  weekly feedback review and digest.
- ``rescue``: the client's answers, the rescue protocol, area and outcome.
- ``rescue_sweeps``: the inactivity and rescue escalation sweeps.
- ``notices``: change notices.
- ``outbox``: the client emails (survey links, change notices) through the
  portal's outbox: queueing and rendering.
- ``notes``: internal notes on a case and their ``@mentions``.
- ``attachments``: files attached to a case.
- ``bulk``: bulk work on the board (reassign many cases at once).
"""

from cases.services.attachments import attach_case_file
from cases.services.bulk import MAX_BULK_CASES, reassign_cases
from cases.services.interactions import log_interaction, type_interaction
from cases.services.lifecycle import (
    assign_case,
    close_case,
    escalate_case,
    open_case,
    reopen_case,
    resolve_case,
    resume_case,
    wait_on_client,
)
from cases.services.notes import add_case_note, edit_case_note
from cases.services.notices import (
    cancel_change_notice,
    schedule_change_notice,
    send_due_change_notices,
)
from cases.services.rescue import record_client_answer, set_rescue_area
from cases.services.rescue_sweeps import (
    InactivityReport,
    sweep_inactivity,
    sweep_rescue_escalations,
)
from cases.services.sla import SweepReport, sweep_sla
from cases.services.surveys import (
    SurveyClosedError,
    answer_survey,
    expire_surveys,
    review_survey_answer,
    send_survey,
    send_weekly_feedback_digests,
)

__all__ = [
    "MAX_BULK_CASES",
    "InactivityReport",
    "SurveyClosedError",
    "SweepReport",
    "add_case_note",
    "answer_survey",
    "assign_case",
    "attach_case_file",
    "cancel_change_notice",
    "close_case",
    "edit_case_note",
    "escalate_case",
    "expire_surveys",
    "log_interaction",
    "open_case",
    "reassign_cases",
    "record_client_answer",
    "reopen_case",
    "resolve_case",
    "resume_case",
    "review_survey_answer",
    "schedule_change_notice",
    "send_due_change_notices",
    "send_survey",
    "send_weekly_feedback_digests",
    "set_rescue_area",
    "sweep_inactivity",
    "sweep_rescue_escalations",
    "sweep_sla",
    "type_interaction",
    "wait_on_client",
]
