from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def nps_promoter(now):
    """SEG-2 "promotes": an NPS answer of 9–10 in the last 12 months."""
    from django.db.models import Exists, OuterRef

    from cases.models import Survey

    return Exists(
        Survey.objects.filter(
            client=OuterRef("pk"),
            kind=Survey.Kind.NPS,
            status=Survey.Status.ANSWERED,
            score__gte=9,
            answered_at__gt=now - timedelta(days=365),
            answered_at__lte=now,
        )
    )


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # The board's saved views keep its filters' parameters (pae_ops.saved_views).
        from cases.filters import BoardFilter
        from pae_ops.roles import Role
        from pae_ops.saved_views import register_page

        register_page(
            key="board",
            url_name="cases:board",
            roles=(Role.LEADER, Role.DIRECTOR),
            params=(*BoardFilter.base_filters, "leader"),
        )
        # clients never imports cases: the signal is registered from here.
        from cases.services.lifecycle import watch_open_cases_of
        from clients.segmentation import BECAME_A_HOOKS, PROMOTER_SIGNALS

        if nps_promoter not in PROMOTER_SIGNALS:
            PROMOTER_SIGNALS.append(nps_promoter)
        # SEG-7: a client who becomes A gets their leader on their open cases.
        if watch_open_cases_of not in BECAME_A_HOOKS:
            BECAME_A_HOOKS.append(watch_open_cases_of)

        # The client emails this app owns, rendered when the outbox sends them.
        from cases.services import outbox
        from pae_ops.outbox import register_renderer

        register_renderer(outbox.SURVEY, outbox.render_survey, prepare=outbox.prepare_surveys)
        register_renderer(
            outbox.CHANGE_NOTICE, outbox.render_change_notice, prepare=outbox.prepare_notices
        )
