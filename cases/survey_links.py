"""Signed survey links (COM-2): ``/s/<token>/``.

The token is the survey's id signed with ``SECRET_KEY`` and a salt of its
own (``django.core.signing``; the signature is checked in constant time). It
is derived when the email is sent and never stored, and the paths that carry
it are redacted from every log (``pae_ops.log_redaction``). Expiry and single
use are the database's: ``Survey.expires_at`` and ``Survey.status``.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "cases.survey-link"


def make_token(survey_id: int) -> str:
    return signing.Signer(salt=SALT).sign_object(survey_id)


def survey_id_from_token(token: str) -> int | None:
    """The survey id a token names, or None when it is not a valid signature."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def survey_path(survey_id: int) -> str:
    return reverse("survey", args=[make_token(survey_id)])


def survey_url(survey_id: int) -> str:
    """The absolute link put in the client's email."""
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{survey_path(survey_id)}"
