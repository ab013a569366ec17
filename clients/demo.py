"""Demo clients for ``manage.py seed_demo``: every segment, both kinds of
plan, an overdue installment and credit. Idempotent: clients are looked up
by email and nothing is made twice. Everything goes through the services.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from clients import services
from clients.models import Client, CreditEntry, PaymentPlan, Product
from partners.models import Language, Partner

User = get_user_model()

PRODUCTS = (
    # (partner brand, name, kind, price, delivery days, refundable, window days)
    ("Crece Digital", "Programa Escala 6K", Product.Kind.PROGRAMME, "6000.00", 180, True, 30),
    ("Crece Digital", "Curso Embudos Esenciales", Product.Kind.COURSE, "450.00", 60, True, 15),
    ("Northbridge", "CRM Premium Setup", Product.Kind.PREMIUM, "8000.00", 120, False, 0),
)


def _client(name, email, languages, agent, **extra) -> tuple[Client, bool]:
    existing = Client.objects.filter(email=email).first()
    if existing:
        return existing, False
    client = Client.objects.create(name=name, email=email, assigned_agent=agent, **extra)
    client.languages.set(Language.objects.filter(code__in=languages))
    return client, True


def seed_clients(stdout) -> int:
    """Create the demo clients; returns how many were created."""
    agent = User.objects.get(username="agente")
    leader = User.objects.get(username="lider")
    today = timezone.localdate()
    products = {}
    for brand, name, kind, price, days, refundable, window in PRODUCTS:
        partner = Partner.objects.get(brand_name=brand)
        products[name], _ = Product.objects.get_or_create(
            name=name,
            defaults={
                "partner": partner,
                "kind": kind,
                "list_price": Decimal(price),
                "delivery_period_days": days,
                "refundable": refundable,
                "refund_window_days": window,
            },
        )
    created = 0

    def buy(client, product_name, days_ago):
        return services.create_purchase(
            actor=agent,
            client_id=client.pk,
            product_id=products[product_name].pk,
            purchased_on=today - timedelta(days=days_ago),
            sold_by=agent,
        )

    # A: high value, attends, refers, pays on time.
    mariana, new = _client(
        "Mariana López", "mariana.lopez@example.com", ["es"], agent, leader=leader
    )
    if new:
        created += 1
        purchase = buy(mariana, "Programa Escala 6K", 40)
        services.record_payment(
            actor=agent, purchase_id=purchase.pk, amount=purchase.price, received_on=today
        )
        _client("Pedro Gómez", "pedro.gomez@example.com", ["es"], agent, referred_by=mariana)
        now = timezone.now()
        Client.objects.filter(pk=mariana.pk).update(
            last_contacted_at=now - timedelta(days=3), last_answered_at=now - timedelta(days=2)
        )
    # B: on a surcharge plan, first installment paid; some credit.
    jorge, new = _client("Jorge Hernández", "jorge.hernandez@example.com", ["es"], agent)
    if new:
        created += 1
        purchase = buy(jorge, "Programa Escala 6K", 20)
        plan = services.create_payment_plan(
            actor=agent,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=3,
            first_due_on=purchase.purchased_on,
        )
        first = plan.installments.get(number=1)
        services.record_payment(
            actor=agent,
            purchase_id=purchase.pk,
            installment_id=first.pk,
            amount=first.amount,
            received_on=today,
        )
        services.add_credit(
            actor=agent,
            client_id=jorge.pk,
            amount=Decimal("200.00"),
            kind=CreditEntry.Kind.RETENTION_INCENTIVE,
            source="Bono de bienvenida",
        )
        now = timezone.now()
        Client.objects.filter(pk=jorge.pk).update(
            last_contacted_at=now - timedelta(days=5), last_answered_at=now - timedelta(days=4)
        )
    # C: a low-value course, silent.
    lucia, new = _client("Lucía Martínez", "lucia.martinez@example.com", ["es"], agent)
    if new:
        created += 1
        purchase = buy(lucia, "Curso Embudos Esenciales", 30)
        services.record_payment(
            actor=agent, purchase_id=purchase.pk, amount=purchase.price, received_on=today
        )
    # Deferred start with an English-only partner: needs a bilingual resource (PAR-4).
    roberto, new = _client("Roberto Díaz", "roberto.diaz@example.com", ["es"], agent)
    if new:
        created += 1
        purchase = buy(roberto, "CRM Premium Setup", 10)
        services.create_payment_plan(
            actor=agent,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.DEFERRED,
            installment_count=2,
            first_due_on=purchase.purchased_on,
        )
    # An installment overdue for more than 7 days (PAY-5), English speaker with ADA needs.
    sarah, new = _client(
        "Sarah Miller",
        "sarah.miller@example.com",
        ["en"],
        agent,
        accessibility_needs="ADA: lectora de pantalla; prefiere correo a llamadas.",
    )
    if new:
        created += 1
        purchase = buy(sarah, "CRM Premium Setup", 45)
        services.create_payment_plan(
            actor=agent,
            purchase_id=purchase.pk,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=2,
            first_due_on=purchase.purchased_on,
            interval_days=30,
        )
    # An eligible purchase with no plan yet, to try the plan form.
    elena, new = _client("Elena Castro", "elena.castro@example.com", ["es", "en"], agent)
    if new:
        created += 1
        buy(elena, "Programa Escala 6K", 2)
    if created:
        services.recompute_all_segments()
    stdout.write(f"Demo clients: {created} created.")
    return created
