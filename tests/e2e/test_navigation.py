"""Browser tests of the navigation bar, page widths and accessibility (issue 16).

For every role at 1280×800 and 390×844: the bar is one line on the wide screen
and opens from its toggler on the phone; no page of the role's navigation is
wider than the screen; axe-core (axe-playwright-python, bundled in the wheel:
nothing is fetched) reports no WCAG 2.0/2.1 A or AA violation on any of them.
Then the main flows with the keyboard only: an agent logs and types an
interaction on a case, a leader approves a refund request.

One test per role and viewport visits all of that role's pages (one login);
the data set is small and built with the factories (a transactional test
flushes the database after each test).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from cases.models import Case, Interaction
from refunds.models import RefundApproval, RefundRequest
from tests.cases.factories import (
    CaseFactory,
    InteractionFactory,
    TypingCategoryFactory,
    TypingReasonFactory,
    ensure_default_calendar,
)
from tests.clients.factories import ClientFactory
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.partners.factories import languages
from tests.refunds.factories import refund_request_at

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ("agent", "leader", "director", "admin", "partner_approver")


@dataclass
class World:
    users: dict[str, object]
    case: Case
    refund: RefundRequest


@pytest.fixture
def world() -> World:
    """A team at work: clients with long names (wide tables), a case with an
    untyped interaction, a partial refund waiting for the leader and the
    partner's approver."""
    languages("es", "en")
    ensure_default_calendar()
    access = TypingCategoryFactory(name_es="Acceso a la plataforma", name_en="Platform access")
    TypingReasonFactory(category=access, name_es="No puede iniciar sesión")
    leader = UserFactory(username="nav-leader", leader=True, first_name="Lucía", last_name="Ortega")
    agent = UserFactory(
        username="nav-agent",
        agent=True,
        profile__leader=leader,
        first_name="Alejandro",
        last_name="Villaseñor",
    )
    director = UserFactory(username="nav-director", director=True)
    admin = UserFactory(username="nav-admin", admin=True)
    for n in range(6):
        ClientFactory(
            name=f"Maximiliano Fernández de la Garza {n}",
            email=f"maximiliano.fernandez.garza{n}@empresa-de-ejemplo.com.mx",
            assigned_agent=agent,
            leader=leader,
        )
    customer = ClientFactory(name="Renata Solís", assigned_agent=agent, leader=leader)
    case = CaseFactory(client=customer, subject="No puede entrar a la plataforma")
    InteractionFactory(client=customer, case=case, handled_by=agent, summary="Llamó sin acceso.")
    refund = refund_request_at(
        RefundRequest.Status.AWAITING_APPROVAL, agent=agent, leader=leader, director=director
    )
    approver = refund.cast.approver
    approver.username = "nav-partner"
    approver.save(update_fields=["username"])
    return World(
        users={
            "agent": agent,
            "leader": leader,
            "director": director,
            "admin": admin,
            "partner_approver": approver,
        },
        case=case,
        refund=refund,
    )


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_attached()


def navigation_pages(page: Page, world: World, role: str) -> list[str]:
    """The role's home, every entry of its bar (menus included), the bell, the
    account page; for the roles that read cases, a case, a client, a purchase,
    a refund request and a search."""
    hrefs = page.eval_on_selector_all(
        "#main-nav a[href]:not([href^='/admin'])", "links => links.map(a => a.getAttribute('href'))"
    )
    pages = [urlsplit(page.url).path]
    if role in ("agent", "leader", "director"):
        hrefs += [
            f"/cases/{world.case.pk}/",
            f"/clients/{world.case.client_id}/",
            f"/clients/purchases/{world.refund.purchase_id}/",
            f"/refunds/{world.refund.pk}/",
            "/search/?q=maximiliano",
        ]
    for href in hrefs:
        if href not in pages:
            pages.append(href)
    return pages


