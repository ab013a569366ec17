"""The scale data set of DESIGN.md, for ``manage.py seed_scale`` and ``make bench``.

Bench tooling, not part of the KPI runtime: it is the one place of the kpis
app that writes domain rows, and only into a database whose name says it is
for scale tests (see the command). Rows go in with PostgreSQL ``COPY``
(psycopg's ``cursor.copy``), ids chosen here, sequences set afterwards. Audit
history (django-simple-history) is not written for these rows: the data set
measures the pages and queries, and the history tables are never read by
them. Deterministic: the same seed, counts and anchor day give the same rows.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models

from cases.models import Case, Interaction, SlaEvent, Survey, TypingReason
from clients.models import (
    Client,
    CreditEntry,
    Installment,
    Offer,
    Payment,
    PaymentPlan,
    Product,
    Purchase,
)
from pae_ops.business_hours import CalendarSpec, open_segments
from pae_ops.models import Profile
from pae_ops.roles import Role
from partners.models import Language, Partner, Stage
from refunds.models import RefundRequest

User = get_user_model()

# The bench reads these special rows: agents whose queues hold exactly 10,
# 50 and 200 open cases, and one case with 200 interactions.
QUEUE_SIZES = (10, 50, 200)
BIG_CASE_INTERACTIONS = 200
PASSWORD = "pae-demo-2026"  # noqa: S105 (the demo password of tests/factories.py)


# People's names of the data sets (the demo's too): Spanish, with accents, so
# that the search (accents ignored) is measured on names like the real ones.
FIRST_NAMES = (
    "Alejandra", "Andrés", "Beatriz", "Carlos", "Carmen", "Claudia", "Diego", "Elena",
    "Emilio", "Fernanda", "Francisco", "Gabriela", "Guadalupe", "Héctor", "Isabel", "Javier",
    "Jimena", "José", "Juan Pablo", "Julia", "Karla", "Leonardo", "Lorena", "Luis", "Manuel",
    "María José", "Mariana", "Miguel Ángel", "Mónica", "Natalia", "Óscar", "Patricia",
    "Paulina", "Rafael", "Regina", "Ricardo", "Rocío", "Santiago", "Sofía", "Valeria",
    "Verónica", "Ximena",
)  # fmt: skip
LAST_NAMES = (
    "Aguilar", "Álvarez", "Barrera", "Cárdenas", "Castro", "Cervantes", "Delgado",
    "Domínguez", "Escobar", "Espinoza", "Flores", "Fuentes", "García", "Guerrero", "Gutiérrez",
    "Hernández", "Ibarra", "Jiménez", "Juárez", "León", "López", "Maldonado", "Martínez",
    "Medina", "Mejía", "Morales", "Muñoz", "Núñez", "Orozco", "Peña", "Pérez", "Ramírez",
    "Ríos", "Rojas", "Romero", "Salazar", "Sánchez", "Soto", "Valdez", "Vázquez", "Zamora",
)  # fmt: skip
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com.mx", "empresa.mx", "consultores.com")


def ascii_login(text: str) -> str:
    """``text`` in lower-case ASCII without spaces (for email addresses)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "")


@dataclass(frozen=True)
class ScaleCounts:
    clients: int = 100_000
    purchases: int = 250_000
    cases: int = 200_000
    open_cases: int = 20_000
    interactions: int = 1_000_000
    surveys: int = 50_000
    agents: int = 50
    leaders: int = 5
    partners: int = 8
    products: int = 24
    months: int = 36


# Writing -----------------------------------------------------------------------------


def _default(field: models.Field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if field.empty_strings_allowed:
        return ""
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


class Table:
    """``COPY`` rows into a model's table: the given columns, defaults for the rest."""

    def __init__(self, model: type[models.Model], columns: list[str]):
        # PostgreSQL computes generated columns (and refuses them in COPY).
        fields = {
            field.attname: field for field in model._meta.concrete_fields if not field.generated
        }
        rest = [field for name, field in fields.items() if name not in columns]
        self.model = model
        self.rest_values = tuple(_default(field) for field in rest)
        names = [fields[name].column for name in columns] + [field.column for field in rest]
        quoted = ", ".join(connection.ops.quote_name(name) for name in names)
        self.sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"

    def copy(self, rows: Iterable[tuple]) -> int:
        count = 0
        rest = self.rest_values
        with connection.cursor() as cursor, cursor.cursor.copy(self.sql) as copy:
            for row in rows:
                copy.write_row(row + rest)
                count += 1
        return count


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
                [table],
            )


