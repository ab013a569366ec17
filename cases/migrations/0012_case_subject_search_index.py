"""A trigram index for the navigation bar's search: any part of a case's
subject, accents ignored (``cases.search``). Built CONCURRENTLY."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations

import pae_ops.search_sql


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0011_backfill_breaches_of_cases_ended_late"),
        ("pae_ops", "0007_search_extensions"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    pae_ops.search_sql.Unaccent("subject"), name="gin_trgm_ops"
                ),
                name="cases_case_subject_trgm",
            ),
        ),
    ]
