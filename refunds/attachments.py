"""Files attached to refund requests: receipts, contracts, screenshots
(the checks, storage and download of ``cases.attachments``).

One concern in one small module (the model, the act and the reads) rather
than in ``refunds/services.py`` and ``refunds/selectors.py``, which are past
their size; the model is imported by ``refunds.models`` so that Django finds
it.

- Who attaches: agents and leaders (who work requests), at any step, a
  closed request included (a bank receipt comes after the refund).
- Who downloads: whoever may open the request (``access_refund_request``):
  staff readers, and a partner approver only while the request awaits their
  own partner's approval; anyone else gets 404, like the request.

Rules: ROLE-1, REF-6 (what a partner approver reaches), REF-10 (history).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.attachments import AttachmentBase, checked_upload, store_attachment
from pae_ops.roles import Role, require_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Who attaches (the refunds services' workers).
ATTACHERS = (Role.AGENT, Role.LEADER)


class RefundAttachment(AttachmentBase):
    """A file attached to a refund request (its history is the audit, REF-10)."""

    STORAGE_FOLDER = "refunds"

    request = models.ForeignKey(
        "refunds.RefundRequest",
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("refund request"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("refund request attachment")
        verbose_name_plural = _("refund request attachments")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="refunds_attachment_req_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0), name="refunds_refundattachment_not_empty"
            ),
        ]

    @property
    def owner_id(self) -> int:
        return self.request_id

    def get_absolute_url(self) -> str:
        return reverse("refunds:attachment", args=[self.pk])


@transaction.atomic
def attach_refund_file(
    *, actor: AbstractBaseUser, request_id: int, upload: UploadedFile | None
) -> RefundAttachment:
    """Store a checked file on the refund request, with who attached it.

    Rules: ROLE-1, REF-10. Raises DomainError (a refused file: type,
    content, size) or PermissionDenied.
    """
    from refunds.models import RefundRequest

    require_role(actor, *ATTACHERS)
    request = RefundRequest.objects.get(pk=request_id)
    content_type, name = checked_upload(upload)
    attachment = RefundAttachment(
        request=request,
        uploaded_by=actor,
        original_name=name,
        content_type=content_type,
        size=upload.size,
    )
    attachment._history_user = actor
    return store_attachment(attachment, upload)


def list_request_attachments(request_id: int) -> list[RefundAttachment]:
    """The request's files, oldest first, with who attached each (one query)."""
    return list(
        RefundAttachment.objects.filter(request_id=request_id)
        .select_related("uploaded_by")
        .order_by("created_at", "pk")
    )


def access_refund_attachment(
    actor: AbstractBaseUser | AnonymousUser | None, pk: int
) -> RefundAttachment:
    """The attachment ``pk`` when ``actor`` may open its request; 404 otherwise
    (another partner's, a decided request for a partner approver, any other
    role). Rules: ROLE-1, REF-6."""
    from refunds.selectors import access_refund_request

    request_id = RefundAttachment.objects.filter(pk=pk).values_list("request_id", flat=True).first()
    if request_id is None:
        raise Http404
    access_refund_request(actor, request_id)
    return RefundAttachment.objects.get(pk=pk)
