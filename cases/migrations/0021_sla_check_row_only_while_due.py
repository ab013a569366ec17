"""A case with nothing left to check has no ``SlaCheck`` row (was: a row with
NULL, written by the services, beside the rows the sweep deletes): the NULL
rows go, ``at`` is required, and the sweep's index needs no condition."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_fewer_sweep_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            "DELETE FROM cases_slacheck WHERE at IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(model_name="slacheck", name="cases_slacheck_due_idx"),
        migrations.AlterField(
            model_name="slacheck",
            name="at",
            field=models.DateTimeField(verbose_name="next SLA check at"),
        ),
        migrations.AddIndex(
            model_name="slacheck",
            index=models.Index(fields=["at", "case"], name="cases_slacheck_due_idx"),
        ),
    ]
