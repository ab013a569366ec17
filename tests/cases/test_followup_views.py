"""Follow-up actions from the team's pages: send a survey, a rescue case's
area, quick survey and outcome (COM-2, RES-2, RES-3, ROLE-1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, Survey
from tests.cases.factories import CaseFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


def test_an_agent_sends_an_nps_from_the_client_page(client, team):
    """RULES: COM-2"""
    customer = ClientFactory(assigned_agent=team["agent"])
    client.force_login(team["agent"])
    timeline = client.get(reverse("cases:client-timeline", args=[customer.pk]))
    assert 'data-testid="send-survey-form"' in timeline.content.decode()

    response = client.post(reverse("cases:survey-send", args=[customer.pk]), {"kind": "nps"})

    assert response.status_code == 302
    assert Survey.objects.get(client=customer).kind == "nps"
    timeline = client.get(reverse("cases:client-timeline", args=[customer.pk])).content.decode()
    assert f'data-survey="{Survey.objects.get().pk}"' in timeline


@pytest.mark.parametrize("role", ["director", "partner_approver"])
def test_only_agents_and_leaders_send_surveys(client, role):
    """RULES: ROLE-1"""
    customer = ClientFactory()
    client.force_login(UserFactory(**{role: True}))
    response = client.post(reverse("cases:survey-send", args=[customer.pk]), {"kind": "nps"})
    assert response.status_code == 403
    assert not Survey.objects.exists()


def test_the_rescue_case_page_sets_the_area_sends_the_quick_survey_and_ends_it(client, team):
    """RULES: RES-2, RES-3, COM-2"""
    customer = ClientFactory(assigned_agent=team["agent"])
    case = CaseFactory(client=customer, assignee=team["agent"], kind=Case.Kind.RESCUE)
    client.force_login(team["agent"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="rescue-panel"' in page
    assert 'data-testid="resolve-rescue-outcome"' in page

    client.post(reverse("cases:rescue-area", args=[case.pk]), {"area": "sales"})
    client.post(
        reverse("cases:survey-send", args=[customer.pk]),
        {"kind": "ces", "case": case.pk, "next": case.get_absolute_url()},
    )
    client.post(reverse("cases:case-resolve", args=[case.pk]), {"rescue_outcome": "retained"})

    case.refresh_from_db()
    assert (case.rescue_area, case.status, case.rescue_outcome) == ("sales", "resolved", "retained")
    assert set(Survey.objects.filter(client=customer).values_list("kind", flat=True)) == {
        "ces",
        "csat",
    }
    assert case.interactions.get().channel == "email"


def test_resolving_a_rescue_case_without_an_outcome_says_why(client, team):
    """RULES: RES-2"""
    case = CaseFactory(
        client=ClientFactory(assigned_agent=team["agent"]),
        assignee=team["agent"],
        kind=Case.Kind.RESCUE,
    )
    client.force_login(team["agent"])
    response = client.post(reverse("cases:case-resolve", args=[case.pk]), follow=True)
    assert "Indique si el cliente se retuvo o se perdió" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_another_agent_cannot_change_the_area(client, team):
    """RULES: ROLE-1"""
    case = CaseFactory(
        client=ClientFactory(assigned_agent=team["agent"]),
        assignee=team["agent"],
        kind=Case.Kind.RESCUE,
    )
    client.force_login(team["other"])
    response = client.post(reverse("cases:rescue-area", args=[case.pk]), {"area": "sales"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.rescue_area == ""
