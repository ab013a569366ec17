"""A saved view: a user's named filters of a list page (the board, the client
list), optionally shared with the owner's team when the owner leads one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """``query`` is the page's query string, reduced to the page's known
    filter parameters by ``pae_ops.services.save_view``; ``page`` is a key of
    ``pae_ops.saved_views.PAGES``. Only services write these rows."""

    class Page(models.TextChoices):
        BOARD = "board", _("Team board")
        CLIENTS = "clients", _("Clients")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=80)
    page = models.CharField(_("page"), max_length=20, choices=Page.choices)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    shared_with_team = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="pae_ops_savedview_unique_name"),
            models.CheckConstraint(
                condition=Q(page__in=["board", "clients"]), name="pae_ops_savedview_page_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="pae_ops_savedview_has_name"),
        ]

    def __str__(self) -> str:
        return self.name