@contextmanager
def foreign_keys_checked_once(models_: Iterable[type[models.Model]]):
    """Drop the foreign keys of ``models_``' tables, load, add them back.

    Django's foreign keys are deferred: kept, they would be checked row by
    row at commit (over a minute for the data set). Added back, each is
    validated once with a join. Same transaction, so nothing is left without
    them.
    """
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        # Check what the ORM wrote so far (users, products) now: a table with
        # pending checks can't be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )


# Business hours, fast ---------------------------------------------------------------


class FastClock:
    """Business-hour arithmetic over precomputed open intervals (epoch seconds).

    The same results as ``pae_ops.business_hours`` (it uses its intervals) in
    a bisect per call, so that 200,000 cases get their stored deadlines in
    seconds.
    """

    def __init__(self, spec: CalendarSpec, first_day: date, last_day: date):
        self.starts: list[float] = []
        self.lengths: list[float] = []
        self.before: list[float] = []
        self.upto: list[float] = []
        total = 0.0
        for start, end in open_segments(first_day, last_day, spec):
            a, b = start.timestamp(), end.timestamp()
            self.starts.append(a)
            self.lengths.append(b - a)
            self.before.append(total)
            total += b - a
            self.upto.append(total)

    def seconds(self, instant: float) -> float:
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0.0
        return self.before[index] + min(instant - self.starts[index], self.lengths[index])

    def add(self, instant: float, hours: float) -> float:
        target = self.seconds(instant) + hours * 3600
        index = bisect_left(self.upto, target)
        return self.starts[index] + (target - self.before[index])


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(round(epoch, 6), UTC)


# Styles: who works and what things are called ---------------------------------------


@functools.cache
def _password_hash() -> str:
    return make_password(PASSWORD)  # once: hashing is slow by design


def make_user(username: str, first: str, last: str, role: Role, leader=None, **extra):
    """A user with one role (the demo password), in ``leader``'s team."""
    person = User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        password=_password_hash(),
        **extra,
    )
    person.groups.add(Group.objects.get(name=role.value))
    Profile.objects.update_or_create(user=person, defaults={"leader": leader})
    return person


