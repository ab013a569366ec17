"""What every app's Django admin shares: audit history to read, never to
rewrite, and records that only services write.

django-simple-history's "revert" page saves a whole past version of a row
on POST (every field, the read-only ones included) for anyone who may view
the history, bypassing every service check: a refunded purchase back to
active, a payment's amount, a credit balance, a breached case back to new.
:class:`ReadOnlyHistoryMixin` keeps the history pages and refuses the POST
for every user, superusers included (REF-10, ROLE-1). The system check
below makes a registered admin of a model with history that lacks it an
error, and ``tests/pae_ops/test_admin_history.py`` posts a revert to every
one of them.
"""

from __future__ import annotations

from django.contrib import admin
from django.core import checks
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ReadOnlyHistoryMixin:
    """History pages that show past versions and never save one (REF-10, ROLE-1)."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Refused before the version is even looked up: nobody, whatever
        # their permissions, writes a past version back.
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        extra_context = {**(extra_context or {}), "revert_disabled": True}
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyHistoryAdmin(ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """``SimpleHistoryAdmin`` with the history read-only: the base of every
    admin whose model keeps history."""


class ReadOnlyAdminMixin:
    """Records that only services write: visible, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def model_has_history(model) -> bool:
    """True when django-simple-history tracks ``model``."""
    return hasattr(model._meta, "simple_history_manager_attribute")


def admins_with_history(site: admin.AdminSite | None = None) -> list[admin.ModelAdmin]:
    """Every model admin on ``site`` whose model keeps history."""
    site = site or admin.site
    return [
        model_admin for model, model_admin in site._registry.items() if model_has_history(model)
    ]


def revertible_history_admins(site: admin.AdminSite | None = None) -> list[admin.ModelAdmin]:
    """The admins on ``site`` that would let a past version be saved back."""
    return [
        model_admin
        for model_admin in admins_with_history(site)
        if isinstance(model_admin, SimpleHistoryAdmin)
        and not isinstance(model_admin, ReadOnlyHistoryMixin)
    ]


@checks.register(checks.Tags.admin)
def check_history_is_read_only(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """pae_ops.E001: an admin of a model with history must keep it read-only."""
    return [
        checks.Error(
            f"{type(model_admin).__name__} shows the history of "
            f"{model_admin.model._meta.label} and lets a past version be saved back.",
            hint="Inherit pae_ops.admin_mixins.ReadOnlyHistoryAdmin (or ReadOnlyHistoryMixin).",
            obj=type(model_admin),
            id="pae_ops.E001",
        )
        for model_admin in revertible_history_admins()
    ]
