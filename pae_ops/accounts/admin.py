"""Admin: invitations instead of admin-set passwords, the second-factor reset,
deactivation that signs out, and the read-only security audit.

``UserAccountAdminMixin`` is mixed into the portal's ``UserAdmin``
(``pae_ops/admin.py``). Failed and locked sign-ins are django-axes' own
admin pages (access attempts and failures), which the Admin role may view
(``migrations/0002_admin_permissions.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pae_ops.accounts import services
from pae_ops.accounts.models import Invitation, SecurityEvent, UserSession
from pae_ops.errors import DomainError

User = get_user_model()


class InviteUserCreationForm(forms.ModelForm):
    """A new login without a password: its owner chooses it through the invitation."""

    send_invitation = forms.BooleanField(
        label=_("Send the invitation now"),
        required=False,
        initial=True,
        help_text=_("The person chooses their own password through a single-use link."),
    )

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


def _without_password(fieldsets):
    return tuple(
        (name, {**options, "fields": tuple(f for f in options["fields"] if f != "password")})
        for name, options in fieldsets
    )


class UserAccountAdminMixin:
    """Invitation, factor reset and sign-out for Django admin's user pages."""

    add_form = InviteUserCreationForm
    add_form_template = None
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "first_name", "last_name", "send_invitation"),
            },
        ),
    )
    actions = ["send_invitations", "reset_second_factors", "deactivate_and_sign_out"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else _without_password(fieldsets)

    def save_model(self, request, obj, form, change):
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            services.user_deactivated(actor=request.user, user=obj, request=request)
        if not change and form.cleaned_data.get("send_invitation"):
            self._invite(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Passwords are chosen by their owners only (issue: invitations
        # instead of admin-set passwords).
        messages.error(
            request,
            _("Admins do not set passwords: send an invitation, or the person resets it."),
        )
        return redirect(reverse("admin:auth_user_change", args=[id]))

    def _invite(self, request, user) -> bool:
        try:
            services.send_invitation(actor=request.user, user_id=user.pk, request=request)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        except PermissionDenied:
            self.message_user(request, _("Only admins send invitations."), messages.ERROR)
            return False
        self.message_user(
            request,
            _("Invitation sent to %(email)s; any earlier link stopped working.")
            % {"email": user.email},
            messages.SUCCESS,
        )
        return True

    @admin.action(description=_("Send an invitation (replaces any earlier link)"))
    def send_invitations(self, request, queryset):
        for user in queryset.order_by("pk"):
            self._invite(request, user)

    @admin.action(description=_("Reset the second factor (the user enrols again)"))
    def reset_second_factors(self, request, queryset):
        for user in queryset.order_by("pk"):
            services.reset_second_factor(actor=request.user, user_id=user.pk, request=request)
            self.message_user(
                request,
                _("%(user)s: second factor reset and sessions ended.") % {"user": user},
                messages.SUCCESS,
            )

    @admin.action(description=_("Deactivate and sign out"))
    def deactivate_and_sign_out(self, request, queryset):
        for user in queryset.order_by("pk"):
            services.deactivate_user(actor=request.user, user_id=user.pk, request=request)
        self.message_user(request, _("Deactivated and signed out."), messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "actor", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__email", "ip_address"]
    list_select_related = ["user", "actor"]
    date_hierarchy = "created_at"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["user", "sent_by", "created_at", "expires_at", "accepted_at", "superseded_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user", "sent_by"]


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "last_seen_at", "ip_address"]
    search_fields = ["user__username", "ip_address"]
    list_select_related = ["user"]
    exclude = ["session_key"]
