"""Attaching files to a case (``cases.attachments``).

Who: whoever may change the case (its assignee, or a leader: ROLE-1), while
it is not closed. The file is checked (type by content, size limit) before
anything is stored. Rules: ROLE-1.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cases.attachments import checked_upload, store_attachment
from cases.models import Case, CaseAttachment
from cases.services._common import ensure_can_change
from pae_ops.errors import DomainError


@transaction.atomic
def attach_case_file(
    *, actor: AbstractBaseUser, case_id: int, upload: UploadedFile | None
) -> CaseAttachment:
    """Store a checked file on the case, with who attached it (its history).

    Rules: ROLE-1. Raises DomainError (a refused file: type, content, size)
    or PermissionDenied.
    """
    case = Case.objects.get(pk=case_id)
    ensure_can_change(actor, case)
    if case.status == Case.Status.CLOSED:
        raise DomainError(_("This case is closed; it takes no more files."))
    content_type, name = checked_upload(upload)
    attachment = CaseAttachment(
        case=case,
        uploaded_by=actor,
        original_name=name,
        content_type=content_type,
        size=upload.size,
    )
    attachment._history_user = actor
    return store_attachment(attachment, upload)
