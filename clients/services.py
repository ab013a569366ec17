"""Every act that changes a client's data: purchases, payment plans, payments,
credit, offers, attendance and segments.

Rules: SEG-1..7, PAY-1..5, SAL-1, PAR-3, PAR-4, ROLE-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.utils import bulk_create_with_history

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
    Segment,
)
from clients.segmentation import BECAME_A_HOOKS, segments_sql
from pae_ops.errors import DomainError
from pae_ops.formatting import money, short_date
from pae_ops.money import parse_amount
from pae_ops.roles import Role, require_role
from pae_ops.services import Message, notify_each
from pae_ops.timezones import portal_today
from partners.models import Partner
from partners.services import ensure_partner_can_sell, ensure_shared_language

CENT = Decimal("0.01")
PLAN_THRESHOLD = Decimal("5000.00")
SURCHARGE_RATE = Decimal("0.12")
OVERDUE_AFTER_DAYS = 7
WORKERS = (Role.AGENT, Role.LEADER)


# Products ------------------------------------------------------------------


@transaction.atomic
def save_product(*, actor: AbstractBaseUser, product: Product) -> Product:
    """Create a product, or save changes to one (Django admin).

    A new product, or one moved to another partner, needs an active partner
    (in the directory, not paused); other changes stay possible after the
    partner was paused. A trigger refuses the same in the database
    (migration 0005). Rules: PAR-3, ROLE-1 (admins only).
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, Role.ADMIN)
    previous = (
        Product.objects.filter(pk=product.pk).values_list("partner_id", flat=True).first()
        if product.pk
        else None
    )
    if previous is None or previous != product.partner_id:
        # Lock the partner: a pause at the same moment waits (PAR-3).
        partner = Partner.objects.select_for_update().get(pk=product.partner_id)
        ensure_partner_can_sell(partner=partner)
    product.save()
    return product


# Purchases -----------------------------------------------------------------


@transaction.atomic
def create_purchase(
    *,
    actor: AbstractBaseUser,
    client_id: int,
    product_id: int,
    purchased_on: date,
    price: Decimal | None = None,
    sold_by: AbstractBaseUser | None = None,
) -> Purchase:
    """Record a purchase of a product by a client.

    Rules: PAR-3 (only products of active partners), ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    client = Client.objects.get(pk=client_id)
    product = Product.objects.select_related("partner").get(pk=product_id)
    ensure_partner_can_sell(partner=product.partner)
    if not product.is_active:
        raise DomainError(_("This product is not on sale."), rule="PAR-3")
    amount = parse_amount(product.list_price if price is None else price, field=_("The price"))
    purchase = Purchase.objects.create(
        client=client,
        product=product,
        price=amount,
        purchased_on=purchased_on,
        sold_by=sold_by,
    )
    return purchase


@transaction.atomic
def set_bilingual_resource(
    *, actor: AbstractBaseUser, purchase_id: int, resource: AbstractBaseUser | None
) -> Purchase:
    """Assign the internal bilingual resource of a purchase (PAR-4)."""
    require_role(actor, *WORKERS)
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    purchase.bilingual_resource = resource
    purchase.save(update_fields=["bilingual_resource", "updated_at"])
    return purchase


@transaction.atomic
def start_service(*, actor: AbstractBaseUser, purchase_id: int, started_on: date) -> Purchase:
    """Start the service of a purchase.

    Rules: PAY-4 (a deferred-start plan needs its 2nd installment paid),
    PAR-4 (a shared language or a bilingual resource), ROLE-1.
    Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    # Lock: a concurrent start or plan change must not interleave.
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    if purchase.status != Purchase.Status.ACTIVE:
        raise DomainError(_("Only an active purchase can start its service."))
    plan = PaymentPlan.objects.filter(purchase=purchase).first()
    if plan is not None and plan.kind == PaymentPlan.Kind.DEFERRED:
        second = plan.installments.filter(number=2).first()
        if second is None or not second.is_paid:
            raise DomainError(
                _(
                    "This purchase is on a deferred-start plan: the service starts only "
                    "once the second installment is paid."
                ),
                rule="PAY-4",
            )
    client_languages = purchase.client.languages.values_list("code", flat=True)
    partner_languages = purchase.product.partner.languages.values_list("code", flat=True)
    ensure_shared_language(
        client_languages=list(client_languages),
        partner_languages=list(partner_languages),
        bilingual_resource=purchase.bilingual_resource,
    )
    purchase.status = Purchase.Status.STARTED
    purchase.service_started_on = started_on
    purchase.save(update_fields=["status", "service_started_on", "updated_at"])
    return purchase


