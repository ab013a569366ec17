"""Moving the test database between migration states (migration tests)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]) -> None:
    """Apply or unapply migrations until ``targets`` are the latest applied."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def migrate_to_latest() -> None:
    """Every migration applied again (a migration test's ``finally``)."""
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())
