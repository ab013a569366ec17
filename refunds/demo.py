"""Demo refund requests for ``manage.py seed_demo``: one in every state of the
R1 process, a frequent-refund client whose third request waits for the
director (REF-3), and a partial refund the leader approved that waits for
the partner approver ``socio`` (Crece Digital, REF-6).

Idempotent: each story has its own client, looked up by email; a story whose
client exists is skipped. Everything goes through the services, acted by the
demo users (agente, agente2, lider, directora, socio).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, Product, Purchase
from partners.models import Language
from refunds import services
from refunds.models import RefundOffer, RefundRequest

User = get_user_model()

Kind = RefundRequest.Kind
Reason = RefundRequest.Reason
Proposal = RefundRequest.Proposal
Offer = RefundOffer.Kind

ESCALA = "Programa Escala 6K"  # Crece Digital: socio approves its refunds
EMBUDOS = "Curso Embudos Esenciales"  # Crece Digital


@dataclass
class _Cast:
    agent: object
    agent2: object
    leader: object
    director: object
    partner_approver: object
    products: dict[str, Product]

    def buy(self, client: Client, product: str, days_ago: int, *, paid: bool = True) -> Purchase:
        today = timezone.localdate()
        purchase = client_services.create_purchase(
            actor=self.agent,
            client_id=client.pk,
            product_id=self.products[product].pk,
            purchased_on=today - timedelta(days=days_ago),
            sold_by=self.agent,
        )
        if paid:
            client_services.record_payment(
                actor=self.agent, purchase_id=purchase.pk, amount=purchase.price, received_on=today
            )
        return purchase

    def segment_a(self, client: Client) -> None:
        client_services.override_segment(
            actor=self.leader,
            client_id=client.pk,
            segment="A",
            reason="Cliente estratégico: renovó dos programas (demo).",
        )


def _opened(cast: _Cast, purchase: Purchase, *, by=None, kind=Kind.REFUND, asks: str):
    return services.open_refund_request(
        actor=by or cast.agent, purchase_id=purchase.pk, kind=kind, client_request=asks
    )


def _diagnosed(cast: _Cast, request, *, reason: str, notes: str, by=None):
    return services.diagnose_refund_request(
        actor=by or cast.agent, request_id=request.pk, reason=reason, notes=notes
    )


def _answered(cast: _Cast, request, *, kind: str, description: str, accepted: bool, by=None):
    offer = services.offer_resolution(
        actor=by or cast.agent, request_id=request.pk, kind=kind, description=description
    )
    services.record_offer_answer(actor=by or cast.agent, offer_id=offer.pk, accepted=accepted)
    return offer


# The stories ---------------------------------------------------------------------


def _in_diagnosis(cast: _Cast, client: Client) -> None:
    purchase = cast.buy(client, ESCALA, 10)
    _opened(cast, purchase, asks="Dice que el programa no es lo que esperaba y pide su dinero.")


def _in_offers(cast: _Cast, client: Client) -> None:
    purchase = cast.buy(client, EMBUDOS, 5)
    request = _opened(
        cast,
        purchase,
        by=cast.agent2,
        kind=Kind.COMPLAINT,
        asks="No entiende cómo usar las plantillas.",
    )
    _diagnosed(
        cast,
        request,
        by=cast.agent2,
        reason=Reason.CONFUSION,
        notes="No vio el módulo de bienvenida; confunde el curso con una consultoría.",
    )
    services.offer_resolution(
        actor=cast.agent2,
        request_id=request.pk,
        kind=Offer.RESCUE_SESSION,
        description="Sesión 1:1 con el socio para montar su primer embudo.",
    )


def _awaiting_leader(cast: _Cast, client: Client) -> None:
    cast.segment_a(client)
    purchase = cast.buy(client, ESCALA, 20)
    cast.buy(client, EMBUDOS, 12)
    request = _opened(cast, purchase, asks="Una sesión en vivo se canceló sin aviso.")
    _diagnosed(
        cast,
        request,
        reason=Reason.NO_SUPPORT,
        notes="La sesión del martes se canceló y nadie le avisó. Hecho aislado.",
    )
    services.propose_refund(
        actor=cast.agent,
        request_id=request.pk,
        proposal=Proposal.DUPLICATED_CREDIT,
        amount=Decimal("600.00"),
        minor_issue=True,
    )


def _executed_credit(cast: _Cast, client: Client) -> None:
    cast.segment_a(client)
    purchase = cast.buy(client, ESCALA, 25)
    cast.buy(client, EMBUDOS, 14)
    request = _opened(cast, purchase, asks="El acceso a la plataforma falló dos días.")
    _diagnosed(
        cast,
        request,
        reason=Reason.NO_SUPPORT,
        notes="Caída de la plataforma; soporte tardó en responder.",
    )
    _answered(
        cast,
        request,
        kind=Offer.SERVICE_CHANGE,
        description="Pasar lo pagado a crédito para otro programa.",
        accepted=False,
    )
    services.propose_refund(
        actor=cast.agent,
        request_id=request.pk,
        proposal=Proposal.DUPLICATED_CREDIT,
        amount=Decimal("500.00"),
        minor_issue=True,
    )
    services.approve_refund_request(
        actor=cast.leader, request_id=request.pk, comment="Cliente A, incidente aislado."
    )


def _rejected(cast: _Cast, client: Client) -> None:
    purchase = cast.buy(client, ESCALA, 8)
    request = _opened(cast, purchase, by=cast.agent2, asks="Quiere el reembolso completo.")
    _diagnosed(
        cast,
        request,
        by=cast.agent2,
        reason=Reason.EXPECTATIONS,
        notes="Esperaba resultados en dos semanas; el programa es de seis meses.",
    )
    _answered(
        cast,
        request,
        by=cast.agent2,
        kind=Offer.RETENTION_INCENTIVE,
        description="Acceso anticipado al próximo evento en vivo.",
        accepted=False,
    )
    services.propose_refund(
        actor=cast.agent2,
        request_id=request.pk,
        proposal=Proposal.FULL_REFUND,
        amount=client_services.purchase_refundable_amount(purchase),
    )
    services.reject_refund_request(
        actor=cast.leader,
        request_id=request.pk,
        comment="Recibió la mayor parte de las sesiones; ofrecer mentoría.",
    )


def _withdrawn(cast: _Cast, client: Client) -> None:
    purchase = cast.buy(client, EMBUDOS, 3)
    request = _opened(cast, purchase, kind=Kind.CANCELLATION, asks="Quiere cancelar el curso.")
    _diagnosed(
        cast,
        request,
        reason=Reason.NO_SUPPORT,
        notes="No le respondieron dos correos.",
    )
    # The client accepts the rescue session: retained, the request closes.
    _answered(
        cast,
        request,
        kind=Offer.RESCUE_SESSION,
        description="Sesión 1:1 con el socio esta semana.",
        accepted=True,
    )


def _cancelled(cast: _Cast, client: Client) -> None:
    purchase = cast.buy(client, ESCALA, 6)
    request = _opened(
        cast, purchase, kind=Kind.CANCELLATION, asks="Cancela: cambió de giro su negocio."
    )
    _diagnosed(
        cast,
        request,
        reason=Reason.OTHER,
        notes="Cerró su agencia; ya no necesita el programa.",
    )
    _answered(
        cast,
        request,
        kind=Offer.SERVICE_CHANGE,
        description="Pasar lo pagado a crédito para otro programa.",
        accepted=False,
    )
    services.send_exit_survey(actor=cast.agent, request_id=request.pk)
    services.record_exit_survey(
        actor=cast.agent,
        request_id=request.pk,
        main_reason="Cambio de giro del negocio.",
        what_would_change="Nada: el programa le gustaba.",
    )
    services.complete_cancellation(actor=cast.agent, request_id=request.pk)


def _frequent(cast: _Cast, client: Client) -> None:
    """Two earlier requests: the third is flagged and waits for the director (REF-3)."""
    first = cast.buy(client, EMBUDOS, 40)
    second = cast.buy(client, EMBUDOS, 30)
    third = cast.buy(client, EMBUDOS, 4)
    for purchase in (first, second):
        request = _opened(cast, purchase, asks="Pide reembolso del curso.")
        services.withdraw_refund_request(
            actor=cast.agent, request_id=request.pk, note="El cliente desistió."
        )
    request = _opened(cast, third, asks="Pide reembolso del tercer curso.")
    _diagnosed(
        cast,
        request,
        reason=Reason.EXPECTATIONS,
        notes="Compra cursos y pide el reembolso poco después.",
    )
    _answered(
        cast,
        request,
        kind=Offer.RETENTION_INCENTIVE,
        description="Bono exclusivo de plantillas.",
        accepted=False,
    )
    services.propose_refund(
        actor=cast.agent,
        request_id=request.pk,
        proposal=Proposal.FULL_REFUND,
        amount=client_services.purchase_refundable_amount(third),
    )


def _awaiting_partner(cast: _Cast, client: Client) -> None:
    """A partial refund the leader approved; it waits for socio (REF-6)."""
    purchase = cast.buy(client, ESCALA, 15)
    request = _opened(cast, purchase, asks="Recibió la mitad de las sesiones y pide el resto.")
    _diagnosed(
        cast,
        request,
        reason=Reason.NO_SUPPORT,
        notes="El mentor asignado dejó el programa a la mitad.",
    )
    _answered(
        cast,
        request,
        kind=Offer.RETENTION_INCENTIVE,
        description="Entradas al evento anual.",
        accepted=False,
    )
    services.propose_refund(
        actor=cast.agent,
        request_id=request.pk,
        proposal=Proposal.PARTIAL_REFUND,
        amount=Decimal("1500.00"),
    )
    services.approve_refund_request(
        actor=cast.leader, request_id=request.pk, comment="Parcial justificado."
    )


STORIES: tuple[tuple[str, str, Callable[[_Cast, Client], None]], ...] = (
    ("Andrés Villa", "andres.villa@example.com", _in_diagnosis),
    ("Beatriz Solís", "beatriz.solis@example.com", _in_offers),
    ("Camila Reyes", "camila.reyes@example.com", _awaiting_leader),
    ("Daniel Ortega", "daniel.ortega@example.com", _executed_credit),
    ("Esteban Mora", "esteban.mora@example.com", _rejected),
    ("Fernanda Ruiz", "fernanda.ruiz@example.com", _withdrawn),
    ("Gabriel Núñez", "gabriel.nunez@example.com", _cancelled),
    ("Hilda Paredes", "hilda.paredes@example.com", _frequent),
    ("Ignacio Paz", "ignacio.paz@example.com", _awaiting_partner),
)


def seed_refunds(stdout) -> int:
    """Create the refund stories whose client does not exist yet; return how many."""
    cast = _Cast(
        agent=User.objects.get(username="agente"),
        agent2=User.objects.get(username="agente2"),
        leader=User.objects.get(username="lider"),
        director=User.objects.get(username="directora"),
        partner_approver=User.objects.get(username="socio"),
        products={p.name: p for p in Product.objects.filter(name__in=[ESCALA, EMBUDOS])},
    )
    spanish = Language.objects.filter(code="es")
    created = 0
    for name, email, story in STORIES:
        if Client.objects.filter(email=email).exists():
            continue
        client = Client.objects.create(
            name=name, email=email, country="México", assigned_agent=cast.agent, leader=cast.leader
        )
        client.languages.set(spanish)
        story(cast, client)
        created += 1
    stdout.write(f"Demo refunds: {created} stories created.")
    return created
