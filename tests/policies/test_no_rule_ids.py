"""No rule ID on the pages people read; the Políticas page and its links.

RULES.md's IDs stay in code, tests and docs: the portal shows the policy's
name instead, linking to its paragraph on the Políticas page (pae_ops.policies).
This module renders each role's pages with the test client over the demo
data set (``seed_demo``, built with the factories); the browser test
(tests/e2e/test_policies.py) walks the navigation in Chromium.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cases.models import Case
from clients.models import Client, Purchase
from pae_ops.navigation import nav_for
from pae_ops.policies import BY_RULE, POLICIES, policy_for
from partners.selectors import partner_for_approver
from refunds.models import RefundRequest
from refunds.selectors import list_awaiting_partner
from tests.policies.visible_text import RULE_ID, rule_ids_in, visible_text

pytestmark = pytest.mark.django_db

User = get_user_model()
DEMO_USERNAMES = ("agente", "agente2", "lider", "directora", "admin", "socio")


def _pages_of(user) -> list[str]:
    """The user's navigation, the Políticas page, and the detail pages they reach."""
    urls = [
        item["url"]
        for entry in nav_for(user)
        for item in (entry["items"] if entry.get("group") else [entry])
    ]
    urls += [reverse("home"), reverse("notifications"), reverse("accounts:account")]
    if user.username == "socio":
        partner = partner_for_approver(user)
        urls += [
            reverse("refunds:request-detail", args=[refund.pk])
            for refund in list_awaiting_partner(partner)
        ]
        return urls
    if user.username == "admin":
        return [*urls, reverse("policies:index")]
    urls.append(reverse("policies:index"))
    urls += [
        reverse("refunds:request-detail", args=[pk])
        for pk in RefundRequest.objects.values_list("pk", flat=True)
    ]
    # A case of each status and kind, the rescue and detractor cases among them.
    seen: set[tuple[str, str]] = set()
    for case in Case.objects.order_by("-pk").only("pk", "status", "kind")[:400]:
        if (case.status, case.kind) not in seen:
            seen.add((case.status, case.kind))
            urls.append(reverse("cases:detail", args=[case.pk]))
    urls += [
        reverse("clients:detail", args=[pk])
        for pk in Client.objects.order_by("-pk").values_list("pk", flat=True)[:8]
    ]
    purchase = Purchase.objects.order_by("-pk").first()
    if user.username != "directora":
        urls.append(reverse("refunds:request-new", args=[purchase.pk]))
    urls.append(reverse("clients:purchase", args=[purchase.pk]))
    return urls


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("language", ["es", "en"])
def test_no_page_of_any_role_shows_a_rule_id(client, demo, language):
    """RULES: ROLE-1 (each role's own pages), and every rule ID stays out of sight."""
    # given the demo data set and each demo login in one language
    found: dict[str, list[str]] = {}
    visited = 0
    for username in DEMO_USERNAMES:
        user = User.objects.get(username=username)
        user.profile.language = language
        user.profile.save(update_fields=["language"])
        client.force_login(user)
        client.cookies.load({"pae_ops_language": language})
        for url in _pages_of(user):
            # when the page renders
            response = client.get(url)
            if response.status_code in (301, 302):
                response = client.get(response["Location"])
            assert response.status_code == 200, (username, url, response.status_code)
            visited += 1
            # then no rule ID is in what the reader sees
            hits = rule_ids_in(response.content.decode())
            if hits:
                found[f"{username} {url}"] = hits
        client.logout()
    assert visited > 60
    assert found == {}


def test_visible_text_finds_a_rule_id_where_a_reader_would_see_it():
    """The check itself: text and tooltips count, scripts do not."""
    assert rule_ids_in("<p>Frequent (REF-3)</p>")
    assert rule_ids_in('<span title="see KPI-2">x</span>')
    assert not rule_ids_in("<script>var a = 'REF-3';</script><p>ok</p>")
    assert not RULE_ID.search("PAE-1 and REF-")


def test_every_rule_of_rules_md_has_a_policy():
    """Each ID a DomainError carries maps to a paragraph of the page."""
    ids = {
        *(f"REF-{n}" for n in range(1, 11)),
        *(f"SEG-{n}" for n in range(1, 8)),
        *(f"TYP-{n}" for n in range(1, 5)),
        *(f"SLA-{n}" for n in range(1, 6)),
        *(f"COM-{n}" for n in range(1, 7)),
        *(f"RES-{n}" for n in range(1, 8)),
        *(f"PAY-{n}" for n in range(1, 6)),
        *(f"PAR-{n}" for n in range(1, 5)),
        *(f"KPI-{n}" for n in range(1, 9)),
        "BH-1",
        "BH-2",
        "ROLE-1",
        "ROLE-2",
        "SAL-1",
    }
    assert ids <= set(BY_RULE)
    assert policy_for("REF-6") is POLICIES["partial-refund"]


def test_the_policies_page_has_a_paragraph_for_every_policy(client, django_user_model):
    from tests.factories import UserFactory

    client.force_login(UserFactory(agent=True))
    html = client.get(reverse("policies:index")).content.decode()
    for slug in POLICIES:
        assert f'id="{slug}"' in html, slug
    assert not rule_ids_in(html)


def test_the_policies_page_states_the_values_in_force(client, settings):
    """RULES: SLA-1, SLA-2, REF-3, REF-5, PAY-1, PAY-3, RES-1, COM-4 — the numbers an admin sets."""
    from cases.selectors import get_sla_settings
    from tests.factories import UserFactory

    # given an admin changed the SLA settings and a deployment its refund window
    sla = get_sla_settings()
    sla.first_response_hours = 6
    sla.resolution_target_hours = 40
    sla.resolution_limit_hours = 60
    sla.save()
    settings.REFUND_FREQUENT_COUNT = 3
    settings.INACTIVITY_RESCUE_DAYS = 21
    client.force_login(UserFactory(agent=True))
    # when an agent reads the page
    with translation.override("es"):
        text = visible_text(client.get(reverse("policies:index")).content.decode())
    # then it says the values in force, in Mexico's way of writing numbers
    assert "en un máximo de 6 horas hábiles" in text
    assert "40 horas hábiles" in text
    assert "60 horas hábiles" in text
    assert "3 o más solicitudes de reembolso anteriores" in text
    assert "a los 21 días" in text
    assert "$5,000.00" in text  # PAY-1
    assert "$1,000.00" in text  # REF-5
    assert "12 %" in text  # PAY-3
    assert "7 días" in text  # COM-4


def test_the_policies_page_is_for_staff_only(client):
    """RULES: ROLE-1 — a partner approver reads only their approvals."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(partner_approver=True))
    assert client.get(reverse("policies:index")).status_code == 403
    client.logout()
    assert client.get(reverse("policies:index")).status_code == 302


def test_a_domain_error_shows_its_policy_link_not_its_rule():
    from pae_ops.errors import DomainError
    from tests.factories import UserFactory

    exc = DomainError("No.", rule="REF-5")
    with translation.override("en"):
        html = exc.html(UserFactory(agent=True))
    assert 'href="/politicas/#duplicated-credit"' in html
    assert "Duplicated credit" in html
    assert not rule_ids_in(html)
    # a partner approver gets the message without a link to a page they may not open
    assert "href" not in exc.html(UserFactory(partner_approver=True))
