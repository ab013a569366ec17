"""Portal-wide models: user profiles and teams, the notification outbox and
the heartbeat that proves the periodic jobs run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    """Abstract base: every domain row knows when it was made and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")


class Profile(TimeStampedModel):
    """What the portal keeps about a user: their team leader and language.

    An agent belongs to exactly one leader's team (``leader``); "my team"
    on every page means the users whose profile names the leader.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="team_profiles",
        verbose_name=_("team leader"),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(leader=F("user")), name="pae_ops_profile_not_own_leader"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class Notification(models.Model):
    """One message for one user: a row first (bell and list), email second.

    The row is written in the same transaction as the change it reports; the
    periodic relay sends the email of every row still ``pending``, so a broker
    outage delays an email but never loses it.
    """

    class EmailStatus(models.TextChoices):
        NOT_NEEDED = "not_needed", _("No email")
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.SlugField(_("kind"), max_length=60, default="general")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Makes a notification idempotent: one row per recipient and key, so that
    # a sweep that runs twice (or two concurrent sweeps) notifies once.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("email status"),
        max_length=12,
        choices=EmailStatus.choices,
        default=EmailStatus.PENDING,
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    email_last_error = models.TextField(_("last email error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="pae_ops_notif_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="pae_ops_notif_unread_idx",
            ),
            models.Index(
                fields=["id"],
                condition=Q(email_status="pending"),
                name="pae_ops_notif_outbox_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="pae_ops_notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Heartbeat(models.Model):
    """The last run of a periodic job, shown on the admins' health page."""

    name = models.SlugField(_("name"), max_length=80, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    run_count = models.PositiveBigIntegerField(_("runs"), default=0)
    hostname = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
