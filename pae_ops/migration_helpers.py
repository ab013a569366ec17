"""Helpers that data migrations share (kept stable: migrations import them)."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_group_permissions(
    group: str, app_label: str, *, codename_prefixes: tuple[str, ...] = ()
) -> migrations.RunPython:
    """A RunPython that gives ``group`` the permissions of ``app_label``'s models.

    ``codename_prefixes`` narrows them (``("view_",)`` for read-only).
    Permissions are normally created after all migrations, so the ones this
    grants are created first.
    """

    def _permissions(apps):
        Permission = apps.get_model("auth", "Permission")
        perms = Permission.objects.filter(content_type__app_label=app_label)
        if codename_prefixes:
            from django.db.models import Q

            query = Q()
            for prefix in codename_prefixes:
                query |= Q(codename__startswith=prefix)
            perms = perms.filter(query)
        return perms

    def forward(apps, schema_editor):
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        target, _created = Group.objects.get_or_create(name=group)
        target.permissions.add(*_permissions(apps))

    def backward(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        target = Group.objects.filter(name=group).first()
        if target is not None:
            target.permissions.remove(*_permissions(apps))

    return migrations.RunPython(forward, backward)
