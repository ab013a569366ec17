import itertools
import zoneinfo

import holidays
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pae_ops import outbox, services
from pae_ops.accounts.admin import UserAccountAdminMixin
from pae_ops.admin_mixins import ReadOnlyHistoryAdmin
from pae_ops.admin_widgets import SafeAutocompleteMixin
from pae_ops.models import (
    BusinessCalendar,
    Closure,
    Heartbeat,
    Notification,
    OutboxEmail,
    Profile,
    SavedView,
    Weekday,
    WorkingInterval,
)

User = get_user_model()


class ProfileInline(SafeAutocompleteMixin, admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    extra = 0
    max_num = 1
    autocomplete_fields = ["leader"]
    verbose_name_plural = _("team, language and time zone")


_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as the admin's language says it: "Clientes | cliente | Puede ver cliente".

    Django stores permission names in English when it creates them
    (``Can view client``); this builds the label from the translated app and
    model names instead, and translates a custom permission's name through
    the catalogue. Needs ``content_type`` selected (Django's admin does it).
    """
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    opts = model._meta
    action, _sep, rest = permission.codename.partition("_")
    if action in _ACTIONS and rest == opts.model_name:
        name = str(_ACTIONS[action]) % {"model": opts.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


class TranslatedPermissionsMixin:
    """The permissions' pickers of users and groups, labelled in the admin's language."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.label_from_instance = permission_label
            # Permissions of models that no longer exist (Django keeps their
            # rows) have no translated name and grant nothing: not offered.
            live = ContentType.objects.get_for_models(*apps.get_models()).values()
            field.queryset = field.queryset.filter(content_type__in=[ct.pk for ct in live])
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, DjangoGroupAdmin):
    pass


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, UserAccountAdminMixin, DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "team_leader", "is_active"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__leader"]
    list_select_related = ["profile__leader"]

    @admin.display(description=_("team leader"), ordering="profile__leader__username")
    def team_leader(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.leader if profile and profile.leader else "—"


@admin.register(Profile)
class ProfileAdmin(SafeAutocompleteMixin, ReadOnlyHistoryAdmin):
    list_display = ["user", "leader", "language"]
    list_filter = ["language", "leader"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "leader"]
    list_select_related = ["user", "leader"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """The email outbox: read-only; failed and unconfirmed emails have actions."""

    list_display = [
        "created_at",
        "kind",
        "priority",
        "to_user",
        "status",
        "attempts",
        "sent_at",
        "message_id",
    ]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["to_user__username", "message_id", "subject"]
    list_select_related = ["to_user"]
    # The client's address and the context are not listed (personal data).
    exclude = ["to_address", "context"]
    readonly_fields = [
        f.name for f in OutboxEmail._meta.fields if f.name not in {"to_address", "context"}
    ]
    actions = ["send_again", "mark_sent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again (failed, or unconfirmed not in the mail log)"))
    def send_again(self, request, queryset):
        count = outbox.requeue_emails(
            actor=request.user, email_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d emails queued again.") % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=_("Mark unconfirmed emails sent (found in the mail log)"))
    def mark_sent(self, request, queryset):
        count = outbox.confirm_emails_sent(
            actor=request.user, email_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d emails marked sent.") % {"count": count}, messages.SUCCESS
        )


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Users save and share their views on the pages (``services.save_view``);
    an admin reads them and may delete one, never edits it."""

    list_display = ["name", "owner", "page", "shared_with_team", "created_at"]
    list_filter = ["page", "shared_with_team"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["owner", "name", "page", "query", "shared_with_team", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "run_count", "hostname"]
    readonly_fields = ["name", "last_run_at", "run_count", "hostname"]

    def has_add_permission(self, request):
        return False


# The business calendar (BH-1) ------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _holiday_country_choices() -> list[tuple[str, str]]:
    # Two-letter codes only: the package also accepts three-letter aliases,
    # which would list every country twice.
    codes = sorted(code for code in holidays.list_supported_countries() if len(code) == 2)
    return [(code, code) for code in codes]


class BusinessCalendarForm(forms.ModelForm):
    """Offers the time zones and holiday countries as lists (the model validates them)."""

    time_zone = forms.ChoiceField(label=_("time zone"), choices=_time_zone_choices)
    holiday_country = forms.ChoiceField(
        label=_("public holidays of"), choices=_holiday_country_choices
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "holiday_country", "holiday_subdivision", "is_default"]


class WorkingIntervalFormSet(BaseInlineFormSet):
    """Refuses overlaps among the intervals submitted together.

    ``WorkingInterval.clean()`` compares a row with the saved ones; rows
    added in the same submission are only visible here.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        by_weekday: dict[int, list[tuple]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start_time") is None:
                continue
            by_weekday.setdefault(data["weekday"], []).append(
                (data["start_time"], data["end_time"])
            )
        for weekday, pairs in by_weekday.items():
            pairs.sort()
            for (_start, end), (next_start, _end) in itertools.pairwise(pairs):
                if next_start < end:
                    raise ValidationError(
                        _("Two working intervals on %(weekday)s overlap.")
                        % {"weekday": Weekday(weekday).label}
                    )


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    fields = ["weekday", "start_time", "end_time"]
    extra = 0
    # A calendar without working hours could not compute any deadline.
    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        # The admin passes min_num to the formset but not validate_min.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class ClosureInline(admin.TabularInline):
    model = Closure
    fields = ["date", "start_time", "end_time", "reason"]
    extra = 0
    ordering = ["-date", "start_time"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnlyHistoryAdmin):
    form = BusinessCalendarForm
    inlines = [WorkingIntervalInline, ClosureInline]
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision", "is_default"]
    list_filter = ["is_default", "holiday_country"]
    search_fields = ["name"]
    actions = ["make_default"]

    @admin.action(description=_("Make the selected calendar the default"))
    def make_default(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one calendar."), messages.ERROR)
            return
        calendar = services.make_default_business_calendar(
            actor=request.user, calendar_id=queryset.get().pk
        )
        self.message_user(
            request,
            _("“%(name)s” is now the default calendar.") % {"name": calendar.name},
            messages.SUCCESS,
        )
