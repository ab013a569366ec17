"""Seed the rescue protocol's typing reasons (RES-2, RES-6), the Sales and
Experience area groups a silent rescue case escalates to (RES-3), and give
the Admin role the new cases models in Django admin."""

from django.db import migrations

from pae_ops.migration_helpers import grant_group_permissions

CATEGORY = ("Seguimiento y rescate", "Follow-up and rescue")
STEP_REASONS = [
    ("Llamada personalizada de rescate", "Personalised rescue call", "call"),
    ("Correo con recursos", "Email with resources", "resources_email"),
    ("Encuesta rápida de obstáculos", "Quick obstacles survey", "survey"),
]
AREA_GROUPS = ["Sales area", "Experience area"]


def seed(apps, schema_editor):
    TypingCategory = apps.get_model("cases", "TypingCategory")
    TypingReason = apps.get_model("cases", "TypingReason")
    Group = apps.get_model("auth", "Group")
    category, _created = TypingCategory.objects.get_or_create(
        name_es=CATEGORY[0], defaults={"name_en": CATEGORY[1], "position": 5}
    )
    start = TypingReason.objects.filter(category=category).count()
    for offset, (name_es, name_en, step) in enumerate(STEP_REASONS, start=1):
        reason, _created = TypingReason.objects.get_or_create(
            category=category,
            name_es=name_es,
            defaults={"name_en": name_en, "position": start + offset, "rescue_step": step},
        )
        if reason.rescue_step != step:
            reason.rescue_step = step
            reason.save(update_fields=["rescue_step"])
    for name in AREA_GROUPS:
        Group.objects.get_or_create(name=name)


def unseed(apps, schema_editor):
    TypingReason = apps.get_model("cases", "TypingReason")
    TypingReason.objects.filter(
        name_es__in=[name for name, _en, _step in STEP_REASONS], interactions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_followup_rescue_notices_outbox"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        grant_group_permissions("Admin", "cases"),
    ]
