"""Factories for clients, products, purchases and their money."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from clients.models import (
    Attendance,
    Client,
    CreditEntry,
    Installment,
    LiveSession,
    Offer,
    Payment,
    PaymentPlan,
    Product,
    Purchase,
)
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory


class ClientFactory(DjangoModelFactory[Client]):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    name = factory.Faker("name", locale="es_MX")
    email = factory.Sequence(lambda n: f"cliente{n}@example.com")
    phone = factory.Faker("phone_number", locale="es_MX")
    country = "México"
    assigned_agent = factory.SubFactory(UserFactory, agent=True)

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        from tests.partners.factories import languages

        if create:
            self.languages.set(languages(*(extracted or ["es"])))


class ProductFactory(DjangoModelFactory[Product]):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Programa {n}")
    kind = Product.Kind.PROGRAMME
    list_price = Decimal("6000.00")
    partner = factory.SubFactory(ActivePartnerFactory)
    delivery_period_days = 180
    guarantee_period_days = 30


class PurchaseFactory(DjangoModelFactory[Purchase]):
    class Meta:
        model = Purchase

    client = factory.SubFactory(ClientFactory)
    product = factory.SubFactory(ProductFactory)
    price = factory.LazyAttribute(lambda o: o.product.list_price)
    purchased_on = factory.LazyFunction(timezone.localdate)


class PaymentPlanFactory(DjangoModelFactory[PaymentPlan]):
    class Meta:
        model = PaymentPlan

    purchase = factory.SubFactory(PurchaseFactory)
    kind = PaymentPlan.Kind.SURCHARGE
    installment_count = 2
    total = factory.LazyAttribute(
        lambda o: (o.purchase.price * Decimal("1.12")).quantize(Decimal("0.01"))
    )
    created_by = factory.SubFactory(UserFactory, agent=True)


class InstallmentFactory(DjangoModelFactory[Installment]):
    class Meta:
        model = Installment

    plan = factory.SubFactory(PaymentPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    due_on = factory.LazyFunction(timezone.localdate)
    amount = Decimal("1000.00")


class PaymentFactory(DjangoModelFactory[Payment]):
    class Meta:
        model = Payment

    purchase = factory.SubFactory(PurchaseFactory)
    client = factory.SelfAttribute("purchase.client")
    amount = Decimal("100.00")
    received_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory, agent=True)


class CreditEntryFactory(DjangoModelFactory[CreditEntry]):
    class Meta:
        model = CreditEntry

    client = factory.SubFactory(ClientFactory)
    kind = CreditEntry.Kind.RETENTION_INCENTIVE
    amount = Decimal("50.00")
    balance_after = Decimal("50.00")
    created_by = factory.SubFactory(UserFactory, agent=True)


class OfferFactory(DjangoModelFactory[Offer]):
    class Meta:
        model = Offer

    client = factory.SubFactory(ClientFactory)
    product = factory.SubFactory(ProductFactory)
    kind = Offer.Kind.UPSELL
    offered_by = factory.SubFactory(UserFactory, agent=True)


class LiveSessionFactory(DjangoModelFactory[LiveSession]):
    class Meta:
        model = LiveSession

    title = factory.Sequence(lambda n: f"Sesión en vivo {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))


class AttendanceFactory(DjangoModelFactory[Attendance]):
    class Meta:
        model = Attendance

    session = factory.SubFactory(LiveSessionFactory)
    client = factory.SubFactory(ClientFactory)
    status = Attendance.Status.ATTENDED
    session_starts_at = factory.SelfAttribute("session.starts_at")
