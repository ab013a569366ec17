"""Surveys: CSAT on resolution, on-demand NPS/CES, the one answer, detractor
follow-up, promoters and segments (COM-2, RES-7, SEG-2, SEG-4, ROLE-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from cases import services
from cases.models import Case, Interaction, RescueStep, Survey
from cases.survey_links import survey_id_from_token, survey_path
from clients.models import Segment
from clients.segmentation import compute_results
from pae_ops.errors import DomainError
from pae_ops.models import OutboxEmail
from pae_ops.outbox import relay_outbox
from tests.cases.factories import CaseFactory, SurveyFactory, TypingReasonFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


@pytest.fixture
def resolved_csat(team):
    """A case of the agent's client, resolved: its CSAT survey."""
    customer = ClientFactory(assigned_agent=team["agent"], leader=team["leader"])
    case = CaseFactory(client=customer, assignee=team["agent"])
    services.resolve_case(actor=team["agent"], case_id=case.pk)
    return Survey.objects.get(case=case)


# COM-2: the CSAT survey after every case --------------------------------------------


def test_resolve_case_sends_the_csat_survey_at_once(
    team, clock, django_capture_on_commit_callbacks
):
    """RULES: COM-2. Resolving writes the survey and its email in the same
    transaction and asks a worker to relay it after commit; the survey
    expires after 30 days."""
    customer = ClientFactory(assigned_agent=team["agent"])
    case = CaseFactory(client=customer, assignee=team["agent"])

    with django_capture_on_commit_callbacks() as callbacks:
        services.resolve_case(actor=team["agent"], case_id=case.pk)

    survey = Survey.objects.get(case=case)
    assert (survey.kind, survey.status, survey.client, survey.agent) == (
        Survey.Kind.CSAT,
        Survey.Status.SENT,
        customer,
        team["agent"],
    )
    assert survey.sent_at == clock.now
    assert survey.expires_at == clock.now + timedelta(days=30)
    email = OutboxEmail.objects.get(context__survey_id=survey.pk)
    assert (email.kind, email.status, email.to_address) == ("survey", "pending", customer.email)
    assert len(callbacks) == 1  # the outbox relay's nudge, after commit


def test_the_relay_emails_the_signed_link_in_the_clients_language(team, resolved_csat, settings):
    """RULES: COM-2. The email carries a signed link that needs no login."""
    settings.PORTAL_BASE_URL = "https://pae.example"
    sent = relay_outbox().sent

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == [resolved_csat.client.email]
    assert message.subject == "¿Cómo te atendimos? Cuéntanos en un minuto"
    link = f"https://pae.example{survey_path(resolved_csat.pk)}"
    assert link in message.body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert survey_id_from_token(token) == resolved_csat.pk
    email = OutboxEmail.objects.get(context__survey_id=resolved_csat.pk)
    assert (email.status, email.attempts, email.subject) == ("sent", 1, message.subject)
    # The link is derived when it is sent: it is stored nowhere.
    assert token not in str(OutboxEmail.objects.values().get(pk=email.pk))
    assert token not in str(Survey.objects.values().get(pk=resolved_csat.pk))


def test_an_english_only_client_gets_the_survey_in_english(team):
    """RULES: COM-2. The survey and its email are in the client's language."""
    customer = ClientFactory(assigned_agent=team["agent"], languages=["en"])
    case = CaseFactory(client=customer, assignee=team["agent"])
    services.resolve_case(actor=team["agent"], case_id=case.pk)
    relay_outbox()

    assert Survey.objects.get(case=case).language == "en"
    assert mail.outbox[0].subject == "How did we do? Tell us in one minute"
    assert "Choose from 0 to 5 stars" in mail.outbox[0].body


def test_a_case_resolved_again_after_reopening_is_not_surveyed_twice(team, clock):
    """RULES: COM-2"""
    case = CaseFactory(client=ClientFactory(assigned_agent=team["agent"]), assignee=team["agent"])
    services.resolve_case(actor=team["agent"], case_id=case.pk)
    services.reopen_case(actor=team["agent"], case_id=case.pk, reason="Sigue sin acceso.")
    clock.advance(hours=2)
    services.resolve_case(actor=team["agent"], case_id=case.pk)

    assert Survey.objects.filter(case=case).count() == 1


def test_a_client_without_email_gets_no_survey(team):
    """RULES: COM-2. Nothing could reach them: no survey row waits in vain."""
    case = CaseFactory(client=ClientFactory(assigned_agent=team["agent"], email=""))
    services.resolve_case(actor=team["agent"], case_id=case.pk)
    assert not Survey.objects.exists()


# COM-2: NPS and CES on demand ---------------------------------------------------------


