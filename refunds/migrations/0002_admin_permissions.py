"""Admins may view refund records in Django admin (never change them: REF-10)."""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [grant_group_permissions("Admin", "refunds", codename_prefixes=("view_",))]
