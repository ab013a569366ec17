"""The KPI pages: roles (ROLE-1), query budgets, filters in the URL, CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Survey
from clients.models import Offer, Purchase
from kpis.services import refresh_kpi_rollups
from pae_ops.roles import Role
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.kpis import factories as build
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("kpis:dashboard")
TEAM = reverse("kpis:team")
EXPORTS = [reverse("kpis:export", args=[table]) for table in ("summary", "trend", "agent")]


def make_user(role: Role):
    if role == Role.PARTNER_APPROVER:
        return PartnerApproverFactory()
    return UserFactory(roles=[role])


def populate(size: int, *, today: date) -> None:
    """``size`` clients, each with a purchase, a payment, an offer, a case, an
    interaction and a CSAT answer this month and a year before."""
    partner = ActivePartnerFactory()
    products = [build.product(partner=partner), build.product()]
    leader = UserFactory(leader=True)
    for index in range(size):
        agent = UserFactory(agent=True, profile__leader=leader)
        client = ClientFactory(assigned_agent=agent, computed_segment="ABC"[index % 3])
        for day in (today, today.replace(year=today.year - 1)):
            sale = build.purchase(on=day, client=client, product_=products[index % 2])
            build.pay(sale, on=day, amount="100.00")
            build.offer(outcome=Offer.Outcome.DECLINED, decided=build.at(day, 9), client=client)
            build.case(opened=build.at(day, 9), client=client, assignee=agent)
            build.interaction(when=build.at(day, 10), agent=agent, client=client)
            build.answer(kind=Survey.Kind.CSAT, score=4, when=build.at(day, 8), client=client)


# Roles (ROLE-1) ----------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_and_its_exports_answer_to_directors_and_leaders(client, role):
    """RULES: ROLE-1. Leaders get their team's (RULES, KPIs); agents, admins
    and partner approvers get 403."""
    client.force_login(make_user(role))
    expected = 200 if role in (Role.DIRECTOR, Role.LEADER) else 403
    assert client.get(DASHBOARD).status_code == expected
    for url in EXPORTS:
        assert client.get(url).status_code == expected


@pytest.mark.parametrize("role", list(Role))
def test_team_view_and_its_export_answer_to_leaders_and_directors(client, role):
    """RULES: ROLE-1. Agents, admins and partner approvers get 403."""
    client.force_login(make_user(role))
    expected = 200 if role in (Role.LEADER, Role.DIRECTOR) else 403
    assert client.get(TEAM).status_code == expected
    assert client.get(reverse("kpis:team-export")).status_code == expected


def test_a_leader_cannot_open_another_leaders_team(client):
    """RULES: ROLE-1. Their own team only; a director chooses any."""
    leader, other = UserFactory(leader=True), UserFactory(leader=True)
    theirs = UserFactory(agent=True, first_name="Zacarías", profile__leader=other)
    client.force_login(leader)
    assert client.get(TEAM, {"leader": other.pk}).status_code == 403
    assert client.get(reverse("kpis:team-export"), {"leader": other.pk}).status_code == 403
    page = client.get(TEAM).content.decode()
    assert "Zacarías" not in page

    client.force_login(UserFactory(director=True))
    page = client.get(TEAM, {"leader": other.pk}).content.decode()
    assert "Zacarías" in page
    assert theirs.pk


def _last_month_day() -> date:
    """The 15th of last month: whole past days, whatever the time of the run."""
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)


def _two_teams(day: date):
    """Two leaders with an agent each. Each agent's client buys, pays, takes
    an upsell offer (accepted for the first team, declined for the second),
    has a case, a typed interaction and a CSAT answer on ``day``; a client
    without an agent buys too."""
    teams = []
    for index, (price, outcome) in enumerate(
        (("1000.00", Offer.Outcome.ACCEPTED), ("300.00", Offer.Outcome.DECLINED))
    ):
        leader = UserFactory(leader=True)
        agent = UserFactory(agent=True, first_name=f"Agente{index}", profile__leader=leader)
        client_ = ClientFactory(assigned_agent=agent, computed_segment="B")
        sale = build.purchase(on=day, client=client_, price=price)
        build.pay(sale, on=day, amount=price)
        build.offer(outcome=outcome, decided=build.at(day, 9), client=client_)
        build.case(opened=build.at(day, 8), client=client_, assignee=agent)
        build.interaction(when=build.at(day, 10), agent=agent, client=client_, typed=True)
        build.answer(kind=Survey.Kind.CSAT, score=5, when=build.at(day, 11), client=client_)
        teams.append((leader, agent))
    build.purchase(on=day, client=ClientFactory(assigned_agent=None), price="7000.00")
    return teams


def _summary(response) -> dict:
    return {row.figure.key: row.value for row in response.context["data"].summary}


def _sold_by(**lookup) -> Decimal:
    return Purchase.objects.filter(**lookup).aggregate(total=Sum("price"))["total"]


def test_a_leaders_dashboard_counts_only_their_team(client):
    """RULES: ROLE-1, KPI-1, KPI-3. Every figure of the leader's dashboard and
    export counts their team's agents only (by each row's agent); the agent
    filter offers the team; another team's agent in the URL is ignored."""
    # given
    day = _last_month_day()
    month = {"month": day.strftime("%Y-%m")}
    (leader, agent), (_other_leader, other_agent) = _two_teams(day)
    refresh_kpi_rollups()
    # when
    client.force_login(leader)
    response = client.get(DASHBOARD, month)
    # then
    page = response.content.decode()
    assert 'data-testid="team-scope-note"' in page
    values = _summary(response)
    assert values["sold"] == _sold_by(client__assigned_agent=agent)
    assert values["upsell"] == 100  # the other team's declined offer is not counted
    assert values["csat"] == 100
    agents = next(b for b in response.context["data"].breakdowns if b.name == "agent")
    assert [row.key for row in agents.rows] == [agent.pk]
    assert other_agent.first_name not in page
    # another team's agent asked for: still the leader's team
    response = client.get(DASHBOARD, {**month, "agent": other_agent.pk})
    assert _summary(response)["sold"] == _sold_by(client__assigned_agent=agent)
    # the export says the same
    export = client.get(reverse("kpis:export", args=["agent"]), month)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [agent.get_full_name()]
    # the director sees every team, and the client without an agent
    client.force_login(UserFactory(director=True))
    values = _summary(client.get(DASHBOARD, month))
    assert values["sold"] == _sold_by()
    assert values["upsell"] == 50


