"""Let the Admin role see failed and locked sign-ins and the security audit.

django-axes' access attempts (locks; deleting one unlocks the login),
failures and logins, and this app's events, invitations and sessions, all
read-only except unlocking.
"""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [
        grant_group_permissions("Admin", "accounts", codename_prefixes=("view_",)),
        grant_group_permissions(
            "Admin", "axes", codename_prefixes=("view_", "delete_accessattempt")
        ),
    ]
