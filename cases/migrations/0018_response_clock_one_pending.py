"""One clock per wait (SLA-1) as a constraint: a case waits on one response
clock at a time, so the lists join that clock instead of asking for it with
a subquery per case and per use (the board's sort ran ~13,000 of them).

The unique partial index replaces the plain one on (case, started_at) with
the same condition; it is built first, so the lookups always have one. On a
database where a case waits on two clocks (the services never start a second
one) the migration stops with an IntegrityError naming the case: settle the
older clock by hand, then migrate again.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_drop_case_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="responseclock",
            constraint=models.UniqueConstraint(
                condition=models.Q(("answered_at__isnull", True), ("stopped_at__isnull", True)),
                fields=("case",),
                name="cases_respclock_one_pending",
            ),
        ),
        migrations.RemoveIndex(
            model_name="responseclock",
            name="cases_respclock_pending_idx",
        ),
    ]
