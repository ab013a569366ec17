from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from pae_ops import services
from pae_ops.models import Heartbeat, Notification, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    extra = 0
    max_num = 1
    autocomplete_fields = ["leader"]
    verbose_name_plural = _("team and language")


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "team_leader", "is_active"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__leader"]
    list_select_related = ["profile__leader"]

    @admin.display(description=_("team leader"), ordering="profile__leader__username")
    def team_leader(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.leader if profile and profile.leader else "—"


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "leader", "language"]
    list_filter = ["language", "leader"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "leader"]
    list_select_related = ["user", "leader"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "email_status"]
    list_filter = ["email_status", "kind"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["requeue_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the failed emails again"))
    def requeue_failed(self, request, queryset):
        count = services.requeue_failed_notifications(
            actor=request.user, notification_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)d emails queued again.") % {"count": count}, messages.SUCCESS
        )


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "run_count", "hostname"]
    readonly_fields = ["name", "last_run_at", "run_count", "hostname"]

    def has_add_permission(self, request):
        return False
