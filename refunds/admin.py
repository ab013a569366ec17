"""Refund records in Django admin: read-only (REF-10: nobody edits the audit)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from refunds.models import ExitSurvey, RefundApproval, RefundOffer, RefundRequest


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OfferInline(ReadOnlyMixin, admin.TabularInline):
    model = RefundOffer
    extra = 0
    fields = ["kind", "amount", "answer", "offered_by", "created_at", "answered_at"]
    readonly_fields = fields


class ApprovalInline(ReadOnlyMixin, admin.TabularInline):
    model = RefundApproval
    extra = 0
    fields = ["role", "approver", "decision", "comment", "decided_at"]
    readonly_fields = fields


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = [
        "pk",
        "client",
        "purchase",
        "kind",
        "status",
        "proposal",
        "proposed_amount",
        "frequent_refund",
        "created_at",
    ]
    list_filter = ["status", "kind", "proposal", "frequent_refund", "outside_terms"]
    search_fields = ["client__name", "client__email", "purchase__product__name"]
    list_select_related = ["client", "purchase__product"]
    inlines = [OfferInline, ApprovalInline]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Viewing a past version is fine; reverting it is not (REF-10).
        extra_context = {**(extra_context or {}), "revert_disabled": True}
        if request.method == "POST":
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(ExitSurvey)
class ExitSurveyAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["request", "sent_at", "answered_at", "refused"]
    list_select_related = ["request__client"]
