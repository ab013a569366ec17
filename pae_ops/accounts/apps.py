from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pae_ops.accounts"
    label = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        # The receivers of Django's auth signals (sessions and the audit),
        # and the system checks of the second-factor settings.
        from pae_ops.accounts import checks, receivers  # noqa: F401
        from pae_ops.accounts.emails import register_account_renderers

        register_account_renderers()
