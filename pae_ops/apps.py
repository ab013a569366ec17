from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaeOpsConfig(AppConfig):
    name = "pae_ops"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from pae_ops.outbox import register_renderer
        from pae_ops.outbox.renderers import prepare_notifications, render_notification

        register_renderer("notification", render_notification, prepare=prepare_notifications)

        from pae_ops.error_reports import ERROR_REPORT, render_error_report

        register_renderer(ERROR_REPORT, render_error_report)
