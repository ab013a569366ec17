"""Files on a refund request: attach one, download one (``refunds.attachments``).

Rules: ROLE-1 (agents and leaders attach; whoever may open the request
downloads, 404 for anyone else), REF-6 (a partner approver reaches only the
requests awaiting their partner).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.attachments import attachment_response
from cases.timeline_forms import AttachmentForm
from pae_ops.errors import DomainError
from pae_ops.roles import role_required
from refunds import attachments, selectors
from refunds.views._roles import WORKERS
from refunds.views.page import render_detail


@require_POST
@role_required(*WORKERS)
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a checked file to the request; a refused file comes back on the
    page, with the reason next to the field (400)."""
    refund = selectors.access_refund_request(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachments.attach_refund_file(
                actor=request.user, request_id=refund.pk, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("The file was attached."))
            url = reverse("refunds:request-detail", args=[refund.pk])
            return redirect(f"{url}#attachment-{attachment.pk}")
    return render_detail(request, refund, status=400, attachment_form=form)


@never_cache
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as a download, to whoever may open its request; 404 otherwise."""
    return attachment_response(attachments.access_refund_attachment(request.user, pk))
