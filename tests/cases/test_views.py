"""Case pages: the role matrix (ROLE-1), htmx partials, what each page shows
(TYP-2..4, SLA-2, SLA-5, BH-2, COM-6) and query budgets that do not grow
with rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Interaction, ResponseTemplate
from pae_ops.roles import Role
from tests.cases.factories import (
    CaseFactory,
    InteractionFactory,
    ResponseTemplateFactory,
    TypingReasonFactory,
)
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


def recent_case(agent, *, hours_ago: float = 1, **kwargs) -> Case:
    """A case opened ``hours_ago`` (real time: the views read the real clock)."""
    client = kwargs.pop("client", None) or ClientFactory(assigned_agent=agent)
    opened_at = timezone.now() - timedelta(hours=hours_ago)
    return CaseFactory(client=client, assignee=agent, opened_at=opened_at, **kwargs)


# ROLE-1 ----------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_case_page_role_matrix(client, role):
    """RULES: ROLE-1. Agents, leaders and directors read every case; a partner
    approver (and an admin, who uses the Django admin) gets 403 or 404."""
    case = recent_case(UserFactory(agent=True))
    client.force_login(make_user(role))
    response = client.get(reverse("cases:detail", args=[case.pk]))
    expected = {Role.AGENT: 200, Role.LEADER: 200, Role.DIRECTOR: 200}.get(role)
    if expected:
        assert response.status_code == expected
    else:
        assert response.status_code in {403, 404}


@pytest.mark.parametrize(
    ("url_name", "allowed"),
    [
        # The director reads everything (RULES, Roles): the team pages too.
        ("cases:board", {Role.LEADER, Role.DIRECTOR}),
        ("cases:feedback-review", {Role.LEADER, Role.DIRECTOR}),
        ("cases:notices", {Role.LEADER, Role.DIRECTOR}),
        ("cases:notice-new", {Role.LEADER}),
        ("my-work", {Role.AGENT, Role.LEADER}),
    ],
)
@pytest.mark.parametrize("role", list(Role))
def test_list_pages_role_matrix(client, role, url_name, allowed):
    """RULES: ROLE-1"""
    client.force_login(make_user(role))
    response = client.get(reverse(url_name))
    assert response.status_code == (200 if role in allowed else 403)


def test_the_director_reads_every_teams_board_without_acts(client):
    """RULES: ROLE-1. Every team's cases, or one team's; no reassign form."""
    # given two teams with a case each
    teams = []
    for _index in range(2):
        leader = UserFactory(leader=True)
        agent = UserFactory(agent=True, profile__leader=leader)
        teams.append((leader, recent_case(agent)))
    unassigned = CaseFactory(client=ClientFactory(), assignee=None, opened_at=timezone.now())
    client.force_login(make_user(Role.DIRECTOR))
    # when / then: everyone's cases, read only
    response = client.get(reverse("cases:board"))
    page = response.content.decode()
    assert set(response.context["page_obj"]) == {teams[0][1], teams[1][1], unassigned}
    assert 'data-testid="reassign-form"' not in page
    assert 'data-testid="board-read-only"' in page
    # one team's
    leader, case = teams[0]
    response = client.get(reverse("cases:board"), {"leader": leader.pk})
    assert list(response.context["page_obj"]) == [case]
    assert 'data-testid="reassign-form"' not in response.content.decode()


def test_the_director_board_query_count_does_not_grow_with_rows(
    client, django_assert_max_num_queries
):
    """The director's board (every team) reads a fixed number of queries."""
    leader = UserFactory(leader=True)
    agents = [UserFactory(agent=True, profile__leader=leader) for _ in range(2)]
    client.force_login(make_user(Role.DIRECTOR))
    client.get(reverse("cases:board"))
    counts = []
    for size in (10, 40):
        while Case.objects.count() < size:
            recent_case(agents[Case.objects.count() % 2], hours_ago=Case.objects.count() * 5 + 1)
        counts.append(_count(client, reverse("cases:board")))
    assert counts[0] == counts[1]
    # +2: the page's clients and assignees, read by id (not joined to every case)
    with django_assert_max_num_queries(18):
        client.get(reverse("cases:board"))


