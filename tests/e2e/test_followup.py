"""Browser tests of the follow-up: a client answers the CSAT survey from the
email on a phone; a leader reviews the week's answers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cases import services
from cases.models import Case, Survey
from pae_ops.outbox import relay_outbox
from tests.cases.factories import CaseFactory, SurveyFactory, ensure_default_calendar
from tests.clients.factories import ClientFactory
from tests.e2e.nav import go_to
from tests.e2e.test_cases import log_in
from tests.factories import UserFactory
from tests.partners.factories import languages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE = {"width": 375, "height": 740}


def test_client_answers_two_stars_on_a_phone_and_the_agent_gets_a_follow_up(
    live_server, browser: Browser, page: Page, settings
):
    """RULES: COM-2, RES-7. The CSAT email's link opens with no login on a
    narrow screen; the stars work with the keyboard; 2 stars and a comment
    open a follow-up case that the agent finds on their home."""
    # given: a resolved case, its CSAT email relayed with links to this server
    settings.PORTAL_BASE_URL = live_server.url
    languages("es", "en")
    ensure_default_calendar()
    agent = UserFactory(username="e2e-survey-agent", agent=True)
    customer = ClientFactory(name="Lorena Vidal", assigned_agent=agent)
    case = CaseFactory(
        client=customer, assignee=agent, opened_at=timezone.now() - timedelta(hours=2)
    )
    services.resolve_case(actor=agent, case_id=case.pk)
    relay_outbox()
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/s/\S+/", message.body).group(0)

    # when: the client opens the link on a phone, with no session
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    errors: list[str] = []
    client_page = phone.new_page()
    client_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = client_page.goto(link)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(client_page.get_by_role("heading", name="Hola, Lorena Vidal")).to_be_visible()
    group = client_page.get_by_role(
        "group", name="¿Qué tan satisfecho estás con la ayuda que recibiste?"
    )
    expect(group).to_be_visible()
    # The stars are radio buttons: the keyboard moves between them.
    client_page.get_by_label("0 de 5 estrellas").focus()
    client_page.keyboard.press("ArrowRight")
    client_page.keyboard.press("ArrowRight")
    expect(client_page.get_by_label("2 de 5 estrellas")).to_be_checked()
    # Nothing overflows the narrow screen.
    width = client_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    client_page.get_by_label("¿Algo que quieras contarnos? (opcional)").fill(
        "Tardaron tres días en contestarme."
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    client_page.screenshot(path=str(SCREENSHOTS / "survey-phone.png"), full_page=True)
    client_page.get_by_test_id("survey-submit").click()

    # then: thanks, with no CSP violation or script error; the link is used
    expect(client_page.get_by_test_id("survey-thanks")).to_be_visible()
    assert errors == []
    again = client_page.goto(link)
    assert again.status == 410
    expect(client_page.get_by_test_id("survey-closed")).to_contain_text("Ya tenemos tu respuesta")
    phone.close()

    survey = Survey.objects.get(case=case)
    assert (survey.score, survey.comment) == (2, "Tardaron tres días en contestarme.")
    follow_up = Case.objects.get(kind=Case.Kind.FOLLOW_UP)
    assert follow_up.assignee == agent

    # and: the agent finds the follow-up case on their home
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/my-work/")
    row = page.get_by_test_id("my-cases").locator(f'[data-case="{follow_up.pk}"]')
    expect(row).to_contain_text("Seguimiento de detractor: CSAT 2 de 5")
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("origin-survey")).to_contain_text("Tardaron tres días")


def test_leader_marks_an_answer_reviewed_on_the_weekly_review_page(live_server, page: Page):
    """RULES: COM-3. Detractors first; a note marks the answer reviewed."""
    languages("es")
    ensure_default_calendar()
    leader = UserFactory(username="e2e-review-leader", leader=True)
    agent = UserFactory(username="e2e-review-agent", agent=True, profile__leader=leader)
    now = timezone.now()
    happy = SurveyFactory(
        client=ClientFactory(name="Cliente Contento", assigned_agent=agent),
        agent=agent,
        kind="csat",
        status=Survey.Status.ANSWERED,
        score=5,
        sent_at=now - timedelta(days=1),
        answered_at=now - timedelta(hours=5),
    )
    unhappy = SurveyFactory(
        client=ClientFactory(name="Cliente Molesto", assigned_agent=agent),
        agent=agent,
        kind="nps",
        status=Survey.Status.ANSWERED,
        score=4,
        comment="No volvería a comprar.",
        sent_at=now - timedelta(days=1),
        answered_at=now - timedelta(hours=2),
    )

    log_in(page, live_server.url, leader.username)
    go_to(page, "feedback")
    answers = page.get_by_test_id("feedback-answers").locator("li[data-survey]")
    expect(answers).to_have_count(2)
    expect(answers.first).to_contain_text("Cliente Molesto")
    expect(answers.first).to_contain_text("Detractor")

    first = answers.first
    first.get_by_label("Nota de seguimiento").fill("Llamé; agendamos una sesión 1:1.")
    first.get_by_test_id("review-submit").click()

    expect(page.locator(".alert-success")).to_contain_text("La respuesta quedó revisada.")
    reviewed = page.locator(f'li[data-survey="{unhappy.pk}"]')
    expect(reviewed.get_by_test_id("reviewed-badge")).to_be_visible()
    expect(reviewed).to_contain_text("Llamé; agendamos una sesión 1:1.")
    # Not reviewed first: the other answer moves up.
    expect(answers.first).to_have_attribute("data-survey", str(happy.pk))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feedback-review.png"), full_page=True)
    unhappy.refresh_from_db()
    assert (unhappy.reviewed_by, unhappy.review_note) == (
        leader,
        "Llamé; agendamos una sesión 1:1.",
    )
