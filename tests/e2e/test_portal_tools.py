"""Browser tests of the portal's tools: the navigation bar's search, and a
note with a mention and a file on a case, through htmx under the strict CSP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import CaseAttachment, CaseNote
from pae_ops.models import Notification
from tests.cases.factories import CaseFactory, ensure_default_calendar
from tests.clients.factories import ClientFactory
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.partners.factories import PDF_BYTES, languages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_agent_finds_a_client_from_the_navigation_bar(live_server, page: Page):
    """Typed without accents, in capitals: the client with accents is found,
    and the result opens the client's page."""
    languages("es")
    agent = UserFactory(username="e2e-search-agent", agent=True)
    customer = ClientFactory(name="Ximena Peñaloza Ríos", assigned_agent=agent)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url, agent.username)

    box = page.get_by_test_id("nav-search")
    box.get_by_label("Búsqueda de clientes y casos").fill("PENALOZA")
    box.get_by_role("button", name="Buscar").click()

    results = page.get_by_test_id("search-clients")
    expect(results).to_contain_text("Ximena Peñaloza Ríos")
    expect(page.get_by_test_id("search-cases")).to_contain_text("Ningún caso coincide.")
    results.get_by_role("link", name="Ximena Peñaloza Ríos").click()
    expect(page).to_have_url(f"{live_server.url}/clients/{customer.pk}/")
    assert errors == []


def test_agent_pulls_in_a_colleague_with_a_note_and_attaches_a_file(
    live_server, page: Page, tmp_path
):
    """RULES: ROLE-1. The note's @mention notifies the leader once and shows
    highlighted; the PDF lands in the timeline and downloads."""
    languages("es")
    ensure_default_calendar()
    leader = UserFactory(username="e2e-lider", leader=True, first_name="Laura", last_name="Ríos")
    agent = UserFactory(username="e2e-agente", agent=True, profile__leader=leader)
    customer = ClientFactory(name="Bruno Salas", assigned_agent=agent)
    case = CaseFactory(
        client=customer, assignee=agent, opened_at=timezone.now() - timedelta(hours=2)
    )
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    # An empty note comes back with its message (htmx), then the real one.
    form = page.get_by_test_id("note-form")
    form.get_by_test_id("note-submit").click()
    expect(page.get_by_test_id("note-form")).to_contain_text("Este campo es obligatorio.")
    page.get_by_label("Nota interna").fill("@e2e-lider ¿hablas tú con el socio? <b>urge</b>")
    page.get_by_test_id("note-submit").click()
    note_body = page.get_by_test_id("note-body")
    expect(note_body).to_contain_text("<b>urge</b>")  # escaped, shown as typed
    expect(note_body.locator("mark.mention")).to_have_text("@e2e-lider")
    note = CaseNote.objects.get()
    assert Notification.objects.filter(recipient=leader, kind="mention").count() == 1

    # A program renamed .pdf is refused next to the field; the real PDF is attached.
    fake = tmp_path / "factura.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    page.get_by_label("Archivo", exact=True).set_input_files(str(fake))
    page.get_by_test_id("attachment-submit").click()
    expect(page.get_by_test_id("attachment-error")).to_contain_text("no es un archivo PDF válido")
    real = tmp_path / "contrato.pdf"
    real.write_bytes(PDF_BYTES)
    page.get_by_label("Archivo", exact=True).set_input_files(str(real))
    page.get_by_test_id("attachment-submit").click()
    link = page.get_by_test_id("attachment-link")
    expect(link).to_have_text("contrato.pdf")
    attachment = CaseAttachment.objects.get()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "contrato.pdf"
    assert page.locator(f"#note-{note.pk}").is_visible()
    assert attachment.case_id == case.pk
    assert errors == []
