"""The case timeline's internal notes and files (cases.timeline, cases.notes,
cases.attachments): who writes and attaches (ROLE-1), refused files, the
download that only case readers get, and one chronological timeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseAttachment, CaseNote, Interaction
from cases.services import add_case_note, attach_case_file, edit_case_note
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import Role
from tests.cases.factories import CaseFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.partners.factories import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 60
ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}


def make_user(role: Role, **kwargs):
    return UserFactory(**{ROLE_TRAITS[role]: True}, **kwargs)


def pdf(name: str = "contrato.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def case(team) -> Case:
    client = ClientFactory(assigned_agent=team["agent"])
    return CaseFactory(
        client=client, assignee=team["agent"], opened_at=timezone.now() - timedelta(hours=3)
    )


# Notes ----------------------------------------------------------------------------------


def test_any_agent_writes_a_note_on_any_case(team, case):
    """RULES: ROLE-1. A note changes nothing on the case: the colleague pulled
    in (not the assignee) can answer."""
    note = add_case_note(actor=team["other"], case_id=case.pk, body="  Ya lo revisé.  ")
    assert note.body == "Ya lo revisé."
    case.refresh_from_db()
    assert case.status == Case.Status.NEW  # no change, no clock moved
    assert note.history.get().history_user == team["other"]


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN, Role.PARTNER_APPROVER])
def test_who_does_not_work_cases_writes_no_note(case, role):
    """RULES: ROLE-1"""
    with pytest.raises(PermissionDenied):
        add_case_note(actor=make_user(role), case_id=case.pk, body="Hola")
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_too_long_note_is_refused(team, case, body):
    with pytest.raises(DomainError):
        add_case_note(actor=team["agent"], case_id=case.pk, body=body)
    assert not CaseNote.objects.exists()


def test_a_closed_case_takes_no_note_and_no_edit(team, case):
    note = add_case_note(actor=team["agent"], case_id=case.pk, body="Antes de cerrar")
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now())
    with pytest.raises(DomainError):
        add_case_note(actor=team["agent"], case_id=case.pk, body="Después")
    with pytest.raises(DomainError):
        edit_case_note(actor=team["agent"], note_id=note.pk, body="Cambiado")


def test_only_the_author_edits_a_note(team, case):
    """RULES: ROLE-1"""
    note = add_case_note(actor=team["agent"], case_id=case.pk, body="Original")
    with pytest.raises(ActRefused) as excinfo:
        edit_case_note(actor=team["leader"], note_id=note.pk, body="Cambiado")
    assert excinfo.value.rule == "ROLE-1"
    edit_case_note(actor=team["agent"], note_id=note.pk, body="Corregido")
    note.refresh_from_db()
    assert note.body == "Corregido"
    assert note.edited_at is not None
    assert [h.body for h in note.history.order_by("history_date")] == ["Original", "Corregido"]


def test_note_views_htmx_errors_and_success(client, team, case):
    client.force_login(team["other"])
    url = reverse("cases:note-add", args=[case.pk])
    refused = client.post(url, {"body": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert 'data-testid="note-form"' in refused.content.decode()
    assert "<html" not in refused.content.decode()
    done = client.post(url, {"body": "Listo"}, HTTP_HX_REQUEST="true")
    note = CaseNote.objects.get()
    assert done.headers["HX-Redirect"] == case.get_absolute_url()
    assert note.body == "Listo"
    # Without htmx: a redirect, or the form again on its own page.
    assert client.post(url, {"body": "Sin htmx"}).status_code == 302
    assert "note-form" in client.post(url, {"body": ""}).content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.DIRECTOR, 403),
        (Role.ADMIN, 403),
        (Role.PARTNER_APPROVER, 403),
    ],
)
def test_note_views_role_matrix(client, case, role, status):
    """RULES: ROLE-1"""
    client.force_login(make_user(role))
    assert client.post(reverse("cases:note-add", args=[case.pk]), {"body": "x"}).status_code == (
        status
    )
    assert not CaseNote.objects.exists()


def test_editing_someone_elses_note_answers_403(client, team, case):
    """RULES: ROLE-1"""
    note = add_case_note(actor=team["agent"], case_id=case.pk, body="Mía")
    client.force_login(team["other"])
    response = client.post(reverse("cases:note-edit", args=[note.pk]), {"body": "Tuya"})
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.body == "Mía"


# Attachments ----------------------------------------------------------------------------------


def test_the_assignee_attaches_a_checked_file(team, case):
    """RULES: ROLE-1. Stored through the storage under a random name; who,
    what and when are in the history."""
    attachment = attach_case_file(
        actor=team["agent"], case_id=case.pk, upload=pdf("Contrato firmado.pdf")
    )
    assert attachment.original_name == "Contrato_firmado.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF_BYTES)
    assert attachment.file.name.startswith(f"cases/{case.pk}/")
    assert "Contrato" not in attachment.file.name
    assert attachment.file.storage.exists(attachment.file.name)
    assert attachment.history.get().history_user == team["agent"]


def test_a_leader_attaches_to_any_case_an_agent_only_to_their_own(team, case):
    """RULES: ROLE-1"""
    attach_case_file(actor=team["leader"], case_id=case.pk, upload=pdf())
    with pytest.raises(ActRefused):
        attach_case_file(actor=team["other"], case_id=case.pk, upload=pdf())
    with pytest.raises(PermissionDenied):
        attach_case_file(actor=team["director"], case_id=case.pk, upload=pdf())
    assert CaseAttachment.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", EXE_BYTES),
        ("pagina.html", b"<html><script>alert(1)</script></html>"),
        ("factura.pdf", EXE_BYTES),  # a program renamed .pdf
        ("captura.png", PDF_BYTES),  # another type's content
        ("vacio.pdf", b""),
    ],
)
def test_a_file_of_a_disallowed_type_is_refused_and_nothing_is_stored(team, case, name, data):
    with pytest.raises(DomainError) as excinfo:
        attach_case_file(
            actor=team["agent"], case_id=case.pk, upload=SimpleUploadedFile(name, data)
        )
    assert excinfo.value.message
    assert not CaseAttachment.objects.exists()
    assert stored_files() == []


def test_a_file_over_the_limit_is_refused(team, case, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG_BYTES) - 1
    with pytest.raises(DomainError) as excinfo:
        attach_case_file(
            actor=team["agent"], case_id=case.pk, upload=SimpleUploadedFile("a.png", PNG_BYTES)
        )
    assert filesizeformat(len(PNG_BYTES) - 1) in excinfo.value.message  # says the limit
    assert not CaseAttachment.objects.exists()
    assert stored_files() == []
    settings.ATTACHMENT_MAX_BYTES = len(PNG_BYTES)
    attach_case_file(
        actor=team["agent"], case_id=case.pk, upload=SimpleUploadedFile("a.png", PNG_BYTES)
    )


def test_a_closed_case_takes_no_file(team, case):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now())
    with pytest.raises(DomainError):
        attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())


def test_the_upload_view_refuses_a_bad_file_with_a_message_next_to_the_field(client, team, case):
    client.force_login(team["agent"])
    url = reverse("cases:attachment-add", args=[case.pk])
    response = client.post(
        url, {"file": SimpleUploadedFile("virus.exe", EXE_BYTES)}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'data-testid="attachment-error"' in page
    assert "«exe»" in page  # the refused type, in the message
    assert not CaseAttachment.objects.exists()
    response = client.post(url, {"file": pdf()})
    attachment = CaseAttachment.objects.get()
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#attachment-{attachment.pk}"


@pytest.mark.parametrize("role", list(Role))
def test_attachment_download_role_matrix(client, team, case, role):
    """RULES: ROLE-1. Whoever reads cases downloads (as an attachment, the
    checked type); another role's request answers 404, like a missing file."""
    attachment = attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())
    client.force_login(make_user(role))
    response = client.get(reverse("cases:attachment", args=[attachment.pk]))
    if role in (Role.AGENT, Role.LEADER, Role.DIRECTOR):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "contrato.pdf" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == PDF_BYTES
    else:
        assert response.status_code == 404


