"""Browser tests of the case pages: an agent works a WhatsApp contact from the
client page to its resolution; a leader reassigns a breached case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case, Interaction
from tests.cases.factories import (
    CaseFactory,
    ResponseTemplateFactory,
    TypingCategoryFactory,
    TypingReasonFactory,
    ensure_default_calendar,
)
from tests.clients.factories import ClientFactory
from tests.e2e.nav import go_to
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.partners.factories import languages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_agent_logs_types_answers_with_a_template_and_resolves(live_server, page: Page):
    """RULES: TYP-1, TYP-2, COM-6, SLA-1, SLA-2. From the client page: an
    inbound WhatsApp typed in the same form opens a case; on the case page the
    agent answers with a response template (typed too) and resolves it."""
    # given: the rows a transactional test flushed, an agent and their client
    languages("es", "en")
    ensure_default_calendar()
    access = TypingCategoryFactory(name_es="Acceso a la plataforma", name_en="Platform access")
    login = TypingReasonFactory(category=access, name_es="No puede iniciar sesión")
    reset = TypingReasonFactory(category=access, name_es="Restablecer contraseña")
    template = ResponseTemplateFactory(
        name_es="Agradecer y ofrecer ayuda",
        body_es="Gracias por compartir esto, estoy aquí para ayudarte.",
    )
    agent = UserFactory(username="e2e-cases-agent", agent=True)
    customer = ClientFactory(name="Renata Solís", assigned_agent=agent)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The agent opens the client page; the timeline and its form load (htmx).
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/clients/{customer.pk}/")
    form = page.get_by_test_id("interaction-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("client-open-cases")).to_contain_text("No hay casos abiertos")

    # Logs the inbound WhatsApp and types it in the same form.
    form.locator("#id_direction_0").check()
    form.locator("#id_channel").select_option("whatsapp")
    form.get_by_test_id("interaction-summary").fill("No puedo entrar a la plataforma desde ayer.")
    form.locator("#id_reason").select_option(str(login.pk))
    form.get_by_test_id("interaction-submit").click()

    # A case opened; the browser is on its page.
    expect(page.get_by_test_id("case-subject")).to_contain_text(
        "No puedo entrar a la plataforma desde ayer."
    )
    expect(page.get_by_test_id("case-status")).to_contain_text("Nuevo")
    case = Case.objects.get()
    expect(page.locator('[data-clock="first_response"]')).to_have_attribute("data-state", "running")

    # Answers with the template (htmx puts its text in the summary) and types it.
    form = page.get_by_test_id("interaction-form")
    expect(form.locator("#id_direction_1")).to_be_checked()  # outbound by default
    form.locator("#id_channel").select_option("whatsapp")
    form.get_by_test_id("template-picker").select_option(f"{template.pk}:es")
    expect(form.get_by_test_id("interaction-summary")).to_have_value(
        "Gracias por compartir esto, estoy aquí para ayudarte."
    )
    form.locator("#id_reason").select_option(str(reset.pk))
    form.get_by_test_id("interaction-submit").click()
    expect(page.get_by_test_id("case-timeline").locator("li")).to_have_count(2)
    expect(page.locator('[data-clock="first_response"]')).to_have_attribute("data-state", "met")
    expect(page.get_by_test_id("case-status")).to_contain_text("En curso")

    # Resolves the case.
    page.get_by_test_id("case-resolve").click()
    expect(page.get_by_test_id("case-status")).to_contain_text("Resuelto")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "case-page.png"), full_page=True)

    # Back on the client page, the timeline lists both interactions. The form's "saving"
    # indicator never shows while the timeline loads (only while the form's own request
    # runs): every frame's opacity is sampled from the first paint on.
    page.add_init_script(
        """
        window.indicatorOpacity = 0;
        const sample = () => {
          for (const el of document.querySelectorAll('.htmx-indicator')) {
            const opacity = parseFloat(getComputedStyle(el).opacity);
            window.indicatorOpacity = Math.max(window.indicatorOpacity, opacity);
          }
          requestAnimationFrame(sample);
        };
        requestAnimationFrame(sample);
        """
    )
    page.get_by_role("navigation", name="Ruta de navegación").get_by_role(
        "link", name="Renata Solís"
    ).click()
    timeline = page.get_by_test_id("client-timeline")
    expect(timeline.locator("li[data-interaction]")).to_have_count(2)
    expect(page.get_by_test_id("client-open-cases")).to_contain_text("No hay casos abiertos")
    page.wait_for_timeout(400)  # longer than the indicator's fade
    expect(timeline.locator(".htmx-indicator")).to_have_css("opacity", "0")
    assert page.evaluate("window.indicatorOpacity") == 0
    page.screenshot(path=str(SCREENSHOTS / "client-timeline.png"), full_page=True)

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert case.first_responded_at is not None
    inbound, outbound = case.interactions.order_by("pk")
    assert (inbound.channel, inbound.direction, inbound.reason) == ("whatsapp", "inbound", login)
    assert (outbound.direction, outbound.reason, outbound.template) == ("outbound", reset, template)
    assert not Interaction.objects.filter(reason__isnull=True).exists()
    # No CSP violation or script error on the way.
    assert errors == []


def test_leader_sees_a_breached_case_first_and_reassigns_it(live_server, page: Page):
    """RULES: SLA-2, SLA-4, ROLE-1. The board puts the breached case first;
    the leader gives it to another agent of the team."""
    languages("es")
    ensure_default_calendar()
    leader = UserFactory(username="e2e-board-leader", leader=True)
    agent = UserFactory(
        username="e2e-board-agent",
        first_name="Carla",
        last_name="Ríos",
        agent=True,
        profile__leader=leader,
    )
    other = UserFactory(
        username="e2e-board-other",
        first_name="Óscar",
        last_name="Luna",
        agent=True,
        profile__leader=leader,
    )
    now = timezone.now()
    CaseFactory(
        client=ClientFactory(assigned_agent=agent),
        assignee=agent,
        subject="Reciente",
        opened_at=now - timedelta(hours=1),
    )
    breached = CaseFactory(
        client=ClientFactory(assigned_agent=agent),
        assignee=agent,
        subject="Vencido hace días",
        opened_at=now - timedelta(days=20),
    )
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    log_in(page, live_server.url, leader.username)
    go_to(page, "board")
    rows = page.get_by_test_id("board").locator("tbody tr")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_have_attribute("data-case", str(breached.pk))
    expect(first.locator("[data-sla]")).to_have_attribute("data-sla", "breached")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "team-board.png"), full_page=True)

    first.locator("select[name=assignee]").select_option(str(other.pk))
    first.get_by_role("button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(rows.first.locator("select[name=assignee]")).to_have_value(str(other.pk))
    breached.refresh_from_db()
    assert breached.assignee == other
    assert errors == []
