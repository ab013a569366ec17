from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        # SEG-7: a client who becomes A gets their leader on their open
        # refund requests (clients never imports refunds).
        from clients.segmentation import BECAME_A_HOOKS
        from refunds.services import watch_open_requests_of

        if watch_open_requests_of not in BECAME_A_HOOKS:
            BECAME_A_HOOKS.append(watch_open_requests_of)
