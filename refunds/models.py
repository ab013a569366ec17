"""Refund requests (the playbook's R1 process), their offers, approvals,
exit surveys and cancellations.

Every model keeps an audit history (REF-10); only ``refunds.services``
writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pae_ops.models import TimeStampedModel
from pae_ops.models import money_field as money


class RefundRequest(TimeStampedModel):
    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund request")
        CANCELLATION = "cancellation", _("Cancellation request")
        COMPLAINT = "complaint", _("Complaint")

    class Status(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("Diagnosis")
        OFFERS = "offers", _("Offers")
        PROPOSAL = "proposal", _("Proposal")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        EXECUTED = "executed", _("Executed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ALLOWED_TRANSITIONS = {
        Status.DIAGNOSIS: {Status.OFFERS, Status.WITHDRAWN},
        Status.OFFERS: {Status.PROPOSAL, Status.EXECUTED, Status.WITHDRAWN},
        Status.PROPOSAL: {Status.AWAITING_APPROVAL, Status.OFFERS, Status.WITHDRAWN},
        Status.AWAITING_APPROVAL: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPROVED: {Status.EXECUTED},
        Status.EXECUTED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN_STATUSES = (
        Status.DIAGNOSIS,
        Status.OFFERS,
        Status.PROPOSAL,
        Status.AWAITING_APPROVAL,
        Status.APPROVED,
    )

    class Reason(models.TextChoices):
        """REF-1: the diagnosis."""

        CONFUSION = "confusion", _("Confusion or misunderstanding about the product")
        EXPECTATIONS = "expectations", _("Expectations not aligned")
        NO_SUPPORT = "no_support", _("Lack of follow-up or support")
        OTHER = "other", _("Other")

    class Proposal(models.TextChoices):
        DUPLICATED_CREDIT = "duplicated_credit", _("Duplicated credit")
        PARTIAL_REFUND = "partial_refund", _("Partial refund")
        FULL_REFUND = "full_refund", _("Full refund")

    class Resolution(models.TextChoices):
        RETAINED = "retained", _("Client retained")
        CREDITED = "credited", _("Credit given")
        REFUNDED = "refunded", _("Money refunded")
        CANCELLED = "cancelled", _("Purchase cancelled")

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="refund_requests",
        verbose_name=_("client"),
    )
    purchase = models.ForeignKey(
        "clients.Purchase",
        on_delete=models.PROTECT,
        related_name="refund_requests",
        verbose_name=_("purchase"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_requests",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REFUND)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DIAGNOSIS
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="refund_requests_opened",
        verbose_name=_("opened by"),
    )
    client_request = models.TextField(_("what the client asks"), blank=True)
    # REF-1
    diagnosis_reason = models.CharField(
        _("diagnosis"), max_length=14, choices=Reason.choices, blank=True
    )
    diagnosis_notes = models.TextField(_("diagnosis notes"), blank=True)
    diagnosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diagnosed by"),
    )
    diagnosed_at = models.DateTimeField(_("diagnosed at"), null=True, blank=True)
    # REF-3: two or more requests in the previous 12 months.
    frequent_refund = models.BooleanField(_("frequent-refund pattern"), default=False)
    escalated_to_director = models.BooleanField(_("escalated to the director"), default=False)
    # The proposal (REF-5, REF-6, REF-8).
    proposal = models.CharField(_("proposal"), max_length=20, choices=Proposal.choices, blank=True)
    proposed_amount = money(_("proposed amount"), null=True, blank=True)
    minor_issue = models.BooleanField(_("minor or isolated issue"), default=False)
    outside_terms = models.BooleanField(_("outside the contract's refund terms"), default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    # SEG-7: the leader of an A client watches the request (set when it
    # opens, or when the client becomes A while it is open).
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="watched_refund_requests",
        verbose_name=_("watchers"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="refunds_request_client_idx"),
            models.Index(
                fields=["status", "-created_at"],
                condition=Q(status="awaiting_approval"),
                name="refunds_request_awaiting_idx",
            ),
            # KPIs: refunds executed in a period (KPI-7), and the request
            # that ended a purchase (KPI-6).
            models.Index(
                fields=["executed_at"],
                condition=Q(status="executed"),
                name="refunds_request_executed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposed_amount__isnull=True) | Q(proposed_amount__gt=0),
                name="refunds_refundrequest_amount_positive",
            ),
            # REF-5: a duplicated credit is at most 1,000.00.
            models.CheckConstraint(
                condition=~Q(proposal="duplicated_credit") | Q(proposed_amount__lte=1000),
                name="refunds_refundrequest_duplicated_credit_limit",
            ),
            models.CheckConstraint(
                condition=Q(diagnosis_reason="") | ~Q(diagnosis_notes=""),
                name="refunds_refundrequest_diagnosis_has_notes",
            ),
        ]

    def __str__(self) -> str:
        return _("Request #%(pk)s · %(client)s") % {"pk": self.pk, "client": self.client}

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def required_roles(self) -> frozenset[str]:
        """The approvals this proposal needs (REF-3, REF-5, REF-6, REF-8)."""
        roles: set[str] = set()
        if self.proposal == self.Proposal.DUPLICATED_CREDIT:
            roles.add(RefundApproval.Role.LEADER)
        elif self.proposal == self.Proposal.PARTIAL_REFUND:
            roles |= {RefundApproval.Role.LEADER, RefundApproval.Role.PARTNER}
        elif self.proposal == self.Proposal.FULL_REFUND:
            roles.add(RefundApproval.Role.LEADER)
        if self.escalated_to_director or self.outside_terms:
            roles.add(RefundApproval.Role.DIRECTOR)
        return frozenset(roles)


class RefundOffer(TimeStampedModel):
    """One resolution option offered to the client, and their answer (REF-4, RES-4)."""

    class Kind(models.TextChoices):
        SERVICE_CHANGE = "service_change", _("Service change (amount paid as credit)")
        RESCUE_SESSION = "rescue_session", _("1:1 rescue session with the partner")
        RETENTION_INCENTIVE = "retention", _("Retention incentive")

    class Answer(models.TextChoices):
        PENDING = "pending", _("Waiting for the client")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, related_name="offers", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.TextField(_("what was offered"), blank=True)
    amount = money(_("amount"), null=True, blank=True)
    answer = models.CharField(
        _("client's answer"), max_length=10, choices=Answer.choices, default=Answer.PENDING
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("offered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offer to the client")
        verbose_name_plural = _("offers to the client")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="refunds_refundoffer_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class RefundApproval(models.Model):
    """One decision by one approver in one role (ROLE-2, REF-9)."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader (area head)")
        PARTNER = "partner", _("Partner")
        DIRECTOR = "director", _("Director")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(
        RefundRequest,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("request"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="refund_approvals",
        verbose_name=_("approver"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "role"], name="refunds_approval_one_per_role"
            ),
            models.UniqueConstraint(
                fields=["request", "approver"], name="refunds_approval_one_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.get_decision_display()}"


class ExitSurvey(TimeStampedModel):
    """RES-5: sent before a cancellation completes; answered or refused."""

    request = models.OneToOneField(
        RefundRequest,
        on_delete=models.PROTECT,
        related_name="exit_survey",
        verbose_name=_("request"),
    )
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    main_reason = models.TextField(_("main reason for leaving"), blank=True)
    what_would_change = models.TextField(_("what would have kept them"), blank=True)
    refused = models.BooleanField(_("the client refused to answer"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exit survey")
        verbose_name_plural = _("exit surveys")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(refused=True) & Q(answered_at__isnull=False)),
                name="refunds_exitsurvey_answered_or_refused",
            ),
        ]

    def __str__(self) -> str:
        return str(self.request)

    @property
    def is_complete(self) -> bool:
        return self.refused or self.answered_at is not None


# Attachments live in their own module (imported here so that Django finds
# the model).
from refunds.attachments import RefundAttachment  # noqa: E402, F401
