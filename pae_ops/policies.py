"""The playbook's policies as the portal names them (the Políticas page).

Rule IDs (RULES.md) are for code, tests and docs; what users read is the
policy's name, linking to its paragraph on the Políticas page
(``policies.views.index``, ``/politicas/#<slug>``). This module is the one map
from a rule ID to that paragraph: the ``{% policy_link %}`` tag
(``pae_ops.templatetags.portal``) and ``DomainError.html`` (a refused act's
message with the link to the policy behind it) read it. Pure data: it imports
no app, so every app may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from pae_ops.links import id_url
from pae_ops.roles import STAFF_ROLES, user_roles


@dataclass(frozen=True)
class Policy:
    """One paragraph of the Políticas page: its anchor, its name and its rules."""

    slug: str
    name: str | Promise
    rules: tuple[str, ...]


@dataclass(frozen=True)
class PolicyGroup:
    """A section of the page (the playbook's policy it comes from)."""

    slug: str
    title: str | Promise
    policies: tuple[Policy, ...]


GROUPS: tuple[PolicyGroup, ...] = (
    PolicyGroup(
        "communication",
        _("Communication and service levels"),
        (
            Policy("business-hours", _("Business hours"), ("BH-1", "BH-2")),
            Policy("first-response", _("First response"), ("SLA-1",)),
            Policy("resolution", _("Resolution time"), ("SLA-2", "SLA-3")),
            Policy("deadline-warnings", _("Deadline warnings and breaches"), ("SLA-4",)),
            Policy("follow-up", _("Follow-up of every case"), ("SLA-5",)),
            Policy("escalation", _("Escalation"), ("COM-1",)),
            Policy("surveys", _("Post-attention surveys"), ("COM-2",)),
            Policy("feedback-review", _("Weekly feedback review"), ("COM-3",)),
            Policy("change-notices", _("Change notices"), ("COM-4",)),
            Policy("accessibility", _("Accessibility and languages"), ("COM-5",)),
            Policy("response-templates", _("Response templates"), ("COM-6",)),
        ),
    ),
    PolicyGroup(
        "logging",
        _("Logging and typing"),
        (
            Policy("segments", _("Client segments"), ("SEG-1", "SEG-2", "SEG-3", "SEG-4")),
            Policy("segment-override", _("Segment override"), ("SEG-5",)),
            Policy("segment-strategy", _("Strategy by segment"), ("SEG-6", "SEG-7")),
            Policy("interaction-logging", _("Logging every interaction"), ("TYP-1",)),
            Policy("typing", _("Typing"), ("TYP-2",)),
            Policy("typing-compliance", _("Typing compliance and commissions"), ("TYP-3", "TYP-4")),
        ),
    ),
    PolicyGroup(
        "retention",
        _("Retention and rescue"),
        (
            Policy("inactivity", _("Inactive clients"), ("RES-1",)),
            Policy("rescue", _("Rescue protocol"), ("RES-2", "RES-3", "RES-6")),
            Policy("retention-offers", _("Offers before a cancellation"), ("RES-4",)),
            Policy("exit-survey", _("Exit survey"), ("RES-5",)),
            Policy("detractors", _("Detractor follow-up"), ("RES-7",)),
        ),
    ),
    PolicyGroup(
        "refunds",
        _("Refunds"),
        (
            Policy("refund-diagnosis", _("Diagnosis first"), ("REF-1",)),
            Policy("refund-history", _("The client's history first"), ("REF-2",)),
            Policy("frequent-refunds", _("Frequent-refund pattern"), ("REF-3",)),
            Policy("refund-options", _("Rescue or credit before money"), ("REF-4",)),
            Policy("duplicated-credit", _("Duplicated credit"), ("REF-5",)),
            Policy("partial-refund", _("Partial refund"), ("REF-6",)),
            Policy("deferred-plans", _("No refunds on deferred-start plans"), ("REF-7",)),
            Policy("refund-terms", _("The contract's refund terms"), ("REF-8",)),
            Policy("refund-audit", _("Safe approvals and audit history"), ("REF-9", "REF-10")),
            Policy("four-eyes", _("Nobody approves their own request"), ("ROLE-2",)),
        ),
    ),
    PolicyGroup(
        "sales",
        _("Sales and payment plans"),
        (
            Policy("soft-sales", _("Soft sales"), ("SAL-1",)),
            Policy("payment-plans", _("Payment plans"), ("PAY-1", "PAY-2", "PAY-3", "PAY-4")),
            Policy("overdue-installments", _("Overdue installments"), ("PAY-5",)),
        ),
    ),
    PolicyGroup(
        "partners",
        _("Partners"),
        (
            Policy("partner-vetting", _("Partner vetting"), ("PAR-1",)),
            Policy("partner-onboarding", _("Partner onboarding"), ("PAR-2", "PAR-3")),
            Policy("bilingual-resource", _("Bilingual resource"), ("PAR-4",)),
        ),
    ),
    PolicyGroup(
        "indicators",
        _("Indicators"),
        (
            Policy(
                "kpis",
                _("How the indicators are measured"),
                tuple(f"KPI-{n}" for n in range(1, 9)),
            ),
            Policy("roles", _("Who may do what"), ("ROLE-1",)),
        ),
    ),
)

POLICIES: dict[str, Policy] = {p.slug: p for group in GROUPS for p in group.policies}
BY_RULE: dict[str, Policy] = {rule: p for p in POLICIES.values() for rule in p.rules}


def policy_for(key: str | None) -> Policy | None:
    """The policy of a slug (``"partial-refund"``) or of a rule ID (``"REF-6"``)."""
    if not key:
        return None
    return POLICIES.get(key) or BY_RULE.get(key)


def policy_url(policy: Policy) -> str:
    return f"{id_url('policies:index')}#{policy.slug}"


def may_read_policies(user) -> bool:
    """Every staff role reads the Políticas page; a partner approver does not (ROLE-1)."""
    return bool(user_roles(user) & STAFF_ROLES)


def policy_link(key: str, *, user=None, text: str | Promise | None = None) -> SafeString:
    """The policy's name (or ``text``) as a link to its paragraph.

    Plain text for a reader who may not open the page (a partner approver);
    ``key`` may be a slug or a rule ID. An unknown key is a programming error.
    """
    policy = policy_for(key)
    if policy is None:
        raise KeyError(key)
    label = text if text is not None else policy.name
    if user is not None and not may_read_policies(user):
        return format_html("{}", label)
    return format_html(
        '<a href="{}" class="policy-link" data-policy="{}">{}</a>',
        policy_url(policy),
        policy.slug,
        label,
    )
