"""The leader's weekly feedback review and Monday digest (COM-3, ROLE-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases import selectors, services
from cases.models import Survey
from pae_ops.errors import DomainError
from pae_ops.models import Notification
from pae_ops.outbox import relay_outbox
from tests.cases.factories import SurveyFactory, mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]

# The clock's Monday 9 November 2026; last week is 2–8 November.
LAST_WEEK = mx(2026, 11, 4, 12)


def answered(agent, *, kind="csat", score=4, at=LAST_WEEK, comment="", name=None):
    customer = ClientFactory(assigned_agent=agent, **({"name": name} if name else {}))
    return SurveyFactory(
        client=customer,
        agent=agent,
        kind=kind,
        status=Survey.Status.ANSWERED,
        score=score,
        comment=comment,
        sent_at=at - timedelta(hours=2),
        answered_at=at,
    )


def test_previous_week_runs_monday_to_monday_in_the_portals_zone(clock):
    """RULES: COM-3"""
    start, end = selectors.previous_week_bounds(clock.now)
    assert (start, end) == (mx(2026, 11, 2), mx(2026, 11, 9))
    clock.set(mx(2026, 11, 8, 23, 59))  # Sunday night: the week before
    assert selectors.previous_week_bounds(clock.now) == (mx(2026, 10, 26), mx(2026, 11, 2))


# The review (COM-3) -----------------------------------------------------------------


def test_a_leader_marks_a_team_answer_reviewed_with_a_note(team, clock):
    """RULES: COM-3"""
    survey = answered(team["agent"], score=1)
    services.review_survey_answer(
        actor=team["leader"], survey_id=survey.pk, note="Llamé al cliente."
    )

    survey.refresh_from_db()
    assert (survey.reviewed_by, survey.reviewed_at, survey.review_note) == (
        team["leader"],
        clock.now,
        "Llamé al cliente.",
    )


def test_reviewing_needs_a_note_and_an_answer(team):
    """RULES: COM-3"""
    survey = answered(team["agent"])
    with pytest.raises(DomainError) as excinfo:
        services.review_survey_answer(actor=team["leader"], survey_id=survey.pk, note="  ")
    assert excinfo.value.rule == "COM-3"
    pending = SurveyFactory(client=ClientFactory(assigned_agent=team["agent"]), agent=team["agent"])
    with pytest.raises(DomainError) as excinfo:
        services.review_survey_answer(actor=team["leader"], survey_id=pending.pk, note="Nota")
    assert excinfo.value.rule == "COM-3"


def test_only_the_teams_leader_reviews_an_answer(team):
    """RULES: ROLE-1, COM-3. Another leader and the agent are refused."""
    survey = answered(team["agent"])
    for actor in (UserFactory(leader=True), team["agent"], team["director"]):
        with pytest.raises(PermissionDenied):
            services.review_survey_answer(actor=actor, survey_id=survey.pk, note="Nota")
    survey.refresh_from_db()
    assert survey.reviewed_at is None


def test_the_review_page_lists_detractors_and_low_stars_first(client, team):
    """RULES: COM-3. Not reviewed first; within them detractors and 0–2 stars,
    then the lowest share of the scale (NPS 8 = 80 % before 5 stars = 100 %)."""
    happy = answered(team["agent"], kind="csat", score=5, name="Feliz")
    passive = answered(team["other"], kind="nps", score=8, name="Pasivo")
    stars = answered(team["agent"], kind="csat", score=2, name="Dos estrellas")
    detractor = answered(team["agent"], kind="nps", score=6, name="Detractor")
    reviewed = answered(team["agent"], kind="csat", score=0, name="Revisado")
    services.review_survey_answer(actor=team["leader"], survey_id=reviewed.pk, note="Hecho")
    outsider = answered(UserFactory(agent=True), kind="csat", score=0, name="Otro equipo")

    client.force_login(team["leader"])
    response = client.get(reverse("cases:feedback-review"))

    assert response.status_code == 200
    order = [survey.pk for survey in response.context["page_obj"]]
    assert order == [stars.pk, detractor.pk, passive.pk, happy.pk, reviewed.pk]
    assert outsider.pk not in order


def test_the_review_page_marks_an_answer_reviewed(client, team):
    """RULES: COM-3"""
    survey = answered(team["agent"], score=1)
    client.force_login(team["leader"])
    url = reverse("cases:feedback-review")
    response = client.post(
        reverse("cases:feedback-review-mark", args=[survey.pk]),
        {"note": "Le ofrecí una sesión 1:1.", "next": url},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    survey.refresh_from_db()
    assert survey.review_note == "Le ofrecí una sesión 1:1."


@pytest.mark.parametrize("role", ["agent", "director", "partner_approver", "admin"])
def test_only_leaders_review_answers_from_the_page(client, team, role):
    """RULES: ROLE-1. The director reads the page (RULES, Roles) but marks
    nothing; the others may not open it."""
    survey = answered(team["agent"])
    client.force_login(UserFactory(**{role: True}))
    expected = 200 if role == "director" else 403
    assert client.get(reverse("cases:feedback-review")).status_code == expected
    response = client.post(
        reverse("cases:feedback-review-mark", args=[survey.pk]), {"note": "Nota"}
    )
    assert response.status_code == 403
    survey.refresh_from_db()
    assert survey.reviewed_at is None


def test_the_review_page_query_count_does_not_grow_with_rows(
    client, team, django_assert_max_num_queries
):
    """RULES: COM-3"""
    client.force_login(team["leader"])
    url = reverse("cases:feedback-review")
    for size in (3, 20):
        while Survey.objects.count() < size:
            answered(team["agent"], score=Survey.objects.count() % 6)
        with django_assert_max_num_queries(12):
            client.get(url)


# The Monday digest (COM-3) ---------------------------------------------------------------


def test_each_leader_gets_last_weeks_answers_of_their_team(team):
    """RULES: COM-3. Detractors and 0–2 stars first; this week's answers wait."""
    answered(team["agent"], kind="csat", score=5, name="Cliente Feliz")
    answered(team["other"], kind="nps", score=3, name="Cliente Detractor", comment="Muy lento")
    answered(team["agent"], kind="csat", score=1, at=mx(2026, 11, 9, 9), name="Esta Semana")
    other_leader = UserFactory(leader=True)

    written = services.send_weekly_feedback_digests()

    assert written == 2  # every active leader
    note = Notification.objects.get(recipient=team["leader"], kind="feedback-digest")
    assert note.body.index("Cliente Detractor") < note.body.index("Cliente Feliz")
    assert "Muy lento" in note.body
    assert "Esta Semana" not in note.body
    assert note.url == reverse("cases:feedback-review") + "?week=2026-11-02"
    empty = Notification.objects.get(recipient=other_leader, kind="feedback-digest")
    assert "Cliente" not in empty.body
    # Running again (a second beat, a redelivery) sends nothing more.
    assert services.send_weekly_feedback_digests() == 0


def test_the_digest_email_is_in_each_leaders_language(team):
    """RULES: COM-3. Through the outbox, in Spanish and in English."""
    english = UserFactory(leader=True, profile__language="en", username="leader-en")
    agent_en = UserFactory(agent=True, profile__leader=english)
    answered(team["agent"], kind="csat", score=2, name="Rosa Peña", comment="No me llamaron")
    answered(agent_en, kind="nps", score=10, name="John Smith")
    services.send_weekly_feedback_digests()

    relay_outbox()

    by_to = {message.to[0]: message for message in mail.outbox}
    spanish = by_to[team["leader"].email]
    assert spanish.subject.startswith("Comentarios semanales de su equipo")
    assert "1 respuesta la semana pasada. 1 detractor o respuesta de 0–2 estrellas" in spanish.body
    assert "CSAT 2/5 · Rosa Peña" in spanish.body
    assert "No me llamaron" in spanish.body
    assert "/cases/feedback/?week=2026-11-02" in spanish.body
    english_mail = by_to[english.email]
    assert english_mail.subject.startswith("Weekly feedback of your team")
    assert "1 answer last week. 0 detractors or 0–2 star answers" in english_mail.body
    assert "NPS 10/10 · John Smith" in english_mail.body
