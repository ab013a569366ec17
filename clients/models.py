"""Clients, products, purchases, payment plans, payments, credit and soft sales.

Money is ``DecimalField(max_digits=12, decimal_places=2)`` (USD). Rows check
what a single row can say (amounts, counts, both-or-neither fields); the
rules that span rows live in ``clients.services``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel
from pae_ops.models import money_field as money
from pae_ops.search_sql import Digits, Unaccent

ZERO = Decimal("0.00")


class Segment(models.TextChoices):
    """SEG-3."""

    A = "A", _("A · Strategic premium")
    B = "B", _("B · Growing")
    C = "C", _("C · Dormant potential / low value")


class Tier(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Client(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=80, blank=True)
    languages = models.ManyToManyField(
        "partners.Language", related_name="clients", verbose_name=_("languages spoken")
    )
    accessibility_needs = models.TextField(
        _("accessibility needs"), blank=True, help_text=_("For example ADA accommodations.")
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_clients",
        verbose_name=_("assigned agent"),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_clients",
        verbose_name=_("leader"),
    )
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    # Kept current by the cases app when an inbound interaction is logged.
    last_answered_at = models.DateTimeField(_("last answered us"), null=True, blank=True)
    # When we last reached out (for SEG-2 "answered within 7 days").
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True)

    # SEG-1..3, computed by clients.services.compute_segments.
    value_tier = models.CharField(
        _("value tier"), max_length=6, choices=Tier.choices, default=Tier.LOW
    )
    engagement_tier = models.CharField(
        _("engagement tier"), max_length=6, choices=Tier.choices, default=Tier.LOW
    )
    computed_segment = models.CharField(
        _("computed segment"), max_length=1, choices=Segment.choices, default=Segment.C
    )
    segment_computed_at = models.DateTimeField(_("segment computed at"), null=True, blank=True)
    segment_reason = models.CharField(_("reason of the segment"), max_length=300, blank=True)
    # SEG-5: a leader's override, kept until a leader removes it.
    segment_override = models.CharField(
        _("segment override"), max_length=1, choices=Segment.choices, blank=True
    )
    override_reason = models.TextField(_("override reason"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    # The sum of the credit ledger, kept by the ledger's services.
    credit_balance = money(_("credit balance"), default=ZERO)
    net_paid = money(_("net paid"), default=ZERO)

    history = HistoricalRecords(
        excluded_fields=["last_answered_at", "last_contacted_at", "updated_at"]
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["assigned_agent", "name"], name="clients_client_agent_idx"),
            # The client list's order (Meta.ordering): a page of 25 is an
            # index range, not a sort of every client.
            models.Index(fields=["name", "id"], name="clients_client_name_idx"),
            # No index on computed_segment: every portal read filters on the
            # segment in force (override OR computed), which no index of one
            # column serves, and without it segmentation rewrites a client's
            # row in place, touching no index (migration 0009, docs/clients.md).
            models.Index(fields=["last_answered_at"], name="clients_client_answered_idx"),
            # The navigation bar's search (cases.search): name without
            # accents, email and the phone's digits, any part of each.
            GinIndex(
                OpClass(Unaccent("name"), name="gin_trgm_ops"), name="clients_client_name_trgm"
            ),
            GinIndex(OpClass(F("email"), name="gin_trgm_ops"), name="clients_client_email_trgm"),
            GinIndex(
                OpClass(Digits("phone"), name="gin_trgm_ops"), name="clients_client_phone_trgm"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_balance__gte=0), name="clients_client_credit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(segment_override="") | ~Q(override_reason=""),
                name="clients_client_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def segment(self) -> str:
        """The segment in force: the override when a leader set one (SEG-5)."""
        return self.segment_override or self.computed_segment

    def get_segment_display_label(self) -> str:
        return Segment(self.segment).label


class Product(TimeStampedModel):
    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        PROGRAMME = "programme", _("Programme")
        PREMIUM = "premium", _("Premium service")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    list_price = money(_("list price"))
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("partner"),
    )
    delivery_period_days = models.PositiveIntegerField(_("delivery period (days)"))
    guarantee_period_days = models.PositiveIntegerField(_("guarantee period (days)"), default=30)
    # REF-8: the refund terms of the partner contract.
    refundable = models.BooleanField(_("refundable"), default=True)
    refund_window_days = models.PositiveIntegerField(_("refund window (days)"), default=30)
    is_active = models.BooleanField(_("on sale"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gt=0), name="clients_product_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(delivery_period_days__gt=0), name="clients_product_delivery_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Purchase(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    ALLOWED_TRANSITIONS = {
        Status.ACTIVE: {Status.STARTED, Status.CANCELLED, Status.REFUNDED},
        Status.STARTED: {Status.COMPLETED, Status.CANCELLED, Status.REFUNDED},
        Status.COMPLETED: {Status.REFUNDED},
        Status.CANCELLED: set(),
        Status.REFUNDED: set(),
    }

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("client")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("product")
    )
    price = money(_("price"))
    purchased_on = models.DateField(_("purchase date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    service_started_on = models.DateField(_("service start"), null=True, blank=True)
    # PAR-4: someone who speaks both the client's and the partner's language.
    bilingual_resource = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bilingual_purchases",
        verbose_name=_("bilingual resource"),
    )
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        verbose_name=_("sold by"),
    )
    # Refunded or credited back for this purchase (REF-6 limit; SEG-1 net paid).
    refunded_amount = money(_("refunded"), default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_on", "-id"]
        indexes = [
            models.Index(fields=["client", "-purchased_on"], name="clients_purchase_client_idx"),
            # KPIs: sales of a period (KPI-1), and guarantees ending in a
            # period per product (KPI-6, a nested loop over products).
            models.Index(fields=["purchased_on"], name="clients_purchase_date_idx"),
            models.Index(fields=["product", "purchased_on"], name="clients_purchase_prod_date_idx"),
            # KPIs: the purchases written since the roll-up's last refresh.
            models.Index(fields=["created_at"], name="clients_purchase_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gt=0), name="clients_purchase_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("price")),
                name="clients_purchase_refund_within_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.client}"


class PaymentPlan(TimeStampedModel):
    class Kind(models.TextChoices):
        SURCHARGE = "surcharge", _("Surcharge (12 %, 2 or 3 installments)")
        DEFERRED = "deferred", _("Deferred start (no surcharge)")

    purchase = models.OneToOneField(
        Purchase, on_delete=models.PROTECT, related_name="plan", verbose_name=_("purchase")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    installment_count = models.PositiveSmallIntegerField(_("installments"))
    total = money(_("total"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(installment_count__gte=2) & Q(installment_count__lte=3),
                name="clients_paymentplan_two_or_three_installments",
            ),
            models.CheckConstraint(
                condition=Q(total__gt=5000), name="clients_paymentplan_above_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.purchase}"


class Installment(models.Model):
    plan = models.ForeignKey(
        PaymentPlan, on_delete=models.CASCADE, related_name="installments", verbose_name=_("plan")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due date"))
    amount = money(_("amount"))
    paid_amount = money(_("paid"), default=ZERO)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # PAY-5: the overdue alert is sent once per installment.
    overdue_alerted_at = models.DateTimeField(_("overdue alert sent"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["plan", "number"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(paid_on__isnull=True),
                name="clients_installment_open_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="clients_installment_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="clients_installment_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                name="clients_installment_paid_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(paid_amount=F("amount")),
                name="clients_installment_paid_on_when_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}/{self.plan.installment_count}"

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


class Payment(TimeStampedModel):
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="payments", verbose_name=_("client")
    )
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, related_name="payments", verbose_name=_("purchase")
    )
    installment = models.ForeignKey(
        Installment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("installment"),
    )
    amount = money(_("amount"))
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["received_on"], name="clients_payment_received_idx"),
            models.Index(fields=["client", "received_on"], name="clients_payment_client_idx"),
            # KPIs: the payments written since the roll-up's last refresh.
            models.Index(fields=["created_at"], name="clients_payment_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clients_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} · {self.client}"


class CreditEntry(models.Model):
    """One line of a client's credit ledger; the balance is their sum."""

    class Kind(models.TextChoices):
        SERVICE_CHANGE = "service_change", _("Service change")
        DUPLICATED_CREDIT = "duplicated_credit", _("Duplicated credit")
        RETENTION_INCENTIVE = "retention", _("Retention incentive")
        REDEMPTION = "redemption", _("Redemption")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="credit_entries", verbose_name=_("client")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Positive for credit given, negative for a redemption.
    amount = money(_("amount"))
    balance_after = money(_("balance after"))
    purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
        verbose_name=_("purchase"),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    # Idempotency: one ledger line per source act (e.g. "refund:42").
    source_key = models.CharField(_("source key"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit ledger")
        ordering = ["-created_at", "-id"]
        # KPIs: credit given in a period (KPI-7).
        indexes = [models.Index(fields=["created_at"], name="clients_credit_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="redemption") & Q(amount__lt=0))
                | (~Q(kind="redemption") & Q(amount__gt=0)),
                name="clients_creditentry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="clients_creditentry_balance_not_negative"
            ),
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="clients_creditentry_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class Offer(TimeStampedModel):
    """SAL-1: an upsell or cross-sell offer and its outcome."""

    class Kind(models.TextChoices):
        UPSELL = "upsell", _("Upsell")
        CROSS_SELL = "cross_sell", _("Cross-sell")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    ALLOWED_TRANSITIONS = {
        Outcome.PENDING: {Outcome.ACCEPTED, Outcome.DECLINED},
        Outcome.ACCEPTED: set(),
        Outcome.DECLINED: set(),
    }

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="offers", verbose_name=_("client")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="offers", verbose_name=_("product")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="offers_made",
        verbose_name=_("offered by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    purchase = models.OneToOneField(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offer",
        verbose_name=_("purchase"),
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["outcome", "decided_at"], name="clients_offer_outcome_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="accepted") | Q(purchase__isnull=False),
                name="clients_offer_accepted_has_purchase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.product}"


class LiveSession(TimeStampedModel):
    """A live session clients are scheduled for (SEG-2 participation, RES-1)."""

    title = models.CharField(_("title"), max_length=200)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("product"),
    )
    starts_at = models.DateTimeField(_("starts at"))

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ATTENDED = "attended", _("Attended")
        MISSED = "missed", _("Missed")

    session = models.ForeignKey(
        LiveSession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("live session"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("client")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    session_starts_at = models.DateTimeField(_("session starts at"))
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["-session_starts_at"]
        indexes = [
            models.Index(
                fields=["client", "-session_starts_at"], name="clients_attendance_client_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], name="clients_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.session}"
