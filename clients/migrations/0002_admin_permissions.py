"""Give the Admin role the clients models in Django admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "client",
    "product",
    "purchase",
    "paymentplan",
    "installment",
    "payment",
    "creditentry",
    "offer",
    "livesession",
    "attendance",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="clients", content_type__model__in=MODELS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.filter(name="Admin").first()
    if admin:
        admin.permissions.remove(*Permission.objects.filter(content_type__app_label="clients"))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
