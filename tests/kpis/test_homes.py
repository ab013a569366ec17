"""The leader's and the director's homes (kpis.homes): every count equals the
rows of the list it links to (each link is followed), and the query count is
the same at two team sizes."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Survey
from partners.models import PartnerStatus, Stage
from tests.cases.factories import CaseFactory, InteractionFactory, SurveyFactory
from tests.clients.factories import ClientFactory, ProductFactory, PurchaseFactory
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerFactory
from tests.refunds.factories import RefundRequestFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-testid="([^"]+)"[^>]*>(.*?)</a>', re.S)


def _links(page: str, section: str) -> list[tuple[str, str, int]]:
    """(url, testid, the number shown) of every counting link in the
    ``data-testid=section`` element's part of the page."""
    start = page.index(f'data-testid="{section}"')
    end = page.find("</section>", start)
    found = []
    for href, testid, inner in LINK.findall(page[start:end]):
        number = re.search(r"\d+", re.sub(r"<[^>]+>", " ", inner))
        if number:
            found.append((html.unescape(href), testid, int(number.group())))
    return found


def _rows_of(client, url: str) -> int:
    """The number of rows the list at ``url`` holds (all its pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page_obj"].paginator.count


def _case(agent, *, state: str = "on_time", **kwargs) -> Case:
    """An open case of ``agent`` in an SLA position relative to the real clock
    (the pages read it)."""
    now = timezone.now()
    fields = {
        "opened_at": now - timedelta(minutes=30),
        "first_response_warn_at": now + timedelta(hours=5),
        "first_response_due_at": now + timedelta(hours=6),
        "resolution_target_at": now + timedelta(hours=40),
        "resolution_warn_at": now + timedelta(hours=50),
        "resolution_due_at": now + timedelta(hours=70),
        "follow_up_due_at": now + timedelta(hours=20),
    }
    if state == "breached":
        fields["resolution_due_at"] = now - timedelta(hours=1)
        fields["resolution_target_at"] = now - timedelta(hours=30)
        fields["resolution_warn_at"] = now - timedelta(hours=10)
    elif state == "at_risk":
        fields["resolution_target_at"] = now - timedelta(hours=1)
    fields.update(kwargs)
    client = fields.pop("client", None) or ClientFactory(assigned_agent=agent)
    return CaseFactory(client=client, assignee=agent, **fields)


def _fill_team(leader, agents: list) -> None:
    """Cases in every position, kinds, interactions, answers for the team."""
    now = timezone.now()
    for index, agent in enumerate(agents):
        _case(agent)
        _case(agent, state="at_risk")
        _case(agent, state="breached", follow_up_due_at=now - timedelta(hours=1))
        if index % 2 == 0:
            _case(agent, kind=Case.Kind.FOLLOW_UP)
            _case(agent, kind=Case.Kind.RESCUE, state="at_risk")
        _case(agent, status=Case.Status.CLOSED, closed_at=now)  # not open: counted nowhere
        InteractionFactory(handled_by=agent, occurred_at=now)
        InteractionFactory(handled_by=agent, occurred_at=now, typed=True)
        SurveyFactory(agent=agent, answered=True, score=1, answered_at=now)
        SurveyFactory(
            agent=agent, answered=True, score=5, answered_at=now, reviewed_at=now,
            reviewed_by=leader, review_note="Llamada hecha.",
        )  # fmt: skip
    _case(leader, state="breached")


@pytest.fixture
def leader_team(db):
    leader = UserFactory(leader=True)
    agents = [UserFactory(agent=True, profile__leader=leader) for _ in range(3)]
    other_leader = UserFactory(leader=True)
    outsider = UserFactory(agent=True, profile__leader=other_leader)
    _fill_team(leader, agents)
    _case(outsider, state="breached")  # another team's: not on this home
    RefundRequestFactory.create_batch(2, awaiting_credit=True)
    return {"leader": leader, "agents": agents, "other_leader": other_leader}


# The leader's home ---------------------------------------------------------------------


def test_leader_home_counts_equal_the_lists_they_link_to(client, leader_team):
    """RULES: SLA-2, SLA-5, TYP-2, COM-3, RES-7, RES-1. Per agent and for the
    team: open, at risk, breached, no follow-up open the board with that
    filter and it holds that many rows; approvals, answers to review,
    detractor follow-ups and rescue cases likewise."""
    # given a team with cases in every position
    leader = leader_team["leader"]
    client.force_login(leader)
    # when
    response = client.get(reverse("team"))
    page = response.content.decode()
    home = response.context["home"]
    # then every counting link leads to a list of exactly that many rows
    links = _links(page, "leader-waiting") + _links(page, "leader-agents")
    assert len(links) >= 4 + 4 * 5  # four waiting counts, four per person and the team
    for url, testid, number in links:
        if testid in {"open", "at_risk", "breached", "no_follow_up"} or testid.startswith("count"):
            assert _rows_of(client, url) == number, (testid, url)
    # and the figures are the expected ones
    assert home.totals.breached == 3 + 1  # the leader's own case too
    assert home.totals.at_risk == 3 + 2
    assert home.totals.no_follow_up == 3
    assert home.totals.follow_up == 2
    assert home.totals.rescue == 2
    assert home.approvals == 2
    assert home.answers_to_review == 3
    agent_row = next(row for row in home.rows if row.person == leader_team["agents"][0])
    assert (agent_row.cases.open, agent_row.untyped) == (5, 1)
    assert agent_row.typing.compliance == Decimal("50.0")
    assert agent_row.typing.commission_reduction == Decimal("45.0")  # TYP-4
    assert home.typing.compliance == Decimal("50.0")


def test_leader_home_leaves_out_other_teams(client, leader_team):
    """RULES: ROLE-1. Another team's agent is not a row, nor counted."""
    client.force_login(leader_team["leader"])
    home = client.get(reverse("team")).context["home"]
    people = {row.person.pk for row in home.rows}
    assert people == {leader_team["leader"].pk, *(a.pk for a in leader_team["agents"])}


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_leader_home_query_count_is_the_same_at_two_team_sizes(
    client, django_assert_max_num_queries
):
    """Set-based: no query per agent or per case; within the board's budget."""
    leader = UserFactory(leader=True)
    client.force_login(leader)
    client.get(reverse("team"))  # warm-up: the session is written
    counts = []
    for size in (2, 8):
        agents = [UserFactory(agent=True, profile__leader=leader) for _ in range(size)]
        _fill_team(leader, agents)
        counts.append(_count_queries(client, reverse("team")))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(16):  # the board's budget
        client.get(reverse("team"))


