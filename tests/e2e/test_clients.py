"""Browser test of the client pages: search, the 360 page and a payment plan."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clients.models import PaymentPlan
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
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


def test_agent_finds_a_client_and_puts_a_purchase_on_a_surcharge_plan(live_server, page: Page):
    """RULES: PAY-1, PAY-3, COM-5. An agent searches, opens the 360 page,
    previews and confirms a 3-installment surcharge plan on 6,000.00, and a
    5,000.00 purchase is refused."""
    # given: the Language rows a transactional test flushed, a client with
    # two purchases, and another client the search must leave out
    languages("es", "en")
    agent = UserFactory(username="e2e-clients-agent", agent=True)
    target = ClientFactory(
        name="Valentina Quiroga",
        assigned_agent=agent,
        languages=["es", "en"],
        accessibility_needs="Subtítulos en las sesiones (ADA)",
    )
    ClientFactory(name="Rodrigo Paz", assigned_agent=agent)
    eligible = PurchaseFactory(
        client=target,
        product=ProductFactory(name="Programa Élite", list_price=Decimal("6000.00")),
        price=Decimal("6000.00"),
    )
    PurchaseFactory(
        client=target,
        product=ProductFactory(name="Curso Base", list_price=Decimal("5000.00")),
        price=Decimal("5000.00"),
    )
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The agent finds the client through the list's search.
    log_in(page, live_server.url, agent.username)
    page.get_by_test_id("nav").locator('[data-nav="clients"]').click()
    page.get_by_label("Buscar").fill("quiroga")
    page.get_by_test_id("client-filter-submit").click()
    rows = page.get_by_test_id("clients").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Valentina Quiroga").click()

    # The 360 page: name, segment, languages and accessibility (COM-5).
    expect(page.get_by_test_id("client-name")).to_have_text("Valentina Quiroga")
    expect(page.get_by_test_id("segment-in-force")).to_be_visible()
    expect(page.get_by_test_id("client-accessibility")).to_contain_text("Subtítulos")
    expect(page.get_by_test_id("client-languages")).to_contain_text("Inglés")

    # Previews a surcharge plan of 3 installments on the 6,000.00 purchase.
    page.get_by_role("link", name="Programa Élite").click()
    page.get_by_role("radio", name="Recargo (12 %, 2 o 3 cuotas)").check()
    page.get_by_label("Cuotas", exact=True).select_option("3")
    with page.expect_response(lambda response: response.request.method == "POST") as preview:
        page.get_by_test_id("plan-preview").click()
    # htmx ran under the CSP and fetched only the panel.
    assert preview.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_test_id("plan-schedule-row")).to_have_count(3)
    expect(page.get_by_test_id("plan-total")).to_have_text("6,720.00")
    expect(page.get_by_test_id("plan-surcharge")).to_contain_text(
        "Recargo 12 %: 720.00 USD; total 6,720.00 USD"
    )
    assert not PaymentPlan.objects.exists()

    # Confirms, and the purchase shows its plan.
    page.get_by_test_id("plan-confirm").click()
    expect(page.get_by_test_id("plan-installments").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("plan-summary")).to_contain_text("6,720.00")
    plan = PaymentPlan.objects.get(purchase=eligible)
    assert (plan.installment_count, plan.total) == (3, Decimal("6720.00"))

    # Back on the 360 page, the purchase shows its plan; keep a screenshot.
    page.get_by_role("navigation", name="Ruta de navegación").get_by_role(
        "link", name="Valentina Quiroga"
    ).click()
    expect(page.locator(f'[data-purchase="{eligible.pk}"] [data-state]')).to_have_count(3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "client-360.png"), full_page=True)

    # The same form refuses the 5,000.00 purchase (PAY-1).
    page.get_by_role("link", name="Curso Base").click()
    page.get_by_test_id("plan-preview").click()
    expect(page.get_by_test_id("plan-errors")).to_contain_text(
        "Solo se ofrece un plan de pagos para compras de más de 5,000.00 USD"
    )
    expect(page.get_by_test_id("plan-schedule-row")).to_have_count(0)
    assert PaymentPlan.objects.count() == 1

    # No CSP violation or script error on the way.
    assert errors == []
