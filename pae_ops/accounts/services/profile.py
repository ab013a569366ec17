"""The account page's preferences: the user's time zone."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pae_ops.errors import DomainError
from pae_ops.models import Profile, validate_time_zone


@transaction.atomic
def set_user_time_zone(*, user: AbstractBaseUser, time_zone: str) -> Profile:
    """Keep the zone the user's pages and emails show times in ("" = the portal's).

    Raises DomainError for a name that is not an IANA time zone.
    """
    time_zone = (time_zone or "").strip()
    if time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            raise DomainError(_("That time zone is not known.")) from exc
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone", "updated_at"])
    return profile
