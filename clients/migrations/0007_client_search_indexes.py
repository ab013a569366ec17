"""Trigram indexes for the navigation bar's search: a client's name (accents
ignored), email and phone digits, any part of each (``cases.search``).

Built CONCURRENTLY: a deploy does not block writes to the clients table
while they build.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

import pae_ops.search_sql


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("clients", "0006_paymentplan_pay1_purchase_price_trigger"),
        ("pae_ops", "0007_search_extensions"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="client",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    pae_ops.search_sql.Unaccent("name"), name="gin_trgm_ops"
                ),
                name="clients_client_name_trgm",
            ),
        ),
        AddIndexConcurrently(
            model_name="client",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(models.F("email"), name="gin_trgm_ops"),
                name="clients_client_email_trgm",
            ),
        ),
        AddIndexConcurrently(
            model_name="client",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    pae_ops.search_sql.Digits("phone"), name="gin_trgm_ops"
                ),
                name="clients_client_phone_trgm",
            ),
        ),
    ]
