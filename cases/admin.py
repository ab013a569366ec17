"""Django admin for the cases app: admins manage the typing taxonomy (with
the rescue protocol's steps), the response templates and the SLA settings;
cases, surveys, change notices, client emails and the other records are
read-only here (they change through the portal's services)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    CasePause,
    ChangeNotice,
    Escalation,
    Interaction,
    ResponseClock,
    ResponseTemplate,
    SlaEvent,
    SlaSettings,
    Survey,
    TypingCategory,
    TypingReason,
)
from pae_ops.admin_mixins import ReadOnlyAdminMixin, ReadOnlyHistoryAdmin


@admin.register(SlaSettings)
class SlaSettingsAdmin(ReadOnlyHistoryAdmin):
    """One row: the numbers of SLA-1, SLA-2, SLA-4 and SLA-5 and the SLA-3
    pause switch. New cases use them; open cases keep the deadlines they
    were given."""

    list_display = [
        "__str__",
        "first_response_hours",
        "resolution_target_hours",
        "resolution_limit_hours",
        "warning_percent",
        "no_follow_up_hours",
        "pause_while_waiting",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "first_response_hours",
                    "resolution_target_hours",
                    "resolution_limit_hours",
                    "warning_percent",
                    "no_follow_up_hours",
                ],
                "description": _(
                    "Business hours of the default business calendar. Changes apply to cases "
                    "opened or reopened (and contacts logged) afterwards."
                ),
            },
        ),
        (
            _("Waiting on the client"),
            {
                "fields": ["pause_while_waiting"],
                "description": _(
                    "Off by default: a case waiting on the client keeps its deadlines. Turned "
                    "on, it applies to cases that start waiting afterwards."
                ),
            },
        ),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SlaSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class TypingReasonInline(admin.TabularInline):
    model = TypingReason
    extra = 1
    fields = ["name_es", "name_en", "is_active", "position", "rescue_step"]


@admin.register(TypingCategory)
class TypingCategoryAdmin(ReadOnlyHistoryAdmin):
    """TYP-2: deactivate instead of deleting; old typing stays valid."""

    list_display = ["name_es", "name_en", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name_es", "name_en"]
    inlines = [TypingReasonInline]


@admin.register(TypingReason)
class TypingReasonAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name_es", "name_en", "category", "is_active", "position", "rescue_step"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "rescue_step", "category"]
    list_select_related = ["category"]
    search_fields = ["name_es", "name_en", "category__name_es"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(ReadOnlyHistoryAdmin):
    """COM-6: saved replies in Spanish and English."""

    list_display = ["name_es", "name_en", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name_es", "name_en", "body_es", "body_en"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = [
        "id",
        "subject",
        "client",
        "kind",
        "status",
        "assignee",
        "opened_at",
        "first_response_due_at",
        "resolution_due_at",
    ]
    list_filter = ["status", "kind", "escalation_level"]
    list_select_related = ["client", "assignee"]
    search_fields = ["subject", "client__name"]
    date_hierarchy = "opened_at"


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["occurred_at", "client", "channel", "direction", "handled_by", "reason"]
    list_filter = ["channel", "direction"]
    list_select_related = ["client", "handled_by", "reason"]
    search_fields = ["client__name", "summary"]
    date_hierarchy = "occurred_at"


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "level", "source", "escalated_by", "escalated_to", "created_at"]
    list_filter = ["level", "source"]
    list_select_related = ["case", "escalated_by", "escalated_to"]


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "window", "kind", "cycle", "occurred_at", "recorded_at"]
    list_filter = ["window", "kind"]
    list_select_related = ["case"]


@admin.register(ResponseClock)
class ResponseClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """SLA-1: the answer each later contact of a case waits for."""

    list_display = ["case", "number", "started_at", "due_at", "answered_at", "stopped_at"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "contact"]


@admin.register(CasePause)
class CasePauseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """SLA-3: the waits on the client that did not count."""

    list_display = ["case", "started_at", "ended_at"]
    list_select_related = ["case"]
    raw_id_fields = ["case"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """COM-2: surveys and their answers (the link itself is stored nowhere)."""

    list_display = ["sent_at", "kind", "client", "agent", "status", "score", "answered_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["client", "agent"]
    search_fields = ["client__name", "comment"]
    date_hierarchy = "sent_at"


@admin.register(ChangeNotice)
class ChangeNoticeAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    """COM-4: leaders schedule notices in the portal."""

    list_display = ["title_es", "kind", "scheduled_send_at", "effective_at", "status"]
    list_filter = ["kind", "status", "emergency"]
    list_select_related = ["product"]
