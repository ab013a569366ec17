"""Partner pages outside Django admin: the directory and the staff-only document download."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pae_ops.roles import Role, has_role, role_required
from partners import selectors
from partners.filters import DirectoryFilter

DIRECTORY_PAGE_SIZE = 25


# Who may download agreements and vetting evidence: admins, and the
# director, who reads everything (RULES, Roles).
DOCUMENT_READERS = (Role.DIRECTOR, Role.ADMIN)


@require_GET
@role_required(Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN)
def directory(request: HttpRequest) -> HttpResponse:
    """Active partners: what they offer, their languages and their account
    manager; for directors and admins, their agreements' documents."""
    documents = has_role(request.user, *DOCUMENT_READERS)
    filterset = DirectoryFilter(
        request.GET or None, queryset=selectors.list_directory_partners(with_documents=documents)
    )
    page = Paginator(filterset.qs, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/directory.html",
        {
            "filter": filterset,
            "page_obj": page,
            "query_string": query.urlencode(),
            "show_documents": documents,
        },
    )


@never_cache
@require_GET
@role_required(*DOCUMENT_READERS)
def document(request: HttpRequest, kind: str, pk: int) -> FileResponse:
    """Stream an agreement or a vetting evidence file to an admin or a
    director, as a download.

    Documents are never served from MEDIA_URL; anonymous users are sent to
    the login page by LoginRequiredMiddleware, other roles get 403.
    """
    file = selectors.get_partner_document(kind=kind, pk=pk)
    extension = file.name.rsplit(".", 1)[-1]
    return FileResponse(file.open("rb"), as_attachment=True, filename=f"{kind}-{pk}.{extension}")
