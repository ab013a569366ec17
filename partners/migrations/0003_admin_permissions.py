"""Give the Admin role the Django admin permissions on every partners model.

The Admin group itself comes from pae_ops/migrations/0002_roles.py.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant_partner_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure the
    # ones this migration assigns exist already.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _created = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="partners"))


def revoke_partner_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.filter(name="Admin").first()
    if admin is not None:
        admin.permissions.remove(*Permission.objects.filter(content_type__app_label="partners"))


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_languages"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_partner_permissions, revoke_partner_permissions)]
