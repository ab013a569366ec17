"""The Django admin in Spanish, end to end: every app's changelist and add
form, the permission pickers, django-axes' and simple-history's screens."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from pae_ops.admin import permission_label
from tests.factories import UserFactory
from tests.policies.visible_text import visible_text

pytestmark = pytest.mark.django_db

OUR_APPS = {"pae_ops", "partners", "clients", "cases", "refunds", "kpis", "accounts", "axes"}
# English that used to show in the Spanish admin (and words no Spanish label has).
KNOWN_ENGLISH = [
    "created by",
    "offered by",
    "sent by",
    "Can view",
    "Can add",
    "Can change",
    "Can delete",
    "access attempt",
    "access failure",
    "User Agent",
    "IP Address",
    "Attempt Time",
    "Failed Logins",
    "Change History",
    "Changed by",
    "Date/time",
]


def _english_names() -> set[str]:
    """Our models' and fields' English names that Spanish says otherwise."""
    names: set[str] = set()
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        labels = [model._meta.verbose_name, model._meta.verbose_name_plural]
        labels += [f.verbose_name for f in model._meta.fields]
        for label in labels:
            with translation.override("en"):
                en = str(label)
            with translation.override("es"):
                es = str(label)
            if en.lower() != es.lower() and (" " in en or len(en) >= 8):
                names.add(en)
    return names


def _admin_pages() -> list[str]:
    urls = []
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        for name in ("changelist", "add"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{name}"))
    return urls


def test_every_admin_page_of_our_apps_is_spanish(client):
    """Changelists and add forms in Spanish show no English model or field name."""
    # given an administrator who reads Spanish (the taxonomy's English names
    # are data, shown in their own column: blank them out of the way)
    from cases.models import TypingCategory, TypingReason

    TypingCategory.objects.update(name_en="-")
    TypingReason.objects.update(name_en="-")
    admin_user = UserFactory(admin=True, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    english = _english_names() | set(KNOWN_ENGLISH)
    # As the admin writes them: the first letter in either case, the rest as is
    # (django-axes' "Access Log for …" is a row's str(), data, not a name).
    patterns = {
        name: re.compile(rf"\b[{name[0].upper()}{name[0].lower()}]{re.escape(name[1:])}\b")
        for name in english
    }
    found: dict[str, list[str]] = {}
    pages = _admin_pages()
    assert len(pages) > 30
    for url in pages:
        # when the page renders
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
        if response.status_code == 403:  # read-only models have no add form
            continue
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        # then no English name is left in it
        hits = [name for name, pattern in patterns.items() if pattern.search(text)]
        if hits:
            found[url] = hits
    assert found == {}


def test_permission_labels_are_spanish():
    permission = Permission.objects.select_related("content_type").get(codename="view_client")
    with translation.override("es"):
        label = permission_label(permission)
    assert label.endswith("| cliente | Puede ver cliente")
    with translation.override("en"):
        assert permission_label(permission).endswith("| client | Can view client")


def test_the_group_form_lists_permissions_in_spanish(client):
    client.force_login(UserFactory(admin=True, is_staff=True, is_superuser=True))
    group = Group.objects.first()
    response = client.get(reverse("admin:auth_group_change", args=[group.pk]))
    html = response.content.decode()
    assert "Puede ver cliente" in html
    assert "Can view client" not in html


def test_the_typing_taxonomy_is_seeded_in_both_languages():
    """RULES: TYP-2. Each seeded category and reason has a Spanish and an English name."""
    from cases.models import TypingCategory, TypingReason

    for row in [*TypingCategory.objects.all(), *TypingReason.objects.all()]:
        assert row.name_es
        assert row.name_en
    assert not TypingReason.objects.filter(name_es__in=["Upsell", "Cross-sell"]).exists()


def test_the_lockout_screen_is_spanish(client, settings):
    """django-axes' lockout page is ours (registration/locked_out.html), translated."""
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory(username="locked-es")
    for _attempt in range(3):
        response = client.post(
            reverse("login"), {"username": user.username, "password": "wrong"}, follow=True
        )
    text = visible_text(response.content.decode())
    assert "Demasiados intentos" in text or "bloquead" in text
    assert "Too many" not in text
