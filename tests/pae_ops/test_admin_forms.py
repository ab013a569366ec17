"""Django admin forms never answer 500 on bad input: an id that does not
exist, or is not an id at all, in an autocomplete field comes back as a form
error (ROLE-1 is the admin site's own permission checks; these are about
input)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin, RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.urls import reverse

from clients.models import Client
from pae_ops.admin_widgets import SafeAutocompleteSelect, SafeAutocompleteSelectMultiple
from pae_ops.models import Profile
from partners.models import Partner, PartnerContact
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory
from tests.partners.helpers import change_form_data

pytestmark = pytest.mark.django_db

User = get_user_model()
BAD_IDS = ["999999", "abc", "1.5", "-1"]


def _widget(field):
    widget = field.widget
    return widget.widget if isinstance(widget, RelatedFieldWidgetWrapper) else widget


def _autocomplete_fields(form_class) -> dict:
    return {
        name: _widget(field)
        for name, field in form_class.base_fields.items()
        if isinstance(_widget(field), AutocompleteMixin)
    }


def test_every_admin_autocomplete_field_uses_the_safe_widget(rf, admin_user):
    """Every registered admin and inline: a new one can't forget it."""
    request = rf.get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        forms = [model_admin.get_form(request)]
        forms += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form_class in forms:
            for name, widget in _autocomplete_fields(form_class).items():
                checked += 1
                assert isinstance(
                    widget, SafeAutocompleteSelect | SafeAutocompleteSelectMultiple
                ), f"{model._meta.label}.{name}"
    assert checked >= 8  # Client ×3, Profile ×2, Partner, PartnerContact, Profile inline


# The admin forms that crashed: (URL name, model, factory for the change
# form, the autocomplete field, and for an inline its formset prefix).
TARGETS = {
    "client": ("clients_client", Client, ClientFactory, "assigned_agent", None),
    "client-referrer": ("clients_client", Client, ClientFactory, "referred_by", None),
    "profile": ("pae_ops_profile", Profile, lambda: UserFactory().profile, "leader", None),
    "partner-contact": (
        "partners_partnercontact",
        PartnerContact,
        PartnerContactFactory,
        "partner",
        None,
    ),
    "partner": ("partners_partner", Partner, PartnerFactory, "account_manager", None),
    "user": ("auth_user", Profile, UserFactory, "leader", "profile"),
}


def _field_errors(response, field: str, prefix: str | None):
    if prefix is None:
        return response.context["adminform"].form.errors.get(field)
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return inline.formset.forms[0].errors.get(field)
    raise LookupError(prefix)


def _snapshot(model) -> list:
    return list(model.objects.order_by("pk").values())


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("view", ["add", "change"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_an_unknown_id_in_an_autocomplete_field_is_a_form_error(admin_client, target, view, bad):
    """A 200 with the field's error, never a 500, and nothing saved."""
    # given
    url_name, model, make, field, prefix = TARGETS[target]
    obj = make() if view == "change" else None
    url = reverse(f"admin:{url_name}_{view}", args=[obj.pk] if obj else [])
    name = f"{prefix}-0-{field}" if prefix else field
    edits = {name: bad}
    if prefix:
        edits[f"{prefix}-TOTAL_FORMS"] = "1"  # the add page shows no profile row yet
    data = change_form_data(admin_client.get(url), **edits)
    before = _snapshot(model)
    # when
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 200
    assert _field_errors(response, field, prefix)
    assert _snapshot(model) == before
