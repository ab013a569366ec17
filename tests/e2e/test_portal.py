"""Browser tests: Playwright driving Debian's Chromium (headless)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pae_ops.navigation import NAV_ITEMS
from pae_ops.roles import Role
from tests.e2e.nav import log_out, open_user_menu
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_sees_its_navigation_switches_language_and_logs_out(
    live_server, page: Page, role: Role
):
    user = UserFactory(username=f"e2e-{TRAITS[role]}", **{TRAITS[role]: True})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # Logs in and lands on the role's home with the role's navigation.
    log_in(page, live_server.url, user.username)
    expected = [str(item.key) for item in NAV_ITEMS if role in item.roles]
    nav = page.get_by_test_id("nav").locator("a")
    expect(nav).to_have_count(len(expected))
    assert [link.get_attribute("data-nav") for link in nav.all()] == expected
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # Switches the language to English, and the choice sticks.
    open_user_menu(page)
    page.locator("#main-nav").get_by_test_id("language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    expect(page.get_by_test_id("language-en")).to_have_attribute("aria-current", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"home-{TRAITS[role]}.png"), full_page=True)
    user.profile.refresh_from_db()
    assert user.profile.language == "en"

    # Logs out, back on the login page.
    log_out(page)
    expect(page).to_have_url(f"{live_server.url}/login/")
    # No CSP violation or script error on the way.
    assert errors == []