def test_a_leader_without_a_team_sees_no_data(client):
    """RULES: KPI-8, ROLE-1. Nobody in the team: no data, not the whole area."""
    day = _last_month_day()
    _two_teams(day)
    refresh_kpi_rollups()
    client.force_login(UserFactory(leader=True))
    page = client.get(DASHBOARD, {"month": day.strftime("%Y-%m")}).content.decode()
    assert 'data-testid="value-sold">sin datos<' in page


def test_a_leaders_dashboard_keeps_the_query_budget(client):
    """RULES: KPI-1. ≤ 10 queries for a leader too, whatever the team's size."""
    today = timezone.localdate()
    leader = UserFactory(leader=True)
    client.force_login(leader)
    client.get(DASHBOARD)
    counts = []
    for size in (2, 12):
        while leader.team_profiles.count() < size:
            agent = UserFactory(agent=True, profile__leader=leader)
            client_ = ClientFactory(assigned_agent=agent)
            build.purchase(on=today, client=client_)
            build.case(opened=build.at(today, 9), client=client_, assignee=agent)
        refresh_kpi_rollups()
        counts.append(_count_queries(client, DASHBOARD))
        counts.append(_count_queries(client, DASHBOARD, {"partner": "1"}))
    assert counts[0] == counts[2]
    assert counts[1] == counts[3]
    assert max(counts) <= 10


def test_anonymous_users_are_sent_to_the_login_page(client):
    """RULES: ROLE-1"""
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert reverse("login") in response.url


# Query budgets ----------------------------------------------------------------------


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_count_is_bounded_and_does_not_grow_with_the_data(client):
    """RULES: KPI-1. ≤ 10 queries for every figure of a month, whatever the size
    (DESIGN), with the roll-up current (the past from it, today live)."""
    today = timezone.localdate()
    director = UserFactory(director=True)
    client.force_login(director)
    client.get(DASHBOARD)  # the first request writes the session

    counts = []
    for size in (2, 12):
        populate(size, today=today)
        refresh_kpi_rollups()
        counts.append(_count_queries(client, DASHBOARD))
        counts.append(_count_queries(client, DASHBOARD, {"segment": "A"}))
    assert counts[0] == counts[2]
    assert counts[1] == counts[3]
    assert max(counts) <= 10


