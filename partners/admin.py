"""Django admin: where admins take a partner from first contact to the directory.

Recording data (scorecard, interview, agreements, checklist, contacts) goes
through the inlines; who recorded it is stamped from the request. Moving
the stage, pausing, rejecting and creating approver logins call
``partners.services`` (the rule-guarded acts); ``stage`` and ``status`` are
read-only here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Case, IntegerField, Value, When
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pae_ops.accounts.services import send_invitation
from pae_ops.admin_mixins import ReadOnlyHistoryAdmin
from pae_ops.admin_widgets import SafeAutocompleteMixin
from pae_ops.errors import DomainError
from partners import selectors, services
from partners.forms import DocumentInput, StatusReasonForm
from partners.models import (
    STAGE_ORDER,
    Agreement,
    ChecklistItem,
    Language,
    Offering,
    OnboardingTask,
    Partner,
    PartnerContact,
    PartnerStageChange,
    PartnerStatus,
    ScorecardEntry,
    Stage,
    VettingCriterion,
    VettingInterview,
)


def _refusal(partner: Partner, exc: DomainError) -> str:
    """The service's refusal as an admin message: the reason, then what is missing."""
    if not exc.details:
        return format_html("{}: {}", partner, exc.message)
    return format_html(
        '{}: {}<ul class="partner-gaps">{}</ul>',
        partner,
        exc.message,
        format_html_join("", "<li>{}</li>", ((detail,) for detail in exc.details)),
    )


def missing_choices(model, partner: Partner | None, field: str, choices) -> list[str]:
    """The values of ``choices`` that ``partner`` has no ``model`` row for yet, in order."""
    recorded: set[str] = set()
    if partner is not None and partner.pk:
        recorded = set(model.objects.filter(partner=partner).values_list(field, flat=True))
    return [choice for choice in choices.values if choice not in recorded]


class PrefilledChoicesFormSet(BaseInlineFormSet):
    """Offers one blank row per choice the partner has not recorded yet, pre-set to it.

    An untouched row is not saved (Django skips unchanged extra forms).
    """

    choice_field = ""
    choices: type[models.TextChoices]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial_extra is None:
            self.initial_extra = [
                {self.choice_field: choice}
                for choice in missing_choices(
                    self.model, self.instance, self.choice_field, self.choices
                )
            ]


class PrefilledChoicesInline(admin.TabularInline):
    """An inline whose blank rows are the choices still missing (see the formset above)."""

    formset = PrefilledChoicesFormSet
    choice_field = ""
    choices: type[models.TextChoices]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.choice_field = self.choice_field
        formset.choices = self.choices
        return formset

    def get_extra(self, request, obj=None, **kwargs):
        return len(missing_choices(self.model, obj, self.choice_field, self.choices))

    def get_queryset(self, request):
        # Recorded rows in the playbook's order, like the blank ones after them.
        order = Case(
            *(
                When(**{self.choice_field: choice}, then=Value(position))
                for position, choice in enumerate(self.choices.values)
            ),
            output_field=IntegerField(),
        )
        return super().get_queryset(request).order_by(order)


class VettingInterviewInline(SafeAutocompleteMixin, admin.StackedInline):
    model = VettingInterview
    extra = 0
    fields = ["held_on", "interviewer", "notes"]
    autocomplete_fields = ["interviewer"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3})}}

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.interviews.exists() else 1


class ScorecardEntryInline(PrefilledChoicesInline):
    """PAR-1: one row per criterion, with its evidence and the reviewer's verdict."""

    model = ScorecardEntry
    choice_field = "criterion"
    choices = VettingCriterion
    fields = ["criterion", "evidence", "evidence_file", "result", "reviewed_on", "reviewer"]
    readonly_fields = ["reviewer"]
    max_num = len(VettingCriterion)
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
        models.FileField: {"widget": DocumentInput(kind="evidence")},
    }


class AgreementInline(PrefilledChoicesInline):
    """PAR-2 legal stage: the three agreements, each signed, with its document."""

    model = Agreement
    choice_field = "kind"
    choices = Agreement.Kind
    fields = ["kind", "signed_on", "document", "recorded_by"]
    readonly_fields = ["recorded_by"]
    max_num = len(Agreement.Kind)
    formfield_overrides = {models.FileField: {"widget": DocumentInput(kind="agreement")}}


