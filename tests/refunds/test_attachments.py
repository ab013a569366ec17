"""Files on refund requests (refunds.attachments): who attaches, refused
files, who downloads (ROLE-1; a partner approver only while the request
awaits their partner, REF-6), the request page and the client's history
(REF-2) list them, and the history keeps who attached what (REF-10)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pae_ops.errors import DomainError
from pae_ops.roles import Role
from refunds.attachments import RefundAttachment, attach_refund_file
from refunds.models import RefundRequest
from tests.clients.factories import PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import PDF_BYTES, ActivePartnerFactory, PartnerApproverFactory
from tests.refunds.factories import RefundRequestFactory

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 60
ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
}


def receipt(name: str = "comprobante.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def partner():
    return ActivePartnerFactory()


@pytest.fixture
def awaiting(partner) -> RefundRequest:
    """A partial refund awaiting its partner's approval (REF-6)."""
    return RefundRequestFactory(
        awaiting_partial=True, purchase=PurchaseFactory(product__partner=partner)
    )


def test_a_worker_attaches_a_file_to_a_request_at_any_step(awaiting):
    """RULES: ROLE-1, REF-10. The history keeps who attached it."""
    agent = UserFactory(agent=True)
    attachment = attach_refund_file(actor=agent, request_id=awaiting.pk, upload=receipt())
    assert attachment.file.name.startswith(f"refunds/{awaiting.pk}/")
    assert attachment.history.get().history_user == agent
    RefundRequest.objects.filter(pk=awaiting.pk).update(status=RefundRequest.Status.EXECUTED)
    attach_refund_file(
        actor=UserFactory(leader=True), request_id=awaiting.pk, upload=receipt("banco.pdf")
    )
    assert awaiting.attachments.count() == 2


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ADMIN, Role.PARTNER_APPROVER])
def test_who_does_not_work_requests_attaches_nothing(awaiting, partner, role):
    """RULES: ROLE-1"""
    actor = (
        PartnerApproverFactory(partner=partner)
        if role == Role.PARTNER_APPROVER
        else UserFactory(**{ROLE_TRAITS[role]: True})
    )
    with pytest.raises(PermissionDenied):
        attach_refund_file(actor=actor, request_id=awaiting.pk, upload=receipt())
    assert not RefundAttachment.objects.exists()


def test_a_disallowed_or_oversized_file_is_refused_with_a_message(client, awaiting, settings):
    agent = UserFactory(agent=True)
    with pytest.raises(DomainError):
        attach_refund_file(
            actor=agent, request_id=awaiting.pk, upload=receipt("recibo.pdf", EXE_BYTES)
        )
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(DomainError):
        attach_refund_file(actor=agent, request_id=awaiting.pk, upload=receipt())
    client.force_login(agent)
    response = client.post(
        reverse("refunds:attachment-add", args=[awaiting.pk]), {"file": receipt()}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="attachment-error"' in page
    assert "10\xa0bytes" in page  # the limit, next to the field
    assert not RefundAttachment.objects.exists()


def test_the_upload_view_stores_and_goes_back_to_the_file(client, awaiting):
    client.force_login(UserFactory(agent=True))
    response = client.post(
        reverse("refunds:attachment-add", args=[awaiting.pk]), {"file": receipt()}
    )
    attachment = RefundAttachment.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"#attachment-{attachment.pk}")


@pytest.mark.parametrize("role", list(ROLE_TRAITS))
def test_staff_download_role_matrix(client, awaiting, role):
    """RULES: ROLE-1. Staff who read requests download; an admin gets 404."""
    attachment = attach_refund_file(
        actor=UserFactory(agent=True), request_id=awaiting.pk, upload=receipt()
    )
    client.force_login(UserFactory(**{ROLE_TRAITS[role]: True}))
    response = client.get(reverse("refunds:attachment", args=[attachment.pk]))
    if role == Role.ADMIN:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_partner_approver_downloads_only_while_the_request_awaits_their_partner(
    client, awaiting, partner
):
    """RULES: ROLE-1, REF-6. Another partner's approver gets 404, and so does
    the approver once the request is decided."""
    attachment = attach_refund_file(
        actor=UserFactory(agent=True), request_id=awaiting.pk, upload=receipt()
    )
    url = reverse("refunds:attachment", args=[attachment.pk])
    client.force_login(PartnerApproverFactory(partner=ActivePartnerFactory()))
    assert client.get(url).status_code == 404
    own = PartnerApproverFactory(partner=partner)
    client.force_login(own)
    assert client.get(url).status_code == 200
    page = client.get(reverse("refunds:request-detail", args=[awaiting.pk])).content.decode()
    assert url in page
    assert 'data-testid="attachment-form"' not in page  # reads, never attaches
    RefundRequest.objects.filter(pk=awaiting.pk).update(status=RefundRequest.Status.REJECTED)
    assert client.get(url).status_code == 404


def test_no_refund_attachment_url_works_without_login(client, awaiting):
    """RULES: ROLE-1"""
    attachment = attach_refund_file(
        actor=UserFactory(agent=True), request_id=awaiting.pk, upload=receipt()
    )
    for response in (
        client.get(reverse("refunds:attachment", args=[attachment.pk])),
        client.post(reverse("refunds:attachment-add", args=[awaiting.pk]), {"file": receipt()}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert RefundAttachment.objects.count() == 1


def test_the_request_page_and_the_clients_history_list_the_files(client, awaiting):
    """RULES: REF-2. The request lists its files; a later request of the same
    client shows in its history how many files the earlier one has."""
    agent = UserFactory(agent=True)
    attach_refund_file(actor=agent, request_id=awaiting.pk, upload=receipt("contrato.pdf"))
    attach_refund_file(actor=agent, request_id=awaiting.pk, upload=receipt("captura.pdf"))
    client.force_login(agent)
    page = client.get(reverse("refunds:request-detail", args=[awaiting.pk])).content.decode()
    assert "contrato.pdf" in page
    assert "captura.pdf" in page
    later = RefundRequestFactory(purchase=PurchaseFactory(client=awaiting.client))
    page = client.get(reverse("refunds:request-detail", args=[later.pk])).content.decode()
    assert 'data-testid="history-attachments"' in page
    assert "2 archivos adjuntos" in page
    assert "Sin archivos adjuntos." in page  # the later request's own files: none
