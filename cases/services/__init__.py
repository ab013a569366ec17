"""Every act that changes a case, an interaction or the SLA records.

One function per act (see ``docs/cases.md``); the modules:

- ``lifecycle``: open, assign, escalate, wait on the client, resume,
  resolve, reopen, close.
- ``interactions``: log and type interactions.
- ``sla``: the SLA sweep.
"""

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
from cases.services.sla import SweepReport, sweep_sla

__all__ = [
    "SweepReport",
    "assign_case",
    "close_case",
    "escalate_case",
    "log_interaction",
    "open_case",
    "reopen_case",
    "resolve_case",
    "resume_case",
    "sweep_sla",
    "type_interaction",
    "wait_on_client",
]
