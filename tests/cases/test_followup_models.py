"""Constraints of the follow-up models (the last defence) and their thin tasks."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from cases import tasks
from cases.models import Survey
from tests.cases.factories import CaseFactory, ChangeNoticeFactory, SurveyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "csat", "status": "answered", "score": 6},
        {"kind": "ces", "status": "answered", "score": 0},
        {"kind": "nps", "status": "answered", "score": None},
        {"kind": "nps", "status": "sent", "score": 7},
    ],
)
def test_a_survey_row_keeps_its_scale_and_status(values):
    """RULES: COM-2"""
    survey = SurveyFactory(kind=values["kind"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(answered_at=survey.sent_at, **values)


def test_one_csat_per_case():
    """RULES: COM-2"""
    case = CaseFactory()
    SurveyFactory(client=case.client, case=case, kind="csat")
    SurveyFactory(client=case.client, case=case, kind="nps")
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyFactory(client=case.client, case=case, kind="csat")


def test_an_emergency_notice_row_needs_its_reason():
    """RULES: COM-4"""
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeNoticeFactory(emergency=True, emergency_reason="")


def test_the_follow_up_tasks_call_their_services():
    """The tasks are thin: each returns what its service did (nothing to do here)."""
    assert tasks.sweep_inactivity_task() == {"warnings": 0, "rescue_cases": 0}
    assert tasks.sweep_rescue_escalations_task() == 0
    assert tasks.send_due_change_notices_task() == 0
    assert tasks.sweep_expired_surveys_task() == 0
    assert tasks.send_weekly_feedback_digest_task() == 0
