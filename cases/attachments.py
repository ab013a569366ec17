"""Files attached to cases (here) and to refund requests (``refunds.attachments``):
screenshots, contracts, receipts.

- **Checked** by ``partners.validators.validate_upload``: PDF, PNG, JPEG or
  WebP by extension *and* by the first bytes, at most ``ATTACHMENT_MAX_BYTES``
  (a setting).
- **Stored** through Django's storage API (``STORAGES["default"]``: a local
  volume in the compose file) at ``<app>/<owner id>/<random>.<ext>``, never
  under the uploader's file name, which is kept only to show and to name the
  download.
- **Served** only by the portal's download views, after the check of who may
  see the case or the request (``cases.timeline.access_case_attachment``,
  ``refunds.attachments.access_refund_attachment``); nothing serves
  ``MEDIA_URL``.
- **Audited**: each row keeps its history (who attached what, when).

The models are imported by ``cases.models`` and ``refunds.models`` so that
Django finds them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.errors import DomainError
from pae_ops.models import TimeStampedModel
from partners.validators import validate_upload

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}
ORIGINAL_NAME_MAX = 150


def attachment_upload_to(instance: AttachmentBase, filename: str) -> str:
    """``<app>/<owner id>/<uuid>.<ext>``: never the uploader's file name."""
    extension = Path(filename).suffix.lower().lstrip(".")
    return f"{instance.STORAGE_FOLDER}/{instance.owner_id}/{uuid.uuid4().hex}.{extension}"


class AttachmentBase(TimeStampedModel):
    """What every attachment keeps: the stored file, its checked type and
    size, the name it was uploaded under, and who attached it."""

    STORAGE_FOLDER = "attachments"

    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=ORIGINAL_NAME_MAX)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("attached by"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def owner_id(self) -> int:
        raise NotImplementedError

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CaseAttachment(AttachmentBase):
    """A file attached to a case."""

    STORAGE_FOLDER = "cases"

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("case"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="cases_attachment_case_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0), name="cases_caseattachment_not_empty"
            ),
        ]

    @property
    def owner_id(self) -> int:
        return self.case_id

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("cases:attachment", args=[self.pk])


def checked_upload(upload: UploadedFile | None) -> tuple[str, str]:
    """The content type and the name to show of an upload that passes the
    checks; DomainError (with the check's message) otherwise."""
    if upload is None:
        raise DomainError(_("Choose a file to attach."))
    try:
        kind = validate_upload(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from None
    # Only to show and to name the download: the stored name is random.
    name = get_valid_filename(Path(upload.name or "").name) or f"file.{kind}"
    if len(name) > ORIGINAL_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: ORIGINAL_NAME_MAX - len(extension) - 1]}{dot}{extension}"
    return CONTENT_TYPES[kind], name


def store_attachment(attachment: AttachmentBase, upload: UploadedFile) -> AttachmentBase:
    """Write the file through the default storage, then the row."""
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    return attachment


def attachment_response(attachment: AttachmentBase) -> FileResponse:
    """The stored file as a download under its original name; 404 when the
    storage lost it. The type is the one checked at upload, and
    ``X-Content-Type-Options: nosniff`` (the security middleware) keeps
    browsers from guessing another."""
    stored = attachment.file
    if not stored or not stored.storage.exists(stored.name):
        raise Http404
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=attachment.original_name
    )
    response["Content-Type"] = attachment.content_type
    return response
