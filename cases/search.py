"""The navigation bar's search: clients by name, email or phone, cases by
number or subject (``cases.search_views``, docs/search-notes-files.md).

It lives in ``cases``, the right-most app it reads. Matching is "contains",
case- and accent-blind: ``public.f_unaccent(name) ILIKE '%…%'`` against
trigram GIN indexes built on the very same expressions
(``pae_ops.search_sql``; ``clients`` and ``cases`` migrations), so that a
search at 100,000 clients reads an index, never the whole table. A phone
matches on its digits alone (``55 1234`` finds ``+52 (55) 1234-5678``).

Trigram indexes need three characters to narrow anything, so shorter text
searches nothing (a case number is the exception: ``#7`` or ``7``). Each
group counts at most :data:`RESULT_CAP` rows: past that the page says "more
than 500, refine the search" instead of paying for an exact count.

Who sees what (ROLE-1): agents, leaders and directors read every client and
case, so they search them all and each result opens the portal's page;
admins search them too, each result opening the Django admin's page (the
only place they read clients and cases); partner approvers search nothing
(the view answers 403).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse

from cases.models import Case
from clients.models import Client
from pae_ops.roles import Role, has_role
from pae_ops.search_sql import Digits, Unaccent, contains

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Who searches (every staff role); who opens the portal's pages of the results.
SEARCHERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN)
PORTAL_READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
MIN_LENGTH = 3
MAX_LENGTH = 100
PAGE_SIZE = 10
RESULT_CAP = 500
# "#123", "123" or "caso 123": a case number (the pk).
_CASE_NUMBER = re.compile(r"^(?:#|caso\s+#?|case\s+#?)?(\d{1,12})$", re.IGNORECASE)
# Only phone characters: digits, spaces, + ( ) . - /
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")
# A sequence's largest value (bigint): a longer number is no case number.
_MAX_PK = 2**63 - 1


@dataclass(frozen=True)
class SearchTerms:
    """What was typed, and what it can mean."""

    text: str
    case_number: int | None
    digits: str

    @property
    def searches_text(self) -> bool:
        return len(self.text) >= MIN_LENGTH

    @property
    def searches_phone(self) -> bool:
        return len(self.digits) >= MIN_LENGTH

    @property
    def is_empty(self) -> bool:
        return not (self.searches_text or self.searches_phone or self.case_number)


def parse_terms(raw: str) -> SearchTerms:
    """Normalise the typed text: spaces collapsed, at most 100 characters."""
    text = " ".join((raw or "").split())[:MAX_LENGTH]
    number_match = _CASE_NUMBER.match(text)
    number = int(number_match.group(1)) if number_match else None
    if number is not None and not 0 < number <= _MAX_PK:
        number = None
    digits = re.sub(r"\D", "", text) if _PHONE_LIKE.match(text) else ""
    return SearchTerms(text=text, case_number=number, digits=digits)


def ensure_searcher(actor: AbstractBaseUser | AnonymousUser | None) -> None:
    """404 for anyone who may not search (the view answers 403 first)."""
    if not has_role(actor, *SEARCHERS):
        raise Http404


def search_clients(terms: SearchTerms) -> QuerySet[Client]:
    """Clients whose name (accents and case ignored), email or phone digits
    contain what was typed; by name, with what a row shows (agent, languages
    and accessibility needs: COM-5)."""
    condition = Q()
    if terms.searches_text:
        condition |= Q(contains(Unaccent("name"), terms.text, unaccent=True))
        # Addresses have no accents: only the typed text loses its own.
        condition |= Q(contains(F("email"), terms.text, unaccent=True))
    if terms.searches_phone:
        condition |= Q(contains(Digits("phone"), terms.digits))
    if not condition:
        return Client.objects.none()
    return (
        Client.objects.filter(condition)
        .select_related("assigned_agent")
        .prefetch_related("languages")
        .only(
            "name",
            "email",
            "phone",
            "accessibility_needs",
            "computed_segment",
            "segment_override",
            "assigned_agent__username",
            "assigned_agent__first_name",
            "assigned_agent__last_name",
        )
        .order_by("name", "pk")
    )


def search_cases(terms: SearchTerms) -> QuerySet[Case]:
    """Cases whose number is what was typed, or whose subject contains it
    (accents and case ignored); the numbered one first, then newest first."""
    condition = Q()
    if terms.case_number is not None:
        condition |= Q(pk=terms.case_number)
    if terms.searches_text:
        condition |= Q(contains(Unaccent("subject"), terms.text, unaccent=True))
    if not condition:
        return Case.objects.none()
    exact = (
        SqlCase(
            When(pk=terms.case_number, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        if terms.case_number is not None
        else Value(1, output_field=IntegerField())
    )
    return (
        Case.objects.filter(condition)
        .select_related("client", "assignee")
        .only(
            "subject",
            "status",
            "kind",
            "opened_at",
            "client__name",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
        .annotate(exact=exact)
        .order_by(F("exact").asc(), "-opened_at", "-pk")
    )


@dataclass
class ResultGroup:
    """One group of results (clients or cases): a page of them, how many
    matched (at most ``RESULT_CAP``; ``is_capped`` says there were more) and
    the links to the other pages."""

    key: str
    page: Page
    count: int
    is_capped: bool
    page_param: str
    previous_url: str = ""
    next_url: str = ""


def result_page(queryset: QuerySet, number: str | None, *, key: str) -> ResultGroup:
    """A page of ``queryset`` in two queries bounded by ``RESULT_CAP``.

    The first takes the keys of at most ``RESULT_CAP + 1`` matches in no
    particular order (PostgreSQL stops reading there); the second reads the
    page's rows among them in the queryset's order. Up to the cap that is
    the exact, ordered result; past it, the first ``RESULT_CAP`` matches
    found are listed (in order) and the page says to narrow the search:
    sorting every match of a broad search costs more than the page may.
    """
    cap = RESULT_CAP
    keys = list(queryset.order_by().values_list("pk", flat=True)[: cap + 1])
    kept = keys[:cap]
    # The paginator counts the kept keys: no COUNT query.
    page = Paginator(kept, PAGE_SIZE).get_page(number)
    rows = []
    if kept:
        start = (page.number - 1) * PAGE_SIZE
        rows = list(queryset.filter(pk__in=kept)[start : start + PAGE_SIZE])
    page.object_list = rows
    return ResultGroup(
        key=key,
        page=page,
        count=len(kept),
        is_capped=len(keys) > cap,
        page_param=f"{key}_page",
    )


def client_url(actor: AbstractBaseUser, client: Client) -> str:
    """Where a client result opens for ``actor``: the 360 page, or for an
    admin (who reads clients only there) the Django admin's page."""
    if has_role(actor, *PORTAL_READERS):
        return reverse("clients:detail", args=[client.pk])
    return reverse("admin:clients_client_change", args=[client.pk])


def case_url(actor: AbstractBaseUser, case: Case) -> str:
    """Where a case result opens for ``actor`` (see :func:`client_url`)."""
    if has_role(actor, *PORTAL_READERS):
        return reverse("cases:detail", args=[case.pk])
    return reverse("admin:cases_case_change", args=[case.pk])
