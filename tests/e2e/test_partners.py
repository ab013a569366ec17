"""Browser test: an admin takes a partner from the legal stage to the directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from pae_ops.roles import Role
from partners.models import STAGE_TASKS, Agreement, Partner, Stage
from tests.e2e.test_portal import log_in
from tests.factories import UserFactory
from tests.partners.factories import PDF_BYTES, partner_at

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def partner_admin(role_groups):
    """An admin whose group holds the partners permissions (a transactional test
    flushes what the data migration granted)."""
    group = Group.objects.get(name=Role.ADMIN.value)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="partners"))
    return UserFactory(username="e2e-partners-admin", admin=True)


def test_admin_records_agreements_completes_the_checklist_and_sees_the_directory(
    live_server, page: Page, partner_admin
):
    """RULES: PAR-2"""
    # given a partner in the legal stage
    partner = partner_at(Stage.LEGAL, actor=partner_admin, brand_name="Aliado Navegador")
    today = timezone.localdate().isoformat()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    progress = page.get_by_test_id("stage-progress")

    # when the admin logs in and opens it in Django admin
    log_in(page, live_server.url, partner_admin.username)
    page.goto(f"{live_server.url}/admin/partners/partner/{partner.pk}/change/")
    expect(progress).to_have_attribute("value", "3")

    # and records the three agreements, each signed with its document, and advances it
    for index, kind in enumerate(Agreement.Kind):
        expect(page.locator(f"#id_agreements-{index}-kind")).to_have_value(kind.value)
        page.locator(f"#id_agreements-{index}-signed_on").fill(today)
        page.locator(f"#id_agreements-{index}-document").set_input_files(
            files=[
                {"name": f"{kind.value}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
            ]
        )
    page.get_by_test_id("advance-stage").click()
    expect(progress).to_have_attribute("value", "4")
    expect(page.get_by_test_id("document-download")).to_have_count(3)

    # and completes the checklist: the operational tasks, advance, the training tasks, advance
    first = 0
    for stage, value in ((Stage.OPERATIONAL, "5"), (Stage.TRAINING, "6")):
        for index, task in enumerate(STAGE_TASKS[stage], start=first):
            expect(page.locator(f"#id_checklist_items-{index}-task")).to_have_value(task.value)
            page.locator(f"#id_checklist_items-{index}-done_on").fill(today)
        page.get_by_test_id("advance-stage").click()
        expect(progress).to_have_attribute("value", value)
        first += len(STAGE_TASKS[stage])
    expect(page.get_by_test_id("advance-stage")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "partners-admin.png"), full_page=True)

    # then the partner appears in the directory
    page.goto(f"{live_server.url}/partners/")
    expect(page.get_by_test_id("directory")).to_contain_text("Aliado Navegador")
    page.screenshot(path=str(SCREENSHOTS / "partners-directory.png"), full_page=True)
    partner = Partner.objects.get(pk=partner.pk)
    assert partner.is_active
    assert partner.checklist_items.filter(done_by=partner_admin).count() == 10
    # No CSP violation or script error on the way; Django admin asks for /favicon.ico.
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [error for error in errors if not error.startswith("Failed to load resource")] == []
