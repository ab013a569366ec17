"""Give the Admin role the cases models in Django admin (the taxonomy, the
templates and the SLA settings; cases and their records are read-only there
whatever the permission says)."""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_seed_settings_taxonomy_templates"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [grant_group_permissions("Admin", "cases")]
