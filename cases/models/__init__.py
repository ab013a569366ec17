"""The cases app's models, one module per concern; import them from here.

- ``taxonomy``: the typing tree, the rescue protocol's steps, response templates;
- ``cases``: the case and its stored clocks;
- ``interactions``: contacts with clients and their typing;
- ``clocks``: SLA settings, escalations, SLA events, digests, response clocks, pauses;
- ``surveys``: CSAT, NPS and CES surveys;
- ``notices``: change notices.

Notes and attachments live in ``cases.notes`` and ``cases.attachments``.
"""

from cases.attachments import CaseAttachment
from cases.models.cases import Case, ended_after
from cases.models.clocks import (
    CasePause,
    Escalation,
    ResponseClock,
    SlaCheck,
    SlaDigest,
    SlaDigestPart,
    SlaEvent,
    SlaSettings,
    response_clock_unsettled,
)
from cases.models.interactions import Interaction
from cases.models.notices import ChangeNotice
from cases.models.surveys import Survey
from cases.models.taxonomy import (
    BilingualNameMixin,
    RescueStep,
    ResponseTemplate,
    TypingCategory,
    TypingReason,
)
from cases.notes import CaseNote

__all__ = [
    "BilingualNameMixin",
    "Case",
    "CaseAttachment",
    "CaseNote",
    "CasePause",
    "ChangeNotice",
    "Escalation",
    "Interaction",
    "RescueStep",
    "ResponseClock",
    "ResponseTemplate",
    "SlaCheck",
    "SlaDigest",
    "SlaDigestPart",
    "SlaEvent",
    "SlaSettings",
    "Survey",
    "TypingCategory",
    "TypingReason",
    "ended_after",
    "response_clock_unsettled",
]
