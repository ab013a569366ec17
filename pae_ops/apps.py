from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaeOpsConfig(AppConfig):
    name = "pae_ops"
    verbose_name = _("Portal")
