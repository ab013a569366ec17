"""Suite-wide fixtures: PostgreSQL and Redis only, Chromium for the browser tests."""

from __future__ import annotations

import os

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; without this
# any ORM call in a browser test raises SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config):
    # The suite runs on the real parts (settings refuse anything but
    # PostgreSQL); Redis has no embedded stand-in.
    if not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("The suite needs Redis: set REDIS_URL (make test does).")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets an empty in-process cache (axes counters, throttles)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _temporary_media_root(settings, tmp_path):
    """Files a test uploads go to its own temporary MEDIA_ROOT, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def role_groups(transactional_db):
    """The role groups, for transactional tests.

    The data migration creates them, but a transactional test flushes every
    table when it ends, so the next one on the same database finds none.
    """
    from django.contrib.auth.models import Group

    from pae_ops.roles import Role

    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """A URL for subprocesses (gunicorn, celery) that points at the test database."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
