"""Which list pages have saved views, and which of their query parameters a
saved view keeps.

``pae_ops`` imports no app to its right, so each app registers its own list
page from ``AppConfig.ready()`` with its filter's parameter names (the board:
``cases``; the client list: ``clients``). A saved view keeps only those
parameters: never ``page``, nothing unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict

from pae_ops.roles import Role


@dataclass(frozen=True)
class SavedViewPage:
    key: str  # a SavedView.Page value
    url_name: str
    roles: frozenset[Role]  # who may open the page (and so save a view of it)
    params: frozenset[str]


PAGES: dict[str, SavedViewPage] = {}


def register_page(*, key: str, url_name: str, roles: Iterable[Role], params: Iterable[str]) -> None:
    PAGES[key] = SavedViewPage(key, url_name, frozenset(roles), frozenset(params))


def clean_query(page: SavedViewPage, query: str) -> str:
    """``query`` with only the page's known parameters that carry a value, in
    a stable order."""
    data = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in sorted(data):
        if name not in page.params:
            continue
        values = [value for value in data.getlist(name) if value.strip()]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()
