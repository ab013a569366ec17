"""Browser tests of the Políticas page and of what the portal writes where
people read it: no rule IDs on any page of any role's navigation, the policy
link of a refund request reaching its paragraph with the values in force,
and date inputs drawn in the UI's language (not Chromium's)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from refunds.models import RefundRequest
from tests.cases.factories import CaseFactory, ensure_default_calendar
from tests.clients.factories import ClientFactory
from tests.e2e.nav import log_out, open_user_menu
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.partners.factories import languages
from tests.policies.visible_text import RULE_ID
from tests.refunds.factories import RefundRequestFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

DEMO_LOGINS = ("agente", "lider", "directora", "admin", "socio")


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_no_page_of_any_roles_navigation_shows_a_rule_id(live_server, page: Page):
    """RULES: ROLE-1. Every page each demo role's navigation offers (and the
    Políticas page), over the demo data set built with the factories."""
    # given the demo data set (on the rows a transactional test flushed: the
    # default calendar and the partners' languages come from migrations)
    languages("es", "en")
    ensure_default_calendar()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    found: dict[str, list[str]] = {}
    for username in DEMO_LOGINS:
        log_in(page, live_server.url, username)
        links = page.locator("#main-nav a[href^='/']")
        urls = sorted(
            {
                href
                for href in (link.get_attribute("href") for link in links.all())
                if href and not href.startswith("/admin/")
            }
        )
        assert urls, username
        if username != "socio":
            assert "/politicas/" in urls
        # when each page renders in the browser
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            # then its visible text has no rule ID
            hits = RULE_ID.findall(page.locator("body").inner_text())
            if hits:
                found[f"{username} {url}"] = hits
        log_out(page)
    assert found == {}


def test_a_refund_requests_policy_link_reaches_the_paragraph_with_the_values_in_force(
    live_server, page: Page, settings
):
    """RULES: REF-3, ROLE-1. The frequent-refund badge links to its policy;
    the paragraph says the count an admin set, not the default."""
    # given a deployment that flags a pattern from 3 earlier requests
    settings.REFUND_FREQUENT_COUNT = 3
    ensure_default_calendar()
    leader = UserFactory(username="e2e-policies-leader", leader=True)
    refund = RefundRequestFactory(escalated=True)
    # when the leader opens the request and follows the badge's link
    log_in(page, live_server.url, leader.username)
    page.goto(f"{live_server.url}/refunds/{refund.pk}/")
    badge = page.get_by_test_id("flag-frequent")
    expect(badge).to_contain_text("Patrón de reembolsos frecuentes")
    assert not RULE_ID.search(page.locator("body").inner_text())
    badge.get_by_role("link").click()
    # then the Políticas page opens at that paragraph, with the value in force
    expect(page).to_have_url(re.compile(r"/politicas/#frequent-refunds$"))
    paragraph = page.locator("#frequent-refunds")
    expect(paragraph).to_be_in_viewport()
    expect(paragraph).to_contain_text("3 o más solicitudes de reembolso anteriores")
    expect(paragraph).to_contain_text("365 días")
    assert RefundRequest.objects.get(pk=refund.pk).frequent_refund


def test_date_and_time_inputs_follow_the_ui_language(live_server, page: Page):
    """The interaction form's "When" shows and takes dd/mm/aaaa hh:mm in
    Spanish, mm/dd/yyyy hh:mm in English; a bad value gets a message that says
    the format. Chromium would draw a native input in its own locale."""
    # given an agent with a case
    languages("es", "en")
    ensure_default_calendar()
    agent = UserFactory(username="e2e-policies-agent", agent=True)
    case = CaseFactory(client=ClientFactory(assigned_agent=agent))
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.get_by_test_id("interaction-form")
    when = form.locator("#id_occurred_at")
    # then the field is text with the Spanish format as its placeholder
    expect(when).to_have_attribute("type", "text")
    expect(when).to_have_attribute("placeholder", "dd/mm/aaaa hh:mm")
    # when the agent types a date that is no date
    when.fill("31/31/2026 10:00")
    form.get_by_test_id("interaction-summary").fill("Llamada de seguimiento.")
    form.get_by_test_id("interaction-submit").click()
    # then the message says how to write it
    expect(page.get_by_test_id("interaction-form")).to_contain_text(
        "Escriba la fecha y la hora como dd/mm/aaaa hh:mm."
    )
    # and in English the same field says the English format
    open_user_menu(page)
    page.locator("#main-nav").get_by_test_id("language-en").click()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("#id_occurred_at")).to_have_attribute("placeholder", "mm/dd/yyyy hh:mm")
