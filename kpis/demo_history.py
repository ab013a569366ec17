"""Two years of a team's work for the demo (``manage.py seed_demo``).

The demo reuses the scale data set's generator (``kpis.scale``) with a small
profile and a style of its own: the demo logins and a few colleagues in two
teams, the demo's active partners with a real-looking catalogue, Spanish
names, case subjects and contact summaries, a share of the activity in the
current month (so that the director's dashboard shows this month against the
same month a year before), and the SLA history of closed cases written as
the sweep recorded it at the time (the sweep itself then handles only the
open cases, as on any working day).

Like the scale data set it writes with ``COPY`` and no audit history for the
generated rows; the hand-written stories of the demo (``*/demo.py``) go on
top through the services, with their history. Runs once: a second run finds
its colleagues and adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from clients.models import Client, Product
from kpis.scale import (
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    ScaleCounts,
    ScaleSeeder,
    ScaleStyle,
    ascii_login,
    make_user,
)
from pae_ops.roles import Role
from partners.models import Partner, Stage

User = get_user_model()

DEMO_COUNTS = ScaleCounts(
    clients=300,
    purchases=800,
    cases=700,
    open_cases=45,
    interactions=3000,
    surveys=320,
    agents=6,
    leaders=2,
    months=24,
)
DEMO_SEED = 20261202

# The demo logins' colleagues: (username, first, last, role, leader's username).
COLLEAGUES = (
    ("lherrera", "Lucía", "Herrera", Role.AGENT, "lider"),
    ("jcastillo", "Jorge", "Castillo", Role.AGENT, "lider"),
    ("rsalinas", "Roberto", "Salinas", Role.LEADER, None),
    ("mnavarro", "Marta", "Navarro", Role.AGENT, "rsalinas"),
    ("dortiz", "Daniel", "Ortiz", Role.AGENT, "rsalinas"),
)
MARKER = "rsalinas"  # present once the history was generated

# (name, kind, price, delivery days, guarantee days, refundable, refund window days)
CATALOGUE = (
    ("Mentoría Ejecutiva 1:1", Product.Kind.PROGRAMME, "12000.00", 180, 30, True, 30),
    ("Aceleradora de Ventas High Ticket", Product.Kind.PROGRAMME, "8500.00", 150, 45, True, 30),
    ("Programa Marca Personal", Product.Kind.PROGRAMME, "6000.00", 120, 30, True, 21),
    ("Certificación en Liderazgo", Product.Kind.COURSE, "2500.00", 90, 14, True, 14),
    ("Taller de Finanzas para Emprendedores", Product.Kind.COURSE, "1200.00", 60, 14, True, 14),
    ("Masterclass de Negociación", Product.Kind.COURSE, "450.00", 30, 14, False, 0),
    ("Automatización de Marketing Premium", Product.Kind.PREMIUM, "9800.00", 180, 60, False, 0),
    ("Comunidad Élite Anual", Product.Kind.PREMIUM, "3200.00", 365, 30, True, 30),
)


SUBJECTS = {
    "request": (
        "Acceso a la plataforma del programa",
        "Cambio de fecha de la sesión 1:1",
        "Factura del último pago",
        "Material de la semana 3",
        "Duda sobre el calendario de sesiones",
        "Actualizar datos de facturación",
        "Grabación de la masterclass",
        "Constancia de participación",
    ),
    "complaint": (
        "La sesión empezó tarde",
        "El mentor no respondió en el chat",
        "Cobro duplicado en la tarjeta",
        "El contenido no coincide con lo ofrecido",
    ),
    "cancellation": (
        "Quiere cancelar su inscripción",
        "Pide la baja por falta de tiempo",
        "Solicita cancelar y reembolso",
    ),
    "rescue": (
        "Rescate: sin respuesta a los últimos contactos",
        "Rescate: faltó a dos sesiones seguidas",
    ),
    "follow_up": ("Seguimiento de encuesta con calificación baja",),
}
SUMMARIES = {
    "inbound": (
        "Escribe para confirmar el horario de su próxima sesión.",
        "Llama con dudas sobre el acceso a la plataforma.",
        "Pregunta por la factura de su último pago.",
        "Comenta que el material le está sirviendo mucho.",
        "Pide reagendar la sesión por un viaje de trabajo.",
        "Reporta que no le llegó el enlace de la sesión.",
        "Pregunta por los siguientes pasos del programa.",
        "Responde la encuesta y agradece el seguimiento.",
    ),
    "outbound": (
        "Se le confirma la sesión y se envía el enlace.",
        "Se envían las credenciales de acceso y una guía rápida.",
        "Se reenvía la factura y se confirma el pago.",
        "Llamada de seguimiento: avanza bien con el programa.",
        "Se le propone una nueva fecha y la acepta.",
        "Se comparte la grabación y los recursos de la semana.",
        "Se le explica el calendario y los entregables.",
        "Seguimiento por WhatsApp: sin novedades, todo en orden.",
    ),
}


class DemoStyle(ScaleStyle):
    """The demo's people, partners, names and current month (see the module)."""

    this_month_share = 0.05
    big_case = False
    closed_min_age_days = 3
    closed_case_events = True

    def people(self, seeder: ScaleSeeder) -> None:
        users = {user.username: user for user in User.objects.all()}
        for username, first, last, role, leader in COLLEAGUES:
            users[username] = make_user(
                username,
                first,
                last,
                role,
                leader=users.get(leader) if leader else None,
                email=f"{username}@pae.example",
            )
        seeder.director = users["directora"]
        seeder.leaders = [users["lider"], users["rsalinas"]]
        seeder.agents = [
            users[name] for name in ("agente", "agente2", "lherrera", "jcastillo", "mnavarro")
        ] + [users["dortiz"]]
        seeder.queue_agents = []
        seeder.regular_agents = seeder.agents
        seeder.agent_leader = {
            agent.pk: agent.profile.leader_id
            for agent in User.objects.filter(pk__in=[a.pk for a in seeder.agents]).select_related(
                "profile"
            )
        }

    def catalogue(self, seeder: ScaleSeeder) -> None:
        seeder.partners = list(Partner.objects.filter(stage=Stage.DIRECTORY).order_by("pk"))
        seeder.products = [
            Product.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "list_price": Decimal(price),
                    "partner": seeder.partners[index % len(seeder.partners)],
                    "delivery_period_days": delivery,
                    "guarantee_period_days": guarantee,
                    "refundable": refundable,
                    "refund_window_days": window,
                },
            )[0]
            for index, (name, kind, price, delivery, guarantee, refundable, window) in enumerate(
                CATALOGUE
            )
        ]

    def client(self, seeder: ScaleSeeder, pk: int) -> tuple[str, str]:
        rng = seeder.rng
        first, last, second = (
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            rng.choice(LAST_NAMES),
        )
        email = f"{ascii_login(first)}.{ascii_login(last)}{pk}@{rng.choice(DOMAINS)}"
        return f"{first} {last} {second}", email

    def silent_days(self, seeder: ScaleSeeder) -> float:
        # Most answered lately; a few past the inactivity thresholds (RES-1).
        return seeder.rng.random() ** 2 * 16

    def case_subject(self, seeder: ScaleSeeder, pk: int, kind: str) -> str:
        return seeder.rng.choice(SUBJECTS.get(kind, SUBJECTS["request"]))

    def summary(self, seeder: ScaleSeeder, pk: int, direction: str, kind: str) -> str:
        return seeder.rng.choice(SUMMARIES[direction])


def seed_history(stdout, *, now: datetime | None = None) -> bool:
    """Generate the two years of history once; return whether it ran now.

    Needs the demo users and partners first; must run before the other
    stories create clients (the generator chooses its own ids).
    """
    if User.objects.filter(username=MARKER).exists():
        return False
    if Client.objects.exists():
        stdout.write(
            "Demo history skipped: this database already has clients from an older demo. "
            "`make clean` and `make run` start a fresh demo with two years of history."
        )
        return False
    from pae_ops.selectors import load_calendar_spec

    now = now or timezone.now()
    seeder = ScaleSeeder(
        counts=DEMO_COUNTS,
        seed=DEMO_SEED,
        anchor=timezone.localdate(now),
        now=now,
        spec=load_calendar_spec(),
        style=DemoStyle(),
        progress=lambda message: None,
    )
    seeder.run()
    stdout.write(
        f"Demo history: {DEMO_COUNTS.clients} clients, {DEMO_COUNTS.purchases} purchases, "
        f"{DEMO_COUNTS.cases} cases, {DEMO_COUNTS.interactions} interactions over "
        f"{DEMO_COUNTS.months} months."
    )
    return True
