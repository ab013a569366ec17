"""Escalations and SLA events lose their own case index: a composite index that starts with the case
(escalations: case, created_at; events: the unique case, window, kind, cycle) serves the same
lookups and cascades, and the sweep writes one index entry less per row."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_sla_digest_parts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="escalation",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="escalations",
                to="cases.case",
                verbose_name="case",
            ),
        ),
        migrations.AlterField(
            model_name="slaevent",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sla_events",
                to="cases.case",
                verbose_name="case",
            ),
        ),
    ]
