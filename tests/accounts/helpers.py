"""Helpers of the accounts tests: codes from a device, signing in for real."""

from __future__ import annotations

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEMO_PASSWORD


def code_for(device: TOTPDevice, *, at: float, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows at ``at`` (``steps_ahead`` later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = at + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def confirmed_device(user) -> TOTPDevice:
    from pae_ops.accounts.services.two_factor import _issue_recovery_codes

    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    device.recovery_codes = _issue_recovery_codes(user)
    return device


def password_login(client, user, password: str = DEMO_PASSWORD):
    """Sign in through the login form (axes and the signals run as in a browser)."""
    return client.post(reverse("login"), {"username": user.get_username(), "password": password})


def send_outbox() -> int:
    """Run the outbox relay once (what the worker does); return how many went."""
    from pae_ops.outbox import relay_outbox

    return relay_outbox().sent