class ChecklistItemInline(PrefilledChoicesInline):
    """PAR-2 operational and training stages: a task is done when it has a date."""

    model = ChecklistItem
    choice_field = "task"
    choices = OnboardingTask
    fields = ["task", "done_on", "notes", "done_by"]
    readonly_fields = ["done_by"]
    max_num = len(OnboardingTask)


class PartnerContactInline(admin.TabularInline):
    model = PartnerContact
    extra = 0
    fields = ["name", "email", "approves_refunds", "login"]
    readonly_fields = ["login"]

    @admin.display(description=gettext_lazy("login"))
    def login(self, obj: PartnerContact) -> str:
        if obj.pk is None:
            return "—"
        if obj.user_id:
            return obj.user.get_username()
        url = (
            reverse("admin:partners_partnercontact_changelist")
            + f"?partner__id__exact={obj.partner_id}"
        )
        return format_html(
            '<a href="{}">{}</a>', url, _("None yet: create it from the contacts list")
        )


class PartnerStageChangeInline(admin.TabularInline):
    """The stage dates: who moved the partner, and when."""

    model = PartnerStageChange
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["from_stage", "to_stage", "changed_by", "changed_at"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("stage history")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(SafeAutocompleteMixin, ReadOnlyHistoryAdmin):
    list_display = [
        "brand_name",
        "legal_name",
        "country",
        "stage_progress",
        "status",
        "account_manager",
        "stage_changed_at",
    ]
    list_filter = [
        "stage",
        "status",
        "country",
        "languages",
        "services",
        ("account_manager", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["legal_name", "brand_name", "country", "contacts__name", "contacts__email"]
    list_select_related = ["account_manager"]
    autocomplete_fields = ["account_manager"]
    readonly_fields = [
        "stage_progress",
        "missing_to_advance",
        "stage_changed_at",
        "status",
        "status_reason",
        "status_changed_by",
        "status_changed_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "legal_name",
                    "brand_name",
                    "country",
                    "languages",
                    "services",
                    "summary",
                    "account_manager",
                ]
            },
        ),
        (
            gettext_lazy("Onboarding"),
            {
                "fields": [
                    "stage_progress",
                    "missing_to_advance",
                    "stage_changed_at",
                    "status",
                    "status_reason",
                    "status_changed_by",
                    "status_changed_at",
                ]
            },
        ),
    ]
    inlines = [
        VettingInterviewInline,
        ScorecardEntryInline,
        AgreementInline,
        ChecklistItemInline,
        PartnerContactInline,
        PartnerStageChangeInline,
    ]
    actions = ["advance_stage", "pause", "reject", "resume"]

    def get_fieldsets(self, request, obj=None):
        # A new partner starts identified and open: nothing to show about onboarding yet.
        return self.fieldsets if obj is not None else self.fieldsets[:1]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else [PartnerContactInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in {"languages", "services"}:
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("stage"), ordering="stage")
    def stage_progress(self, obj: Partner) -> str:
        total = len(STAGE_ORDER)
        status = "" if obj.status == PartnerStatus.OPEN else f" · {obj.get_status_display()}"
        return format_html(
            '<progress value="{number}" max="{total}" data-testid="stage-progress">'
            "{number}/{total}</progress> {stage} ({number}/{total}){status}",
            number=obj.stage_number,
            total=total,
            stage=obj.get_stage_display(),
            status=status,
        )

    @admin.display(description=gettext_lazy("missing to advance"))
    def missing_to_advance(self, obj: Partner) -> str:
        if obj.next_stage is None:
            return "—"
        gaps = selectors.stage_gaps(obj)
        if not gaps:
            return _("Nothing: the stage is complete.")
        return format_html(
            '<ul class="partner-gaps">{}</ul>',
            format_html_join("", "<li>{}</li>", ((gap.text,) for gap in gaps)),
        )

    def save_formset(self, request, form, formset, change):
        """Save the inline rows, stamping who recorded, reviewed or did them."""
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        touched = [(obj, None) for obj in formset.new_objects] + list(formset.changed_objects)
        for obj, changed in touched:
            if isinstance(obj, ScorecardEntry):
                obj.reviewer = request.user
            elif isinstance(obj, Agreement):
                obj.recorded_by = request.user
            elif isinstance(obj, ChecklistItem):
                if obj.done_on is None:
                    obj.done_by = None
                elif changed is None or "done_on" in changed or obj.done_by_id is None:
                    obj.done_by = request.user
            obj.save()
        formset.save_m2m()

    def response_change(self, request, obj):
        if "_advance_stage" not in request.POST:
            return super().response_change(request, obj)
        self.message_user(request, _("The partner was saved."), messages.SUCCESS)
        expected = request.POST.get("expected_stage")
        self._advance(request, obj, expected if expected in Stage.values else None)
        return HttpResponseRedirect(request.path)

    def _advance(self, request, partner: Partner, expected_stage: str | None) -> None:
        try:
            moved = services.advance_partner_stage(
                actor=request.user, partner_id=partner.pk, expected_stage=expected_stage
            )
        except DomainError as exc:
            self.message_user(request, _refusal(partner, exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(partner)s moved to the stage “%(stage)s”.")
                % {"partner": moved, "stage": moved.get_stage_display()},
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Advance to the next stage"), permissions=["change"])
    def advance_stage(self, request, queryset):
        for partner in queryset.order_by("pk"):
            # The stage listed is the one the admin chose to advance from.
            self._advance(request, partner, partner.stage)

    def _status_action(self, request, queryset, act, *, title: str, done: str):
        """Ask for the reason on an intermediate page, then call ``act`` for each partner."""
        form = StatusReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for partner in queryset.order_by("pk"):
                try:
                    act(
                        actor=request.user,
                        partner_id=partner.pk,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    self.message_user(request, _refusal(partner, exc), messages.ERROR)
                else:
                    self.message_user(request, f"{partner}: {done}", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "partners": queryset,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/partners/partner/status_reason.html", context)

    @admin.action(description=gettext_lazy("Pause (with a reason)"), permissions=["change"])
    def pause(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            services.pause_partner,
            title=_("Pause partners"),
            done=_("paused."),
        )

    @admin.action(description=gettext_lazy("Reject (with a reason)"), permissions=["change"])
    def reject(self, request, queryset):
        return self._status_action(
            request,
            queryset,
            services.reject_partner,
            title=_("Reject partners"),
            done=_("rejected."),
        )

    @admin.action(description=gettext_lazy("Resume paused partners"), permissions=["change"])
    def resume(self, request, queryset):
        for partner in queryset.order_by("pk"):
            try:
                services.resume_partner(actor=request.user, partner_id=partner.pk)
            except DomainError as exc:
                self.message_user(request, _refusal(partner, exc), messages.ERROR)
            else:
                self.message_user(request, f"{partner}: {_('resumed.')}", messages.SUCCESS)


@admin.register(PartnerContact)
class PartnerContactAdmin(SafeAutocompleteMixin, ReadOnlyHistoryAdmin):
    list_display = ["name", "email", "partner", "approves_refunds", "user"]
    list_filter = ["approves_refunds", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "email", "partner__brand_name", "partner__legal_name"]
    list_select_related = ["partner", "user"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["user"]
    actions = ["create_approver_login", "send_approver_invitation"]

    @admin.action(
        description=gettext_lazy("Create a partner approver login"), permissions=["change"]
    )
    def create_approver_login(self, request, queryset):
        for contact in queryset.select_related("partner").order_by("pk"):
            try:
                user = services.create_partner_approver_login(
                    actor=request.user, contact_id=contact.pk
                )
            except DomainError as exc:
                self.message_user(
                    request, format_html("{}: {}", contact, exc.message), messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("Login %(username)s created for %(contact)s.")
                        % {"username": user.get_username(), "contact": contact.name},
                        reverse("admin:auth_user_change", args=[user.pk]),
                        _("An invitation to choose the password went to %(email)s.")
                        % {"email": user.email},
                    ),
                    messages.SUCCESS,
                )

    @admin.action(
        description=gettext_lazy(
            "Send the approver login an invitation (replaces any earlier link)"
        ),
        permissions=["change"],
    )
    def send_approver_invitation(self, request, queryset):
        for contact in queryset.select_related("user").order_by("pk"):
            if contact.user_id is None:
                self.message_user(
                    request,
                    format_html("{}: {}", contact, _("Create its login first.")),
                    messages.ERROR,
                )
                continue
            try:
                send_invitation(actor=request.user, user_id=contact.user_id, request=request)
            except DomainError as exc:
                self.message_user(
                    request, format_html("{}: {}", contact, exc.message), messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("Invitation sent to %(email)s; any earlier link stopped working.")
                    % {"email": contact.user.email},
                    messages.SUCCESS,
                )


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
