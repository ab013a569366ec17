"""The case timeline's notes and files: write and edit a note, attach a
file, download one.

Views parse, call one service, and redirect (htmx: the form partial comes
back with its errors; success sends the browser back to the case). The
download checks who may read the case (404 for anyone else) and never
exposes a storage URL. Rules: ROLE-1.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import selectors, services, timeline
from cases.attachments import attachment_response
from cases.models import Case
from cases.timeline_forms import AttachmentForm, NoteForm
from pae_ops.errors import DomainError
from pae_ops.roles import Role, role_required

WORKERS = (Role.AGENT, Role.LEADER)


def _done(request: HttpRequest, case: Case, anchor: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        # No fragment: from the case page, a link that differs only by its
        # fragment would scroll instead of loading the page again.
        return HttpResponseClientRedirect(case.get_absolute_url())
    return redirect(f"{case.get_absolute_url()}#{anchor}")


def _refused(
    request: HttpRequest, case: Case, form: forms.Form, partial: str, **context
) -> HttpResponse:
    """The form again with its errors: the partial for htmx, else a page."""
    context = {"case": case, "form": form, **context}
    if request.htmx:
        return render(request, partial, context)
    return render(request, "cases/timeline_form_page.html", {**context, "partial": partial})


@require_POST
@role_required(*WORKERS)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Write an internal note on the case; its @mentions are notified."""
    case = selectors.access_case(request.user, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note = services.add_case_note(
                actor=request.user, case_id=case.pk, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            return _done(request, case, f"note-{note.pk}", _("The note was added."))
    return _refused(request, case, form, "cases/partials/_note_form.html")


@require_POST
@role_required(*WORKERS)
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one's own note; only newly mentioned colleagues are notified."""
    note = timeline.access_case_note(request.user, pk)
    form = NoteForm(request.POST, prefix_id=f"note-{note.pk}")
    if form.is_valid():
        try:
            services.edit_case_note(
                actor=request.user, note_id=note.pk, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            return _done(request, note.case, f"note-{note.pk}", _("The note was saved."))
    return _refused(request, note.case, form, "cases/partials/_note_form.html", note=note)


@require_POST
@role_required(*WORKERS)
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a checked file to the case (type by content, size limit)."""
    case = selectors.access_case(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attach_case_file(
                actor=request.user, case_id=case.pk, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return _done(request, case, f"attachment-{attachment.pk}", _("The file was attached."))
    return _refused(request, case, form, "cases/partials/_attachment_form.html")


@never_cache
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as a download, to whoever reads cases; 404 for anyone else.

    No role decorator on purpose: another role gets 404, as for a file that
    does not exist (anonymous users go to the login page first).
    """
    return attachment_response(timeline.access_case_attachment(request.user, pk))