def test_the_director_reads_the_feedback_and_the_notices_without_acts(client, team):
    """RULES: ROLE-1, COM-3, COM-4. Every team's answers and every notice; no
    review form, no schedule or cancel button (those acts stay 403)."""
    from tests.cases.factories import ChangeNoticeFactory, SurveyFactory

    survey = SurveyFactory(agent=team["agent"], answered=True, score=1, answered_at=timezone.now())
    notice = ChangeNoticeFactory()
    client.force_login(team["director"])
    page = client.get(reverse("cases:feedback-review")).content.decode()
    assert f'data-survey="{survey.pk}"' in page
    assert 'data-testid="review-form"' not in page
    page = client.get(reverse("cases:notices")).content.decode()
    assert f'data-notice="{notice.pk}"' in page
    assert 'data-testid="notice-new"' not in page
    assert reverse("cases:notice-cancel", args=[notice.pk]) not in page
    response = client.post(
        reverse("cases:feedback-review-mark", args=[survey.pk]), {"note": "Visto"}
    )
    assert response.status_code == 403
    assert client.post(reverse("cases:notice-cancel", args=[notice.pk])).status_code == 403


def test_a_refused_act_answers_403_with_its_message(client):
    """RULES: ROLE-1. The 403 page says why (in the user's language), and a
    refused htmx request gets the message flashed and a page refresh."""
    from django.utils import translation

    owner, other = UserFactory(agent=True), UserFactory(agent=True)
    case = recent_case(owner)
    client.force_login(other)
    url = reverse("cases:case-resolve", args=[case.pk])
    with translation.override("es"):
        expected = translation.gettext("Only the case's assignee or a leader can change this case.")
    assert expected != "Only the case's assignee or a leader can change this case."

    response = client.post(url)

    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="refusal-message"' in page
    assert expected in page
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert response["HX-Refresh"] == "true"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert expected in page  # the flashed message, shown after the refresh
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