def test_dashboard_before_the_first_roll_up_costs_the_same_at_two_sizes(client):
    """RULES: KPI-1. Never refreshed (a new deployment before the first beat): every
    day is read live, in the same queries at any size, and the live statement has
    one branch per source and run of days, not one per month (its planning alone
    took most of a second over 13 months of windows)."""
    from kpis.facts import SOURCES

    today = timezone.localdate()
    director = UserFactory(director=True)
    client.force_login(director)
    client.get(DASHBOARD)

    counts, branches = [], []
    for size in (2, 12):
        populate(size, today=today)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(DASHBOARD)
        assert response.status_code == 200
        counts.append(len(queries))
        live = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH live")]
        branches.append(max(sql.count("UNION ALL") for sql in live))
    assert counts[0] == counts[1]
    assert max(branches) < 2 * len(SOURCES)


def test_team_view_query_count_does_not_grow_with_the_team(client):
    """RULES: KPI-7. The same queries for a team of 2 and of 12 agents."""
    today = timezone.localdate()
    leader = UserFactory(leader=True)
    client.force_login(leader)
    client.get(TEAM)

    counts = []
    for size in (2, 12):
        for _index in range(size - leader.team_profiles.count()):
            agent = UserFactory(agent=True, profile__leader=leader)
            build.case(opened=build.at(today - timedelta(days=1), 9), assignee=agent)
            build.interaction(when=build.at(today, 10), agent=agent)
        refresh_kpi_rollups()
        counts.append(_count_queries(client, TEAM))
    assert counts[0] == counts[1]
    assert counts[0] <= 10


# The page, its filters and its exports ---------------------------------------------


def test_dashboard_shows_every_figure_with_its_definition_and_no_data(client):
    """RULES: KPI-8. An empty month reads "sin datos", never 0; each figure has
    its tooltip with the formula and the period."""
    client.force_login(UserFactory(director=True))
    page = client.get(DASHBOARD, {"month": "2020-01"}).content.decode()
    assert 'data-testid="value-sold">sin datos<' in page
    assert 'data-testid="value-growth">sin datos<' in page
    assert 'data-testid="info-csat"' in page
    assert "Fórmula:" in page
    assert "Periodo: enero 2020" in page
    assert 'data-testid="chart-sold"' in page
    assert 'data-testid="chart-table-sold"' in page
    assert "<script>" not in page
    assert 'style="' not in page


def test_filters_stay_in_the_url_and_the_export_link_carries_them(client):
    """RULES: KPI-1. A shareable link: the CSV link repeats the query string."""
    partner = ActivePartnerFactory()
    ours = build.product(partner=partner)
    today = timezone.localdate()
    build.purchase(on=today, client=ClientFactory(computed_segment="A"), product_=ours)
    client.force_login(UserFactory(director=True))
    query = {"month": today.strftime("%Y-%m"), "segment": "A", "partner": partner.pk}

    page = client.get(DASHBOARD, query).content.decode()

    export = (
        f"/kpis/export/summary.csv?month={query['month']}&amp;segment=A&amp;partner={partner.pk}"
    )
    assert f'href="{export}"' in page


def test_invalid_filters_are_shown_and_ignored(client):
    client.force_login(UserFactory(director=True))
    response = client.get(DASHBOARD, {"month": "2026-13", "agent": "x", "partner": "999999"})
    assert response.status_code == 200
    assert "AAAA-MM" in response.content.decode() or "YYYY-MM" in response.content.decode()


def test_csv_export_defuses_formulas_in_names(client):
    """RULES: KPI-1. A product called "=HYPERLINK(...)" is exported as text."""
    today = timezone.localdate()
    nasty = build.product(name='=HYPERLINK("http://x.test","clic")')
    build.purchase(on=today, product_=nasty, price="250.00")
    client.force_login(UserFactory(director=True))

    response = client.get(reverse("kpis:export", args=["product"]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Producto"
    names = [row[0] for row in rows[1:]]
    assert any(name.startswith("'=HYPERLINK") for name in names)
    assert rows[1][1] == "250.00"


def test_team_export_lists_each_agent_and_the_team(client):
    """RULES: TYP-4. The commission adjustment per agent in the CSV."""
    leader = UserFactory(leader=True)
    agent = UserFactory(agent=True, first_name="Rita", last_name="Mora", profile__leader=leader)
    today = timezone.localdate()
    for typed in (True, False):
        build.interaction(when=build.at(today, 9), agent=agent, typed=typed)
    client.force_login(leader)

    response = client.get(reverse("kpis:team-export"))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    rita = next(row for row in rows if row[0] == "Rita Mora")
    assert rita[header.index("Cumplimiento de tipificación")] == "50.0"
    assert rita[header.index("Ajuste de comisión")] == "45.0"
    assert rows[-1][0] == "Equipo"
