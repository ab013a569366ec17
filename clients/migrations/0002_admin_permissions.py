"""Give the Admin role the clients models in Django admin."""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [grant_group_permissions("Admin", "clients")]
