"""Saved views of the board and the client list: validation, sharing with
the team, and who sees what (others' private views answer 404)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pae_ops.errors import ActRefused, DomainError
from pae_ops.models import SavedView
from pae_ops.selectors import list_saved_views
from pae_ops.services import delete_saved_view, save_view
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    leader = UserFactory(leader=True)
    return {
        "leader": leader,
        "agent": UserFactory(agent=True, profile__leader=leader),
        "stranger": UserFactory(agent=True, profile__leader=UserFactory(leader=True)),
    }


def test_save_view_keeps_only_the_pages_known_filters(people):
    """Unknown parameters, empty values and the page number are dropped."""
    view = save_view(
        actor=people["leader"],
        page="board",
        name="  Vencidos   del equipo ",
        query="state=breached&page=3&evil=1&q=&kind=rescue",
    )
    assert view.name == "Vencidos del equipo"
    assert view.query == "kind=rescue&state=breached"


@pytest.mark.parametrize(
    ("name", "query"),
    [("", "state=breached"), ("   ", "state=breached"), ("x" * 81, "state=breached"),
     ("Sin filtros", "page=2&evil=1")],
)  # fmt: skip
def test_save_view_refuses_a_missing_name_or_no_filter(people, name, query):
    with pytest.raises(DomainError):
        save_view(actor=people["leader"], page="board", name=name, query=query)
    assert not SavedView.objects.exists()


def test_save_view_names_are_unique_per_owner(people):
    save_view(actor=people["agent"], page="clients", name="Mis A", query="segment=A")
    with pytest.raises(DomainError):
        save_view(actor=people["agent"], page="clients", name="Mis A", query="segment=B")
    # another owner may use the same name
    save_view(actor=people["stranger"], page="clients", name="Mis A", query="segment=A")
    assert SavedView.objects.count() == 2


def test_save_view_checks_the_pages_roles_and_who_shares(people):
    """RULES: ROLE-1. An agent can't open the board (so can't save a view of
    it) and can't share; an unknown page is refused."""
    with pytest.raises(PermissionDenied):
        save_view(actor=people["agent"], page="board", name="B", query="state=breached")
    with pytest.raises(ActRefused) as excinfo:
        save_view(actor=people["agent"], page="clients", name="C", query="segment=A", share=True)
    assert excinfo.value.rule == "ROLE-1"
    with pytest.raises(DomainError):
        save_view(actor=people["leader"], page="admin", name="D", query="q=x")
    assert not SavedView.objects.exists()


def test_a_shared_view_is_visible_to_the_team_only(client, people):
    """RULES: ROLE-1. The leader's shared view reaches their team's agents; a
    private one does not, and another team's agent gets 404."""
    shared = save_view(
        actor=people["leader"], page="clients", name="Clientes A", query="segment=A", share=True
    )
    private = save_view(actor=people["leader"], page="clients", name="Mía", query="segment=B")
    assert list_saved_views(people["agent"]) == [shared]
    assert list_saved_views(people["stranger"]) == []
    # the agent sees it in the navigation and opens it
    client.force_login(people["agent"])
    page = client.get(reverse("my-work")).content.decode()
    assert f'data-saved-view="{shared.pk}"' in page
    assert f'data-saved-view="{private.pk}"' not in page
    response = client.get(reverse("saved-view-open", args=[shared.pk]))
    assert response.status_code == 302
    assert response.url == reverse("clients:list") + "?segment=A"
    assert client.get(reverse("saved-view-open", args=[private.pk])).status_code == 404
    # another team's agent
    client.force_login(people["stranger"])
    assert client.get(reverse("saved-view-open", args=[shared.pk])).status_code == 404


def test_only_the_owner_deletes_a_view(client, people):
    """RULES: ROLE-1. Another user's delete answers 404 and deletes nothing."""
    view = save_view(
        actor=people["leader"], page="clients", name="Clientes A", query="segment=A", share=True
    )
    client.force_login(people["agent"])
    assert client.post(reverse("saved-view-delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    with pytest.raises(Http404):
        delete_saved_view(actor=people["agent"], view_id=view.pk)
    client.force_login(people["leader"])
    response = client.post(reverse("saved-view-delete", args=[view.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saving_from_the_board_opens_the_saved_view(client, people):
    """The board's form saves its query string; the view opens the board."""
    client.force_login(people["leader"])
    page = client.get(reverse("cases:board"), {"state": "breached"}).content.decode()
    assert 'data-testid="save-view"' in page
    assert 'id="saved-view-share"' in page  # a leader may share
    response = client.post(
        reverse("saved-view-save"),
        {"page": "board", "name": "Vencidos", "query": "state=breached&page=2", "share": "on"},
    )
    view = SavedView.objects.get()
    assert (view.query, view.shared_with_team, view.owner) == (
        "state=breached",
        True,
        people["leader"],
    )
    assert response.url == reverse("saved-view-open", args=[view.pk])
    assert client.get(response.url).url == reverse("cases:board") + "?state=breached"
    # a second save with the same name says so and saves nothing
    response = client.post(
        reverse("saved-view-save"), {"page": "board", "name": "Vencidos", "query": "kind=rescue"}
    )
    assert response.status_code == 302
    assert SavedView.objects.count() == 1


def test_an_agent_saving_a_board_view_gets_403(client, people):
    """RULES: ROLE-1"""
    client.force_login(people["agent"])
    response = client.post(
        reverse("saved-view-save"), {"page": "board", "name": "B", "query": "state=breached"}
    )
    assert response.status_code == 403
    assert not SavedView.objects.exists()
    page = client.get(reverse("clients:list")).content.decode()
    assert 'data-testid="save-view"' in page
    assert 'id="saved-view-share"' not in page


def test_the_saved_views_page_lists_own_and_shared_views(client, people):
    shared = save_view(
        actor=people["leader"], page="clients", name="Clientes A", query="segment=A", share=True
    )
    own = save_view(actor=people["agent"], page="clients", name="Mis B", query="segment=B")
    client.force_login(people["agent"])
    response = client.get(reverse("saved-views"))
    assert list(response.context["views"]) == [shared, own]
    page = response.content.decode()
    assert reverse("saved-view-delete", args=[shared.pk]) not in page  # not the owner
    assert reverse("saved-view-delete", args=[own.pk]) in page
