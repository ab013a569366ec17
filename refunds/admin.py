"""Refund records in Django admin: read-only (REF-10: nobody edits the audit)."""

from django.contrib import admin

from pae_ops.admin_mixins import ReadOnlyAdminMixin, ReadOnlyHistoryAdmin
from refunds.models import ExitSurvey, RefundApproval, RefundOffer, RefundRequest


class OfferInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundOffer
    extra = 0
    fields = ["kind", "amount", "answer", "offered_by", "created_at", "answered_at"]
    readonly_fields = fields


class ApprovalInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundApproval
    extra = 0
    fields = ["role", "approver", "decision", "comment", "decided_at"]
    readonly_fields = fields


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
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


@admin.register(ExitSurvey)
class ExitSurveyAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["request", "sent_at", "answered_at", "refused"]
    list_select_related = ["request__client"]