def test_the_director_still_reads_every_team_on_the_team_page(client, leader_team):
    """RULES: ROLE-1. /team/ for a director lists the teams (no cockpit)."""
    client.force_login(UserFactory(director=True))
    response = client.get(reverse("team"))
    assert response.status_code == 200
    assert "home" not in response.context
    assert f'data-leader="{leader_team["leader"].pk}"' in response.content.decode()


def test_the_feedback_review_filters_the_answers_still_to_review(client, leader_team):
    """RULES: COM-3. ``?pending=1`` keeps the answers not reviewed yet."""
    client.force_login(leader_team["leader"])
    url = reverse("cases:feedback-review")
    assert _rows_of(client, url) == 6
    assert _rows_of(client, f"{url}?pending=1") == 3


# The director's home ---------------------------------------------------------------------


def _fill_partners(count: int) -> list:
    now = timezone.now()
    partners = []
    for _index in range(count):
        partner = ActivePartnerFactory()
        product = ProductFactory(partner=partner)
        purchase = PurchaseFactory(product=product)
        agent = purchase.client.assigned_agent
        _case(agent, client=purchase.client)
        RefundRequestFactory(purchase=purchase, awaiting_partial=True)
        RefundRequestFactory(purchase=purchase, escalated=True, awaiting_credit=True)
        SurveyFactory(client=purchase.client, agent=agent, answered=True, score=5, answered_at=now)
        SurveyFactory(client=purchase.client, agent=agent, answered=True, score=2, answered_at=now)
        SurveyFactory(
            client=purchase.client, agent=agent, kind=Survey.Kind.NPS, answered=True, score=10,
            answered_at=now,
        )  # fmt: skip
        partners.append(partner)
    PartnerFactory()  # identified
    PartnerFactory(stage=Stage.LEGAL)
    PartnerFactory(
        stage=Stage.LEGAL, status=PartnerStatus.PAUSED, status_reason="En pausa."
    )  # not moving: left out
    return partners


def test_director_home_counts_equal_the_lists_they_link_to(client, leader_team):
    """RULES: REF-3, REF-8, SLA-2, PAR-2. The decision queue, the cases by
    team and in total, and the directory's count open lists of that size."""
    # given two teams' cases, partners at several stages, escalated requests
    partners = _fill_partners(2)
    client.force_login(UserFactory(director=True))
    # when
    response = client.get(reverse("direction"))
    page = response.content.decode()
    home = response.context["home"]
    # then
    links = (
        _links(page, "direction-decisions")
        + _links(page, "direction-teams")
        + _links(page, "direction-partners")
    )
    assert {testid for _url, testid, _n in links} >= {
        "count-decisions", "open", "at_risk", "breached", "count-directory",
    }  # fmt: skip
    for url, _testid, number in links:
        assert _rows_of(client, url) == number, url
    assert home.decisions == 2
    team = next(row for row in home.teams if row.leader == leader_team["leader"])
    assert (team.size, team.cases.breached) == (3, 4)
    stages = {step.stage: step.count for step in home.pipeline}
    assert stages[Stage.DIRECTORY] == len(home.partners) == 4  # 2 more from the credits
    assert stages[Stage.IDENTIFIED] >= 1
    assert stages[Stage.LEGAL] == 1
    # the partner panel: the KPI figures' formulas on the partner's clients
    row = next(row for row in home.partners if row.partner == partners[0])
    assert (row.open_cases, row.open_refunds) == (1, 2)
    assert row.refund_amount == Decimal("800.00")
    assert row.csat == Decimal("50.0")  # KPI-4: 4–5 stars ÷ answers
    assert row.nps == Decimal("100.0")  # KPI-5
    assert f'href="{reverse("kpis:dashboard")}?month=' in page


def test_director_home_query_count_is_the_same_at_two_sizes(client):
    """Set-based: teams and partners cost no query each."""
    client.force_login(UserFactory(director=True))
    client.get(reverse("direction"))  # warm-up
    counts = []
    for size in (1, 4):
        for _index in range(size):
            leader = UserFactory(leader=True)
            _fill_team(leader, [UserFactory(agent=True, profile__leader=leader)])
        _fill_partners(size)
        counts.append(_count_queries(client, reverse("direction")))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("trait", "team", "direction"),
    [
        ("agent", 403, 403),
        ("leader", 200, 403),
        ("director", 200, 200),
        ("admin", 403, 403),
        ("partner_approver", 403, 403),
    ],
)
def test_homes_role_matrix(client, trait, team, direction):
    """RULES: ROLE-1"""
    client.force_login(UserFactory(**{trait: True}))
    assert client.get(reverse("team")).status_code == team
    assert client.get(reverse("direction")).status_code == direction
