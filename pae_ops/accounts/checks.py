"""System checks: production refuses to run without the second factor.

``TWO_FACTOR_REQUIRED=false`` exists for the demo (no phone at hand) and the
suite. Under ``DJANGO_ENV=production`` it is an error of every check run
(``migrate`` and ``check`` refuse to proceed); ``check --deploy`` names it
in any environment.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

_HINT = (
    "Set TWO_FACTOR_REQUIRED=true (the default): Admins, Directors, Leaders and "
    "Partner approvers must sign in with a second factor. Only the demo turns it off."
)


@checks.register(checks.Tags.security)
def second_factor_in_production(app_configs, **kwargs):
    if getattr(settings, "PRODUCTION", False) and not settings.TWO_FACTOR_REQUIRED:
        return [
            checks.Error(
                "TWO_FACTOR_REQUIRED is off in production.", hint=_HINT, id="accounts.E001"
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def second_factor_for_deploy(app_configs, **kwargs):
    if not settings.TWO_FACTOR_REQUIRED and not getattr(settings, "PRODUCTION", False):
        return [
            checks.Error(
                "TWO_FACTOR_REQUIRED is off: the roles that move money sign in with a "
                "password only.",
                hint=_HINT,
                id="accounts.E002",
            )
        ]
    return []
