from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        # The client list's saved views keep its filters' parameters.
        from clients.filters import ClientFilter
        from pae_ops.roles import Role
        from pae_ops.saved_views import register_page

        register_page(
            key="clients",
            url_name="clients:list",
            roles=(Role.AGENT, Role.LEADER, Role.DIRECTOR),
            params=tuple(ClientFilter.base_filters),
        )
