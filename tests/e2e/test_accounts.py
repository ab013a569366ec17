"""Browser test of the accounts flow: a partner approver is invited, chooses a
password, enrols a TOTP factor, signs in with a code and approves a refund."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from pae_ops.outbox import relay_outbox
from partners import services as partner_services
from refunds import services as refund_services
from refunds.models import RefundOffer, RefundRequest
from tests.clients.factories import ClientFactory
from tests.e2e.nav import log_out
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerContactFactory, languages
from tests.refunds.factories import paid_purchase

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "Aliada-elige-su-clave-27"


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def code_from_secret(secret: str, *, at: float) -> str:
    """What an authenticator app computes from the key the page shows."""
    key = base64.b32decode(secret.replace(" ", ""))
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time = at
    return f"{totp.token():06d}"


def awaiting_partner(partner) -> RefundRequest:
    """A partial refund of the partner's purchase, approved by the leader already."""
    leader = UserFactory(username="e2e-acc-leader", leader=True)
    agent = UserFactory(username="e2e-acc-agent", agent=True, profile__leader=leader)
    customer = ClientFactory(name="Ximena Ortega", assigned_agent=agent, leader=leader)
    purchase = paid_purchase(
        client=customer, price="4000.00", actor=agent, name="Mentoría E2E", partner=partner
    )
    request = refund_services.open_refund_request(actor=agent, purchase_id=purchase.pk)
    refund_services.diagnose_refund_request(
        actor=agent,
        request_id=request.pk,
        reason=RefundRequest.Reason.EXPECTATIONS,
        notes="Esperaba sesiones grupales.",
    )
    offer = refund_services.offer_resolution(
        actor=agent,
        request_id=request.pk,
        kind=RefundOffer.Kind.RETENTION_INCENTIVE,
        description="Bono exclusivo",
    )
    refund_services.record_offer_answer(actor=agent, offer_id=offer.pk, accepted=False)
    refund_services.propose_refund(
        actor=agent,
        request_id=request.pk,
        proposal=RefundRequest.Proposal.PARTIAL_REFUND,
        amount=Decimal("900.00"),
    )
    refund_services.approve_refund_request(actor=leader, request_id=request.pk)
    return request


def test_a_partner_approver_is_invited_enrols_totp_signs_in_with_a_code_and_approves(
    live_server, page: Page, settings
):
    """RULES: REF-6, ROLE-1. Second factor required as in production."""
    settings.TWO_FACTOR_REQUIRED = True
    languages("es", "en")
    admin = UserFactory(username="e2e-acc-admin", admin=True)
    partner = ActivePartnerFactory(brand_name="Aliado E2E")
    contact = PartnerContactFactory(partner=partner, email="socia@aliado-e2e.test")
    request = awaiting_partner(partner)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The admin creates the login: the invitation email goes out.
    approver = partner_services.create_partner_approver_login(actor=admin, contact_id=contact.pk)
    assert not approver.has_usable_password()
    relay_outbox()  # what the worker does
    invitation = [m for m in mail.outbox if m.to == ["socia@aliado-e2e.test"]]
    assert len(invitation) == 1
    link = re.search(r"https?://[^/\s]+(/account/invitation/\S+/)", invitation[0].body).group(1)

    # The invitation: choose a password (the validators run), then the portal
    # asks for the second factor before anything else.
    page.goto(live_server.url + link)
    page.locator('[name="new_password1"]').fill(PASSWORD)
    page.locator('[name="new_password2"]').fill(PASSWORD)
    shoot(page, "accounts-invitation")
    page.get_by_test_id("invitation-submit").click()
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    assert "/account/two-factor/setup/" in page.url
    # Nothing else opens yet.
    page.goto(f"{live_server.url}/partner/approvals/")
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    shoot(page, "accounts-totp-setup")

    # Enrolment with the key the page shows, as an authenticator app would.
    import time

    secret = page.get_by_test_id("totp-secret").inner_text()
    page.locator('[name="code"]').fill(code_from_secret(secret, at=time.time()))
    page.get_by_test_id("setup-submit").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    shoot(page, "accounts-recovery-codes")
    page.get_by_test_id("recovery-continue").click()
    expect(page).to_have_url(f"{live_server.url}/partner/approvals/")
    log_out(page)

    # Signing in again: password, then a (new) code.
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nombre de usuario").fill(approver.username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("verify-form")).to_be_visible()
    device = TOTPDevice.objects.get(user=approver, confirmed=True)
    # The enrolment's code was spent: use the next time step's (within tolerance).
    next_step = (device.last_t + 1) * device.step + 1
    page.locator('[name="code"]').fill(code_from_secret(secret, at=next_step))
    shoot(page, "accounts-verify")
    page.get_by_test_id("verify-submit").click()
    expect(page).to_have_url(f"{live_server.url}/partner/approvals/")

    # The approval itself.
    item = page.locator(f'[data-testid="queue-item"][data-request="{request.pk}"]')
    expect(item).to_be_visible()
    item.get_by_test_id(f"approve-{request.pk}").click()
    expect(page.get_by_test_id("partner-approvals-empty")).to_be_visible()
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.EXECUTED
    assert request.approvals.filter(approver=approver).exists()
    assert errors == []