def axe_violations(axe: Axe, page: Page) -> list[str]:
    # The page at rest: no htmx request in flight (a lazily loaded timeline), nothing fading.
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [
        f"{violation['id']}: {node['target']} {node.get('failureSummary', '')}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def page_width(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]"))


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_navigation_fits_and_every_page_passes_axe(
    live_server, browser, world: World, role: str, viewport: dict[str, int]
):
    context = browser.new_context(viewport=viewport, locale="es-MX", reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url, world.users[role].username)
    axe = Axe()
    nav = page.locator("nav.navbar")

    if viewport is WIDE:
        # One line: the bar is lower than two of its links, every entry on the same row.
        bar = nav.bounding_box()
        entry = page.locator("#main-nav .nav-link").first.bounding_box()
        assert bar["height"] < 2 * entry["height"], (bar, entry)
        tops = page.eval_on_selector_all(
            "#main-nav > ul > li",
            "items => items.map(li => Math.round(li.getBoundingClientRect().top))",
        )
        assert max(tops) - min(tops) <= 8, tops
        expect(page.get_by_test_id("nav-toggler")).to_be_hidden()
        # The dropdown menus pass axe open too.
        page.get_by_test_id("user-menu").click()
        expect(page.get_by_test_id("logout")).to_be_visible()
        assert axe_violations(axe, page) == []
        page.keyboard.press("Escape")
    else:
        # The phone: a toggler, reached with Tab, opens the bar with Enter.
        menu = page.locator("#main-nav")
        expect(menu).to_be_hidden()
        toggler = page.get_by_test_id("nav-toggler")
        for _ in range(5):
            page.keyboard.press("Tab")
            if toggler.evaluate("el => el === document.activeElement"):
                break
        page.keyboard.press("Enter")
        expect(menu).to_be_visible()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        for link in page.locator("#main-nav > ul > li > .nav-link").all():
            expect(link).to_be_visible()
            assert link.bounding_box()["width"] <= PHONE["width"]
        # A group opens with the keyboard (Enter on its button) and shows its entries.
        groups = page.locator("#main-nav [data-nav-group]")
        if groups.count():
            groups.first.focus()
            page.keyboard.press("Enter")
            expect(page.locator("#main-nav .dropdown-menu.show a[data-nav]").first).to_be_visible()
        assert axe_violations(axe, page) == []
        assert page_width(page)[0] <= PHONE["width"]

    visited = []
    for path in navigation_pages(page, world, role):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (path, response.status)
        scroll_width, inner_width = page_width(page)
        assert scroll_width <= inner_width, (path, scroll_width, inner_width)
        assert axe_violations(axe, page) == [], path
        visited.append(path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"nav-{role}-{viewport['width']}.png"))
    assert len(visited) >= 3, visited
    # No CSP violation or script error on the way.
    assert errors == []
    context.close()


def tab_to(page: Page, selector: str, *, limit: int = 150) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab")


def test_agent_logs_and_types_an_interaction_with_the_keyboard_only(
    live_server, page: Page, world: World
):
    """RULES: TYP-1. On the case page, with Tab, arrow keys, typing and Enter only."""
    agent = world.users["agent"]
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/cases/{world.case.pk}/")
    form = page.get_by_test_id("interaction-form")
    expect(form).to_be_visible()

    tab_to(page, "#id_channel")
    page.keyboard.press("ArrowDown")
    tab_to(page, "[data-testid=interaction-summary]")
    page.keyboard.type("Le expliqué cómo restablecer su contraseña.")
    tab_to(page, "#id_reason")
    page.keyboard.press("ArrowDown")
    tab_to(page, "[data-testid=interaction-submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("case-timeline")).to_contain_text("restablecer su contraseña")
    logged = Interaction.objects.get(summary="Le expliqué cómo restablecer su contraseña.")
    assert logged.case_id == world.case.pk
    assert logged.reason is not None
    assert logged.channel


def test_leader_approves_a_refund_request_with_the_keyboard_only(
    live_server, page: Page, world: World
):
    """RULES: REF-6. From the bar's Approvals entry to the approve button, by keyboard."""
    leader = world.users["leader"]
    log_in(page, live_server.url, leader.username)
    tab_to(page, '[data-nav="refund-approvals"]')
    page.keyboard.press("Enter")
    queue = page.locator('div[data-testid="leader-queue"]')
    expect(queue).to_be_visible()
    tab_to(page, f"#approve-comment-{world.refund.pk}")
    page.keyboard.type("Revisado con el equipo.")
    tab_to(page, f'[data-testid="approve-{world.refund.pk}"]')
    page.keyboard.press("Space")

    expect(queue.get_by_test_id("queue-empty")).to_be_visible()
    approval = RefundApproval.objects.get(request=world.refund, role="leader")
    assert approval.decision == "approved"
    assert approval.comment == "Revisado con el equipo."
