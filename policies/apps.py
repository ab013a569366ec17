from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """The Políticas page: the playbook's policies with the values in force.

    Right-most app (it reads the settings of every other one); no models.
    """

    name = "policies"
    verbose_name = _("Policies")
