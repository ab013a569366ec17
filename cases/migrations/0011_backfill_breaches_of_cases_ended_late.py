"""Record, without notices, the breaches of cases that ended after a deadline
before the sweep read such cases (SLA-4 catch-up).

Until 0009 the sweep read only open cases, so a case answered or resolved
after its deadline between two sweeps (or while the sweep was down) got no
breach record. From now on the sweep records them and notifies; for the
history before this change a notice about a case long resolved would only be
noise, so the missing records are written here, at the stored deadlines,
with no notification and no escalation. Also gives the Admin role the new
models (read-only in the admin).
"""

from django.db import migrations
from django.utils import timezone

from pae_ops.migration_helpers import grant_group_permissions

ENDED_AFTER = "(c.resolved_at > c.{due} OR (c.resolved_at IS NULL AND c.closed_at > c.{due}))"


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    SlaEvent = apps.get_model("cases", "SlaEvent")
    cases, events = Case._meta.db_table, SlaEvent._meta.db_table
    now = timezone.now()
    statements = [
        (
            "first_response",
            "1",
            "first_response_due_at",
            "(c.first_responded_at IS NULL OR c.first_responded_at > c.first_response_due_at)",
        ),
        ("resolution", "c.sla_cycle", "resolution_due_at", "TRUE"),
    ]
    with schema_editor.connection.cursor() as cursor:
        for window, cycle, due, unanswered in statements:
            cursor.execute(
                f"""
                INSERT INTO {events} (case_id, "window", kind, cycle, occurred_at, recorded_at)
                SELECT c.id, %s, 'breach', {cycle}, c.{due}, %s
                FROM {cases} c
                WHERE c.{due} <= %s AND {unanswered} AND {ENDED_AFTER.format(due=due)}
                ON CONFLICT DO NOTHING
                """,  # noqa: S608 (names from the models)
                [window, now, now],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_sla_catch_up_response_clocks_pauses_submission_key"),
        ("pae_ops", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        grant_group_permissions("Admin", "cases"),
    ]
