"""Browser tests of the R1 refund process: a duplicated credit and a partial refund."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clients import services as client_services
from clients.models import Client, Purchase
from refunds.models import RefundRequest
from tests.clients.factories import ClientFactory
from tests.e2e.nav import log_out
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory, languages
from tests.refunds.factories import paid_purchase

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


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_request(page: Page, *, what: str) -> RefundRequest:
    """On the new-request page: the history first (REF-2), then the form."""
    expect(page.get_by_test_id("refund-history")).to_be_visible()
    page.locator('[name="kind"]').select_option("refund")
    page.locator('[name="client_request"]').fill(what)
    page.get_by_test_id("open-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_attribute("data-status", "diagnosis")
    return RefundRequest.objects.latest("pk")


def diagnose_and_decline(page: Page, *, offer: str) -> None:
    """Diagnosis (REF-1), then one non-refund offer the client declines (REF-4)."""
    form = page.get_by_test_id("diagnosis-form")
    form.locator('[name="reason"]').select_option("expectations")
    form.locator('[name="notes"]').fill("Esperaba acompañamiento semanal 1:1.")
    page.get_by_test_id("diagnosis-submit").click()
    expect(page.get_by_test_id("diagnosis-reason")).to_be_visible()
    form = page.get_by_test_id("offer-form")
    form.locator('[name="kind"]').select_option(offer)
    form.locator('[name="description"]').fill("Ofrecido por teléfono.")
    page.get_by_test_id("offer-submit").click()
    page.get_by_test_id("answer-declined").click()
    expect(page.locator('[data-answer="declined"]')).to_have_count(1)


def propose(page: Page, *, proposal: str, amount: str, minor: bool = False) -> None:
    form = page.get_by_test_id("proposal-form")
    form.locator(f'input[name="proposal"][value="{proposal}"]').check()
    form.locator('[name="amount"]').fill(amount)
    if minor:
        form.locator('[name="minor_issue"]').check()
    page.get_by_test_id("proposal-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_attribute(
        "data-status", "awaiting_approval"
    )


def approve_from_leader_queue(page: Page, request: RefundRequest) -> None:
    page.get_by_test_id("nav").locator('[data-nav="refund-approvals"]').click()
    item = page.locator(f'[data-testid="queue-item"][data-request="{request.pk}"]')
    expect(item).to_be_visible()
    expect(item.get_by_test_id("queue-history")).to_be_visible()
    item.get_by_test_id(f"approve-{request.pk}").click()


@pytest.fixture
def team():
    """A leader and their agent; the Language rows a transactional test flushed."""
    languages("es", "en")
    leader = UserFactory(username="e2e-ref-leader", leader=True)
    agent = UserFactory(username="e2e-ref-agent", agent=True, profile__leader=leader)
    return agent, leader


def test_duplicated_credit_for_an_a_client_is_approved_from_the_leader_queue(
    live_server, page: Page, team
):
    """RULES: REF-2, REF-1, REF-4, REF-5. An agent opens a request for an A
    client with two paid purchases, diagnoses, offers a service change that
    is declined and proposes a duplicated credit of 800.00; the leader
    approves it from the queue, and the 360 page shows the credit."""
    # given: an A client (a leader's override) with two paid purchases
    agent, leader = team
    target = ClientFactory(name="Valeria Ibarra", assigned_agent=agent, leader=leader)
    client_services.override_segment(
        actor=leader, client_id=target.pk, segment="A", reason="Cliente estratégico"
    )
    first = paid_purchase(client=target, price="2500.00", actor=agent, name="Programa Élite")
    paid_purchase(client=target, price="1200.00", actor=agent, name="Curso Ventas")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The agent opens the request from the client's 360 page.
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/clients/{target.pk}/")
    expect(page.get_by_test_id("credit-balance")).to_contain_text("0.00")
    page.get_by_test_id(f"refund-new-{first.pk}").click()
    expect(page.get_by_test_id("history-paid-purchases")).to_have_text("2")
    expect(page.get_by_test_id("history-total-invested")).to_contain_text("3,700.00")
    shoot(page, "refund-new-request")
    request = open_request(page, what="Un módulo no estuvo disponible a tiempo.")

    # Diagnosis, a declined service change, then the duplicated credit.
    diagnose_and_decline(page, offer="service_change")
    propose(page, proposal="duplicated_credit", amount="800.00", minor=True)
    expect(page.get_by_test_id("next-step")).to_contain_text("Líder")
    shoot(page, "refund-awaiting-leader")
    log_out(page)

    # The leader approves it from the leader queue.
    log_in(page, live_server.url, leader.username)
    approve_from_leader_queue(page, request)
    expect(page.get_by_test_id("leader-queue").get_by_test_id("queue-empty")).to_be_visible()

    # The client's 360 page shows the credit and the executed request.
    page.goto(f"{live_server.url}/clients/{target.pk}/")
    expect(page.get_by_test_id("credit-balance")).to_contain_text("800.00")
    expect(page.locator(f'#refunds [data-request="{request.pk}"] [data-status]')).to_have_attribute(
        "data-status", "executed"
    )
    shoot(page, "refund-credit-on-360")
    assert Client.objects.get(pk=target.pk).credit_balance == Decimal("800.00")
    # No CSP violation or script error on the way.
    assert errors == []


def test_partial_refund_needs_the_leader_and_the_partner_approver(live_server, page: Page, team):
    """RULES: REF-4, REF-6, ROLE-1. An agent proposes a partial refund after a
    declined retention incentive; the leader approves, then the partner's
    approver approves on their own page; the purchase shows the refund."""
    # given: a paid 6,000.00 purchase of a product of the partner
    agent, leader = team
    partner = ActivePartnerFactory(brand_name="Crece E2E")
    approver = PartnerApproverFactory(username="e2e-ref-socio", partner=partner)
    target = ClientFactory(name="Tomás Rivera", assigned_agent=agent, leader=leader)
    purchase = paid_purchase(
        client=target, price="6000.00", actor=agent, name="Escala E2E", partner=partner
    )
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The agent opens the request from the purchase page.
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/clients/purchases/{purchase.pk}/")
    page.get_by_test_id("refund-new").click()
    request = open_request(page, what="Recibió la mitad de las sesiones y quiere el resto.")
    diagnose_and_decline(page, offer="retention")
    propose(page, proposal="partial_refund", amount="1500.00")
    log_out(page)

    # The leader approves: it still waits for the partner.
    log_in(page, live_server.url, leader.username)
    approve_from_leader_queue(page, request)
    page.goto(f"{live_server.url}/refunds/{request.pk}/")
    expect(page.get_by_test_id("request-status")).to_have_attribute(
        "data-status", "awaiting_approval"
    )
    expect(page.get_by_test_id("next-step")).to_contain_text("Socio")
    log_out(page)

    # The partner's approver lands on their page, sees it with the segment, approves.
    log_in(page, live_server.url, approver.username)
    expect(page).to_have_url(f"{live_server.url}/partner/approvals/")
    item = page.locator(f'[data-testid="queue-item"][data-request="{request.pk}"]')
    expect(item.locator("[data-segment]")).to_be_visible()
    shoot(page, "refund-partner-approvals")
    item.get_by_test_id(f"approve-{request.pk}").click()
    expect(page.get_by_test_id("partner-approvals-empty")).to_be_visible()
    # Their navigation offers nothing else (ROLE-1).
    expect(page.get_by_test_id("nav").locator("a")).to_have_count(1)
    log_out(page)

    # The purchase page shows the refunded amount.
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/clients/purchases/{purchase.pk}/")
    expect(page.get_by_test_id("purchase-refunded")).to_contain_text("1,500.00")
    expect(page.locator(f'#refunds [data-request="{request.pk}"] [data-status]')).to_have_attribute(
        "data-status", "executed"
    )
    shoot(page, "refund-partial-on-purchase")
    assert Purchase.objects.get(pk=purchase.pk).refunded_amount == Decimal("1500.00")
    assert errors == []
