"""Demo partners for ``manage.py seed_demo``: one at every stage, a rejected one, and
two active partners whose refund-approving contacts log in as ``socio`` and ``socio2``.

Idempotent: partners are looked up by legal name and a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from partners.models import Partner, Stage

User = get_user_model()


@dataclass(frozen=True)
class DemoPartner:
    legal_name: str
    brand_name: str
    country: str
    stage: Stage
    languages: tuple[str, ...]
    services: tuple[str, ...]
    summary: str
    account_manager: str = "lider"
    approver: str | None = None  # username of the demo user who approves its refunds
    rejected_because: str = ""


DEMO_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "Crecimiento Digital Integral S.A. de C.V.",
        "Crece Digital",
        "México",
        Stage.DIRECTORY,
        ("es", "en"),
        ("Embudos de venta", "Mentoría de negocio"),
        "Embudos de venta y mentoría para negocios de servicios high ticket.",
        approver="socio",
    ),
    DemoPartner(
        "Northbridge Growth Partners LLC",
        "Northbridge",
        "Estados Unidos",
        Stage.DIRECTORY,
        ("en",),
        ("Automatización de marketing", "CRM y automatizaciones"),
        "Marketing automation and CRM set-up, delivered in English.",
        account_manager="agente",
        approver="socio2",
    ),
    DemoPartner(
        "Academia Andina de Liderazgo S.A.S.",
        "Andina Liderazgo",
        "Colombia",
        Stage.TRAINING,
        ("es",),
        ("Mentoría de negocio",),
        "Programas de liderazgo para equipos comerciales.",
    ),
    DemoPartner(
        "Estúdio Criativo Paulista Ltda.",
        "Criativo Paulista",
        "Brasil",
        Stage.OPERATIONAL,
        ("pt", "es"),
        ("Branding y contenido",),
        "Branding, contenido y lanzamientos.",
    ),
    DemoPartner(
        "Consultores Legales del Bajío S.C.",
        "Bajío Consultores",
        "México",
        Stage.LEGAL,
        ("es",),
        ("CRM y automatizaciones",),
        "Implementación de CRM para despachos y consultorías.",
        account_manager="agente",
    ),
    DemoPartner(
        "Atelier Marketing Lyon SARL",
        "Atelier Lyon",
        "Francia",
        Stage.VETTING,
        ("fr", "en"),
        ("Automatización de marketing",),
        "Campagnes et automatisation marketing.",
    ),
    DemoPartner(
        "Impulso Comercial del Sur S.A.",
        "Impulso Sur",
        "Chile",
        Stage.IDENTIFIED,
        ("es",),
        ("Embudos de venta",),
        "Candidato recibido por recomendación.",
    ),
    DemoPartner(
        "Ventas Rápidas Low Cost S.A.",
        "Ventas Rápidas",
        "México",
        Stage.VETTING,
        ("es",),
        ("Embudos de venta",),
        "Cursos de bajo costo.",
        rejected_because="Modelo low ticket: no está alineado con servicios high ticket (PAR-1).",
    ),
)


def seed_partners(stdout) -> int:
    """Create the demo partners that do not exist yet; return how many were created.

    Stages are reached through ``partners.services`` with the demo admin, so
    the demo data meets PAR-1 and PAR-2 like real data.
    """
    # The factories live with the tests; the demo reuses them (as seed_demo does).
    from partners import services
    from tests.partners.factories import OfferingFactory, PartnerContactFactory, partner_at

    admin = User.objects.get(username="admin")
    created = 0
    for demo in DEMO_PARTNERS:
        if Partner.objects.filter(legal_name__iexact=demo.legal_name).exists():
            continue
        partner = partner_at(
            demo.stage,
            actor=admin,
            legal_name=demo.legal_name,
            brand_name=demo.brand_name,
            country=demo.country,
            summary=demo.summary,
            account_manager=User.objects.get(username=demo.account_manager),
            languages=list(demo.languages),
            services=[OfferingFactory(name=name) for name in demo.services],
        )
        if demo.rejected_because:
            services.reject_partner(
                actor=admin, partner_id=partner.pk, reason=demo.rejected_because
            )
        if demo.approver:
            user = User.objects.get(username=demo.approver)
            PartnerContactFactory(
                partner=partner,
                name=user.get_full_name() or user.username,
                email=user.email or f"{user.username}@pae-ops.test",
                approves_refunds=True,
                user=user,
            )
        created += 1
    stdout.write(f"Demo data: {created} partners created.")
    return created
