"""Races on real PostgreSQL connections: one answer per survey link, one
rescue case per client (COM-2, RES-1)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from cases import services
from cases.models import Case, Survey
from clients.models import Client
from tests.cases.factories import SurveyFactory, ensure_default_calendar
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # reported by the caller
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_answers_at_the_same_moment_record_one(settings):
    """RULES: COM-2. A double submit from two tabs: one answer, one refusal."""
    ensure_default_calendar()
    survey = SurveyFactory(
        kind="csat", client=ClientFactory(assigned_agent=UserFactory(agent=True))
    )

    results = _race(
        lambda: services.answer_survey(survey_id=survey.pk, score=1, comment="primera"),
        lambda: services.answer_survey(survey_id=survey.pk, score=5, comment="segunda"),
    )

    refused = [r for r in results if isinstance(r, services.SurveyClosedError)]
    answered = [r for r in results if isinstance(r, Survey)]
    assert (len(answered), len(refused)) == (1, 1), results
    survey.refresh_from_db()
    assert survey.score == answered[0].score
    # A detractor's follow-up case opens at most once.
    assert Case.objects.filter(kind="follow_up").count() == (1 if survey.score == 1 else 0)


def test_two_inactivity_sweeps_at_once_open_one_rescue_case_per_client():
    """RULES: RES-1. Concurrent sweeps (a second beat, a redelivery)."""
    ensure_default_calendar()
    agent = UserFactory(agent=True)
    now = timezone.now()
    Client.objects.bulk_create(
        Client(name=f"Silencioso {i}", email=f"s{i}@example.com", assigned_agent=agent)
        for i in range(60)
    )
    Client.objects.update(last_answered_at=now - timedelta(days=20))

    results = _race(
        lambda: services.sweep_inactivity(now=now, batch_size=10),
        lambda: services.sweep_inactivity(now=now, batch_size=10),
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Case.objects.filter(kind="rescue").count() == 60
    assert sum(r.rescue_cases for r in results) == 60
