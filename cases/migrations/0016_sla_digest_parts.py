"""A digest's cases as one row per batch (``SlaDigestPart``) and a count.

Each batch of a sweep used to append its cases to the digest's array, so a
storm rewrote an ever longer list in every batch. Existing digests keep their
cases: each becomes one part, its count the array's length.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
    INSERT INTO cases_sladigestpart (digest_id, case_ids)
    SELECT notification_id, case_ids FROM cases_sladigest WHERE cardinality(case_ids) > 0;
    UPDATE cases_sladigest SET case_count = cardinality(case_ids);
"""
BACKWARD = """
    UPDATE cases_sladigest d SET case_ids = COALESCE((
        SELECT array_agg(x.case_id ORDER BY p.id, x.n)
        FROM cases_sladigestpart p, unnest(p.case_ids) WITH ORDINALITY AS x (case_id, n)
        WHERE p.digest_id = d.notification_id), '{}');
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_taxonomy_spanish_sales_names")]

    operations = [
        migrations.AddField(
            model_name="sladigest",
            name="case_count",
            field=models.PositiveIntegerField(default=0, verbose_name="number of cases"),
        ),
        migrations.CreateModel(
            name="SlaDigestPart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "case_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), size=None, verbose_name="cases"
                    ),
                ),
                (
                    "digest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="cases.sladigest",
                        verbose_name="SLA digest",
                    ),
                ),
            ],
            options={
                "verbose_name": "SLA digest part",
                "verbose_name_plural": "SLA digest parts",
            },
        ),
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
        migrations.RemoveField(model_name="sladigest", name="case_ids"),
    ]
