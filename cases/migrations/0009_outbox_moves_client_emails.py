# The client-email outbox merges into the portal's one outbox (pae_ops).

from django.db import migrations

COPY = """
INSERT INTO pae_ops_outboxemail
    (kind, priority, to_user_id, to_address, language, context, notification_id,
     dedupe_key, status, attempts, next_attempt_at, claim_token, message_id, subject,
     created_at, sent_at, last_error)
SELECT e.kind,
       CASE WHEN e.kind = 'change_notice' THEN 3 ELSE 2 END,
       NULL, c.email, e.language,
       CASE WHEN e.kind = 'survey' THEN jsonb_build_object('survey_id', e.survey_id)
            ELSE jsonb_build_object('notice_id', e.notice_id, 'client_id', e.client_id) END,
       NULL, e.dedupe_key,
       e.status,
       e.attempts, now(), '', '', e.subject, e.created_at,
       CASE WHEN e.status = 'sent' THEN COALESCE(e.sent_at, e.created_at) END,
       e.last_error
FROM cases_outboundemail e
JOIN clients_client c ON c.id = e.client_id
-- The outbox needs an address: a client who has none now had nothing sent.
WHERE c.email <> ''
ON CONFLICT DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_kpi_indexes"),
        ("pae_ops", "0004_outbox"),
    ]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(
            name="OutboundEmail",
        ),
    ]
