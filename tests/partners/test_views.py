import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pae_ops.roles import Role
from partners.models import Partner, PartnerStatus, Stage
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, OfferingFactory, PartnerFactory

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("partners:directory")
DIRECTORY_ROLES = {Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN}
TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}


def test_the_directory_requires_login(client):
    response = client.get(DIRECTORY)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", list(Role))
def test_directory_role_matrix(client, role):
    """RULES: ROLE-1. Agents, leaders, directors (and admins) read it; approvers do not."""
    client.force_login(UserFactory(**{TRAITS[role]: True}))
    expected = 200 if role in DIRECTORY_ROLES else 403
    assert client.get(DIRECTORY).status_code == expected


# Who downloads partner documents: admins, and the director, who reads
# everything (RULES, Roles).
DOCUMENT_ROLES = {Role.DIRECTOR, Role.ADMIN}


@pytest.mark.parametrize("role", list(Role))
def test_partner_documents_role_matrix(client, role):
    """RULES: ROLE-1. The directory links each active partner's agreements for
    the roles that may download them; the download answers 200 to them and
    403 to the others."""
    from tests.partners.factories import PDF_BYTES, AgreementFactory

    agreement = AgreementFactory(partner=ActivePartnerFactory())
    url = reverse("partners:document", kwargs={"kind": "agreement", "pk": agreement.pk})
    client.force_login(UserFactory(**{TRAITS[role]: True}))
    response = client.get(url)
    if role in DOCUMENT_ROLES:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert f'href="{url}"' in client.get(DIRECTORY).content.decode()
    else:
        assert response.status_code == 403
        if role in DIRECTORY_ROLES:
            assert url not in client.get(DIRECTORY).content.decode()


def test_the_directory_lists_active_partners_only(client):
    """RULES: PAR-3"""
    # given an active partner, one in training, and a paused one in the directory
    active = ActivePartnerFactory(summary="Embudos high ticket")
    training = PartnerFactory(stage=Stage.TRAINING)
    paused = ActivePartnerFactory(status=PartnerStatus.PAUSED, status_reason="Auditoría")
    client.force_login(UserFactory(agent=True))

    # when an agent opens the directory
    response = client.get(DIRECTORY)

    # then only the active one is listed, with what it offers, languages and manager
    assert list(response.context["page_obj"]) == [active]
    page = response.content.decode()
    assert active.brand_name in page
    assert "Embudos high ticket" in page
    assert active.services.get().name in page
    assert "Español" in page
    assert active.account_manager.get_full_name() in page
    assert training.brand_name not in page
    assert paused.brand_name not in page


def test_the_directory_filters_by_language_and_service(client):
    coaching, crm = OfferingFactory(name="Coaching"), OfferingFactory(name="CRM")
    spanish = ActivePartnerFactory(languages=["es"], services=[coaching])
    english = ActivePartnerFactory(languages=["en"], services=[crm])
    both = ActivePartnerFactory(languages=["es", "en"], services=[coaching, crm])
    client.force_login(UserFactory(agent=True))

    def listed(**query):
        return set(client.get(DIRECTORY, query).context["page_obj"])

    assert listed(language="en") == {english, both}
    assert listed(service=coaching.pk) == {spanish, both}
    assert listed(language="en", service=coaching.pk) == {both}
    # Values that mean nothing are ignored, not a crash.
    assert listed(language="xx") == {spanish, english, both}


def test_the_directory_says_when_it_is_empty(client):
    client.force_login(UserFactory(leader=True))
    page = client.get(DIRECTORY).content.decode()
    assert 'data-testid="directory-empty"' in page


def test_the_directory_is_paginated_by_25(client):
    ActivePartnerFactory.create_batch(26, services=[])
    client.force_login(UserFactory(director=True))
    response = client.get(DIRECTORY)
    assert len(response.context["page_obj"].object_list) == 25
    assert response.context["page_obj"].paginator.num_pages == 2
    second = client.get(DIRECTORY, {"page": 2})
    assert len(second.context["page_obj"].object_list) == 1


def test_the_directory_query_count_does_not_grow_with_the_page(
    client, django_assert_max_num_queries
):
    offering = OfferingFactory()
    client.force_login(UserFactory(agent=True))
    client.get(DIRECTORY)  # warm-up: the first request writes the session

    counts = []
    for size in (2, 20):
        ActivePartnerFactory.create_batch(
            size - Partner.objects.count(), languages=["es", "en"], services=[offering]
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(DIRECTORY, {"language": "es"})
        assert len(response.context["page_obj"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(11):  # +1: the saved views menu
        client.get(DIRECTORY)


def test_agents_see_the_partners_entry_in_the_navigation(client):
    client.force_login(UserFactory(agent=True))
    page = client.get(reverse("my-work")).content.decode()
    assert f'href="{DIRECTORY}" data-nav="partners"' in page
