"""The real client address behind trusted proxies, and what keys on it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.survey_links import survey_path
from pae_ops.client_address import client_address
from pae_ops.roles import Role
from pae_ops.throttle import hit, purge_rate_limits
from tests.cases.factories import SurveyFactory
from tests.pae_ops.test_views import make_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    from tests.cases.conftest import FrozenClock

    frozen = FrozenClock(timezone.now())
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # the proxy appended the client it saw
        (PROXY, "203.0.113.7", "203.0.113.7"),
        # a chain of trusted proxies (a network entry): the first untrusted from the right
        (PROXY, "203.0.113.7, 10.1.2.3", "203.0.113.7"),
        # what the client wrote to the left is not believed
        (PROXY, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # a peer that is not a trusted proxy: its header is ignored
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),
        # no header, or a malformed hop: the peer
        (PROXY, "", PROXY),
        (PROXY, "203.0.113.7, not-an-ip", PROXY),
        (PROXY, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_believes_only_trusted_proxies(behind_proxy, remote, forwarded, expected):
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta) == expected


def test_client_address_ignores_the_header_when_no_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = []
    meta = {"REMOTE_ADDR": "198.51.100.9", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client_address(meta) == "198.51.100.9"


def test_rate_limit_counts_per_key_in_fixed_windows(clock):
    for _ in range(3):
        assert not hit("t", "a", limit=3, window_seconds=60)
    assert hit("t", "a", limit=3, window_seconds=60)
    assert not hit("t", "b", limit=3, window_seconds=60)
    clock.advance(seconds=61)
    assert not hit("t", "a", limit=3, window_seconds=60)
    clock.advance(hours=25)
    assert purge_rate_limits(older_than_seconds=24 * 3600) == 2


def test_the_rate_limit_stores_no_address():
    from pae_ops.models import RateLimitBucket

    hit("survey", "203.0.113.7", limit=3, window_seconds=60)
    assert "203.0.113.7" not in RateLimitBucket.objects.get().key


def test_survey_rate_limit_behind_the_proxy_keys_on_each_client(client, settings, behind_proxy):
    """RULES: COM-2. Behind the proxy, one client's limit is not everyone's."""
    settings.SURVEY_RATE_LIMIT = 2
    path = survey_path(SurveyFactory(kind="csat").pk)
    first = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(2):
        assert client.get(path, **first).status_code == 200
    assert client.get(path, **first).status_code == 429
    # another client through the same proxy still gets the page
    other = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert client.get(path, **other).status_code == 200
    # and a client cannot escape its limit by forging the header itself
    forged = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "9.9.9.9, 203.0.113.7"}
    assert client.get(path, **forged).status_code == 429


def test_login_lockout_behind_the_proxy_locks_only_the_guessing_client(client, behind_proxy):
    """Five wrong passwords from one client do not lock the leader out everywhere."""
    leader = make_user(Role.LEADER)
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for _ in range(5):
        client.post(reverse("login"), {"username": leader.username, "password": "x"}, **attacker)
    locked = client.post(
        reverse("login"), {"username": leader.username, "password": "pae-demo-2026"}, **attacker
    )
    assert locked.status_code == 429
    # the page says how long the lockout lasts (AXES_COOLOFF_HOURS = 0.25)
    assert "bloqueado durante 15 minutos" in locked.content.decode()
    # the leader, from their own address behind the same proxy, signs in
    own = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.10"}
    response = client.post(
        reverse("login"), {"username": leader.username, "password": "pae-demo-2026"}, **own
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(leader.pk)
