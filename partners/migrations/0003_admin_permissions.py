"""Give the Admin role the Django admin permissions on every partners model.

The Admin group itself comes from pae_ops/migrations/0002_roles.py.
"""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_languages"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [grant_group_permissions("Admin", "partners")]
