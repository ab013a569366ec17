"""Fixed-window rate limits counted in PostgreSQL.

The public survey page counts requests per client address here rather than
in the cache: with Redis stopped or hung the page still answers (DESIGN: no
public page needs Redis). One statement per hit: an upsert that starts a new
window when the old one is over and returns the count. Keys are hashed with
``SECRET_KEY`` so no address is stored; ``purge_rate_limits`` drops windows
that are over (nightly).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from pae_ops.models import RateLimitBucket


def _key(scope: str, value: str) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()


def hit(scope: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request of ``value`` in ``scope``; True when it is over ``limit``."""
    now = timezone.now()
    table = RateLimitBucket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS b (key, window_started_at, hits)"  # noqa: S608 (model)
            " VALUES (%s, %s, 1)"
            " ON CONFLICT (key) DO UPDATE SET"
            " hits = CASE WHEN b.window_started_at <= %s THEN 1 ELSE b.hits + 1 END,"
            " window_started_at = CASE WHEN b.window_started_at <= %s"
            " THEN EXCLUDED.window_started_at ELSE b.window_started_at END"
            " RETURNING hits",
            [_key(scope, value), now, *[now - timedelta(seconds=window_seconds)] * 2],
        )
        (hits,) = cursor.fetchone()
    return hits > limit


def purge_rate_limits(*, older_than_seconds: int, now: datetime | None = None) -> int:
    """Delete windows that started more than ``older_than_seconds`` ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    return RateLimitBucket.objects.filter(window_started_at__lt=cutoff).delete()[0]