def test_send_survey_sends_nps_on_demand_once_at_a_time(team):
    """RULES: COM-2. A second NPS while one waits for an answer is refused."""
    customer = ClientFactory(assigned_agent=team["agent"])
    survey = services.send_survey(actor=team["agent"], client_id=customer.pk, kind="nps")
    assert (survey.kind, survey.sent_by, survey.agent) == ("nps", team["agent"], team["agent"])
    assert OutboxEmail.objects.filter(context__survey_id=survey.pk).exists()

    with pytest.raises(DomainError) as excinfo:
        services.send_survey(actor=team["agent"], client_id=customer.pk, kind="nps")
    assert excinfo.value.rule == "COM-2"
    services.send_survey(actor=team["agent"], client_id=customer.pk, kind="ces")  # another kind
    assert Survey.objects.filter(client=customer).count() == 2


def test_send_survey_refuses_a_client_without_email(team):
    """RULES: COM-2"""
    customer = ClientFactory(assigned_agent=team["agent"], email="")
    with pytest.raises(DomainError) as excinfo:
        services.send_survey(actor=team["agent"], client_id=customer.pk, kind="nps")
    assert excinfo.value.rule == "COM-2"


@pytest.mark.parametrize("role", ["director", "partner_approver", "admin"])
def test_send_survey_is_for_agents_and_leaders(role):
    """RULES: ROLE-1"""
    customer = ClientFactory()
    with pytest.raises(PermissionDenied):
        services.send_survey(actor=UserFactory(**{role: True}), client_id=customer.pk, kind="nps")
    assert not Survey.objects.exists()


def test_quick_survey_from_a_rescue_case_logs_a_typed_protocol_contact(team):
    """RULES: RES-2, RES-6. The survey step is an interaction typed like any other."""
    reason = TypingReasonFactory(rescue_step=RescueStep.SURVEY)
    customer = ClientFactory(assigned_agent=team["agent"])
    case = CaseFactory(client=customer, assignee=team["agent"], kind=Case.Kind.RESCUE)

    services.send_survey(actor=team["agent"], client_id=customer.pk, kind="ces", case_id=case.pk)

    interaction = Interaction.objects.get(case=case)
    assert (interaction.channel, interaction.direction, interaction.reason) == (
        "email",
        "outbound",
        reason,
    )
    assert interaction.category == reason.category
    case.refresh_from_db()
    assert case.rescue_first_contact_at == interaction.occurred_at


# COM-2: one answer, within 30 days -----------------------------------------------------


def test_a_survey_takes_one_answer(resolved_csat):
    """RULES: COM-2. The second answer is refused and changes nothing."""
    services.answer_survey(survey_id=resolved_csat.pk, score=5, comment="Excelente")
    with pytest.raises(services.SurveyClosedError) as excinfo:
        services.answer_survey(survey_id=resolved_csat.pk, score=1, comment="Cambio de opinión")
    assert excinfo.value.rule == "COM-2"
    resolved_csat.refresh_from_db()
    assert (resolved_csat.status, resolved_csat.score, resolved_csat.comment) == (
        "answered",
        5,
        "Excelente",
    )


def test_a_survey_link_works_until_30_days(resolved_csat, clock):
    """RULES: COM-2. 29 days 23 hours: answered; at 30 days: expired."""
    other = SurveyFactory(client=resolved_csat.client, kind="nps")
    clock.advance(days=29, hours=23)
    services.answer_survey(survey_id=other.pk, score=8)
    clock.advance(hours=1)
    with pytest.raises(services.SurveyClosedError):
        services.answer_survey(survey_id=resolved_csat.pk, score=5)
    assert services.expire_surveys() == 1
    resolved_csat.refresh_from_db()
    assert resolved_csat.status == Survey.Status.EXPIRED
    assert services.expire_surveys() == 0  # safe to run twice


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("csat", 0, True),
        ("csat", 6, False),
        ("nps", 10, True),
        ("nps", 11, False),
        ("ces", 0, False),
        ("ces", 1, True),
        ("ces", 7, True),
        ("ces", 8, False),
    ],
)
def test_answer_survey_keeps_to_the_kinds_scale(kind, score, ok):
    """RULES: COM-2. CSAT 0–5, NPS 0–10, CES 1–7."""
    survey = SurveyFactory(kind=kind)
    if ok:
        services.answer_survey(survey_id=survey.pk, score=score)
        survey.refresh_from_db()
        assert survey.score == score
    else:
        with pytest.raises(DomainError) as excinfo:
            services.answer_survey(survey_id=survey.pk, score=score)
        assert excinfo.value.rule == "COM-2"
        survey.refresh_from_db()
        assert survey.status == Survey.Status.SENT


