import pytest
from django.urls import reverse

from clients.models import Client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,phone,country,languages,accessibility_needs,agent\n"


def _upload(client, text: str, name: str = "clients.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("admin:clients_client_import"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


@pytest.fixture
def admin_client_logged(client):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    return client


def test_import_creates_every_client_of_a_good_file(admin_client_logged):
    UserFactory(agent=True, username="carla")
    text = HEADER + (
        "Ana Pérez,ana@example.com,+52 55 1234,México,es;en,ADA: lector de pantalla,carla\n"
        "Bob Li,bob@example.com,,USA,en,,\n"
    )
    response = _upload(admin_client_logged, text)
    assert response.status_code == 302
    ana = Client.objects.get(email="ana@example.com")
    assert ana.name == "Ana Pérez"
    assert sorted(ana.languages.values_list("code", flat=True)) == ["en", "es"]
    assert ana.assigned_agent.username == "carla"
    assert ana.history.exists()


def test_import_with_any_bad_row_imports_nothing_and_lists_every_bad_row(admin_client_logged):
    text = HEADER + (
        "Good One,good@example.com,,,es,,\n"
        ",nobody@example.com,,,es,,\n"
        "Bad Mail,not-an-email,,,xx,,ghost\n"
        "Twice,good@example.com,,,es,,\n"
    )
    response = _upload(admin_client_logged, text)
    assert response.status_code == 200
    assert not Client.objects.exists()
    errors = response.context["row_errors"]
    assert [int(e.split(":")[0].split()[-1]) for e in errors] == [3, 4, 5]
    assert "xx" in errors[1]
    assert "ghost" in errors[1]


def test_import_refuses_unknown_columns_and_non_csv(admin_client_logged):
    response = _upload(admin_client_logged, "name,salary\nAna,1\n")
    assert response.status_code == 200
    assert not Client.objects.exists()
    response = _upload(admin_client_logged, HEADER, name="clients.exe")
    assert response.status_code == 200
    assert response.context["form"].errors


def test_import_is_for_admins_only(client):
    """RULES: ROLE-1"""
    client.force_login(UserFactory(agent=True))
    response = _upload(client, HEADER + "Ana,,,,,,\n")
    assert response.status_code == 302
    assert not Client.objects.exists()
