"""Migrations cases/0019 (the next SLA check moves from the case row into
``cases_slacheck``, and back when it is reversed) and cases/0021 (the NULL
checks go)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.cases.factories import CaseFactory, mx
from tests.migrations import migrate_to, migrate_to_latest

BEFORE = [("cases", "0018_response_clock_one_pending")]
AFTER = [("cases", "0019_sla_check_table_and_open_flag")]


def _rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_every_next_check_moves_to_its_table_and_back():
    """RULES: SLA-4. A check stored on the case before the migration is the
    case's row in the table after it; a case without one gets no row; a
    reversal puts each back on its case."""
    due = CaseFactory(next_sla_check_at=mx(2026, 11, 9, 16))
    later = CaseFactory(next_sla_check_at=None)
    migrate_to(BEFORE)
    try:
        assert _rows("SELECT id, next_sla_check_at FROM cases_case") == {
            due.pk: mx(2026, 11, 9, 16),
            later.pk: None,
        }
        with connection.cursor() as cursor:  # written under the old schema
            cursor.execute(
                "UPDATE cases_case SET next_sla_check_at = %s WHERE id = %s",
                [mx(2026, 11, 10, 9), later.pk],
            )
        migrate_to(AFTER)
        assert _rows("SELECT case_id, at FROM cases_slacheck") == {
            due.pk: mx(2026, 11, 9, 16),
            later.pk: mx(2026, 11, 10, 9),
        }
        migrate_to(BEFORE)
        assert _rows("SELECT id, next_sla_check_at FROM cases_case") == {
            due.pk: mx(2026, 11, 9, 16),
            later.pk: mx(2026, 11, 10, 9),
        }
    finally:
        migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_the_null_checks_the_services_stored_go_and_the_others_stay():
    """RULES: SLA-4. Migration cases/0021: a case with nothing left has no row
    (before it the services stored NULL)."""
    due, settled = CaseFactory(next_sla_check_at=mx(2026, 11, 9, 16)), CaseFactory()
    migrate_to([("cases", "0020_fewer_sweep_indexes")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_slacheck SET at = NULL WHERE case_id = %s", [settled.pk])
        migrate_to([("cases", "0021_sla_check_row_only_while_due")])
        assert _rows("SELECT case_id, at FROM cases_slacheck") == {due.pk: mx(2026, 11, 9, 16)}
    finally:
        migrate_to_latest()