def test_an_answer_is_the_client_answering_us(resolved_csat, clock):
    """RULES: RES-1. The last-answer time moves and earlier emails count as answered."""
    from tests.cases.factories import InteractionFactory

    email = InteractionFactory(
        client=resolved_csat.client,
        channel="email",
        direction="outbound",
        occurred_at=clock.now - timedelta(days=1),
    )
    clock.advance(hours=3)
    services.answer_survey(survey_id=resolved_csat.pk, score=4)

    resolved_csat.client.refresh_from_db()
    email.refresh_from_db()
    assert resolved_csat.client.last_answered_at == clock.now
    assert email.answered_at == clock.now


# RES-7: a detractor is never only a number -----------------------------------------------


@pytest.mark.parametrize(("score", "follow_up"), [(0, True), (2, True), (3, False), (5, False)])
def test_csat_of_two_stars_or_less_opens_a_follow_up_case(team, score, follow_up):
    """RULES: RES-7. 2 stars opens a follow-up case for the client's agent; 3 does not."""
    customer = ClientFactory(assigned_agent=team["agent"])
    survey = SurveyFactory(client=customer, kind="csat", agent=team["other"])

    services.answer_survey(survey_id=survey.pk, score=score, comment="Nadie me contestó")

    survey.refresh_from_db()
    cases = Case.objects.filter(client=customer, kind=Case.Kind.FOLLOW_UP)
    if follow_up:
        case = cases.get()
        assert survey.follow_up_case == case
        assert case.assignee == team["agent"]  # the client's agent
        assert case.is_open
        assert case.opened_by is None
        assert "CSAT" in case.subject
    else:
        assert not cases.exists()
        assert survey.follow_up_case is None


@pytest.mark.parametrize(("score", "follow_up"), [(0, True), (6, True), (7, False), (10, False)])
def test_nps_of_six_or_less_opens_a_follow_up_case(team, score, follow_up):
    """RULES: RES-7. NPS 6 opens a follow-up case; 7 does not."""
    customer = ClientFactory(assigned_agent=team["agent"])
    survey = SurveyFactory(client=customer, kind="nps")
    services.answer_survey(survey_id=survey.pk, score=score)
    assert Case.objects.filter(client=customer, kind="follow_up").exists() == follow_up


def test_a_low_ces_opens_no_follow_up_case(team):
    """RULES: RES-7. Only CSAT and NPS have detractors."""
    survey = SurveyFactory(client=ClientFactory(assigned_agent=team["agent"]), kind="ces")
    services.answer_survey(survey_id=survey.pk, score=1)
    assert not Case.objects.exists()


def test_an_a_clients_follow_up_case_is_watched_by_their_leader(team):
    """RULES: RES-7, SEG-7. The leader watches it and is notified."""
    customer = ClientFactory(
        assigned_agent=team["agent"],
        leader=team["leader"],
        segment_override=Segment.A,
        override_reason="Cliente estratégico",
    )
    survey = SurveyFactory(client=customer, kind="nps")
    services.answer_survey(survey_id=survey.pk, score=3)

    case = Case.objects.get(client=customer, kind="follow_up")
    assert list(case.watchers.all()) == [team["leader"]]
    assert team["leader"].notifications.filter(kind="case-opened").exists()
    assert team["agent"].notifications.filter(kind="case-assigned").exists()


# SEG-2, SEG-4: promoters and the segment ----------------------------------------------------


def test_an_nps_of_nine_counts_as_promotes(team, clock):
    """RULES: SEG-2. NPS 9–10 in the last 12 months; 8 does not; older does not."""
    promoter = ClientFactory(assigned_agent=team["agent"])
    passive = ClientFactory(assigned_agent=team["agent"])
    services.answer_survey(survey_id=SurveyFactory(client=promoter, kind="nps").pk, score=9)
    services.answer_survey(survey_id=SurveyFactory(client=passive, kind="nps").pk, score=8)

    def promotes(client, now=None):
        (result,) = compute_results(client_ids=[client.pk], now=now)
        return result.promotes

    assert promotes(promoter) is True
    assert promotes(passive) is False
    assert promotes(promoter, now=clock.now + timedelta(days=366)) is False


def test_answering_a_survey_recomputes_the_segment_at_once(team):
    """RULES: SEG-4. The change is kept in the client's history with its reason."""
    customer = ClientFactory(assigned_agent=team["agent"])
    assert customer.segment_computed_at is None
    services.answer_survey(survey_id=SurveyFactory(client=customer, kind="nps").pk, score=10)

    customer.refresh_from_db()
    assert customer.segment_computed_at is not None
    assert "recomienda" in customer.segment_reason  # "promotes" (SEG-2)
    assert customer.history.filter(history_change_reason__startswith="Encuesta respondida").exists()
