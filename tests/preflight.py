"""Check the services the suite needs before it starts; say what is missing.

Run by ``make test`` before pytest. Exits 1 with instructions when
PostgreSQL, Redis or Chromium is missing: the suite never skips silently.
"""

from __future__ import annotations

import os
import shutil
import sys
from urllib.parse import urlparse


def _check_postgres(url: str) -> str | None:
    import psycopg

    parts = urlparse(url)
    try:
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            connect_timeout=3,
        ) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return (
            f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432} ({exc}).\n"
            "  Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  Or point DATABASE_URL at a server where the user may create databases."
        )
    return None


def _check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        return (
            f"Redis is not reachable at {url} ({exc}).\n"
            '  Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no\n  Or point REDIS_URL at a running server."
        )
    return None


def _check_chromium(path: str) -> str | None:
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    if shutil.which(path):
        return None
    advice = "  Install it: apt-get update && apt-get install -y chromium\n"
    advice += "  Or set CHROMIUM_PATH to a Chromium binary."
    return f"Chromium is missing at {path} (browser tests drive it).\n{advice}"


def main() -> int:
    problems = [
        problem
        for problem in (
            _check_postgres(os.environ["DATABASE_URL"]),
            _check_redis(os.environ["REDIS_URL"]),
            _check_chromium(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")),
        )
        if problem
    ]
    for problem in problems:
        print(f"make test: {problem}", file=sys.stderr)  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