def test_no_attachment_url_works_without_login(client, team, case):
    """RULES: ROLE-1. The download, the upload and the storage's own path."""
    attachment = attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())
    login = reverse("login")
    for response in (
        client.get(reverse("cases:attachment", args=[attachment.pk])),
        client.post(reverse("cases:attachment-add", args=[case.pk]), {"file": pdf()}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(login)
    assert CaseAttachment.objects.count() == 1
    # Nothing serves MEDIA_URL, signed in or not.
    media = f"{settings.MEDIA_URL}{attachment.file.name}"
    assert client.get(media).status_code in (302, 404)
    client.force_login(team["agent"])
    assert client.get(media).status_code == 404


def test_an_unknown_or_lost_file_answers_404(client, team, case):
    attachment = attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())
    client.force_login(team["agent"])
    assert client.get(reverse("cases:attachment", args=[attachment.pk + 1])).status_code == 404
    attachment.file.storage.delete(attachment.file.name)
    assert client.get(reverse("cases:attachment", args=[attachment.pk])).status_code == 404


# The timeline ----------------------------------------------------------------------------------


def test_the_timeline_lists_interactions_notes_and_files_in_time_order(client, team, case):
    now = timezone.now()
    first = Interaction.objects.create(
        client=case.client,
        case=case,
        channel="phone",
        direction="inbound",
        occurred_at=now - timedelta(hours=2),
        handled_by=team["agent"],
        summary="Llamó el cliente",
    )
    note = add_case_note(actor=team["other"], case_id=case.pk, body="Nota interna")
    attachment = attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())
    CaseNote.objects.filter(pk=note.pk).update(created_at=now - timedelta(hours=1))
    client.force_login(team["director"])
    response = client.get(case.get_absolute_url())
    kinds = [(entry.kind, entry.item.pk) for entry in response.context["timeline"]]
    assert kinds == [
        ("interaction", first.pk),
        ("note", note.pk),
        ("attachment", attachment.pk),
    ]
    page = response.content.decode()
    assert f'id="note-{note.pk}"' in page
    assert reverse("cases:attachment", args=[attachment.pk]) in page
    # The director reads, without the forms.
    assert 'data-testid="note-form"' not in page
    assert 'data-testid="attachment-form"' not in page