def test_a_partner_approver_sees_no_case(client):
    """RULES: ROLE-1. Every case page and action answers 403/404 and changes nothing."""
    case = recent_case(UserFactory(agent=True))
    client.force_login(make_user(Role.PARTNER_APPROVER))
    urls = [
        ("get", reverse("cases:detail", args=[case.pk])),
        ("get", reverse("cases:client-timeline", args=[case.client_id])),
        ("post", reverse("cases:case-resolve", args=[case.pk])),
        ("post", reverse("cases:case-escalate", args=[case.pk])),
        ("post", reverse("cases:interaction-log", args=[case.client_id])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code in {403, 404}, url
    case.refresh_from_db()
    assert case.status == Case.Status.NEW
    assert not Interaction.objects.exists()


def test_an_agent_cannot_resolve_a_case_assigned_to_someone_else(client):
    """RULES: ROLE-1. 403, and the case stays as it was; the page offers no button."""
    owner, other = UserFactory(agent=True), UserFactory(agent=True)
    case = recent_case(owner)
    client.force_login(other)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-resolve"' not in page
    response = client.post(reverse("cases:case-resolve", args=[case.pk]))
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


def test_a_director_reads_but_cannot_act(client):
    """RULES: ROLE-1"""
    case = recent_case(UserFactory(agent=True))
    client.force_login(make_user(Role.DIRECTOR))
    assert client.post(reverse("cases:case-resolve", args=[case.pk])).status_code == 403
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


# The case page -----------------------------------------------------------------


def test_case_page_explains_each_deadline(client):
    """RULES: BH-2. Start, the calendar, the intervals counted, the closures skipped."""
    agent = UserFactory(agent=True)
    case = recent_case(agent, hours_ago=24 * 8)
    client.force_login(agent)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "¿Por qué vence entonces?" in page
    assert "«Default» (America/Mexico_City)" in page
    assert "Horas laborales contadas" in page
    assert "Cierres omitidos" in page  # at least a weekend in 8 days
    assert 'data-clock="first_response"' in page
    assert 'data-clock="resolution_limit"' in page


def test_resolve_and_escalate_buttons_work(client):
    """RULES: COM-1, SLA-2"""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    case = recent_case(agent)
    client.force_login(agent)
    response = client.post(
        reverse("cases:case-escalate", args=[case.pk]), {"reason": "Necesito apoyo"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.escalation_level == 1
    client.post(reverse("cases:case-resolve", args=[case.pk]))
    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED


def test_escalate_without_a_reason_shows_the_rule_and_changes_nothing(client):
    """RULES: COM-1"""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    case = recent_case(agent)
    client.force_login(agent)
    response = client.post(
        reverse("cases:case-escalate", args=[case.pk]), {"reason": ""}, follow=True
    )
    assert "Escriba el motivo" in response.content.decode()
    assert Case.objects.get(pk=case.pk).escalation_level == 0


def test_log_interaction_by_htmx_types_it_in_the_same_form_and_redirects(client):
    """RULES: TYP-1, TYP-2. An inbound WhatsApp without a case opens one."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    reason = TypingReasonFactory()
    client.force_login(agent)
    response = client.post(
        reverse("cases:interaction-log", args=[customer.pk]),
        {
            "case": "",
            "direction": "inbound",
            "channel": "whatsapp",
            "occurred_at": "",
            "summary": "Quiero cambiar mi fecha de sesión",
            "reason": str(reason.pk),
            "kind": "request",
            "subject": "",
            "template": "",
        },
        HTTP_HX_REQUEST="true",
    )
    interaction = Interaction.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("cases:detail", args=[interaction.case_id])
    assert (interaction.channel, interaction.reason) == ("whatsapp", reason)


def test_log_interaction_errors_come_back_in_the_form_partial(client):
    """RULES: TYP-2. An inactive reason is refused with the rule's message."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    retired = TypingReasonFactory(is_active=False)
    client.force_login(agent)
    response = client.post(
        reverse("cases:interaction-log", args=[customer.pk]),
        {
            "direction": "inbound",
            "channel": "phone",
            "summary": "Llamada",
            "reason": str(retired.pk),
            "kind": "request",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-testid="interaction-form"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert not Interaction.objects.exists()


def test_template_picker_adds_the_saved_reply_to_the_summary(client):
    """RULES: COM-6. In the language chosen, after what the agent wrote."""
    agent = UserFactory(agent=True)
    template = ResponseTemplateFactory(
        body_es="Hola, con gusto te ayudo.", body_en="Hi, glad to help."
    )
    client.force_login(agent)
    url = reverse("cases:template-body")
    response = client.get(url, {"template": f"{template.pk}:en", "summary": "Buenas tardes."})
    body = response.content.decode()
    assert "Buenas tardes.\n\nHi, glad to help." in body
    response = client.get(url, {"template": f"{template.pk}:es", "summary": ""})
    assert "Hola, con gusto te ayudo." in response.content.decode()


def test_seeded_templates_are_offered_in_the_case_form(client):
    """RULES: COM-6"""
    agent = UserFactory(agent=True)
    case = recent_case(agent)
    client.force_login(agent)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    for template in ResponseTemplate.objects.filter(is_active=True):
        assert f'value="{template.pk}:es"' in page
        assert f'value="{template.pk}:en"' in page


# The agent's home ---------------------------------------------------------------------


def test_my_work_lists_open_cases_by_nearest_deadline_with_time_left(client):
    """RULES: SLA-1, SLA-2. Unanswered first response before a later limit."""
    agent = UserFactory(agent=True)
    answered = recent_case(agent, hours_ago=2, first_responded_at=timezone.now())
    unanswered = recent_case(agent, hours_ago=1)
    recent_case(UserFactory(agent=True))  # someone else's
    client.force_login(agent)
    response = client.get(reverse("my-work"))
    rows = list(response.context["page_obj"])
    assert rows == [unanswered, answered]
    assert all(row.hours_left is not None for row in rows)


def test_my_work_lists_untyped_interactions_and_compliance(client):
    """RULES: TYP-2, TYP-3, TYP-4"""
    agent = UserFactory(agent=True)
    now = timezone.now()
    InteractionFactory(handled_by=agent, occurred_at=now, summary="Sin tipificar")
    InteractionFactory(handled_by=agent, occurred_at=now, typed=True)
    client.force_login(agent)
    response = client.get(reverse("my-work"))
    page = response.content.decode()
    assert "Sin tipificar" in page
    assert response.context["compliance"].compliance == 50
    assert 'data-testid="commission-reduction"' in page


def test_my_work_shows_no_figure_without_interactions(client):
    """RULES: TYP-3"""
    client.force_login(UserFactory(agent=True))
    page = client.get(reverse("my-work")).content.decode()
    assert "Sin cifra" in page


def test_typing_from_the_home_page(client):
    """RULES: TYP-2"""
    agent = UserFactory(agent=True)
    interaction = InteractionFactory(handled_by=agent, occurred_at=timezone.now())
    reason = TypingReasonFactory()
    client.force_login(agent)
    response = client.post(
        reverse("cases:interaction-type", args=[interaction.pk]),
        {"reason": str(reason.pk), "next": "/my-work/"},
    )
    assert response.status_code == 302
    assert Interaction.objects.get(pk=interaction.pk).reason == reason


def test_my_work_lists_cases_without_follow_up(client):
    """RULES: SLA-5"""
    agent = UserFactory(agent=True)
    stale = recent_case(agent, hours_ago=24 * 7)
    fresh = recent_case(agent, hours_ago=1)
    client.force_login(agent)
    response = client.get(reverse("my-work"))
    assert stale in response.context["no_follow_up"]
    assert fresh not in response.context["no_follow_up"]


# The leader's board -------------------------------------------------------------------


def test_board_lists_the_team_breached_first_and_reassigns(client):
    """RULES: SLA-2, ROLE-1"""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    other = UserFactory(agent=True, profile__leader=leader)
    fresh = recent_case(agent, hours_ago=1)
    breached = recent_case(agent, hours_ago=24 * 20)
    outsider = recent_case(UserFactory(agent=True), hours_ago=24 * 20)
    client.force_login(leader)
    response = client.get(reverse("cases:board"))
    rows = list(response.context["page_obj"])
    assert rows == [breached, fresh]
    assert outsider not in rows
    # each row's "assign to" offers the team, its assignee chosen
    page = response.content.decode()
    assign = page[page.index(f'id="assign-{breached.pk}"') :]
    assign = assign[: assign.index("</select>")]
    assert f'<option value="{agent.pk}" selected>' in assign
    assert f'<option value="{other.pk}">' in assign
    response = client.post(
        reverse("cases:case-assign", args=[breached.pk]),
        {"assignee": str(other.pk), "next": reverse("cases:board")},
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:board")
    assert Case.objects.get(pk=breached.pk).assignee == other


def test_board_filters(client):
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    complaint = recent_case(agent, kind=Case.Kind.COMPLAINT)
    recent_case(agent)
    client.force_login(leader)
    response = client.get(reverse("cases:board"), {"kind": "complaint"})
    assert list(response.context["page_obj"]) == [complaint]


def test_board_lists_the_teams_cases_without_follow_up(client):
    """RULES: SLA-5. The leader's no-follow-up list is a filter of the board."""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    stale = recent_case(agent, hours_ago=24 * 7, subject="Sin noticias")
    recent_case(agent, hours_ago=1)
    client.force_login(leader)
    response = client.get(reverse("cases:board"), {"state": "no_follow_up"})
    assert list(response.context["page_obj"]) == [stale]
    assert response.context["no_follow_up_count"] == 1
    response = client.get(reverse("cases:board"), {"q": "noticias"})
    assert list(response.context["page_obj"]) == [stale]


# Query budgets ---------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_work_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    client.get(reverse("my-work"))  # warm-up: the session is written
    counts = []
    for size in (10, 50):
        while Case.objects.filter(assignee=agent).count() < size:
            case = recent_case(agent, hours_ago=Case.objects.count() % 50 + 1)
            InteractionFactory(
                handled_by=agent, client=case.client, case=case, occurred_at=timezone.now()
            )
        counts.append(_count(client, reverse("my-work")))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(16):
        client.get(reverse("my-work"))


def test_board_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    leader = UserFactory(leader=True)
    agents = [UserFactory(agent=True, profile__leader=leader) for _ in range(2)]
    client.force_login(leader)
    client.get(reverse("cases:board"))
    counts = []
    for size in (10, 50):
        while Case.objects.count() < size:
            recent_case(agents[Case.objects.count() % 2], hours_ago=Case.objects.count() * 5 + 1)
        counts.append(_count(client, reverse("cases:board")))
    assert counts[0] == counts[1]
    # +2: the page's clients and assignees, read by id (not joined to every case)
    with django_assert_max_num_queries(18):
        client.get(reverse("cases:board"))


def test_case_page_query_count_does_not_grow_with_interactions(
    client, django_assert_max_num_queries
):
    """A case page with 10 and with 200 interactions (typed, with templates)."""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, profile__leader=leader)
    case = recent_case(agent, hours_ago=30)
    template = ResponseTemplate.objects.first()
    reason = TypingReasonFactory()
    client.force_login(leader)
    url = reverse("cases:detail", args=[case.pk])
    client.get(url)
    counts = []
    for size in (10, 200):
        Interaction.objects.bulk_create(
            Interaction(
                client=case.client,
                case=case,
                channel="email",
                direction="outbound",
                occurred_at=timezone.now(),
                handled_by=agent,
                summary="Respuesta",
                category=reason.category,
                reason=reason,
                template=template,
            )
            for _ in range(size - case.interactions.count())
        )
        counts.append(_count(client, url))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(23):  # +1: the saved views menu
        client.get(url)


def test_client_timeline_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    client.force_login(agent)
    url = reverse("cases:client-timeline", args=[customer.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    counts = []
    for size in (5, 40):
        while customer.interactions.count() < size:
            case = recent_case(agent, client=customer)
            InteractionFactory(client=customer, case=case, handled_by=agent, typed=True)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, HTTP_HX_REQUEST="true")
        assert "<html" not in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(14):
        client.get(url, HTTP_HX_REQUEST="true")


def test_client_page_loads_its_timeline_from_the_cases_app(client):
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    client.force_login(agent)
    page = client.get(reverse("clients:detail", args=[customer.pk])).content.decode()
    assert f'hx-get="{reverse("cases:client-timeline", args=[customer.pk])}"' in page