class ScaleStyle:
    """The bench's data set: numbered people and things, queues of exact sizes.

    A subclass (``kpis.demo_history.DemoStyle``) gives the demo real-looking
    names, the demo's own people and partners, and a current month with work.
    """

    # Share of dated rows put in the current month (0: only the usual bias).
    this_month_share = 0.0
    # The bench's special rows: one case with BIG_CASE_INTERACTIONS.
    big_case = True
    # Closed cases opened at least this many days ago.
    closed_min_age_days = 10
    # Write the SLA events of closed cases (their history) with the cases.
    closed_case_events = False

    def people(self, seeder: ScaleSeeder) -> None:
        user = make_user
        seeder.director = user("scale-director", "Dora", "Directora", Role.DIRECTOR)
        seeder.leaders = [
            user(f"scale-leader-{n}", f"Líder {n}", "Escala", Role.LEADER)
            for n in range(1, seeder.counts.leaders + 1)
        ]
        seeder.agents = [
            user(
                f"scale-agent-{n:02d}",
                f"Agente {n:02d}",
                "Escala",
                Role.AGENT,
                leader=seeder.leaders[(n - 1) % len(seeder.leaders)],
            )
            for n in range(1, seeder.counts.agents + 1)
        ]
        # The last agents have queues of exactly QUEUE_SIZES open cases.
        seeder.queue_agents = seeder.agents[-len(QUEUE_SIZES) :]
        seeder.regular_agents = seeder.agents[: -len(QUEUE_SIZES)]
        seeder.agent_leader = {
            a.pk: seeder.leaders[i % len(seeder.leaders)].pk for i, a in enumerate(seeder.agents)
        }

    def catalogue(self, seeder: ScaleSeeder) -> None:
        seeder.partners = [
            Partner.objects.create(
                legal_name=f"Socio Escala {n} S.A. de C.V.",
                brand_name=f"Socio {n}",
                country="México",
                stage=Stage.DIRECTORY,
            )
            for n in range(1, seeder.counts.partners + 1)
        ]
        prices = ["450.00", "1200.00", "2500.00", "6000.00", "8500.00", "12000.00"]
        seeder.products = [
            Product.objects.create(
                name=f"Programa escala {n}",
                kind=Product.Kind.PROGRAMME,
                list_price=Decimal(prices[n % len(prices)]),
                partner=seeder.partners[n % len(seeder.partners)],
                delivery_period_days=180,
                guarantee_period_days=(14, 30, 45, 60)[n % 4],
            )
            for n in range(1, seeder.counts.products + 1)
        ]

    def client(self, seeder: ScaleSeeder, pk: int) -> tuple[str, str]:
        """A name and an email from the pk alone (the random stream is not used)."""
        # Multipliers prime to the lists' lengths: every name and pair occurs.
        first = FIRST_NAMES[pk * 5 % len(FIRST_NAMES)]
        last = LAST_NAMES[pk * 13 % len(LAST_NAMES)]
        second = LAST_NAMES[pk // 7 * 3 % len(LAST_NAMES)]
        email = f"{ascii_login(first)}.{ascii_login(last)}{pk}@{DOMAINS[pk % len(DOMAINS)]}"
        return f"{first} {last} {second}", email

    def phone(self, seeder: ScaleSeeder, pk: int) -> str:
        """A Mexican-looking number, unique per client, from the pk alone."""
        return f"+52 {33 + pk % 67:02d} {pk * 7919 % 10000:04d} {pk % 10000:04d}"

    def silent_days(self, seeder: ScaleSeeder) -> float:
        """Days since the client last answered us."""
        return seeder.rng.random() * 40

    def case_subject(self, seeder: ScaleSeeder, pk: int, kind: str) -> str:
        return f"Caso {pk}"

    def summary(self, seeder: ScaleSeeder, pk: int, direction: str, kind: str) -> str:
        return f"Contacto {pk}"


# The data set ----------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[tuple[str, int, float]]

    def add(self, what: str, count: int, seconds: float) -> None:
        self.lines.append((what, count, seconds))


class ScaleSeeder:
    """Build the data set step by step; ``progress(message)`` reports each step."""

    def __init__(
        self,
        *,
        counts: ScaleCounts,
        seed: int,
        anchor: date,
        now: datetime,
        spec: CalendarSpec,
        progress: Callable[[str], None] = lambda message: None,
        style: ScaleStyle | None = None,
    ):
        self.style = style or ScaleStyle()
        self.counts = counts
        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        self.anchor = anchor
        self.now = now
        self.now_epoch = now.timestamp()
        self.progress = progress
        self.first_day = _add_months(anchor.replace(day=1), -(counts.months - 1))
        self.days = (anchor - self.first_day).days  # days before today
        self.zone = spec.tz
        self.clock = FastClock(spec, self.first_day - timedelta(days=7), anchor + timedelta(60))

    # helpers
    def _day(self, *, recent_bias: float = 1.0) -> date:
        """A past day of the span (more recent days a little more likely).

        With the style's ``this_month_share`` a day of the current month up
        to today (the demo's dashboard shows the current month).
        """
        if self.style.this_month_share and self.rng.random() < self.style.this_month_share:
            first = self.anchor.replace(day=1)
            return first + timedelta(days=self.rng.randint(0, (self.anchor - first).days))
        fraction = self.rng.random() ** (1 / (1 + 0.25 * recent_bias))
        return self.first_day + timedelta(days=min(int(fraction * self.days), self.days - 1))

    def _instant(self, day: date, *, start_hour: int = 8, end_hour: int = 20) -> float:
        """An instant of ``day`` between the hours, never later than now."""
        local = datetime.combine(day, time(start_hour), tzinfo=self.zone)
        instant = local.timestamp() + self.rng.random() * (end_hour - start_hour) * 3600
        if instant < self.now_epoch:
            return instant
        start = datetime.combine(day, time(0), tzinfo=self.zone).timestamp()
        return start + self.rng.random() * max(self.now_epoch - 60 - start, 1)

    def run(self) -> None:
        self.people()
        self.catalogue()
        with foreign_keys_checked_once(LOADED):
            self.clients()
            self.purchases()
            self.offers_and_refunds()
            self.cases()
            self.surveys()
        reset_sequences(LOADED)

    # people and catalogue
    def people(self) -> None:
        self.style.people(self)

    def catalogue(self) -> None:
        self.style.catalogue(self)
        self.reasons = list(TypingReason.objects.values_list("category_id", "pk"))
        self.languages = dict(Language.objects.values_list("code", "pk"))

    # clients
    def clients(self) -> None:
        rng, counts = self.rng, self.counts
        regular = [a.pk for a in self.regular_agents]
        self.client_agent: list[int] = [0] * (counts.clients + 1)
        self.client_segment: list[str] = [""] * (counts.clients + 1)
        tiers = {"A": ("high", "high"), "B": ("medium", "medium"), "C": ("low", "low")}
        table = Table(
            Client,
            [
                "id",
                "created_at",
                "updated_at",
                "name",
                "email",
                "phone",
                "country",
                "assigned_agent_id",
                "leader_id",
                "computed_segment",
                "value_tier",
                "engagement_tier",
                "segment_computed_at",
                "net_paid",
                "last_answered_at",
                "last_contacted_at",
            ],
        )
        now = self.now

        def rows():
            for pk in range(1, counts.clients + 1):
                # The queue agents get a few clients each (their own cases).
                agent = (
                    regular[pk % len(regular)]
                    if pk > 600 or not self.queue_agents
                    else self.queue_agents[pk % 3].pk
                )
                segment = "A" if rng.random() < 0.15 else ("B" if rng.random() < 0.42 else "C")
                self.client_agent[pk] = agent
                self.client_segment[pk] = segment
                created = _dt(self._instant(self._day()))
                value, engagement = tiers[segment]
                seen = _dt(self.now_epoch - self.style.silent_days(self) * 86400)
                name, email = self.style.client(self, pk)
                yield (
                    pk,
                    created,
                    created,
                    name,
                    email,
                    self.style.phone(self, pk),
                    "México",
                    agent,
                    self.agent_leader[agent],
                    segment,
                    value,
                    engagement,
                    now,
                    f"{rng.randint(0, 20000)}.00",
                    seen,
                    seen,
                )

        written = table.copy(rows())
        spanish, english = self.languages.get("es"), self.languages.get("en")
        languages = []
        for pk in range(1, counts.clients + 1):
            if spanish:
                languages.append((pk, spanish))
            if english and pk % 5 == 0:
                languages.append((pk, english))
        through = Client.languages.through
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {through._meta.db_table} (client_id, language_id) FROM STDIN"
            ) as copy,
        ):
            for row in languages:
                copy.write_row(row)
        self.progress(f"clients: {written}")

    # purchases, plans, payments
    def purchases(self) -> None:
        rng, counts = self.rng, self.counts
        purchases = Table(
            Purchase,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "product_id",
                "price",
                "purchased_on",
                "status",
                "refunded_amount",
            ],
        )
        self.purchase_rows: list[tuple[int, int, int, date, Decimal]] = []
        plans_rows, installment_rows, payment_rows = [], [], []
        plan_id = installment_id = payment_id = 0
        today = self.anchor

        def rows():
            nonlocal plan_id, installment_id, payment_id
            for pk in range(1, counts.purchases + 1):
                client = rng.randint(1, counts.clients)
                product = rng.choice(self.products)
                day = today if rng.random() < 0.0015 else self._day(recent_bias=2)
                price = product.list_price
                age = (today - day).days
                status = "completed" if age > 180 else ("started" if age > 10 else "active")
                self.purchase_rows.append((pk, client, product.pk, day, price))
                created = _dt(min(self._instant(day), self.now_epoch - 1))
                yield (pk, created, created, client, product.pk, str(price), day, status, "0.00")
                agent = self.client_agent[client]
                if price > 5000 and rng.random() < 0.4:
                    plan_id += 1
                    count = rng.choice((2, 3))
                    total = (price * Decimal("1.12")).quantize(Decimal("0.01"))
                    part = (total / count).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
                    plans_rows.append(
                        (plan_id, created, created, pk, "surcharge", count, str(total), agent)
                    )
                    for number in range(1, count + 1):
                        installment_id += 1
                        amount = part if number < count else total - part * (count - 1)
                        due = day + timedelta(days=30 * (number - 1))
                        paid_on = due + timedelta(days=rng.randint(-3, 9))
                        paid = due <= today and rng.random() < 0.92 and paid_on <= today
                        installment_rows.append(
                            (
                                installment_id,
                                plan_id,
                                number,
                                due,
                                str(amount),
                                str(amount) if paid else "0.00",
                                paid_on if paid else None,
                            )
                        )
                        if paid:
                            payment_id += 1
                            payment_rows.append(
                                (
                                    payment_id,
                                    created,
                                    created,
                                    client,
                                    pk,
                                    installment_id,
                                    str(amount),
                                    paid_on,
                                    agent,
                                )
                            )
                elif rng.random() < 0.95:
                    payment_id += 1
                    received = min(day + timedelta(days=rng.randint(0, 3)), today)
                    payment_rows.append(
                        (
                            payment_id,
                            created,
                            created,
                            client,
                            pk,
                            None,
                            str(price),
                            received,
                            agent,
                        )
                    )

        written = purchases.copy(rows())
        Table(
            PaymentPlan,
            [
                "id",
                "created_at",
                "updated_at",
                "purchase_id",
                "kind",
                "installment_count",
                "total",
                "created_by_id",
            ],
        ).copy(plans_rows)
        Table(
            Installment,
            ["id", "plan_id", "number", "due_on", "amount", "paid_amount", "paid_on"],
        ).copy(installment_rows)
        Table(
            Payment,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "purchase_id",
                "installment_id",
                "amount",
                "received_on",
                "recorded_by_id",
            ],
        ).copy(payment_rows)
        self.progress(
            f"purchases: {written}, plans: {len(plans_rows)}, installments: "
            f"{len(installment_rows)}, payments: {len(payment_rows)}"
        )

    # offers, refunds, credit
    def offers_and_refunds(self) -> None:
        rng, counts = self.rng, self.counts
        pool = list(range(len(self.purchase_rows)))
        rng.shuffle(pool)
        # 4 % of the purchases came from accepted offers, 2.8 % had a refund request.
        accepted = len(pool) * 4 // 100
        accepted_pool, refund_pool = (
            pool[:accepted],
            pool[accepted : accepted + len(pool) * 7 // 250],
        )
        offers = []
        offer_count = max(counts.purchases // 10, 10)
        for pk in range(1, offer_count + 1):
            roll = rng.random()
            if roll < 0.4 and accepted_pool:
                purchase_pk, client, product, day, _price = self.purchase_rows[accepted_pool.pop()]
                outcome, purchase = "accepted", purchase_pk
                decided = _dt(min(self._instant(day), self.now_epoch - 60))
            else:
                client = rng.randint(1, counts.clients)
                product = rng.choice(self.products).pk
                purchase = None
                outcome = "declined" if roll < 0.8 else "pending"
                decided = (
                    _dt(self._instant(self._day(recent_bias=2))) if outcome != "pending" else None
                )
            created = decided or _dt(self.now_epoch - rng.random() * 20 * 86400)
            offers.append(
                (
                    pk,
                    created,
                    created,
                    client,
                    product,
                    rng.choice(("upsell", "cross_sell")),
                    outcome,
                    self.client_agent[client],
                    decided,
                    purchase,
                )
            )
        Table(
            Offer,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "product_id",
                "kind",
                "outcome",
                "offered_by_id",
                "decided_at",
                "purchase_id",
            ],
        ).copy(offers)

        requests, credits = [], []
        credit_id = 0
        kinds = (
            ("refunded", "full_refund"),
            ("refunded", "partial_refund"),
            ("cancelled", ""),
            ("credited", ""),
            ("credited", "duplicated_credit"),
        )
        for pk, index in enumerate(refund_pool[: max(counts.purchases // 40, 5)], start=1):
            purchase_pk, client, _product, day, price = self.purchase_rows[index]
            resolution, proposal = rng.choice(kinds)
            executed = self._instant(day + timedelta(days=rng.randint(1, 70)))
            if executed > self.now_epoch - 3600:
                continue
            amount = None
            if resolution == "refunded":
                amount = (
                    price if proposal == "full_refund" else (price / 3).quantize(Decimal("0.01"))
                )
            elif proposal == "duplicated_credit":
                amount = Decimal("500.00")
            opened = _dt(executed - 5 * 86400)
            agent = self.client_agent[client]
            requests.append(
                (
                    pk,
                    opened,
                    _dt(executed),
                    client,
                    purchase_pk,
                    "refund",
                    "executed",
                    agent,
                    "expectations",
                    "Esperaba otro formato.",
                    proposal,
                    str(amount) if amount is not None else None,
                    resolution,
                    _dt(executed),
                )
            )
            if resolution == "credited":
                credit_id += 1
                value = amount or min(price, Decimal("3000.00"))
                kind = "duplicated_credit" if proposal else "service_change"
                credits.append(
                    (
                        credit_id,
                        client,
                        kind,
                        str(value),
                        str(value),
                        purchase_pk,
                        f"refund:{pk}",
                        agent,
                        _dt(executed),
                    )
                )
        for _extra in range(max(counts.purchases // 200, 5)):
            credit_id += 1
            client = rng.randint(1, counts.clients)
            credits.append(
                (
                    credit_id,
                    client,
                    "retention",
                    "150.00",
                    "150.00",
                    None,
                    "",
                    self.client_agent[client],
                    _dt(self._instant(self._day())),
                )
            )
        Table(
            RefundRequest,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "purchase_id",
                "kind",
                "status",
                "opened_by_id",
                "diagnosis_reason",
                "diagnosis_notes",
                "proposal",
                "proposed_amount",
                "resolution",
                "executed_at",
            ],
        ).copy(requests)
        Table(
            CreditEntry,
            [
                "id",
                "client_id",
                "kind",
                "amount",
                "balance_after",
                "purchase_id",
                "source_key",
                "created_by_id",
                "created_at",
            ],
        ).copy(credits)
        self.progress(
            f"offers: {len(offers)}, refund requests: {len(requests)}, credits: {len(credits)}"
        )

    # cases and interactions
    def cases(self) -> None:
        rng, counts, clock = self.rng, self.counts, self.clock
        now = self.now_epoch
        kinds = (
            ["request"] * 60
            + ["complaint"] * 15
            + ["cancellation"] * 10
            + ["rescue"] * 10
            + ["follow_up"] * 5
        )
        open_statuses = ("new", "in_progress", "waiting", "escalated")
        open_total = counts.open_cases
        queue_total = sum(QUEUE_SIZES) if self.queue_agents else 0
        big = BIG_CASE_INTERACTIONS if self.style.big_case else 0
        interactions_left = counts.interactions - big
        others = max(counts.cases - 1, 1) if big else counts.cases  # case 1 has ``big``
        base_each = interactions_left // others
        extra = interactions_left - base_each * others
        first_regular = 2 if big else 1
        extra_cases = rng.sample(
            range(first_regular, counts.cases + 1), min(extra, counts.cases - first_regular + 1)
        )
        extra_per_case: dict[int, int] = {}
        for pk in extra_cases:
            extra_per_case[pk] = extra_per_case.get(pk, 0) + 1
        open_rescue_clients: set[int] = set()
        self.resolved_cases: list[tuple[int, int, int, float]] = []
        self.sla_event_rows: list[tuple] = []
        case_rows, interaction_rows = [], []
        interaction_id = 0
        hours = Decimal("8.00"), Decimal("48.00"), Decimal("72.00")

        def queue_owner(pk: int) -> int | None:
            offset = pk - (open_total - queue_total) - 1
            if offset < 0 or pk > open_total:
                return None
            for agent, size in zip(self.queue_agents, QUEUE_SIZES, strict=True):
                if offset < size:
                    return agent.pk
                offset -= size
            return None

        for pk in range(1, counts.cases + 1):
            is_open = pk <= open_total
            owner = queue_owner(pk)
            if owner is not None:
                mine = [
                    c
                    for c in range(1, min(601, counts.clients + 1))
                    if self.client_agent[c] == owner
                ]
                client = rng.choice(mine[:50] or [1])
            else:
                client = (
                    rng.randint(601, counts.clients)
                    if counts.clients > 700
                    else rng.randint(1, counts.clients)
                )
            agent = self.client_agent[client]
            kind = rng.choice(kinds)
            if is_open and kind == "rescue":
                if client in open_rescue_clients:
                    kind = "request"
                open_rescue_clients.add(client)
            if is_open:
                opened = now - rng.random() * 30 * 86400
            else:
                opened = self._instant(self._day(recent_bias=2))
                opened = min(opened, now - self.style.closed_min_age_days * 86400)
            fr_warn, fr_due = clock.add(opened, 6), clock.add(opened, 8)
            res_target, res_warn, res_due = (
                clock.add(opened, 48),
                clock.add(opened, 54),
                clock.add(opened, 72),
            )
            responded = None
            if not is_open or rng.random() < 0.7:
                delay = (
                    rng.expovariate(1 / 3.5) if rng.random() < 0.85 else 8 + rng.expovariate(1 / 8)
                )
                responded = clock.add(opened, max(delay, 0.05))
                if responded > now:
                    responded = None
            status = (
                rng.choice(open_statuses)
                if is_open
                else ("closed" if rng.random() < 0.7 else "resolved")
            )
            resolved = closed = None
            outcome, outcome_at = "", None
            cycle = 1
            if not is_open:
                delay = (
                    rng.expovariate(1 / 24) if rng.random() < 0.8 else 72 + rng.expovariate(1 / 30)
                )
                resolved = clock.add(max(responded or opened, opened), max(delay, 0.5))
                resolved = min(resolved, now - 86400)
                if responded is not None and responded > resolved:
                    responded = resolved
                closed = (
                    min(resolved + rng.random() * 5 * 86400, now - 60)
                    if status == "closed"
                    else None
                )
                cycle = 2 if rng.random() < 0.03 else 1
                if self.style.closed_case_events:
                    self._closed_case_events(
                        pk,
                        cycle,
                        responded=responded,
                        resolved=resolved,
                        first_response=(fr_warn, fr_due),
                        resolution=(res_warn, res_due),
                    )
                if kind == "rescue":
                    outcome, outcome_at = ("retained" if rng.random() < 0.6 else "lost"), resolved
                self.resolved_cases.append((pk, client, agent, resolved))
            end = resolved if resolved is not None else now
            # interactions of the case
            n = big if pk == 1 and big else base_each + extra_per_case.get(pk, 0)
            times = sorted(
                opened + rng.random() * max(end - opened, 60) for _i in range(max(n - 1, 0))
            )
            moments = [opened, *times][:n]
            if responded is not None and n > 1:
                moments[1] = max(responded, opened)
                moments = sorted(moments)
            last_activity = moments[-1] if moments else opened
            for index, moment in enumerate(moments):
                interaction_id += 1
                typed = bool(self.reasons) and rng.random() < 0.93
                category, reason = rng.choice(self.reasons) if typed else (None, None)
                at = _dt(min(moment, now - 1))
                direction = "inbound" if index % 2 == 0 else "outbound"
                interaction_rows.append(
                    (
                        interaction_id,
                        at,
                        at,
                        client,
                        pk,
                        rng.choice(("phone", "email", "chat", "whatsapp")),
                        direction,
                        at,
                        agent,
                        self.style.summary(self, interaction_id, direction, kind),
                        category,
                        reason,
                        at if typed else None,
                    )
                )
            opened_dt = _dt(opened)
            case_rows.append(
                (
                    pk,
                    opened_dt,
                    opened_dt,
                    client,
                    self.style.case_subject(self, pk, kind),
                    kind,
                    status,
                    agent,
                    agent,
                    0,
                    opened_dt,
                    hours[0],
                    _dt(fr_warn),
                    _dt(fr_due),
                    _dt(responded) if responded is not None else None,
                    opened_dt,
                    hours[1],
                    hours[2],
                    _dt(res_target),
                    _dt(res_warn),
                    _dt(res_due),
                    cycle,
                    _dt(resolved) if resolved is not None else None,
                    _dt(closed) if closed is not None else None,
                    _dt(last_activity),
                    _dt(clock.add(last_activity, 18)),
                    "Default",
                    outcome,
                    _dt(outcome_at) if outcome_at is not None else None,
                    "silence" if kind == "rescue" else "",
                )
            )
            if len(interaction_rows) >= 200_000:
                self._flush_interactions(interaction_rows)
        Table(
            Case,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "subject",
                "kind",
                "status",
                "assignee_id",
                "opened_by_id",
                "escalation_level",
                "opened_at",
                "first_response_hours",
                "first_response_warn_at",
                "first_response_due_at",
                "first_responded_at",
                "resolution_started_at",
                "resolution_target_hours",
                "resolution_limit_hours",
                "resolution_target_at",
                "resolution_warn_at",
                "resolution_due_at",
                "sla_cycle",
                "resolved_at",
                "closed_at",
                "last_activity_at",
                "follow_up_due_at",
                "calendar_name",
                "rescue_outcome",
                "rescue_outcome_at",
                "rescue_trigger",
            ],
        ).copy(case_rows)
        self._flush_interactions(interaction_rows)
        if self.sla_event_rows:
            Table(
                SlaEvent, ["id", "case_id", "window", "kind", "cycle", "occurred_at", "recorded_at"]
            ).copy(self.sla_event_rows)
        self.progress(
            f"cases: {len(case_rows)}, interactions: {interaction_id}, "
            f"SLA events of closed cases: {len(self.sla_event_rows)}"
        )

    def _closed_case_events(self, pk, cycle, *, responded, resolved, first_response, resolution):
        """The warnings and breaches a closed case had, as the sweep recorded them then."""
        for window, (warn, due), done in (
            ("first_response", first_response, responded),
            ("resolution", resolution, resolved),
        ):
            for kind, at in (("warning", warn), ("breach", due)):
                if done is None or done > at:
                    row_id = len(self.sla_event_rows) + 1
                    self.sla_event_rows.append(
                        (row_id, pk, window, kind, cycle, _dt(at), _dt(min(at + 300, done or at)))
                    )

    _interactions_table: Table | None = None

    def _flush_interactions(self, rows: list) -> None:
        if self._interactions_table is None:
            self._interactions_table = Table(
                Interaction,
                [
                    "id",
                    "created_at",
                    "updated_at",
                    "client_id",
                    "case_id",
                    "channel",
                    "direction",
                    "occurred_at",
                    "handled_by_id",
                    "summary",
                    "category_id",
                    "reason_id",
                    "typed_at",
                ],
            )
        if rows:
            self._interactions_table.copy(rows)
            rows.clear()

    # surveys
    def surveys(self) -> None:
        rng, counts = self.rng, self.counts
        csat_count = counts.surveys * 3 // 5
        nps_count = counts.surveys // 4
        ces_count = counts.surveys - csat_count - nps_count
        cases = rng.sample(self.resolved_cases, min(csat_count, len(self.resolved_cases)))
        rows = []
        pk = 0

        def row(kind: str, client: int, case: int | None, agent: int, after: float, score: int):
            nonlocal pk
            pk += 1
            sent = after + 3600
            answered = min(sent + rng.random() * 5 * 86400, self.now_epoch - 60)
            sent = min(sent, answered - 60)
            rows.append(
                (
                    pk,
                    _dt(sent),
                    _dt(answered),
                    client,
                    case,
                    agent,
                    kind,
                    "answered",
                    score,
                    "es",
                    _dt(sent),
                    _dt(answered),
                    _dt(sent + 30 * 86400),
                )
            )

        for case_pk, client, agent, resolved in cases:
            score = rng.choices(range(6), (2, 3, 5, 15, 35, 40))[0]
            row("csat", client, case_pk, agent, resolved, score)
        for _index in range(nps_count):
            client = rng.randint(1, counts.clients)
            row(
                "nps",
                client,
                None,
                self.client_agent[client],
                self._instant(self._day(recent_bias=2)),
                rng.choices(range(11), (1, 1, 1, 2, 2, 4, 6, 10, 20, 25, 28))[0],
            )
        for _index in range(ces_count):
            client = rng.randint(1, counts.clients)
            row(
                "ces",
                client,
                None,
                self.client_agent[client],
                self._instant(self._day(recent_bias=2)),
                rng.choices(range(1, 8), (3, 5, 10, 20, 30, 20, 12))[0],
            )
        Table(
            Survey,
            [
                "id",
                "created_at",
                "updated_at",
                "client_id",
                "case_id",
                "agent_id",
                "kind",
                "status",
                "score",
                "language",
                "sent_at",
                "answered_at",
                "expires_at",
            ],
        ).copy(rows)
        self.progress(f"survey answers: {len(rows)}")


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def is_seeded() -> bool:
    return User.objects.filter(username="scale-director").exists()


LOADED: tuple[type[models.Model], ...] = (
    Client,
    Client.languages.through,
    Purchase,
    PaymentPlan,
    Installment,
    Payment,
    CreditEntry,
    Offer,
    RefundRequest,
    Case,
    Interaction,
    SlaEvent,
    Survey,
)

SEEDED_TABLES = (
    Client,
    Partner,
    Product,
    Purchase,
    Case,
    Interaction,
    Survey,
    RefundRequest,
    Offer,
    CreditEntry,
    Payment,
)
