"""Seed the languages partners can speak (the directory filter and PAR-4 read them)."""

from django.db import migrations

LANGUAGES = [("es", "Spanish"), ("en", "English"), ("pt", "Portuguese"), ("fr", "French")]


def add_languages(apps, schema_editor):
    Language = apps.get_model("partners", "Language")
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})


def remove_languages(apps, schema_editor):
    # Only rows no partner uses; the others stay with the data that needs them.
    Language = apps.get_model("partners", "Language")
    Language.objects.filter(code__in=[code for code, _name in LANGUAGES], partners=None).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(add_languages, remove_languages)]
