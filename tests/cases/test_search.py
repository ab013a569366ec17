"""The navigation bar's search (cases.search): clients by name, email or phone,
cases by number or subject; accents and case ignored; who searches (ROLE-1);
the indexes it reads; a query count that does not grow with the results."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import search
from pae_ops.roles import Role
from tests.cases.factories import CaseFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}


def make_user(role: Role, **kwargs):
    return UserFactory(**{ROLE_TRAITS[role]: True}, **kwargs)


def found_clients(text: str) -> list:
    return list(search.search_clients(search.parse_terms(text)))


def found_cases(text: str) -> list:
    return list(search.search_cases(search.parse_terms(text)))


# What matches ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Peñaloza", "penaloza", "PENALOZA", "peÑALOZá", "ñalo"])
def test_search_clients_ignores_accents_and_case(typed):
    """A name with accents is found typed without them, in any case, by any part."""
    wanted = ClientFactory(name="Ximena Peñaloza Ríos")
    ClientFactory(name="Otro Nombre Cualquiera")
    assert found_clients(typed) == [wanted]


def test_search_clients_finds_accents_typed_on_a_plain_name():
    wanted = ClientFactory(name="Jose Maria Lopez Zuniga")
    assert found_clients("zúñiga") == [wanted]
    assert found_clients("José María") == [wanted]


def test_search_clients_by_part_of_the_email():
    wanted = ClientFactory(name="Cliente Uno", email="karla.quetzal88@correo-ejemplo.mx")
    ClientFactory(name="Cliente Dos", email="otra.persona@example.com")
    assert found_clients("quetzal88") == [wanted]
    assert found_clients("KARLA.QUETZAL") == [wanted]
    assert found_clients("correo-ejemplo") == [wanted]


@pytest.mark.parametrize("typed", ["5512345678", "55 1234 5678", "1234-5678", "(55) 1234", "345"])
def test_search_clients_by_part_of_the_phone_whatever_the_punctuation(typed):
    wanted = ClientFactory(
        name="Cliente Teléfono", email="tel@example.com", phone="+52 (55) 1234-5678"
    )
    ClientFactory(name="Cliente Ajeno", email="otro@example.com", phone="+52 81 9999 0000")
    assert found_clients(typed) == [wanted]


def test_search_treats_like_wildcards_as_plain_text():
    """``%`` and ``_`` typed are characters, not "anything"."""
    plain = ClientFactory(name="Ana Torres", email="ana_torres@example.com")
    ClientFactory(name="Anaxtorres Luna", email="anaxtorres@example.com")
    assert found_clients("ana_torres") == [plain]
    assert found_clients("a%t") == []


def test_search_needs_three_characters_but_a_case_number_is_enough():
    client = ClientFactory(name="Al Bo")
    case = CaseFactory(client=client, subject="Al")
    terms = search.parse_terms("Al")
    assert terms.is_empty
    assert found_clients("Al") == []
    assert found_cases(f"#{case.pk}") == [case]
    assert found_cases(str(case.pk)) == [case]


def test_search_cases_by_subject_without_accents_and_by_number_first():
    by_subject = CaseFactory(subject="Facturación del último pago")
    other = CaseFactory(subject="Acceso a la plataforma")
    numbered = CaseFactory(subject="Otra cosa")
    assert found_cases("facturacion") == [by_subject]
    assert found_cases("ULTIMO PAGO") == [by_subject]
    assert other not in found_cases("facturacion")
    # A number finds that case first, then (from 3 characters) the subjects
    # that contain it.
    typed = f"{numbered.pk:03d}"
    titled = CaseFactory(subject=f"Pedido {typed}")
    assert found_cases(typed) == [numbered, titled]


@pytest.mark.parametrize("typed", ["", "   ", "ab", "#", "99999999999999999999999"])
def test_search_of_nothing_usable_finds_nothing(typed):
    ClientFactory(name="Abigail Abarca")
    CaseFactory(subject="ab")
    assert found_clients(typed) == []
    assert found_cases(typed) == []


def test_search_results_use_the_trigram_indexes():
    """The searched expressions are the indexed ones (at 100,000 clients a
    sequential scan would miss the 50 ms budget): the planner, told to avoid
    reading the table, reads each index. (``make bench`` shows the plans at
    scale.)"""
    ClientFactory(name="Índice Prueba")
    CaseFactory(subject="Índice prueba")
    terms = search.parse_terms("indice")
    phone = search.parse_terms("5512345")
    plans = []
    with connection.cursor() as cursor:
        # A handful of rows: without this the planner rightly reads them all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for queryset in (
            search.search_clients(terms),
            search.search_clients(phone),
            search.search_cases(terms),
        ):
            plans.append(queryset.explain())
    assert "clients_client_name_trgm" in plans[0]
    assert "clients_client_email_trgm" in plans[0]
    assert "clients_client_phone_trgm" in plans[1]
    assert "cases_case_subject_trgm" in plans[2]


# Who searches (ROLE-1) -------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_search_page_role_matrix(client, role):
    """RULES: ROLE-1. Every staff role searches; a partner approver gets 403
    and no search box."""
    ClientFactory(name="Rosalba Quiroga")
    user = make_user(role)
    client.force_login(user)
    response = client.get(reverse("search"), {"q": "quiroga"})
    if role == Role.PARTNER_APPROVER:
        assert response.status_code == 403
        page = client.get(reverse("partner-approvals")).content.decode()
        assert 'data-testid="nav-search"' not in page
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert "Rosalba Quiroga" in page
        assert 'data-testid="nav-search"' in page


def test_search_page_needs_a_login(client):
    """RULES: ROLE-1"""
    response = client.get(reverse("search"), {"q": "quiroga"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_agent_sees_only_what_opens_for_them(client):
    """RULES: ROLE-1. An agent reads every client and case (RULES, Roles), so
    another agent's client and case are found, and every result opens a page
    the agent may read; nothing links to the Django admin."""
    owner = UserFactory(agent=True)
    customer = ClientFactory(name="Eréndira Valdivia", assigned_agent=owner)
    case = CaseFactory(client=customer, subject="Valdivia: cambio de sesión", assignee=owner)
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    response = client.get(reverse("search"), {"q": "valdivia"})
    page = response.content.decode()
    urls = [c.result_url for c in response.context["groups"][0].page] + [
        c.result_url for c in response.context["groups"][1].page
    ]
    assert urls == [reverse("clients:detail", args=[customer.pk]), case.get_absolute_url()]
    assert "/admin/" not in page
    for url in urls:
        assert client.get(url).status_code == 200


def test_an_admin_result_opens_the_django_admin(client):
    """RULES: ROLE-1. Admins read clients and cases only in the Django admin."""
    customer = ClientFactory(name="Fabiola Urquidi")
    case = CaseFactory(client=customer, subject="Urquidi")
    admin = make_user(Role.ADMIN)
    client.force_login(admin)
    response = client.get(reverse("search"), {"q": "urquidi"})
    clients, cases = response.context["groups"]
    assert [c.result_url for c in clients.page] == [
        reverse("admin:clients_client_change", args=[customer.pk])
    ]
    assert [c.result_url for c in cases.page] == [
        reverse("admin:cases_case_change", args=[case.pk])
    ]
    assert client.get(reverse("clients:detail", args=[customer.pk])).status_code == 403


def test_ensure_searcher_refuses_partner_approvers_and_anonymous():
    """RULES: ROLE-1"""
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    with pytest.raises(Http404):
        search.ensure_searcher(make_user(Role.PARTNER_APPROVER))
    with pytest.raises(Http404):
        search.ensure_searcher(AnonymousUser())
    search.ensure_searcher(make_user(Role.AGENT))


# The page ------------------------------------------------------------------------------


def test_search_page_groups_and_paginates_each_group_on_its_own(client):
    for n in range(search.PAGE_SIZE + 3):
        ClientFactory(name=f"Zacarías Montoya {n:02d}")
    CaseFactory(subject="Montoya pide factura")
    client.force_login(make_user(Role.LEADER))
    response = client.get(reverse("search"), {"q": "montoya"})
    clients, cases = response.context["groups"]
    assert clients.count == search.PAGE_SIZE + 3
    assert len(clients.page) == search.PAGE_SIZE
    assert cases.count == 1
    assert clients.next_url == "?q=montoya&clients_page=2"
    second = client.get(reverse("search") + clients.next_url)
    clients, cases = second.context["groups"]
    assert clients.page.number == 2
    assert len(clients.page) == 3
    assert len(cases.page) == 1  # the other group keeps its page
    assert clients.previous_url == "?q=montoya&clients_page=1"


def test_search_page_caps_the_count_of_a_broad_search(client, monkeypatch):
    monkeypatch.setattr(search, "RESULT_CAP", 4)
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    for n in range(6):
        ClientFactory(name=f"Amplio Resultado {n}")
    client.force_login(make_user(Role.AGENT))
    response = client.get(reverse("search"), {"q": "amplio"})
    clients = response.context["groups"][0]
    assert clients.is_capped
    assert clients.count == 4
    assert clients.page.paginator.num_pages == 2
    assert len(clients.page) == 2
    assert "más de 4" in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "testid"),
    [("", "search-empty"), ("ab", "search-too-short"), ("inexistente", "search-nothing")],
)
def test_search_page_says_why_nothing_is_listed(client, typed, testid):
    client.force_login(make_user(Role.AGENT))
    response = client.get(reverse("search"), {"q": typed})
    assert f'data-testid="{testid}"' in response.content.decode()


def test_search_page_escapes_what_was_typed_and_what_it_found(client):
    ClientFactory(name="<script>alert(1)</script> Malicioso")
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("search"), {"q": "<script>"}).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Malicioso" in page


def test_search_page_in_english(client):
    user = make_user(Role.AGENT, profile__language="en")
    client.force_login(user)
    page = client.get(reverse("search"), {"q": "inexistente"}).content.decode()
    assert "No client or case matches" in page


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_search_page_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    url = reverse("search")
    client.get(url, {"q": "Galván"})
    counts = []
    for size in (2, 9):
        while search.search_clients(search.parse_terms("galvan")).count() < size:
            customer = ClientFactory(name=f"Octavio Galván {size}", accessibility_needs="ADA")
            CaseFactory(client=customer, subject="Galván: duda")
        counts.append(_count(client, url, {"q": "galvan"}))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(11):
        client.get(url, {"q": "galvan"})
