"""Portal-wide models: user profiles and teams, notifications, the email
outbox (``pae_ops.models.outbox``), the heartbeat that proves the periodic
jobs run, and the business calendar."""

from __future__ import annotations

import functools
import zoneinfo

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """Money in USD: ``DecimalField(max_digits=12, decimal_places=2)`` everywhere."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


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
    """What the portal keeps about a user: their team leader, language and time zone.

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
    # Times on the user's pages and in their emails; blank means the
    # portal's zone (TIME_ZONE). Validated by ``services.set_user_time_zone``.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

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

    The row is written in the same transaction as the change it reports,
    together with its email in the outbox (``OutboxEmail``, ``notification``
    set) when the user has an address; the relay sends it, so a broker
    outage delays an email but never loses it.
    """

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


# The business calendar (BH-1) ------------------------------------------------


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not an IANA time zone known to ``zoneinfo``."""
    if value not in _available_time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (e.g. America/Mexico_City)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_holiday_country(value: str) -> None:
    """Refuse a country code that the ``holidays`` package does not know."""
    if value not in holidays.list_supported_countries():
        raise ValidationError(
            _("“%(value)s” is not a country code with public holidays (e.g. MX)."),
            code="invalid_holiday_country",
            params={"value": value},
        )


@functools.cache
def _available_time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk on every call.
    return frozenset(zoneinfo.available_timezones())


class Weekday(models.IntegerChoices):
    """ISO weekday minus one, as ``date.weekday()`` returns it."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(TimeStampedModel):
    """The calendar that business hours are counted in (BH-1).

    A time zone, the working intervals of each weekday, a country's public
    holidays (from the ``holidays`` package) and the closures an admin adds.
    The calendar marked ``is_default`` is the one the SLA clocks use; a
    partial unique constraint keeps it to one. The arithmetic itself lives in
    ``pae_ops.business_hours``; ``selectors.load_calendar_spec`` turns a row
    into the immutable spec it works on.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/Mexico_City",
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. America/Mexico_City."),
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=3,
        default="MX",
        validators=[validate_holiday_country],
        help_text=_("Country code whose public holidays close the calendar, e.g. MX."),
    )
    holiday_subdivision = models.CharField(
        _("holiday subdivision"),
        max_length=10,
        blank=True,
        help_text=_("Optional state or province code whose own holidays also apply."),
    )
    is_default = models.BooleanField(
        _("default calendar"),
        default=False,
        help_text=_("The calendar the SLA clocks use. Only one calendar can be the default."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="pae_ops_businesscalendar_one_default",
                violation_error_message=_("Another calendar is already the default."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.holiday_subdivision:
            return
        subdivisions = holidays.list_supported_countries().get(self.holiday_country)
        if subdivisions is not None and self.holiday_subdivision not in subdivisions:
            raise ValidationError(
                {
                    "holiday_subdivision": _(
                        "“%(subdivision)s” is not a subdivision of %(country)s."
                    )
                    % {"subdivision": self.holiday_subdivision, "country": self.holiday_country}
                }
            )


class WorkingInterval(TimeStampedModel):
    """One stretch of working time on one weekday, in the calendar's wall clock.

    A weekday may have several (09:00-14:00 and 15:00-18:00 around lunch);
    they must not overlap. An interval ends on the day it starts: there is
    no way to say 24:00, so a calendar open round the clock is not modelled.
    """

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="intervals",
        verbose_name=_("calendar"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        ordering = ["calendar", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="pae_ops_workinginterval_end_after_start",
                violation_error_message=_("A working interval must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="pae_ops_workinginterval_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.calendar_id is None or self.start_time is None or self.end_time is None:
            return
        # Touching intervals (09:00-14:00 and 14:00-18:00) are allowed;
        # sharing any minute is not.
        overlapping = (
            WorkingInterval.objects.filter(
                calendar_id=self.calendar_id,
                weekday=self.weekday,
                start_time__lt=self.end_time,
                end_time__gt=self.start_time,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                _(
                    "This interval overlaps %(other)s on the same weekday; split the day "
                    "into intervals that do not overlap."
                )
                % {"other": f"{overlapping.start_time:%H:%M}-{overlapping.end_time:%H:%M}"},
                code="overlapping_interval",
            )


class Closure(TimeStampedModel):
    """A date an admin closes on top of the public holidays.

    With neither time set the whole day is closed; with both, only that part
    of it (in the calendar's wall clock).
    """

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="closures",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(
        _("from"), null=True, blank=True, help_text=_("Leave both times empty to close all day.")
    )
    end_time = models.TimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["calendar", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(start_time__isnull=False, end_time__isnull=False),
                name="pae_ops_closure_times_both_or_neither",
                violation_error_message=_(
                    "Give both times to close part of the day, or neither to close all of it."
                ),
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True) | Q(end_time__gt=F("start_time")),
                name="pae_ops_closure_end_after_start",
                violation_error_message=_("A closure must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        if self.is_whole_day:
            return f"{self.date:%Y-%m-%d} {self.reason}"
        return f"{self.date:%Y-%m-%d} {self.start_time:%H:%M}-{self.end_time:%H:%M} {self.reason}"

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None and self.end_time is None


# The email outbox and the rate-limit counters live in their own modules;
# importing them here registers them.
from pae_ops.models.outbox import OutboxEmail  # noqa: E402, F401
from pae_ops.models.saved_views import SavedView  # noqa: E402, F401
from pae_ops.models.throttle import RateLimitBucket  # noqa: E402, F401
