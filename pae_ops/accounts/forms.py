"""Account forms: shape only; the services decide."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code your app shows now"),
        max_length=8,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name))


def _time_zone_choices() -> list[tuple[str, str]]:
    default = settings.TIME_ZONE
    return [
        ("", _("The portal's zone (%(zone)s)") % {"zone": default}),
        *((name, name.replace("_", " ")) for name in _zone_names()),
    ]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices, required=False)


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, delivering through the portal's outbox.

    ``get_users`` is Django's (active users with a usable password whose
    email matches); the answer page is the same whether any matched.
    """

    def save(self, *args, request=None, **kwargs) -> None:  # type: ignore[override]
        from pae_ops.accounts.services import request_password_reset

        for user in self.get_users(self.cleaned_data["email"]):
            request_password_reset(user=user, request=request)
