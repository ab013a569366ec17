"""Bad bytes: a NUL (0x00) anywhere a user can type is refused with a message,
never a 500 from PostgreSQL ("text fields cannot contain NUL")."""

from __future__ import annotations

import importlib

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse

from clients.imports import parse_clients_csv
from clients.models import Client
from refunds.models import RefundRequest
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerFactory
from tests.partners.helpers import change_form_data
from tests.refunds.factories import refund_request_at

pytestmark = pytest.mark.django_db

NUL = "\x00"
HEADER = "name,email,phone,country,languages,accessibility_needs,agent\n"
# Django's message for the CharField validator, in Spanish (the default language).
NUL_MESSAGE = "Los caracteres nulos no están permitidos."


# The client import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        f"Ana{NUL} Pérez,ana@example.com,,México,es,,\n",
        f"Ana Pérez,ana{NUL}@example.com,,México,es,,\n",
        f"Ana Pérez,ana@example.com,,México,es,,car{NUL}la\n",
        f"Ana Pérez,ana@example.com,,México,e{NUL}s,,\n",
        f"Ana Pérez,ana@example.com,,México,es,ADA{NUL},,extra{NUL}\n",
    ],
)
def test_a_nul_byte_in_a_csv_cell_is_a_row_error(row):
    """The row is reported with its line; no query sees the NUL."""
    result = parse_clients_csv((HEADER + "Bob Li,bob@example.com,,USA,en,,\n" + row).encode())
    assert [line for line, _reason in result.errors] == [3]
    assert "NUL" in result.errors[0][1]


def test_a_nul_byte_in_the_header_is_an_error_of_line_1():
    result = parse_clients_csv(f"na{NUL}me,email\nAna,\n".encode())
    assert [line for line, _reason in result.errors] == [1]


def test_the_import_page_answers_a_nul_byte_with_a_row_error_and_imports_nothing(client):
    client.force_login(UserFactory(admin=True))
    text = HEADER + "Bob Li,bob@example.com,,USA,en,,\n" + f"Ana{NUL},ana@example.com,,,es,,\n"
    response = client.post(
        reverse("admin:clients_client_import"),
        {"file": SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")},
    )
    assert response.status_code == 200
    assert [error.split(":")[0] for error in response.context["row_errors"]] == ["línea 3"]
    assert not Client.objects.exists()


# Query strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/clients/", {"q": f"an{NUL}a"}),
        ("/partners/", {"language": f"e{NUL}s"}),
        ("/admin/clients/client/", {"name": f"a{NUL}b"}),  # a field lookup: a 500 before
        ("/admin/clients/client/", {"q": f"a{NUL}b"}),
        ("/admin/partners/partner/", {f"x{NUL}": "1"}),
        ("/kpis/", {"month": f"2026-01{NUL}"}),
    ],
)
def test_a_nul_byte_in_the_query_string_answers_400_with_a_message(client, path, params):
    client.force_login(UserFactory(admin=True, is_superuser=True, director=True))
    response = client.get(path, params)
    assert response.status_code == 400
    assert "carácter nulo" in response.content.decode()


def test_a_nul_byte_in_the_path_answers_400(client):
    client.force_login(UserFactory(agent=True))
    assert client.get("/s/tok%00en/").status_code == 400


# Forms -------------------------------------------------------------------------------------


def _project_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class defined in the project's apps, and every admin's form."""
    found: set[type[forms.BaseForm]] = set()
    for config in apps.get_app_configs():
        if not config.path.startswith(str(apps.get_app_config("pae_ops").path.rsplit("/", 1)[0])):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            module = None
        for value in vars(module).values() if module else ():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found.add(value)
    for model_admin in admin.site._registry.values():
        if model_admin.form is not forms.ModelForm:
            found.add(model_admin.form)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_text_field_of_every_form_refuses_a_nul_byte():
    """Field level: each CharField (and subclass) carries Django's NUL validator,
    so a form shows the message beside the field and the service never runs."""
    classes = _project_form_classes()
    assert len(classes) > 10
    missing = [
        f"{cls.__qualname__}.{name}"
        for cls in classes
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.CharField)
        and not any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators)
    ]
    assert missing == []


def test_a_nul_byte_in_a_portal_form_is_refused_with_a_message(client):
    """The refund diagnosis: the form answers with the field's message, nothing is saved."""
    request = refund_request_at(RefundRequest.Status.DIAGNOSIS)
    client.force_login(request.cast.agent)
    response = client.post(
        reverse("refunds:request-diagnose", args=[request.pk]),
        {"reason": RefundRequest.Reason.OTHER, "notes": f"Notas{NUL}"},
        follow=True,
    )
    assert response.status_code == 200
    assert NUL_MESSAGE in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.diagnosis_notes) == (RefundRequest.Status.DIAGNOSIS, "")


def test_a_nul_byte_in_the_segment_override_reason_changes_nothing(client):
    leader = UserFactory(leader=True)
    customer = ClientFactory()
    client.force_login(leader)
    client.post(
        reverse("clients:segment-override", args=[customer.pk]),
        {"segment": "A", "reason": f"VIP{NUL}"},
    )
    customer.refresh_from_db()
    assert customer.segment_override == ""


@pytest.mark.parametrize(
    ("model", "build", "field"),
    [
        (Client, ClientFactory, "name"),
        (PartnerFactory._meta.model, PartnerFactory, "legal_name"),
    ],
)
def test_a_nul_byte_in_an_admin_form_is_refused_with_a_message(client, model, build, field):
    obj = build()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    data = change_form_data(client.get(url), **{field: f"Nombre{NUL}"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [NUL_MESSAGE]
    assert NUL not in getattr(model.objects.get(pk=obj.pk), field)
