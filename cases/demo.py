"""Demo cases for ``manage.py seed_demo``: cases in every state, some near and
past their deadlines, untyped interactions, escalations.

Everything goes through the services: a case's ``opened_at`` is chosen a
number of *business* hours in the past and its deadlines are computed from
it by ``open_case``/``log_interaction``, never written by hand. The SLA sweep
then records the warnings and breaches that are due. Idempotent: nothing is
made when the first demo case exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from cases import services
from cases.models import Case, Interaction, ResponseTemplate, TypingReason
from clients.models import Client
from pae_ops.business_hours import CalendarSpec, business_hours_between
from pae_ops.selectors import load_calendar_spec

User = get_user_model()

FIRST_SUBJECT = "No puede entrar a la sesión premium"


def business_hours_ago(hours: float, *, now: datetime, spec: CalendarSpec) -> datetime:
    """The latest instant from which ``hours`` business hours have passed by ``now``.

    A bisection over ``business_hours_between`` (which only grows as the
    start moves back), to the second.
    """
    target = Decimal(str(hours))
    low, high = now - timedelta(days=90), now
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if business_hours_between(middle, now, spec) >= target:
            low = middle
        else:
            high = middle
    return low.replace(microsecond=0)


def demo_pdf(text: str) -> bytes:
    """A one-page PDF that shows ``text`` (ASCII-safe), for demo attachments."""
    safe = text.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _reason(name_es: str) -> int | None:
    reason = TypingReason.objects.filter(name_es=name_es).first()
    return reason.pk if reason else None


def seed_cases(stdout) -> int:
    """Create the demo cases; returns how many were created."""
    if Case.objects.filter(subject=FIRST_SUBJECT).exists():
        stdout.write("Demo cases: 0 created.")
        return 0
    agent = User.objects.get(username="agente")
    agent2 = User.objects.get(username="agente2")
    leader = User.objects.get(username="lider")
    clients = {client.email.split("@")[0]: client for client in Client.objects.all()}
    now = timezone.now()
    spec = load_calendar_spec()
    template = ResponseTemplate.objects.filter(is_active=True).order_by("position").first()

    def ago(hours: float) -> datetime:
        return business_hours_ago(hours, now=now, spec=spec)

    def inbound(actor, client, hours, summary, *, reason=None, channel="whatsapp", kind="request"):
        return services.log_interaction(
            actor=actor,
            client_id=client.pk,
            kind=kind,
            channel=channel,
            direction=Interaction.Direction.INBOUND,
            occurred_at=ago(hours),
            summary=summary,
            reason_id=_reason(reason) if reason else None,
        )

    def answer(actor, case, hours, summary, *, reason=None, channel="email", use_template=False):
        return services.log_interaction(
            actor=actor,
            client_id=case.client_id,
            case_id=case.pk,
            channel=channel,
            direction=Interaction.Direction.OUTBOUND,
            occurred_at=ago(hours),
            summary=summary,
            reason_id=_reason(reason) if reason else None,
            template_id=template.pk if (use_template and template) else None,
        )

    created = 0
    # An A client (SEG-7: her leader watches): new, just in, untyped.
    mariana = clients["mariana.lopez"]
    inbound(agent, mariana, 1, FIRST_SUBJECT)
    created += 1

    # Near its first-response deadline (past the 75 % warning, 1 h left).
    jorge = clients["jorge.hernandez"]
    case = inbound(
        agent,
        jorge,
        7,
        "Duda sobre el monto de la segunda cuota",
        reason="Plan de pagos",
        channel="phone",
    ).case
    services.escalate_case(
        actor=agent, case_id=case.pk, reason="El cliente pide hablar con la líder del área."
    )
    created += 1

    # Past its first-response deadline, unanswered (breached): agente2's.
    sarah = clients["sarah.miller"]
    inbound(
        agent2,
        sarah,
        11,
        "The second installment link does not open with my screen reader.",
        reason="Falla técnica",
        channel="email",
    )
    created += 1

    # Answered, between 48 and 72 business hours: at risk.
    roberto = clients["roberto.diaz"]
    case = inbound(
        agent,
        roberto,
        52,
        "Queja: el socio no ha iniciado el proyecto",
        reason="Calidad del servicio del socio",
        kind=Case.Kind.COMPLAINT,
    ).case
    answer(agent, case, 51, "Hablé con el socio; te confirmo fecha de inicio mañana.")
    # An internal note that pulls the leader in (a mention), and the client's evidence.
    services.add_case_note(
        actor=agent,
        case_id=case.pk,
        body="@lider ¿puedes hablar tú con el socio? El cliente ya escribió dos veces.",
    )
    services.attach_case_file(
        actor=agent,
        case_id=case.pk,
        upload=ContentFile(
            demo_pdf("Correo del cliente: el proyecto no ha iniciado."), name="correo-cliente.pdf"
        ),
    )
    created += 1

    # Past the 72-hour limit (breached), a cancellation request.
    lucia = clients["lucia.martinez"]
    case = services.open_case(
        actor=agent,
        client_id=lucia.pk,
        subject="Solicitud de cancelación del curso",
        kind=Case.Kind.CANCELLATION,
        opened_at=ago(80),
    )
    answer(
        agent,
        case,
        78,
        "Te propongo un cambio de servicio antes de cancelar.",
        reason="Solicitud de cancelación",
        use_template=True,
    )
    created += 1

    # Waiting on the client, no activity for more than 2 business days (SLA-5).
    pedro = clients["pedro.gomez"]
    case = inbound(
        agent, pedro, 30, "¿Cuándo es la próxima sesión en vivo?", reason=None, channel="chat"
    ).case
    answer(agent, case, 29, "Te comparto el calendario; ¿qué horario te queda mejor?")
    services.wait_on_client(actor=agent, case_id=case.pk)
    created += 1

    # Resolved, and closed.
    elena = clients["elena.castro"]
    case = inbound(
        agent, elena, 20, "Necesito mi factura de la compra", reason="Factura o comprobante"
    ).case
    answer(agent, case, 19, "Te envié la factura por correo.", reason="Factura o comprobante")
    services.resolve_case(actor=agent, case_id=case.pk)
    created += 1
    case = inbound(
        agent, elena, 40, "No me llegó el acceso al curso", reason="No puede iniciar sesión"
    ).case
    answer(agent, case, 39, "Listo, ya tienes acceso.", reason="No puede iniciar sesión")
    services.resolve_case(actor=agent, case_id=case.pk)
    services.close_case(actor=leader, case_id=case.pk)
    created += 1

    # A proactive call, not typed yet (no case).
    services.log_interaction(
        actor=agent,
        client_id=jorge.pk,
        channel=Interaction.Channel.PHONE,
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=ago(3),
        summary="Llamada de seguimiento: le gustó la mentoría; interesado en el programa avanzado.",
    )

    report = services.sweep_sla(now=now)
    stdout.write(f"Demo cases: {created} created; SLA events recorded: {report.total}.")
    return created
