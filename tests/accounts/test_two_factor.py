"""The second factor: who must use it, enrolment, codes, recovery codes,
throttling, the admins' reset, and the production refusal."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django_otp.plugins.otp_totp.models import TOTPDevice

from pae_ops.accounts import services
from pae_ops.accounts.models import RecoveryCode, SecurityEvent
from pae_ops.roles import Role
from tests.accounts.helpers import code_for, confirmed_device, password_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}
MONEY_ROLES = [Role.LEADER, Role.DIRECTOR, Role.ADMIN, Role.PARTNER_APPROVER]

# The pages a signed-in user without a verified second factor may open: the
# enrolment and code pages, logging out, the language switch, and the pages
# that need no login at all (sign-in, survey links, password reset, invitations).
OPEN_BEFORE_SECOND_FACTOR = {
    "accounts:two-factor-setup",
    "accounts:two-factor-verify",
    "logout",
    "set-language",
    "login",
    "admin:login",
    "survey",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-complete",
    "accounts:password-reset-confirm",
    "accounts:invitation-accept",
    # The orchestrator's probes: public, answered before any session is read.
    "health-live",
    "health-ready",
    "health-jobs",
}


def _every_url() -> list[tuple[str, str]]:
    """(name, path) of every named URL of the portal, admin included."""
    found: list[tuple[str, str]] = []

    def walk(patterns, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(
                    entry.url_patterns,
                    f"{namespace}{entry.namespace}:" if entry.namespace else namespace,
                )
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                path = _reverse_with_dummies(name, entry)
                if path is not None:
                    found.append((name, path))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def _reverse_with_dummies(name: str, entry: URLPattern) -> str | None:
    names = list(entry.pattern.regex.groupindex)
    for dummy in ("1", "auth", "user"):
        try:
            return reverse(name, kwargs=dict.fromkeys(names, dummy))
        except NoReverseMatch:
            continue
    return None


def make(role: Role, **kwargs):
    return UserFactory(**{TRAITS[role]: True}, **kwargs)


def test_the_url_walk_sees_the_whole_portal():
    names = {name for name, _path in _every_url()}
    # The pages of every app and the admin's change pages are all in the sweep.
    assert {
        "home",
        "team",
        "refunds:request-approve",
        "kpis:dashboard",
        "clients:detail",
        "cases:detail",
        "partners:directory",
        "accounts:account",
        "admin:index",
        "admin:auth_user_change",
    } <= names
    assert len(names) > 100


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_money_roles_without_a_factor_reach_only_enrolment_on_every_url(
    client, second_factor_required, role
):
    """A leader, director, admin or partner approver with the right password
    but no second factor: every other URL of the portal (GET and POST)
    sends them to the enrolment page and does nothing. The admin site's
    URLs are swept for the Admin role (the others are not staff)."""
    user = make(role)
    assert password_login(client, user).status_code == 302
    setup = reverse("accounts:two-factor-setup")
    leaked = []
    for name, path in _every_url():
        if name in OPEN_BEFORE_SECOND_FACTOR:
            continue
        if name.startswith("admin:") and role != Role.ADMIN:
            continue
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code != 302 or not response.url.startswith(setup):
                leaked.append((method.__name__, name, path, response.status_code))
    assert leaked == []
    # The enrolment page itself opens, with its QR code.
    page = client.get(setup)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()


@pytest.mark.parametrize("role", MONEY_ROLES)
def test_money_roles_reach_their_home_once_verified(client, second_factor_required, role):
    from tests.pae_ops.test_views import HOMES

    user = make(role)
    device = confirmed_device(user)
    password_login(client, user)
    response = client.get(reverse(HOMES[role]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two-factor-verify"))
    import time

    client.post(reverse("accounts:two-factor-verify"), {"code": code_for(device, at=time.time())})
    assert client.get(reverse(HOMES[role])).status_code == 200


def test_agents_may_go_without_a_factor_unless_the_setting_requires_it(
    client, second_factor_required
):
    agent = make(Role.AGENT)
    client.force_login(agent)
    assert client.get(reverse("my-work")).status_code == 200
    second_factor_required.TWO_FACTOR_REQUIRED_FOR_AGENTS = True
    response = client.get(reverse("my-work"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two-factor-setup"))


def test_an_enrolled_agent_is_asked_for_a_code_at_sign_in(client):
    """Even with the requirement off, whoever enrolled signs in with a code."""
    agent = make(Role.AGENT)
    confirmed_device(agent)
    password_login(client, agent)
    response = client.get(reverse("my-work"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two-factor-verify"))


def test_htmx_requests_are_told_to_go_to_enrolment(client, second_factor_required):
    client.force_login(make(Role.LEADER))
    response = client.get(reverse("team"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("accounts:two-factor-setup")


def test_enrolment_confirms_with_a_code_and_shows_recovery_codes_once(
    client, second_factor_required, totp_clock
):
    leader = make(Role.LEADER)
    client.force_login(leader)
    page = client.get(reverse("accounts:two-factor-setup")).content.decode()
    device = TOTPDevice.objects.get(user=leader, confirmed=False)
    # The secret shown for typing is the device's key in base32.
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert len(secret.replace(" ", "")) == 32

    response = client.post(
        reverse("accounts:two-factor-setup"), {"code": code_for(device, at=totp_clock.now)}
    )
    assert response.status_code == 302
    codes_page = client.get(response.url).content.decode()
    codes = re.findall(r"<li class=\"col\">([a-z0-9]{5}-[a-z0-9]{5})</li>", codes_page)
    assert len(codes) == 10
    # Shown once: the page does not show them again.
    assert client.get(reverse("accounts:recovery-codes")).status_code == 302
    # Stored hashed: no code appears in the database.
    stored = list(
        RecoveryCode.objects.filter(device__user=leader).values_list("code_hash", flat=True)
    )
    assert len(stored) == 10
    assert not any(code.replace("-", "") in value for code in codes for value in stored)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("team")).status_code == 200
    assert SecurityEvent.objects.filter(user=leader, kind="factor_enrolled").exists()


def test_enrolment_refuses_a_wrong_code_and_changes_nothing(
    client, second_factor_required, totp_clock
):
    leader = make(Role.LEADER)
    client.force_login(leader)
    client.get(reverse("accounts:two-factor-setup"))
    device = TOTPDevice.objects.get(user=leader)
    wrong = code_for(device, at=totp_clock.now, steps_ahead=5)
    response = client.post(reverse("accounts:two-factor-setup"), {"code": wrong})
    assert response.status_code == 200
    assert "no es correcto" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not RecoveryCode.objects.filter(device__user=leader).exists()


def _verify(client, code):
    return client.post(reverse("accounts:two-factor-verify"), {"code": code})


def test_a_wrong_totp_code_is_refused(client, second_factor_required, totp_clock):
    director = make(Role.DIRECTOR)
    device = confirmed_device(director)
    password_login(client, director)
    response = _verify(client, code_for(device, at=totp_clock.now, steps_ahead=4))
    assert response.status_code == 200
    assert client.get(reverse("direction")).status_code == 302
    assert SecurityEvent.objects.filter(user=director, kind="second_factor_failed").count() == 1


def test_a_replayed_totp_code_is_refused(client, second_factor_required, totp_clock):
    """A code that signed in once does not sign in again (django-otp's last_t)."""
    director = make(Role.DIRECTOR)
    device = confirmed_device(director)
    code = code_for(device, at=totp_clock.now)
    password_login(client, director)
    assert _verify(client, code).status_code == 302
    assert client.get(reverse("direction")).status_code == 200

    # Someone who saw the code signs in with the password and replays it.
    other = client.__class__()
    password_login(other, director)
    totp_clock.advance(5)
    response = _verify(other, code)
    assert response.status_code == 200
    assert other.get(reverse("direction")).status_code == 302
    # The next code works.
    totp_clock.advance(30)
    assert _verify(other, code_for(device, at=totp_clock.now)).status_code == 302


def test_a_recovery_code_works_once(client, second_factor_required, totp_clock):
    approver = make(Role.PARTNER_APPROVER)
    device = confirmed_device(approver)
    code = device.recovery_codes[0]
    password_login(client, approver)
    assert _verify(client, code.upper()).status_code == 302
    assert client.get(reverse("partner-approvals")).status_code == 200
    assert SecurityEvent.objects.filter(user=approver, kind="recovery_code_used").exists()

    other = client.__class__()
    password_login(other, approver)
    totp_clock.advance(60)
    assert _verify(other, code).status_code == 200
    assert other.get(reverse("partner-approvals")).status_code == 302
    # Another unused code still works.
    totp_clock.advance(60)
    assert _verify(other, device.recovery_codes[1]).status_code == 302


def test_wrong_codes_count_as_failed_sign_ins_and_lock_the_login(
    client, second_factor_required, totp_clock, settings
):
    """Login throttling (django-axes) applies to the second factor: after
    AXES_FAILURE_LIMIT wrong codes the session ends, the lock page answers,
    and even the right password is refused until the lock ends."""
    leader = make(Role.LEADER)
    device = confirmed_device(leader)
    password_login(client, leader)
    statuses = []
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        totp_clock.advance(120)  # past django-otp's own back-off
        statuses.append(
            _verify(client, code_for(device, at=totp_clock.now, steps_ahead=9)).status_code
        )
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    assert SESSION_KEY not in client.session
    # The password no longer opens a session.
    response = password_login(client, leader)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_device_back_off_refuses_even_the_right_code_right_after_a_wrong_one(
    client, second_factor_required, totp_clock
):
    leader = make(Role.LEADER)
    device = confirmed_device(leader)
    password_login(client, leader)
    _verify(client, code_for(device, at=totp_clock.now, steps_ahead=9))
    response = _verify(client, code_for(device, at=totp_clock.now))
    assert response.status_code == 200
    assert "Demasiados códigos incorrectos" in response.content.decode()
    totp_clock.advance(2)
    assert _verify(client, code_for(device, at=totp_clock.now)).status_code == 302


def test_admin_reset_removes_the_factor_ends_sessions_and_is_audited(
    client, second_factor_required
):
    admin = make(Role.ADMIN)
    leader = make(Role.LEADER)
    confirmed_device(leader)
    client.force_login(leader)
    services.reset_second_factor(actor=admin, user_id=leader.pk)
    assert not TOTPDevice.objects.filter(user=leader).exists()
    assert not RecoveryCode.objects.filter(device__user=leader).exists()
    event = SecurityEvent.objects.get(user=leader, kind="factor_reset")
    assert event.actor == admin
    # The leader's open session ended; signing in again leads to enrolment.
    assert client.get(reverse("team")).url.startswith(reverse("login"))
    password_login(client, leader)
    assert client.get(reverse("team")).url.startswith(reverse("accounts:two-factor-setup"))


def test_only_admins_reset_a_factor():
    """RULES: ROLE-1"""
    leader = make(Role.LEADER)
    confirmed_device(leader)
    with pytest.raises(PermissionDenied):
        services.reset_second_factor(actor=make(Role.DIRECTOR), user_id=leader.pk)
    assert TOTPDevice.objects.filter(user=leader).exists()


def test_admin_action_resets_the_factor(client):
    admin = UserFactory(admin=True, is_superuser=True)
    leader = make(Role.LEADER)
    confirmed_device(leader)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factors", "_selected_action": [leader.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=leader).exists()
    assert SecurityEvent.objects.filter(user=leader, kind="factor_reset", actor=admin).exists()


def test_required_roles_cannot_remove_their_factor(client, second_factor_required, totp_clock):
    leader = make(Role.LEADER)
    device = confirmed_device(leader)
    password_login(client, leader)
    _verify(client, code_for(device, at=totp_clock.now))
    client.post(reverse("accounts:two-factor-remove"))
    assert TOTPDevice.objects.filter(user=leader).exists()


def test_an_agent_may_remove_an_optional_factor(client, totp_clock):
    agent = make(Role.AGENT)
    device = confirmed_device(agent)
    password_login(client, agent)
    _verify(client, code_for(device, at=totp_clock.now))
    client.post(reverse("accounts:two-factor-remove"))
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert client.get(reverse("my-work")).status_code == 200


def test_the_qr_code_needs_no_cdn_and_meets_the_csp(client, second_factor_required):
    client.force_login(make(Role.LEADER))
    response = client.get(reverse("accounts:two-factor-setup"))
    page = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert re.findall(r"<(?:script|img|link)[^>]+(?:src|href)=\"https?://", page) == []
    assert "<style" not in page
    assert " style=" not in page


def _manage_check(**env_overrides):
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "DEBUG", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=Path(__file__).resolve().parents[2],
        env={"SECRET_KEY": secrets.token_urlsafe(64), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_run_without_the_second_factor():
    result = _manage_check(
        DJANGO_ENV="production", ALLOWED_HOSTS="ops.example.com", TWO_FACTOR_REQUIRED="false"
    )
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr + result.stdout


def test_check_deploy_names_a_demo_without_the_second_factor():
    result = _manage_check(DJANGO_ENV="development", TWO_FACTOR_REQUIRED="false")
    assert "accounts.E002" in result.stderr + result.stdout


def test_the_second_factor_is_required_by_default_outside_the_suite():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "TWO_FACTOR_REQUIRED"}}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v0",
            "-c",
            "from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr
