"""The search page behind the navigation bar's search box (``cases.search``).

Rules: ROLE-1 (every staff role searches; partner approvers get 403).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from cases import search
from pae_ops.roles import role_required


def _page_links(group: search.ResultGroup, query: dict[str, str]) -> None:
    """The previous/next links of one group, keeping the other group's page."""
    page = group.page

    def link(number: int) -> str:
        return "?" + urlencode({**query, group.page_param: number})

    group.previous_url = link(page.previous_page_number()) if page.has_previous() else ""
    group.next_url = link(page.next_page_number()) if page.has_next() else ""


@require_GET
@role_required(*search.SEARCHERS)
def search_page(request: HttpRequest) -> HttpResponse:
    """Clients and cases matching ``q``, in two groups paginated each on its own."""
    user = request.user
    terms = search.parse_terms(request.GET.get("q", ""))
    groups: list[search.ResultGroup] = []
    if not terms.is_empty:
        clients = search.result_page(
            search.search_clients(terms), request.GET.get("clients_page"), key="clients"
        )
        cases = search.result_page(
            search.search_cases(terms), request.GET.get("cases_page"), key="cases"
        )
        for client in clients.page:
            client.result_url = search.client_url(user, client)
        for case in cases.page:
            case.result_url = search.case_url(user, case)
        query = {"q": terms.text}
        for group in (clients, cases):
            if group.page.number > 1:
                query[group.page_param] = str(group.page.number)
        for group in (clients, cases):
            _page_links(group, query)
        groups = [clients, cases]
    return render(
        request,
        "cases/search.html",
        {
            "terms": terms,
            "search_q": terms.text,
            "groups": groups,
            "too_short": bool(terms.text) and terms.is_empty,
            "min_length": search.MIN_LENGTH,
            "result_cap": search.RESULT_CAP,
            "nothing_found": bool(groups) and not any(g.count for g in groups),
        },
    )
