import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from partners.models import Agreement, Stage
from partners.validators import validate_document
from tests.factories import UserFactory
from tests.partners.factories import (
    PDF_BYTES,
    PNG_BYTES,
    AgreementFactory,
    PartnerFactory,
    ScorecardEntryFactory,
)
from tests.partners.helpers import change_form_data, inline_form

pytestmark = pytest.mark.django_db

JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 60


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def refusal_code(file) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validate_document(file)
    return excinfo.value.code


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("contrato.pdf", PDF_BYTES),
        ("foto.PNG", PNG_BYTES),
        ("foto.jpg", JPEG_BYTES),
        ("foto.jpeg", JPEG_BYTES),
        ("foto.webp", WEBP_BYTES),
    ],
)
def test_pdf_and_images_are_accepted(name, data):
    validate_document(upload(name, data))


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("setup.exe", EXE_BYTES, "file_extension"),
        ("contrato", PDF_BYTES, "file_extension"),
        ("contrato.html", b"<html>", "file_extension"),
        ("setup.pdf", EXE_BYTES, "file_content"),  # a program renamed .pdf
        ("foto.png", PDF_BYTES, "file_content"),  # content of another allowed type
        ("vacio.pdf", b"", "file_content"),
    ],
)
def test_other_files_are_refused(name, data, code):
    assert refusal_code(upload(name, data)) == code


def test_the_size_limit_is_the_setting_boundary_included(settings):
    settings.PARTNER_DOCUMENT_MAX_BYTES = 100
    exactly = PDF_BYTES + b" " * (100 - len(PDF_BYTES))
    validate_document(upload("limite.pdf", exactly))
    assert refusal_code(upload("grande.pdf", exactly + b" ")) == "file_too_large"


def test_the_default_limit_is_ten_mebibytes(settings):
    assert settings.PARTNER_DOCUMENT_MAX_BYTES == 10 * 1024 * 1024


# --- through the admin ----------------------------------------------------------------


@pytest.fixture
def legal_page(client, admin_user):
    partner = PartnerFactory(stage=Stage.LEGAL)
    client.force_login(admin_user)
    url = reverse("admin:partners_partner_change", args=[partner.pk])
    return partner, url, client.get(url)


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (lambda: upload("contrato.exe", EXE_BYTES), "file_extension"),
        (lambda: upload("contrato.pdf", PDF_BYTES + b" " * 200), "file_too_large"),
    ],
)
def test_the_admin_refuses_an_exe_or_an_oversized_file_with_a_message(
    client, settings, legal_page, file, code
):
    # given the limit is smaller than the file
    settings.PARTNER_DOCUMENT_MAX_BYTES = 100
    partner, url, page = legal_page

    # when the admin uploads it as the NDA
    data = change_form_data(
        page,
        **{
            "agreements-1-signed_on": timezone.localdate().isoformat(),
            "agreements-1-document": file(),
        },
    )
    response = client.post(url, data)

    # then the page comes back with the message next to the field, and nothing is stored
    assert response.status_code == 200
    form = inline_form(response, "agreements", 1)
    assert [error.code for error in form.errors.as_data()["document"]] == [code]
    assert str(form.errors["document"][0]) in response.content.decode()
    assert not partner.agreements.exists()
    assert not (settings.MEDIA_ROOT / "partners").exists()


def test_the_admin_stores_a_valid_document_under_the_media_root(client, settings, legal_page):
    partner, url, page = legal_page
    data = change_form_data(
        page,
        **{
            "agreements-1-signed_on": timezone.localdate().isoformat(),
            "agreements-1-document": upload("nda.pdf", PDF_BYTES),
        },
    )

    assert client.post(url, data).status_code == 302

    agreement = partner.agreements.get()
    assert agreement.kind == Agreement.Kind.NDA
    stored = settings.MEDIA_ROOT / agreement.document.name
    assert stored.read_bytes() == PDF_BYTES
    assert stored.parent.name == str(partner.pk)


# --- serving documents ------------------------------------------------------------------


def test_a_document_url_without_login_redirects_to_the_login(client):
    agreement = AgreementFactory()
    url = reverse("partners:document", kwargs={"kind": "agreement", "pk": agreement.pk})
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("trait", ["agent", "leader", "partner_approver"])
def test_a_document_url_is_refused_to_other_roles(client, trait):
    """RULES: ROLE-1"""
    agreement = AgreementFactory()
    client.force_login(UserFactory(**{trait: True}))
    url = reverse("partners:document", kwargs={"kind": "agreement", "pk": agreement.pk})
    assert client.get(url).status_code == 403


def test_an_admin_downloads_the_document_as_an_attachment(client, admin_user):
    agreement = AgreementFactory()
    client.force_login(admin_user)
    url = reverse("partners:document", kwargs={"kind": "agreement", "pk": agreement.pk})

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_an_admin_downloads_vetting_evidence(client, admin_user):
    entry = ScorecardEntryFactory(evidence_file=SimpleUploadedFile("portafolio.png", PNG_BYTES))
    client.force_login(admin_user)
    url = reverse("partners:document", kwargs={"kind": "evidence", "pk": entry.pk})
    assert b"".join(client.get(url).streaming_content) == PNG_BYTES


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("contract", AgreementFactory),  # unknown kind
        ("agreement", lambda: AgreementFactory(document="")),  # no file
        ("evidence", ScorecardEntryFactory),  # text evidence only
    ],
)
def test_a_missing_document_is_404(client, admin_user, kind, make):
    row = make()
    client.force_login(admin_user)
    url = reverse("partners:document", kwargs={"kind": kind, "pk": row.pk})
    assert client.get(url).status_code == 404


def test_the_admin_links_to_the_download_view_never_to_media(client, admin_user, settings):
    agreement = AgreementFactory()
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:partners_partner_change", args=[agreement.partner_id])
    ).content.decode()
    url = reverse("partners:document", kwargs={"kind": "agreement", "pk": agreement.pk})
    assert f'href="{url}"' in page
    assert settings.MEDIA_URL not in page


def test_media_url_serves_nothing(client, admin_user, settings):
    agreement = AgreementFactory()
    client.force_login(admin_user)
    assert client.get(f"{settings.MEDIA_URL}{agreement.document.name}").status_code == 404