# Payment plans -------------------------------------------------------------


def is_plan_eligible(price: Decimal) -> bool:
    """PAY-1: strictly more than 5,000.00."""
    return price > PLAN_THRESHOLD


def split_amount(total: Decimal, count: int) -> list[Decimal]:
    """Split ``total`` into ``count`` amounts to the cent; the remainder goes last (PAY-3)."""
    if count < 1:
        raise ValueError("count must be positive")
    base = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [base] * (count - 1) + [total - base * (count - 1)]


def plan_total(price: Decimal, kind: str) -> Decimal:
    """PAY-3: price x 1.12 for a surcharge plan; PAY-4: the price for a deferred one."""
    if kind == PaymentPlan.Kind.SURCHARGE:
        return (price * (1 + SURCHARGE_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)
    return price


@dataclass(frozen=True)
class ScheduledInstallment:
    number: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class PlanProposal:
    kind: str
    price: Decimal
    total: Decimal
    surcharge: Decimal
    installments: list[ScheduledInstallment]
    delivery_ends_on: date


def propose_payment_plan(
    *,
    purchase: Purchase,
    kind: str,
    installment_count: int,
    first_due_on: date,
    interval_days: int = 30,
) -> PlanProposal:
    """Compute a plan's schedule and check it (shown before confirming).

    Rules: PAY-1, PAY-2, PAY-3, PAY-4. Raises DomainError.
    """
    if kind not in PaymentPlan.Kind.values:
        raise DomainError(_("Choose a kind of plan."))
    if not is_plan_eligible(purchase.price):
        raise DomainError(
            _(
                "A payment plan is offered only for purchases above 5,000.00 USD; "
                "this one is %(price)s."
            )
            % {"price": money(purchase.price)},
            rule="PAY-1",
        )
    if installment_count not in (2, 3):
        raise DomainError(_("A plan has 2 or 3 installments."), rule="PAY-3")
    if interval_days < 1:
        raise DomainError(_("Installments must be at least one day apart."))
    if first_due_on < purchase.purchased_on:
        raise DomainError(_("The first installment cannot fall before the purchase date."))
    delivery_ends_on = purchase.purchased_on + timedelta(days=purchase.product.delivery_period_days)
    dues = [first_due_on + timedelta(days=interval_days * n) for n in range(installment_count)]
    if dues[-1] > delivery_ends_on:
        raise DomainError(
            _(
                "The last installment (%(last)s) would fall after the end of the service's "
                "delivery period (%(end)s)."
            )
            % {"last": short_date(dues[-1]), "end": short_date(delivery_ends_on)},
            rule="PAY-2",
        )
    total = plan_total(purchase.price, kind)
    amounts = split_amount(total, installment_count)
    return PlanProposal(
        kind=kind,
        price=purchase.price,
        total=total,
        surcharge=total - purchase.price,
        installments=[
            ScheduledInstallment(number=i + 1, due_on=due, amount=amount)
            for i, (due, amount) in enumerate(zip(dues, amounts, strict=True))
        ],
        delivery_ends_on=delivery_ends_on,
    )


@transaction.atomic
def create_payment_plan(
    *,
    actor: AbstractBaseUser,
    purchase_id: int,
    kind: str,
    installment_count: int,
    first_due_on: date,
    interval_days: int = 30,
) -> PaymentPlan:
    """Put a purchase on a payment plan with its installment schedule.

    Rules: PAY-1..PAY-4, ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    # Lock: two clicks on "confirm" must not create two plans.
    purchase = (
        Purchase.objects.select_for_update(of=("self",))
        .select_related("product")
        .get(pk=purchase_id)
    )
    if PaymentPlan.objects.filter(purchase=purchase).exists():
        raise DomainError(_("This purchase already has a payment plan."))
    if purchase.status != Purchase.Status.ACTIVE:
        raise DomainError(_("Only an active purchase that has not started can get a plan."))
    if purchase.payments.exists():
        raise DomainError(_("Payments were already recorded for this purchase."))
    proposal = propose_payment_plan(
        purchase=purchase,
        kind=kind,
        installment_count=installment_count,
        first_due_on=first_due_on,
        interval_days=interval_days,
    )
    plan = PaymentPlan.objects.create(
        purchase=purchase,
        kind=kind,
        installment_count=installment_count,
        total=proposal.total,
        created_by=actor,
    )
    Installment.objects.bulk_create(
        Installment(plan=plan, number=item.number, due_on=item.due_on, amount=item.amount)
        for item in proposal.installments
    )
    return plan


# Payments ------------------------------------------------------------------


@transaction.atomic
def record_payment(
    *,
    actor: AbstractBaseUser,
    purchase_id: int,
    amount: Decimal,
    received_on: date,
    installment_id: int | None = None,
    reference: str = "",
) -> Payment:
    """Record money received for a purchase (or one of its installments).

    Recomputes the client's segment at once (SEG-4). Rules: PAY-5, SEG-4,
    ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    amount = parse_amount(amount, field=_("The amount"))
    # Lock the purchase first (parent), then the installment: two cashiers
    # recording the same payment must not both pass the "owed" check.
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    if received_on > portal_today():
        raise DomainError(_("A payment cannot be received in the future."))
    installment = None
    if installment_id is not None:
        installment = Installment.objects.select_for_update().get(
            pk=installment_id, plan__purchase=purchase
        )
        owed = installment.amount - installment.paid_amount
    else:
        plan = PaymentPlan.objects.filter(purchase=purchase).first()
        if plan is not None:
            raise DomainError(
                _("This purchase is on a plan: record the payment on an installment.")
            )
        paid = purchase.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        owed = purchase.price - paid
    if amount > owed:
        raise DomainError(
            _("The amount is more than what is owed (%(owed)s).") % {"owed": money(owed)}
        )
    payment = Payment.objects.create(
        client_id=purchase.client_id,
        purchase=purchase,
        installment=installment,
        amount=amount,
        received_on=received_on,
        recorded_by=actor,
        reference=reference,
    )
    if installment is not None:
        installment.paid_amount += amount
        fields = ["paid_amount"]
        if installment.paid_amount == installment.amount:
            installment.paid_on = received_on
            fields.append("paid_on")
        installment.save(update_fields=fields)
    Client.objects.filter(pk=purchase.client_id).update(net_paid=F("net_paid") + amount)
    recompute_client_segment(client_id=purchase.client_id, reason=_("Payment recorded"))
    return payment


def purchase_paid_amount(purchase: Purchase) -> Decimal:
    """Money received for a purchase (all its payments)."""
    return purchase.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def purchase_refundable_amount(purchase: Purchase) -> Decimal:
    """REF-6: paid for the purchase minus what was already refunded or credited back."""
    return purchase_paid_amount(purchase) - purchase.refunded_amount


def count_paid_purchases(client_id: int) -> int:
    """Purchases of the client whose payments cover their price and that were
    not refunded or cancelled since (REF-5): a purchase whose money went back,
    or became credit for another product, no longer counts as paid."""
    paid = (
        Payment.objects.filter(purchase=OuterRef("pk"))
        .values("purchase")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Purchase.objects.filter(client_id=client_id)
        .exclude(status__in=[Purchase.Status.REFUNDED, Purchase.Status.CANCELLED])
        .annotate(paid=Subquery(paid))
        .filter(paid__gte=F("price"))
        .count()
    )


@transaction.atomic
def record_refund_against_purchase(
    *,
    purchase_id: int,
    amount: Decimal,
    full: bool,
    source_key: str,
    new_status: str | None = None,
) -> Purchase:
    """Lower a purchase's paid total by a refund or a credit-back.

    Called by the refunds app once a request is approved: the request's
    service checks roles and approvals; this keeps the purchase and the
    client's net paid amount true, under a lock of the purchase so that two
    refunds racing for the same remaining amount can't both pass (REF-6,
    REF-9). ``full`` marks the purchase refunded; ``new_status`` sets another
    final status (a service change cancels it). Rules: REF-6, SEG-1, SEG-4.
    """
    amount = parse_amount(amount, field=_("The amount"))
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    remaining = purchase_refundable_amount(purchase)
    if amount > remaining:
        raise DomainError(
            _("Only %(remaining)s USD paid for this purchase can still be refunded or credited.")
            % {"remaining": money(remaining)},
            rule="REF-6",
        )
    purchase.refunded_amount += amount
    fields = ["refunded_amount", "updated_at"]
    status = Purchase.Status.REFUNDED if full else new_status
    if status and status != purchase.status:
        purchase.status = status
        fields.append("status")
    purchase._change_reason = source_key
    purchase.save(update_fields=fields)
    Client.objects.filter(pk=purchase.client_id).update(net_paid=F("net_paid") - amount)
    recompute_client_segment(client_id=purchase.client_id, reason=_("Refund recorded"))
    return purchase


@transaction.atomic
def cancel_purchase_record(*, purchase_id: int, reason: str) -> Purchase:
    """Mark a purchase cancelled (the refunds app checks RES-5 first)."""
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    if Purchase.Status.CANCELLED not in Purchase.ALLOWED_TRANSITIONS[purchase.status]:
        raise DomainError(_("This purchase can no longer be cancelled."))
    purchase.status = Purchase.Status.CANCELLED
    purchase._change_reason = reason[:100]
    purchase.save(update_fields=["status", "updated_at"])
    return purchase


def list_overdue_installments(*, today: date | None = None):
    """Installments unpaid more than 7 days after their due date (PAY-5)."""
    today = today or portal_today()
    return Installment.objects.filter(
        paid_on__isnull=True, due_on__lt=today - timedelta(days=OVERDUE_AFTER_DAYS)
    )


def alert_overdue_installments(*, today: date | None = None, batch_size: int = 500) -> int:
    """Alert each overdue installment's agent once; returns how many were alerted.

    Set-based in bounded batches (a constant number of queries per batch).
    Safe to run twice or concurrently: rows are claimed with SKIP LOCKED and
    marked in the same transaction as their notification. Rules: PAY-5.
    """
    alerted = 0
    while True:
        with transaction.atomic():
            batch = list(
                list_overdue_installments(today=today)
                .filter(overdue_alerted_at__isnull=True)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("plan__purchase__client__assigned_agent", "plan__purchase__product")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return alerted
            notify_each(
                Message(
                    recipient=item.plan.purchase.client.assigned_agent,
                    kind="installment-overdue",
                    title=format_lazy(
                        _lazy("Installment overdue: {client}"),
                        client=item.plan.purchase.client.name,
                    ),
                    body=format_lazy(
                        _lazy("Installment {number} of {product} ({amount} USD) was due on {due}."),
                        number=item.number,
                        product=item.plan.purchase.product.name,
                        amount=money(item.amount),
                        due=lazy(short_date, str)(item.due_on),
                    ),
                    url=reverse("clients:detail", args=[item.plan.purchase.client_id]),
                    dedupe_key=f"installment-overdue:{item.pk}",
                )
                for item in batch
            )
            now = timezone.now()
            for item in batch:
                item.overdue_alerted_at = now
            Installment.objects.bulk_update(batch, ["overdue_alerted_at"])
            alerted += len(batch)


# Credit --------------------------------------------------------------------


@transaction.atomic
def add_credit(
    *,
    actor: AbstractBaseUser,
    client_id: int,
    amount: Decimal,
    kind: str,
    source: str = "",
    purchase_id: int | None = None,
    source_key: str = "",
) -> CreditEntry:
    """Add credit to a client's ledger (a redemption uses :func:`redeem_credit`).

    Duplicated credit is a leader's act (REF-5). Idempotent with
    ``source_key``: the same key returns the existing entry.
    """
    require_role(actor, *WORKERS)
    if kind == CreditEntry.Kind.DUPLICATED_CREDIT:
        require_role(actor, Role.LEADER)
    return apply_credit(
        client_id=client_id,
        amount=amount,
        kind=kind,
        created_by=actor,
        source=source,
        purchase_id=purchase_id,
        source_key=source_key,
    )


@transaction.atomic
def apply_credit(
    *,
    client_id: int,
    amount: Decimal,
    kind: str,
    created_by: AbstractBaseUser,
    source: str = "",
    purchase_id: int | None = None,
    source_key: str = "",
) -> CreditEntry:
    """Write a credit line and the new balance (no role check: callers check).

    The refunds app calls it when an approved request executes. Idempotent
    with ``source_key`` (a unique constraint backs it).
    """
    if kind not in CreditEntry.Kind.values or kind == CreditEntry.Kind.REDEMPTION:
        raise DomainError(_("Choose a kind of credit."))
    amount = parse_amount(amount, field=_("The amount"))
    # Lock the client: the running balance must add up under concurrency.
    client = Client.objects.select_for_update().get(pk=client_id)
    if source_key:
        existing = CreditEntry.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    client.credit_balance += amount
    client.save(update_fields=["credit_balance", "updated_at"])
    return CreditEntry.objects.create(
        client=client,
        kind=kind,
        amount=amount,
        balance_after=client.credit_balance,
        purchase_id=purchase_id,
        source=source,
        source_key=source_key,
        created_by=created_by,
    )


@transaction.atomic
def redeem_credit(
    *,
    actor: AbstractBaseUser,
    client_id: int,
    amount: Decimal,
    purchase_id: int | None = None,
    source: str = "",
) -> CreditEntry:
    """Use part of a client's credit balance."""
    require_role(actor, *WORKERS)
    amount = parse_amount(amount, field=_("The amount"))
    client = Client.objects.select_for_update().get(pk=client_id)
    if amount > client.credit_balance:
        raise DomainError(
            _("The client has only %(balance)s in credit.")
            % {"balance": money(client.credit_balance)}
        )
    client.credit_balance -= amount
    client.save(update_fields=["credit_balance", "updated_at"])
    return CreditEntry.objects.create(
        client=client,
        kind=CreditEntry.Kind.REDEMPTION,
        amount=-amount,
        balance_after=client.credit_balance,
        purchase_id=purchase_id,
        source=source,
        created_by=actor,
    )


# Soft sales ----------------------------------------------------------------


@transaction.atomic
def record_offer(
    *, actor: AbstractBaseUser, client_id: int, product_id: int, kind: str, note: str = ""
) -> Offer:
    """Record an upsell or cross-sell offer (SAL-1)."""
    require_role(actor, *WORKERS)
    if kind not in Offer.Kind.values:
        raise DomainError(_("Choose upsell or cross-sell."), rule="SAL-1")
    product = Product.objects.select_related("partner").get(pk=product_id)
    ensure_partner_can_sell(partner=product.partner)
    return Offer.objects.create(
        client_id=client_id, product=product, kind=kind, offered_by=actor, note=note
    )


@transaction.atomic
def decide_offer(
    *,
    actor: AbstractBaseUser,
    offer_id: int,
    accepted: bool,
    purchased_on: date | None = None,
    price: Decimal | None = None,
) -> Offer:
    """Record the client's answer; an accepted offer creates the purchase,
    credited to the agent who made the offer (SAL-1)."""
    require_role(actor, *WORKERS)
    # Lock: a double click must not create two purchases.
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if offer.outcome != Offer.Outcome.PENDING:
        raise DomainError(_("This offer was already decided."), rule="SAL-1")
    if accepted:
        offer.purchase = create_purchase(
            actor=actor,
            client_id=offer.client_id,
            product_id=offer.product_id,
            purchased_on=purchased_on or portal_today(),
            price=price,
            sold_by=offer.offered_by,
        )
        offer.outcome = Offer.Outcome.ACCEPTED
    else:
        offer.outcome = Offer.Outcome.DECLINED
    offer.decided_at = timezone.now()
    offer.save(update_fields=["outcome", "purchase", "decided_at", "updated_at"])
    return offer


# Attendance ----------------------------------------------------------------


@transaction.atomic
def record_attendance(
    *, actor: AbstractBaseUser, session_id: int, client_id: int, attended: bool
) -> Attendance:
    """Record whether a client attended a live session; recompute their segment (SEG-4)."""
    require_role(actor, *WORKERS)
    session = LiveSession.objects.get(pk=session_id)
    if session.starts_at > timezone.now():
        raise DomainError(_("Attendance is recorded after the session starts."))
    attendance, _created = Attendance.objects.select_for_update().get_or_create(
        session=session,
        client_id=client_id,
        defaults={"session_starts_at": session.starts_at},
    )
    attendance.status = Attendance.Status.ATTENDED if attended else Attendance.Status.MISSED
    attendance.recorded_at = timezone.now()
    attendance.save(update_fields=["status", "recorded_at"])
    recompute_client_segment(client_id=client_id, reason=_("Attendance recorded"))
    return attendance


# Contact times ---------------------------------------------------------------


def record_client_contact(
    *,
    client_id: int,
    answered_at: datetime | None = None,
    contacted_at: datetime | None = None,
) -> None:
    """Move the client's last-answer / last-contact times forward (never back).

    Called by the cases app when an inbound (``answered_at``) or outbound
    (``contacted_at``) interaction is logged; segmentation (SEG-2) and the
    inactivity sweep read them. One UPDATE that keeps the later instant, so
    an interaction logged late for an earlier date changes nothing. These
    fields are excluded from the client's history on purpose.
    """
    changes = {}
    if answered_at is not None:
        changes["last_answered_at"] = Greatest(
            Coalesce(F("last_answered_at"), Value(answered_at)), Value(answered_at)
        )
    if contacted_at is not None:
        changes["last_contacted_at"] = Greatest(
            Coalesce(F("last_contacted_at"), Value(contacted_at)), Value(contacted_at)
        )
    if changes:
        Client.objects.filter(pk=client_id).update(**changes)


# Segments ------------------------------------------------------------------


def _became_a(client_ids: list[int]) -> None:
    """SEG-7: tell the apps to the right which clients became A (their
    leader watches the clients' open cases and refund requests)."""
    if client_ids:
        for hook in BECAME_A_HOOKS:
            hook(client_ids)


def _history_columns() -> list[str]:
    """The historical client's columns copied from the client row (simple-history
    keeps the tracked fields under the same column names)."""
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    return [
        field.column
        for field in Client.history.model._meta.concrete_fields
        if field.name not in own
    ]


def _apply_segments(*, client_ids: list[int] | None, reason_prefix: str, now: datetime) -> int:
    """Compute and store segments in ONE statement (SEG-1..4); returns the rows changed.

    ``segmentation.segments_sql`` computes every result (the same statement for
    one client and for all); ``UPDATE … FROM`` writes the clients whose stored
    result differs (segment, tiers, net paid, or never computed); ``INSERT …
    SELECT`` adds a history row, with its date and reason, for those whose
    computed segment changed (or got its first one). The clients whose segment
    in force became A (an override, SEG-5, keeps theirs) go to SEG-7's hooks.
    """
    computed, params = segments_sql(client_ids=client_ids, now=now)
    table = connection.ops.quote_name(Client._meta.db_table)
    history_table = connection.ops.quote_name(Client.history.model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _history_columns())
    in_force_before = "COALESCE(NULLIF(changed.old_override, ''), changed.old_segment)"
    in_force_now = "COALESCE(NULLIF(changed.segment_override, ''), changed.computed_segment)"
    sql = (
        f"WITH computed AS ({computed}), "  # noqa: S608
        f"changed AS (UPDATE {table} AS c SET computed_segment = x.segment, "
        "value_tier = x.value, engagement_tier = x.engagement, net_paid = x.net_paid, "
        "segment_reason = x.reason, segment_computed_at = %s "
        "FROM computed AS x "
        "WHERE c.id = x.id AND (c.segment_computed_at IS NULL "
        "OR c.computed_segment <> x.segment OR c.value_tier <> x.value "
        "OR c.engagement_tier <> x.engagement OR c.net_paid <> x.net_paid) "
        "RETURNING c.*, x.old_segment, x.old_override, x.first_time), "
        f"history AS (INSERT INTO {history_table} ({columns}, history_date, "
        "history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, %s, "
        "LEFT(CAST(%s AS text) || ': ' || changed.segment_reason, 100), '~', NULL "
        "FROM changed WHERE changed.first_time OR changed.old_segment <> changed.computed_segment "
        "RETURNING 1) "
        "SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM history), "
        f"ARRAY(SELECT changed.id FROM changed WHERE {in_force_before} <> %s "
        f"AND {in_force_now} = %s ORDER BY changed.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, now, now, str(reason_prefix), Segment.A, Segment.A])
        count, _history_rows, became_a = cursor.fetchone()
    _became_a(list(became_a))
    return count


@transaction.atomic
def recompute_client_segment(*, client_id: int, reason: str = "") -> Client:
    """Recompute one client's segment now (SEG-4), keeping history when it changes:
    the nightly statement, for one client."""
    _apply_segments(
        client_ids=[client_id], reason_prefix=reason or _("Recomputed"), now=timezone.now()
    )
    return Client.objects.get(pk=client_id)


def recompute_all_segments(*, now: datetime | None = None) -> int:
    """Recompute every client's segment set-based (SEG-4); returns how many changed."""
    with transaction.atomic():
        return _apply_segments(
            client_ids=None, reason_prefix=_("Nightly segmentation"), now=now or timezone.now()
        )


@transaction.atomic
def override_segment(
    *, actor: AbstractBaseUser, client_id: int, segment: str, reason: str
) -> Client:
    """Set a leader's segment override with a written reason (SEG-5)."""
    require_role(actor, Role.LEADER)
    if segment not in Segment.values:
        raise DomainError(_("Choose segment A, B or C."), rule="SEG-5")
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Write the reason for the override."), rule="SEG-5")
    client = Client.objects.select_for_update().get(pk=client_id)
    was_a = client.segment == Segment.A
    client.segment_override = segment
    client.override_reason = reason
    client.override_by = actor
    client.override_at = timezone.now()
    client._change_reason = _("Segment override")
    client.save(
        update_fields=[
            "segment_override",
            "override_reason",
            "override_by",
            "override_at",
            "updated_at",
        ]
    )
    if not was_a and client.segment == Segment.A:
        _became_a([client.pk])  # SEG-7
    return client


@transaction.atomic
def remove_segment_override(*, actor: AbstractBaseUser, client_id: int) -> Client:
    """Remove a leader's override; the computed segment applies again (SEG-5)."""
    require_role(actor, Role.LEADER)
    client = Client.objects.select_for_update().get(pk=client_id)
    was_a = client.segment == Segment.A
    client.segment_override = ""
    client.override_reason = ""
    client.override_by = None
    client.override_at = None
    client._change_reason = _("Segment override removed")
    client.save(
        update_fields=[
            "segment_override",
            "override_reason",
            "override_by",
            "override_at",
            "updated_at",
        ]
    )
    if not was_a and client.segment == Segment.A:
        _became_a([client.pk])  # SEG-7: the computed segment is A
    return client


# Import --------------------------------------------------------------------


@transaction.atomic
def import_clients_csv(*, actor: AbstractBaseUser, data: bytes) -> int:
    """Create the clients of a CSV file, all or nothing; returns how many.

    Raises DomainError whose ``details`` lists every bad row as
    "line N: reason" (nothing is written then). Admins only.
    """
    from clients.imports import parse_clients_csv
    from partners.models import Language

    require_role(actor, Role.ADMIN)
    parsed = parse_clients_csv(data)
    if parsed.errors:
        raise DomainError(
            _("The file was not imported: fix these rows and try again."),
            details=[
                _("line %(line)d: %(reason)s") % {"line": line, "reason": reason}
                for line, reason in parsed.errors
            ],
        )
    # With history rows, like every other change of an audited model.
    clients = bulk_create_with_history(
        [
            Client(
                name=row.name,
                email=row.email,
                phone=row.phone,
                country=row.country,
                accessibility_needs=row.accessibility_needs,
                assigned_agent_id=row.agent_id,
            )
            for row in parsed.rows
        ],
        Client,
        default_change_reason=_("CSV import"),
    )
    languages = dict(Language.objects.values_list("code", "pk"))
    through = Client.languages.through
    through.objects.bulk_create(
        through(client_id=client.pk, language_id=languages[code])
        for client, row in zip(clients, parsed.rows, strict=True)
        for code in row.language_codes
    )
    return len(clients)
