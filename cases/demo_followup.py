"""Demo follow-up data for ``manage.py seed_demo``: answered and pending
surveys, a detractor's follow-up case, a client 8 days silent (warned), a
rescue case mid-protocol and a scheduled change notice.

Runs after the demo cases (whose resolutions already sent CSAT surveys).
Everything goes through the services; the only rows written by hand are the
two new demo clients and their last-answer instants (history, not an act).
Idempotent: nothing is made when the demo notice exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import services
from cases.models import Case, ChangeNotice, Interaction, RescueStep, Survey, TypingReason
from clients.models import Client, Product
from partners.models import Language

User = get_user_model()

NOTICE_TITLE = "Nuevo calendario de sesiones en vivo"


def _client(name: str, email: str, agent, *, answered_days_ago: int) -> Client:
    client = Client.objects.filter(email=email).first()
    if client is None:
        client = Client.objects.create(name=name, email=email, assigned_agent=agent)
        client.languages.set(Language.objects.filter(code="es"))
    when = timezone.now() - timedelta(days=answered_days_ago)
    Client.objects.filter(pk=client.pk).update(
        last_answered_at=when, last_contacted_at=when, created_at=when - timedelta(days=120)
    )
    return client


def seed_follow_up(stdout) -> int:
    """Create the demo follow-up data; returns how many items were made."""
    if ChangeNotice.objects.filter(title_es=NOTICE_TITLE).exists():
        stdout.write("Demo follow-up: 0 created.")
        return 0
    agent = User.objects.get(username="agente")
    leader = User.objects.get(username="lider")
    made = 0

    # Answered and pending CSAT surveys: the demo cases' resolutions sent them.
    csats = list(
        Survey.objects.filter(kind=Survey.Kind.CSAT, status=Survey.Status.SENT).order_by("pk")
    )
    if csats:
        services.answer_survey(
            survey_id=csats[0].pk, score=5, comment="Muy rápido, gracias por la factura."
        )
        made += 1  # the other CSAT stays pending

    # An NPS promoter (SEG-2) and an NPS still waiting for an answer.
    mariana = Client.objects.get(email="mariana.lopez@example.com")
    nps = services.send_survey(actor=agent, client_id=mariana.pk, kind=Survey.Kind.NPS)
    services.answer_survey(survey_id=nps.pk, score=10, comment="Se lo recomendé a mi socio.")
    jorge = Client.objects.get(email="jorge.hernandez@example.com")
    services.send_survey(actor=agent, client_id=jorge.pk, kind=Survey.Kind.NPS)
    made += 2

    # A detractor (RES-7): the answer opens a follow-up case for the agent.
    roberto = Client.objects.get(email="roberto.diaz@example.com")
    nps = services.send_survey(actor=agent, client_id=roberto.pk, kind=Survey.Kind.NPS)
    services.answer_survey(
        survey_id=nps.pk, score=3, comment="El socio todavía no empieza mi proyecto."
    )
    made += 1

    # A client 8 days silent (warned) and one 16 days silent (rescued).
    _client("Tomás Aguilar", "tomas.aguilar@example.com", agent, answered_days_ago=8)
    diego = _client("Diego Navarro", "diego.navarro@example.com", agent, answered_days_ago=16)
    # The sweep ran two days ago (Diego was 14 days silent then) and today.
    for report in (
        services.sweep_inactivity(now=timezone.now() - timedelta(days=2)),
        services.sweep_inactivity(),
    ):
        made += report.warnings + report.rescue_cases

    # Mid-protocol: the personal call is logged (typed), the rest is to do.
    rescue = Case.objects.filter(client=diego, kind=Case.Kind.RESCUE).first()
    call = TypingReason.objects.filter(rescue_step=RescueStep.CALL, is_active=True).first()
    if rescue is not None and call is not None:
        services.set_rescue_area(actor=agent, case_id=rescue.pk, area=Case.RescueArea.SALES)
        services.log_interaction(
            actor=agent,
            client_id=diego.pk,
            case_id=rescue.pk,
            channel=Interaction.Channel.PHONE,
            direction=Interaction.Direction.OUTBOUND,
            occurred_at=timezone.now() - timedelta(days=1),
            summary="Llamada personalizada: no contestó; dejé mensaje de voz.",
            reason_id=call.pk,
        )

    # A change notice scheduled a week ahead, for a change three weeks ahead.
    product = Product.objects.order_by("pk").first()
    now = timezone.now()
    services.schedule_change_notice(
        actor=leader,
        kind="service",
        title_es=NOTICE_TITLE,
        title_en="New live session schedule",
        body_es="Las sesiones en vivo pasan a los martes a las 19:00 (hora de Ciudad de México).",
        body_en="Live sessions move to Tuesdays at 19:00 (Mexico City time).",
        product_id=product.pk if product else None,
        effective_at=now + timedelta(days=21),
        scheduled_send_at=now + timedelta(days=7),
    )
    made += 1
    stdout.write(f"Demo follow-up: {made} created.")
    return made
