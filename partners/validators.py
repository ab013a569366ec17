"""Checks on uploaded files: PDF or image, by name AND by content, size-limited.

Partner documents (limit: the ``PARTNER_DOCUMENT_MAX_BYTES`` setting, read on
each call) and, through :func:`validate_upload`, the attachments of cases
and refund requests. The extension alone proves nothing, so the first bytes
must also carry the signature of the type the extension claims.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Extension -> the content type its first bytes must show.
ALLOWED_EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in ALLOWED_EXTENSIONS)


def sniff_content_type(head: bytes) -> str | None:
    """The document type whose signature starts ``head`` (pdf, png, jpeg, webp), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def validate_document(value: File) -> None:
    """Refuse anything but a PDF or image within the size limit.

    Files already in storage were checked when they were uploaded; they are
    not read again each time their row is edited.
    """
    if getattr(value, "_committed", False):
        return
    validate_upload(value, max_bytes=settings.PARTNER_DOCUMENT_MAX_BYTES)


def validate_upload(value: File, *, max_bytes: int) -> str:
    """Check an uploaded file's extension, size and first bytes; return its
    type (``pdf``, ``png``, ``jpeg`` or ``webp``).

    The one check of every upload of the portal: partner documents here,
    case and refund attachments (``cases.attachments``) with their own limit.
    Raises ValidationError (codes ``file_extension``, ``file_too_large``,
    ``file_content``) with a translated message.
    """
    extension = Path(value.name or "").suffix.lower().lstrip(".")
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Only PDF and image files (%(allowed)s) are accepted, not “%(extension)s”."),
            code="file_extension",
            params={"allowed": ", ".join(ALLOWED_EXTENSIONS), "extension": extension or "—"},
        )
    if value.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; the largest accepted is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(value.size), "limit": filesizeformat(max_bytes)},
        )
    value.seek(0)
    head = value.read(12)
    value.seek(0)
    if sniff_content_type(head) != ALLOWED_EXTENSIONS[extension]:
        raise ValidationError(
            _("The file's content is not a valid %(extension)s file."),
            code="file_content",
            params={"extension": extension.upper()},
        )
    return ALLOWED_EXTENSIONS[extension]
