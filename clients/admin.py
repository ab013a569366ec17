"""Django admin for clients and products; money records are read-only here
(they change through the portal's services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from clients import services
from clients.imports import COLUMNS, MAX_BYTES, MAX_ROWS
from clients.models import (
    Attendance,
    Client,
    CreditEntry,
    Installment,
    LiveSession,
    Offer,
    Payment,
    PaymentPlan,
    Product,
    Purchase,
)
from pae_ops.admin_mixins import ReadOnlyAdminMixin, ReadOnlyHistoryAdmin
from pae_ops.admin_widgets import SafeAutocompleteMixin
from pae_ops.errors import DomainError
from partners.models import Partner, PartnerStatus, Stage
from partners.services import ensure_partner_can_sell


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma-separated, at most 2 MB and 5,000 rows."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(_("The file is larger than 2 MB."))
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError(_("Upload a .csv file."))
        return upload


@admin.register(Client)
class ClientAdmin(SafeAutocompleteMixin, ReadOnlyHistoryAdmin):
    list_display = [
        "name",
        "email",
        "computed_segment",
        "segment_override",
        "assigned_agent",
        "credit_balance",
    ]
    list_filter = ["computed_segment", "segment_override", "languages", "assigned_agent"]
    search_fields = ["name", "email", "phone"]
    list_select_related = ["assigned_agent"]
    autocomplete_fields = ["assigned_agent", "leader", "referred_by"]
    filter_horizontal = ["languages"]
    readonly_fields = [
        "value_tier",
        "engagement_tier",
        "computed_segment",
        "segment_reason",
        "segment_computed_at",
        "segment_override",
        "override_reason",
        "override_by",
        "override_at",
        "credit_balance",
        "net_paid",
        "last_answered_at",
        "last_contacted_at",
    ]
    change_list_template = "admin/clients/client/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="clients_client_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:clients_client_changelist")
        form = ClientImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                count = services.import_clients_csv(
                    actor=request.user, data=form.cleaned_data["file"].read()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                errors = [str(detail) for detail in exc.details]
            else:
                self.message_user(
                    request, _("%(count)d clients imported.") % {"count": count}, messages.SUCCESS
                )
                return redirect(reverse("admin:clients_client_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import clients from CSV"),
            "form": form,
            "row_errors": errors,
            "columns": COLUMNS,
            "max_rows": MAX_ROWS,
            "opts": self.model._meta,
        }
        return render(request, "admin/clients/client/import.html", context)


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "kind",
            "list_price",
            "partner",
            "delivery_period_days",
            "guarantee_period_days",
            "refundable",
            "refund_window_days",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Active partners, and the product's own (it may have been paused
        # since: the product can still be changed or switched off).
        active = Q(stage=Stage.DIRECTORY, status=PartnerStatus.OPEN)
        if self.instance.partner_id:
            active |= Q(pk=self.instance.partner_id)
        self.fields["partner"].queryset = Partner.objects.filter(active)

    def clean_partner(self):
        partner = self.cleaned_data["partner"]
        if partner.pk == self.instance.partner_id:
            return partner
        try:
            ensure_partner_can_sell(partner=partner)  # PAR-3
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return partner


@admin.register(Product)
class ProductAdmin(ReadOnlyHistoryAdmin):
    form = ProductAdminForm
    list_display = ["name", "kind", "list_price", "partner", "refundable", "is_active"]
    list_filter = ["kind", "is_active", "refundable", "partner"]
    search_fields = ["name", "partner__brand_name", "partner__legal_name"]
    list_select_related = ["partner"]

    def save_model(self, request, obj, form, change):
        # PAR-3 is the service's (and the database's); the form said it first.
        services.save_product(actor=request.user, product=obj)


class InstallmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Installment
    extra = 0
    fields = ["number", "due_on", "amount", "paid_amount", "paid_on", "overdue_alerted_at"]
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["product", "client", "price", "purchased_on", "status", "refunded_amount"]
    list_filter = ["status", "product__partner", "product__kind"]
    search_fields = ["client__name", "client__email", "product__name"]
    list_select_related = ["product", "client"]
    date_hierarchy = "purchased_on"


@admin.register(PaymentPlan)
class PaymentPlanAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["purchase", "kind", "installment_count", "total", "created_at"]
    list_filter = ["kind"]
    search_fields = ["purchase__client__name", "purchase__product__name"]
    list_select_related = ["purchase__client", "purchase__product"]
    inlines = [InstallmentInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["client", "purchase", "amount", "received_on", "recorded_by"]
    search_fields = ["client__name", "reference"]
    list_select_related = ["client", "purchase__product", "recorded_by"]
    date_hierarchy = "received_on"


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["client", "kind", "amount", "balance_after", "created_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["client__name", "source"]
    list_select_related = ["client", "created_by"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["client", "product", "kind", "outcome", "offered_by", "decided_at"]
    list_filter = ["kind", "outcome"]
    search_fields = ["client__name", "product__name"]
    list_select_related = ["client", "product", "offered_by"]


class AttendanceInline(SafeAutocompleteMixin, admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["client"]
    fields = ["client", "status", "recorded_at"]
    readonly_fields = ["status", "recorded_at"]


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "starts_at"]
    search_fields = ["title"]
    list_select_related = ["product"]
    inlines = [AttendanceInline]
