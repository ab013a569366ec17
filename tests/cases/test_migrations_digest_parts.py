"""Migration cases/0016: a digest's array of cases becomes one part, with its count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import UserFactory
from tests.migrations import migrate_to, migrate_to_latest

BEFORE = [("cases", "0015_taxonomy_spanish_sales_names")]
AFTER = [("cases", "0016_sla_digest_parts")]


@pytest.mark.django_db(transaction=True)
def test_existing_digests_keep_their_cases_as_one_part():
    """RULES: SLA-4. A digest written before the migration lists the same
    cases after it, and back again."""
    person = UserFactory()
    migrate_to(BEFORE)
    try:
        with connection.cursor() as cursor:
            for key, case_ids in (("a", [5, 3, 9]), ("b", [])):
                cursor.execute(
                    "INSERT INTO pae_ops_notification (recipient_id, kind, title, body, url,"
                    " dedupe_key, created_at, read_at) VALUES (%s, 'sla-breach', 't', '', '',"
                    " %s, %s, NULL) RETURNING id",
                    [person.pk, f"sla-digest:{key}", timezone.now()],
                )
                (note_id,) = cursor.fetchone()
                cursor.execute(
                    "INSERT INTO cases_sladigest (notification_id, swept_at, case_ids, emailed_at)"
                    " VALUES (%s, %s, %s, NULL)",
                    [note_id, timezone.now(), case_ids],
                )
        migrate_to(AFTER)
        from cases.models import SlaDigest

        digests = {d.notification.dedupe_key: d for d in SlaDigest.objects.all()}
        assert digests["sla-digest:a"].case_ids == [5, 3, 9]
        assert digests["sla-digest:a"].case_count == 3
        assert digests["sla-digest:b"].case_ids == []
        assert digests["sla-digest:b"].case_count == 0
        migrate_to(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT case_ids FROM cases_sladigest ORDER BY notification_id")
            assert [row[0] for row in cursor.fetchall()] == [[5, 3, 9], []]
    finally:
        migrate_to_latest()
