"""@login mentions (cases.mentions): in interaction summaries and case notes,
one notification per mentioned colleague per text, none for unknown logins
or oneself, none twice on an edit; escaped, highlighted rendering."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.mentions import find_mentions, render_mentions
from cases.models import Case, Interaction
from cases.services import add_case_note, edit_case_note, log_interaction
from pae_ops.models import Notification, OutboxEmail
from tests.cases.factories import CaseFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def mentions_of(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="mention"))


def _case_of(team) -> Case:
    client = ClientFactory(assigned_agent=team["agent"])
    return CaseFactory(client=client, assignee=team["agent"])


def _summary_on(case, actor, summary) -> Interaction:
    return log_interaction(
        actor=actor,
        client_id=case.client_id,
        case_id=case.pk,
        channel=Interaction.Channel.PHONE,
        direction=Interaction.Direction.OUTBOUND,
        summary=summary,
    )


# Parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "logins"),
    [
        ("@ana hola", ["ana"]),
        ("Hablé con @Ana y con @ana otra vez.", ["ana"]),
        ("Revisa esto, @luis.", ["luis"]),
        ("(@agente-casos) y @lider_2: urge", ["agente-casos", "lider_2"]),
        ("escribe a ana@example.com", []),
        ("@@ana", []),
        ("precio 100@ y @", []),
        ("", []),
    ],
)
def test_find_mentions_reads_logins_not_addresses(text, logins):
    assert find_mentions(text) == logins


def test_render_mentions_escapes_everything_and_highlights_only_colleagues():
    text = '<script>alert("x")</script> @ana y @nadie <b>@ana</b>'
    html = render_mentions(text, {"ana": 'Ana "La" <Jefa>'})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert (
        html.count('<mark class="mention" title="Ana &quot;La&quot; &lt;Jefa&gt;">@ana</mark>') == 2
    )
    assert "@nadie" in html
    assert "&lt;b&gt;" in html


# Interactions -----------------------------------------------------------------------------


def test_a_mention_in_a_summary_notifies_that_colleague_once_with_a_link(clock, team):
    """RULES: ROLE-1. One notification (and its email in the outbox) per
    mentioned person, linking to the case."""
    case = _case_of(team)
    interaction = _summary_on(
        case, team["agent"], "Cliente molesto. @lider-casos ¿lo ves tú? Gracias @LIDER-CASOS"
    )
    [notice] = mentions_of(team["leader"])
    assert notice.url == f"{reverse('cases:detail', args=[case.pk])}#interaction-{interaction.pk}"
    assert f"#{case.pk}" in notice.title
    assert "¿lo ves tú?" in notice.body
    assert OutboxEmail.objects.filter(notification_id=notice.pk).count() == 1


def test_one_notification_per_mentioned_person_per_interaction(clock, team):
    case = _case_of(team)
    _summary_on(case, team["agent"], "@lider-casos @agente-otro @directora-casos @lider-casos")
    assert len(mentions_of(team["leader"])) == 1
    assert len(mentions_of(team["other"])) == 1
    assert len(mentions_of(team["director"])) == 1
    # A second interaction is another text: a notice of its own.
    _summary_on(case, team["agent"], "Otra vez, @lider-casos")
    assert len(mentions_of(team["leader"])) == 2


def test_unknown_logins_and_people_who_do_not_read_cases_are_ignored(clock, team):
    """RULES: ROLE-1. A partner approver, an admin or an inactive user is no
    colleague to pull into a case."""
    case = _case_of(team)
    approver = UserFactory(partner_approver=True, username="socio-x")
    admin = UserFactory(admin=True, username="admin-x")
    gone = UserFactory(agent=True, username="agente-baja", is_active=False)
    _summary_on(case, team["agent"], "@nadie-asi @socio-x @admin-x @agente-baja")
    assert not Notification.objects.filter(kind="mention").exists()
    assert not mentions_of(approver)
    assert not mentions_of(admin)
    assert not mentions_of(gone)


def test_nobody_is_notified_of_their_own_mention(clock, team):
    case = _case_of(team)
    _summary_on(case, team["agent"], "Nota para mí, @agente-casos")
    assert not mentions_of(team["agent"])


def test_a_mention_without_a_case_links_to_the_client(clock, team):
    client = ClientFactory(assigned_agent=team["agent"])
    interaction = log_interaction(
        actor=team["agent"],
        client_id=client.pk,
        channel="phone",
        direction="outbound",
        summary="Llamada; @lider-casos conoce el historial",
    )
    [notice] = mentions_of(team["leader"])
    assert interaction.case is None
    assert (
        notice.url == f"{reverse('clients:detail', args=[client.pk])}#interaction-{interaction.pk}"
    )


def test_a_refused_interaction_notifies_nobody(clock, team):
    """The notice is written in the service's transaction: no interaction, no notice."""
    from pae_ops.errors import DomainError

    case = _case_of(team)
    case.status = Case.Status.CLOSED
    case.closed_at = clock.now
    case.save()
    with pytest.raises(DomainError):
        _summary_on(case, team["agent"], "@lider-casos mira")
    assert not mentions_of(team["leader"])


# Notes ----------------------------------------------------------------------------------------


def test_a_note_notifies_each_mentioned_colleague_once(clock, team):
    case = _case_of(team)
    note = add_case_note(
        actor=team["other"], case_id=case.pk, body="@agente-casos @lider-casos ojo"
    )
    [for_agent] = mentions_of(team["agent"])
    assert len(mentions_of(team["leader"])) == 1
    assert for_agent.url.endswith(f"#note-{note.pk}")


def test_editing_a_note_notifies_only_the_newly_mentioned(clock, team):
    case = _case_of(team)
    note = add_case_note(actor=team["agent"], case_id=case.pk, body="@lider-casos ¿lo revisas?")
    edit_case_note(
        actor=team["agent"], note_id=note.pk, body="@lider-casos ¿lo revisas? y @agente-otro"
    )
    edit_case_note(actor=team["agent"], note_id=note.pk, body="@lider-casos y @agente-otro, ya")
    assert len(mentions_of(team["leader"])) == 1
    assert len(mentions_of(team["other"])) == 1
    # Each edit is in the note's history.
    assert note.history.count() == 3


# Rendering on the case page ---------------------------------------------------------------------


def test_case_page_highlights_mentions_and_escapes_the_rest(client, team):
    case = _case_of(team)
    from django.utils import timezone

    Interaction.objects.create(
        client=case.client,
        case=case,
        channel="phone",
        direction="inbound",
        occurred_at=timezone.now(),
        handled_by=team["agent"],
        summary='@lider-casos <img src=x onerror="alert(1)"> @nadie',
    )
    client.force_login(team["agent"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert '<mark class="mention"' in page
    assert ">@lider-casos</mark>" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "@nadie" in page
    assert ">@nadie</mark>" not in page
