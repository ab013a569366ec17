"""Bulk reassign on the board (cases.services.reassign_cases): a leader
covering an absence gives many cases to one person of the team; all or
nothing, one history entry and one notification per case, a bounded number
of queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.services import reassign_cases
from pae_ops.errors import ActRefused, DomainError
from pae_ops.models import Notification
from pae_ops.models.outbox import OutboxEmail
from tests.cases.factories import CaseFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _cases(agent, count: int, **kwargs) -> list[Case]:
    shared = ClientFactory(assigned_agent=agent)
    return [
        CaseFactory(
            # one open rescue per client (a constraint)
            client=ClientFactory(assigned_agent=agent) if kwargs.get("kind") else shared,
            assignee=agent,
            opened_at=timezone.now(),
            **kwargs,
        )
        for _ in range(count)
    ]


def _state(cases: list[Case]) -> list[tuple[int, int | None]]:
    return list(
        Case.objects.filter(pk__in=[c.pk for c in cases])
        .order_by("pk")
        .values_list("pk", "assignee_id")
    )


def _reassign(team, cases, to=None):
    return reassign_cases(
        actor=team["leader"],
        case_ids=[case.pk for case in cases],
        assignee_id=(to or team["other"]).pk,
    )


def test_reassign_cases_moves_200_cases_with_history_and_notice_in_bounded_queries(
    team, django_assert_max_num_queries
):
    """RULES: ROLE-1. 200 cases of an absent agent go to a colleague: every
    one reassigned, one history entry and one notification (with its email)
    per case, in a fixed number of queries (the same for 20 and for 200)."""
    # given
    _reassign(team, _cases(team["agent"], 1))  # warm-up: the leader's roles are cached
    small = _cases(team["agent"], 20)
    cases = _cases(team["agent"], 200)
    with CaptureQueriesContext(connection) as first:
        _reassign(team, small)
    # when
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as second:
        moved = _reassign(team, cases)
    # then
    assert len(first) == len(second)
    assert len(moved) == 200
    ids = [case.pk for case in cases]
    assert not Case.objects.filter(pk__in=ids).exclude(assignee=team["other"]).exists()
    history = Case.history.filter(id__in=ids, assignee_id=team["other"].pk, history_type="~")
    assert history.count() == 200
    assert set(history.values_list("history_user_id", flat=True)) == {team["leader"].pk}
    notices = Notification.objects.filter(recipient=team["other"], kind="case-assigned")
    assert notices.count() == 221
    assert {f"/cases/{pk}/" for pk in ids} <= set(notices.values_list("url", flat=True))
    assert OutboxEmail.objects.filter(to_user=team["other"]).count() == 221


def test_reassign_cases_refuses_a_case_of_another_team_and_changes_nothing(team):
    """RULES: ROLE-1. One case outside the leader's board refuses the act."""
    # given 5 cases of the team and one of another team's agent
    mine = _cases(team["agent"], 5)
    stranger = UserFactory(agent=True, profile__leader=UserFactory(leader=True))
    theirs = _cases(stranger, 1)
    before = _state(mine + theirs)
    # when / then
    with pytest.raises(ActRefused) as excinfo:
        _reassign(team, mine + theirs)
    assert excinfo.value.rule == "ROLE-1"
    assert f"#{theirs[0].pk}" in str(excinfo.value.message)
    assert _state(mine + theirs) == before
    assert not Notification.objects.filter(kind="case-assigned").exists()
    assert not Case.history.filter(history_type="~").exists()


def test_reassign_cases_refuses_a_closed_case_and_changes_nothing(team):
    """RULES: ROLE-1. A case no longer open refuses the act (nothing changes)."""
    mine = _cases(team["agent"], 3)
    closed = _cases(team["agent"], 1, status=Case.Status.CLOSED, closed_at=timezone.now())
    before = _state(mine + closed)
    with pytest.raises(DomainError):
        _reassign(team, mine + closed)
    assert _state(mine + closed) == before
    assert not Notification.objects.filter(kind="case-assigned").exists()


