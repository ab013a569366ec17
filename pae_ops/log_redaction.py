"""Keep secrets that travel in URL paths out of every log.

A survey link (``/s/<token>/``, COM-2) is a bearer secret: whoever holds it
can answer the survey. Django logs the path of every 4xx/5xx response
(``django.request``: "Gone: /s/…/"), of CSRF failures
(``django.security.csrf``) and of every request under ``runserver``
(``django.server``); gunicorn's access log writes the request line. The
filter and the gunicorn logger class below rewrite those paths to
``/s/[redacted]/`` before anything is written. ``settings.LOGGING`` installs
the filter; ``docker-compose.yml`` and the ``Dockerfile`` start gunicorn with
``--logger-class pae_ops.log_redaction.RedactingGunicornLogger``.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

# Path prefixes whose next segment is a secret. Kept here (not in settings):
# the logging configuration is read before the settings are usable.
SECRET_PATH_PREFIXES = ("/s/",)
# Prefixes whose whole rest is secret: password-reset links (user id and
# token) and invitation links (invitation id and token).
SECRET_TAIL_PREFIXES = ("/account/reset/", "/account/invitation/")
REDACTED = "[redacted]"

_PATTERN = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/\s?#\"']+"
)
_TAIL_PATTERN = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_TAIL_PREFIXES) + r")[^\s?#\"']+"
)


def redact_secret_paths(text: str) -> str:
    """``text`` with the secret segment of every matching path replaced."""
    text = _PATTERN.sub(lambda match: match.group(1) + REDACTED, text)
    return _TAIL_PATTERN.sub(lambda match: match.group(1) + REDACTED, text)


class RedactSecretPathsFilter(logging.Filter):
    """Rewrite a record whose message names a secret path; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's problem
            return True
        redacted = redact_secret_paths(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        # ``django.request`` attaches the request; a handler that reads it
        # (e.g. AdminEmailHandler) must not find the token there either.
        request = getattr(record, "request", None)
        if request is not None and any(
            str(getattr(request, "path", "")).startswith(prefix)
            for prefix in (*SECRET_PATH_PREFIXES, *SECRET_TAIL_PREFIXES)
        ):
            record.request = None
        return True


class RedactingGunicornLogger(GunicornLogger):
    """Gunicorn's logger with secret paths redacted from the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{raw_uri}e", "{path_info}e", "{request_uri}e", "{referer}i"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact_secret_paths(value)
        return atoms