def test_the_forms_each_role_gets_on_the_case_page(client, team, case):
    """RULES: ROLE-1. The assignee: both forms; another agent: the note form only."""
    client.force_login(team["agent"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="note-form"' in page
    assert 'data-testid="attachment-form"' in page
    client.force_login(team["other"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="note-form"' in page
    assert 'data-testid="attachment-form"' not in page


def test_each_note_shows_on_one_page_of_a_long_timeline(client, team, case, monkeypatch):
    from cases.views import case as case_views

    monkeypatch.setattr(case_views, "CASE_TIMELINE_PAGE", 2)
    now = timezone.now()
    times = [now - timedelta(hours=h) for h in (5, 4, 3, 2)]
    for at in times:
        Interaction.objects.create(
            client=case.client,
            case=case,
            channel="phone",
            direction="inbound",
            occurred_at=at,
            handled_by=team["agent"],
            summary="x",
        )
    notes = {}
    for label, at in (("before", now - timedelta(hours=6)), ("middle", times[2])):
        note = add_case_note(actor=team["agent"], case_id=case.pk, body=label)
        CaseNote.objects.filter(pk=note.pk).update(created_at=at)
        notes[label] = note.pk
    late = add_case_note(actor=team["agent"], case_id=case.pk, body="late").pk
    client.force_login(team["agent"])

    def notes_on(page: int) -> list[int]:
        response = client.get(case.get_absolute_url(), {"page": page})
        return [e.item.pk for e in response.context["timeline"] if e.kind == "note"]

    assert notes_on(1) == [notes["before"]]
    assert notes_on(2) == [notes["middle"], late]


def test_the_timeline_is_empty_with_a_message(client, team, case):
    client.force_login(team["agent"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Aún no hay interacciones, notas ni archivos en este caso." in page


def test_case_page_query_count_does_not_grow_with_notes_and_files(
    client, team, case, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(team["agent"])
    url = case.get_absolute_url()
    client.get(url)
    counts = []
    for size in (2, 12):
        while CaseNote.objects.count() < size:
            add_case_note(actor=team["other"], case_id=case.pk, body="@lider-casos mira")
            add_case_note(actor=team["agent"], case_id=case.pk, body="Mía, editable")
            attach_case_file(actor=team["agent"], case_id=case.pk, upload=pdf())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(22):
        client.get(url)