def test_reassign_cases_gives_cases_only_to_the_team(team):
    """RULES: ROLE-1. The new assignee must be a person of the leader's team."""
    mine = _cases(team["agent"], 2)
    outsider = UserFactory(agent=True)
    before = _state(mine)
    with pytest.raises(ActRefused) as excinfo:
        _reassign(team, mine, to=outsider)
    assert excinfo.value.rule == "ROLE-1"
    assert _state(mine) == before


def test_reassign_cases_is_for_leaders(team):
    """RULES: ROLE-1. An agent (or a director) may not bulk reassign."""
    mine = _cases(team["agent"], 2)
    for actor in (team["agent"], team["director"]):
        with pytest.raises(PermissionDenied):
            reassign_cases(actor=actor, case_ids=[c.pk for c in mine], assignee_id=actor.pk)
    assert _state(mine) == [(c.pk, team["agent"].pk) for c in mine]


def test_reassign_cases_skips_cases_already_theirs_and_the_leaders_own_notice(team):
    """No history or notice for a case already the assignee's; a leader taking
    the cases themselves is not notified of their own act."""
    theirs = _cases(team["other"], 2)
    assert _reassign(team, theirs) == []
    mine = _cases(team["agent"], 2)
    assert len(_reassign(team, mine, to=team["leader"])) == 2
    assert not Notification.objects.filter(kind="case-assigned").exists()


# The board ------------------------------------------------------------------------------


def test_board_reassigns_the_ticked_cases(client, team):
    """RULES: ROLE-1"""
    mine = _cases(team["agent"], 3)
    client.force_login(team["leader"])
    page = client.get(reverse("cases:board")).content.decode()
    assert 'data-testid="bulk-reassign"' in page
    assert page.count('data-testid="bulk-choose"') == 3
    response = client.post(
        reverse("cases:board-reassign"),
        {"case": [mine[0].pk, mine[1].pk], "assignee": team["other"].pk, "filters": "kind="},
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:board") + "?kind="
    assert _state(mine) == [
        (mine[0].pk, team["other"].pk),
        (mine[1].pk, team["other"].pk),
        (mine[2].pk, team["agent"].pk),
    ]


def test_board_reassigns_every_case_that_matches_the_filter(client, team):
    """RULES: ROLE-1. "Every case that matches" re-runs the board's filter."""
    rescues = _cases(team["agent"], 3, kind=Case.Kind.RESCUE)
    requests = _cases(team["agent"], 2)
    client.force_login(team["leader"])
    response = client.post(
        reverse("cases:board-reassign"),
        {"all_matching": "on", "assignee": team["other"].pk, "filters": "kind=rescue"},
    )
    assert response.status_code == 302
    assert {a for _pk, a in _state(rescues)} == {team["other"].pk}
    assert {a for _pk, a in _state(requests)} == {team["agent"].pk}


def test_board_reassign_refuses_another_teams_case_with_403(client, team):
    """RULES: ROLE-1. A forged form naming another team's case answers 403."""
    stranger = UserFactory(agent=True, profile__leader=UserFactory(leader=True))
    theirs = _cases(stranger, 1)
    client.force_login(team["leader"])
    response = client.post(
        reverse("cases:board-reassign"), {"case": [theirs[0].pk], "assignee": team["other"].pk}
    )
    assert response.status_code == 403
    assert _state(theirs) == [(theirs[0].pk, stranger.pk)]


def test_board_reassign_needs_a_case(client, team):
    client.force_login(team["leader"])
    response = client.post(reverse("cases:board-reassign"), {"assignee": team["other"].pk})
    assert response.status_code == 302
    response = client.post(
        reverse("cases:board-reassign"), {"case": ["x1"], "assignee": team["other"].pk}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("trait", ["agent", "director", "admin", "partner_approver"])
def test_board_reassign_role_matrix(client, team, trait):
    """RULES: ROLE-1"""
    mine = _cases(team["agent"], 1)
    client.force_login(UserFactory(**{trait: True}))
    response = client.post(
        reverse("cases:board-reassign"), {"case": [mine[0].pk], "assignee": team["other"].pk}
    )
    assert response.status_code == 403
    assert _state(mine) == [(mine[0].pk, team["agent"].pk)]
