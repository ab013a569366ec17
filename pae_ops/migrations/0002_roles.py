"""Create the portal's roles as groups, with the permissions each one needs.

Role checks in views and services read group membership (pae_ops.roles);
the model permissions below are what Django admin needs. Later apps add
their own permissions to these groups in their own data migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ["Agent", "Leader", "Director", "Admin", "Partner approver"]

# The Admin role manages users, teams, periodic tasks, login lock-outs and
# the outbox in Django admin.
ADMIN_APPS = {
    "auth": ["user", "group"],
    "pae_ops": ["profile", "notification", "heartbeat"],
    "django_celery_beat": [
        "periodictask",
        "intervalschedule",
        "crontabschedule",
        "solarschedule",
        "clockedschedule",
    ],
    "axes": ["accessattempt", "accessfailurelog", "accesslog"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure the
    # ones this migration assigns exist already.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)

    admin = Group.objects.get(name="Admin")
    for app_label, models in ADMIN_APPS.items():
        perms = Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
        admin.permissions.add(*perms)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pae_ops", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "__latest__"),
        ("axes", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
