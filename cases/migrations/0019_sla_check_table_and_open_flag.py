"""The SLA sweep's escalation as a heap-only update (issue 15).

- The case table keeps a fifth of each page free (``fillfactor = 80``; the
  new column below rewrites the table, so existing rows get the room too).
- ``status_is_open``, a stored generated column, is the predicate of the
  partial indexes of open cases instead of the statuses: an open case whose
  status moves to *escalated* changes no indexed value.
- The next SLA check moves to its own narrow table (``cases_slacheck``), its
  rows copied from the column it replaces.

Adding the column rewrites ``cases_case`` under an exclusive lock (about two
seconds at 200,000 cases on the scale data set).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_response_clock_one_pending"),
        ("clients", "0010_client_name_order_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE cases_case SET (fillfactor = 80)",
            "ALTER TABLE cases_case RESET (fillfactor)",
        ),
        migrations.CreateModel(
            name="SlaCheck",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sla_check",
                        serialize=False,
                        to="cases.case",
                        verbose_name="case",
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next SLA check at"),
                ),
            ],
            options={
                "verbose_name": "next SLA check",
                "verbose_name_plural": "next SLA checks",
            },
        ),
        migrations.RunSQL(
            "INSERT INTO cases_slacheck (case_id, at)"
            " SELECT id, next_sla_check_at FROM cases_case WHERE next_sla_check_at IS NOT NULL",
            "UPDATE cases_case c SET next_sla_check_at = s.at FROM cases_slacheck s"
            " WHERE s.case_id = c.id",
        ),
        migrations.RemoveConstraint(
            model_name="case",
            name="cases_case_one_open_rescue",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_assignee_open_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_open_res_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_open_res_warn_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_open_fr_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_open_fr_warn_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_open_followup_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_rescue_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_next_sla_check_idx",
        ),
        migrations.RemoveField(
            model_name="case",
            name="next_sla_check_at",
        ),
        migrations.AddField(
            model_name="case",
            name="status_is_open",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Q(("status__in", ["new", "in_progress", "waiting", "escalated"])),
                output_field=models.BooleanField(),
                verbose_name="open",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status_is_open", True)),
                fields=["assignee", "resolution_due_at"],
                name="cases_case_assignee_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status_is_open", True)),
                fields=["resolution_due_at"],
                name="cases_case_open_res_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status_is_open", True)),
                fields=["resolution_warn_at"],
                name="cases_case_open_res_warn_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status_is_open", True)),
                fields=["first_response_due_at"],
                name="cases_case_open_fr_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("first_responded_at__isnull", True), ("status_is_open", True)),
                fields=["first_response_warn_at"],
                name="cases_case_open_fr_warn_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status_is_open", True)),
                fields=["follow_up_due_at"],
                name="cases_case_open_followup_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("kind", "rescue"),
                    ("rescue_escalated_at__isnull", True),
                    ("status_is_open", True),
                ),
                fields=["rescue_escalate_at"],
                name="cases_case_rescue_due_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "rescue"), ("status_is_open", True)),
                fields=("client",),
                name="cases_case_one_open_rescue",
                violation_error_message="This client already has an open rescue case.",
            ),
        ),
        migrations.AddIndex(
            model_name="slacheck",
            index=models.Index(
                condition=models.Q(("at__isnull", False)),
                fields=["at", "case"],
                name="cases_slacheck_due_idx",
            ),
        ),
    ]
