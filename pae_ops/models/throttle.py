"""Request counters for rate limits, in PostgreSQL (no page depends on Redis)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitBucket(models.Model):
    """One fixed window of one key: how many hits since ``window_started_at``.

    The key is a hash (``pae_ops.throttle``): no client address is stored.
    """

    key = models.CharField(_("key"), max_length=64, primary_key=True)
    window_started_at = models.DateTimeField(_("window started at"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("rate-limit bucket")
        verbose_name_plural = _("rate-limit buckets")
        ordering = ["key"]
        indexes = [models.Index(fields=["window_started_at"], name="pae_ops_ratelimit_age_idx")]

    def __str__(self) -> str:
        return self.key
