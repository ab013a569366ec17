"""The Sales reasons of the seed taxonomy get Spanish names (their English
ones stay): "Upsell" and "Cross-sell" were English in both columns. Only
rows that still carry the seed's name change; an admin's edit is kept."""

from django.db import migrations

RENAMES = {
    "Upsell": "Venta adicional (upsell)",
    "Cross-sell": "Venta cruzada (cross-sell)",
}


def rename(apps, schema_editor):
    TypingReason = apps.get_model("cases", "TypingReason")
    for old, new in RENAMES.items():
        TypingReason.objects.filter(name_es=old, name_en=old).update(name_es=new)


def restore(apps, schema_editor):
    TypingReason = apps.get_model("cases", "TypingReason")
    for old, new in RENAMES.items():
        TypingReason.objects.filter(name_es=new, name_en=old).update(name_es=old)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_next_sla_check_and_digests")]

    operations = [migrations.RunPython(rename, restore)]
