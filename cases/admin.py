"""Django admin for the cases app: admins manage the typing taxonomy (with
the rescue protocol's steps), the response templates and the SLA settings;
cases, surveys, change notices, client emails and the other records are
read-only here (they change through the portal's services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    ChangeNotice,
    Escalation,
    Interaction,
    OutboundEmail,
    ResponseTemplate,
    SlaEvent,
    SlaSettings,
    Survey,
    TypingCategory,
    TypingReason,
)
from cases.services.outbox import requeue_failed_client_emails
from pae_ops.admin_mixins import ReadOnlyAdminMixin, ReadOnlyHistoryAdmin


@admin.register(SlaSettings)
class SlaSettingsAdmin(ReadOnlyHistoryAdmin):
    """One row: the numbers of SLA-1, SLA-2, SLA-4 and SLA-5. New cases use
    them; open cases keep the deadlines they were given."""

    list_display = [
        "__str__",
        "first_response_hours",
        "resolution_target_hours",
        "resolution_limit_hours",
        "warning_percent",
        "no_follow_up_hours",
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
                    "opened or reopened afterwards. Time waiting on the client is not paused."
                ),
            },
        )
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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The client-email outbox: failed sends can be queued again."""

    list_display = ["created_at", "kind", "client", "language", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["client"]
    search_fields = ["client__name"]
    actions = ["requeue_failed"]

    @admin.action(description=_("Send the failed emails again"))
    def requeue_failed(self, request, queryset):
        count = requeue_failed_client_emails(
            actor=request.user, email_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d emails queued again.") % {"count": count}, messages.SUCCESS
        )
