"""Reads about clients: the list, permission-aware fetches and the 360 page.

Rules: ROLE-1 (``access_*``), SEG-5, SEG-6, COM-5 (what the pages show).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients.models import (
    Attendance,
    Client,
    CreditEntry,
    Installment,
    Offer,
    Purchase,
    Segment,
)
from pae_ops.roles import Role, has_role
from pae_ops.selectors import get_team_leader
from pae_ops.timezones import portal_today

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clients.filters import ClientFilter

# Who may read a client at all; partner approvers never do (ROLE-1).
CLIENT_READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR, Role.ADMIN)
RECENT_ROWS = 10

# SEG-6: the strategy of each segment, shown where the agent works.
SEGMENT_STRATEGIES: dict[str, list[Promise]] = {
    Segment.A: [
        _("VIP benefits"),
        _("Loyalty programme"),
        _("Exclusive invitations"),
        _("Recognition"),
        _("Always include your leader"),
    ],
    Segment.B: [
        _("Upsell and cross-sell"),
        _("Personalised follow-up"),
        _("Challenges"),
        _("Community"),
        _("Mentoring"),
    ],
    Segment.C: [
        _("Automated follow-up"),
        _("Free trials"),
        _("Rescue or recovery campaigns"),
    ],
}


class InstallmentState:
    """What the pages call an installment: paid, due (not yet) or overdue.

    "Overdue" here means its due date has passed unpaid; the PAY-5 alert
    waits 7 more days (``services.list_overdue_installments``).
    """

    PAID = "paid"
    DUE = "due"
    OVERDUE = "overdue"


def _installments(today: date) -> QuerySet[Installment]:
    """Installments in number order, each with its ``state`` computed in SQL."""
    return Installment.objects.annotate(
        state=Case(
            When(paid_on__isnull=False, then=Value(InstallmentState.PAID)),
            When(due_on__lt=today, then=Value(InstallmentState.OVERDUE)),
            default=Value(InstallmentState.DUE),
            output_field=CharField(),
        )
    ).order_by("number")


def list_clients(*, filters: ClientFilter | None = None) -> QuerySet[Client]:
    """Clients for the list page, with what each row shows (agent, languages).

    ``filters`` is a bound :class:`clients.filters.ClientFilter`; values that
    do not validate are ignored, like django-filter's own ``qs``.
    """
    queryset = (
        Client.objects.select_related("assigned_agent")
        .prefetch_related("languages")
        .order_by("name", "id")
    )
    if filters is not None and filters.is_bound:
        filters.is_valid()  # fills cleaned_data with the values that validate
        queryset = filters.filter_queryset(queryset)
    return queryset


# SEG-7: the client's leader ----------------------------------------------------


def client_leader(client: Client) -> AbstractBaseUser | None:
    """The client's leader: ``Client.leader`` when set, else the leader of the
    assigned agent's team (``Profile.leader``); None without either.

    The one meaning of "the client's leader" for SEG-7 (cases and refund
    requests alike) and for who is asked to approve a client's request.
    At most one query (none when ``Client.leader`` is set and selected).
    """
    if client.leader_id:
        return client.leader
    if client.assigned_agent_id:
        return get_team_leader(client.assigned_agent)
    return None


def watching_leader(client: Client) -> AbstractBaseUser | None:
    """SEG-7: the leader who watches the client's cases and refund requests:
    the client's leader when the segment in force is A, else None."""
    return client_leader(client) if client.segment == Segment.A else None


def segment_a_q(prefix: str = "") -> Q:
    """Clients whose segment in force (the override, else the computed one) is A."""
    return Q(**{f"{prefix}segment_override": Segment.A}) | Q(
        **{f"{prefix}segment_override": "", f"{prefix}computed_segment": Segment.A}
    )


def watching_leader_ids(client_ids: Iterable[int]) -> dict[int, int]:
    """:func:`watching_leader` for many clients in one query: client id ->
    leader id, for the A clients among ``client_ids`` that have a leader."""
    rows = (
        Client.objects.filter(segment_a_q(), pk__in=list(client_ids))
        .annotate(watcher_id=Coalesce("leader_id", "assigned_agent__profile__leader_id"))
        .filter(watcher_id__isnull=False)
        .values_list("pk", "watcher_id")
    )
    return dict(rows)


def _ensure_reader(actor: AbstractBaseUser | AnonymousUser | None) -> None:
    # 404 rather than 403: a partner approver learns nothing about clients.
    if not has_role(actor, *CLIENT_READERS):
        raise Http404


def access_client(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> Client:
    """The client ``pk`` for a staff user; 404 for anyone else (ROLE-1).

    Agents, leaders and directors see every client (RULES, Roles).
    """
    _ensure_reader(actor)
    client = (
        Client.objects.select_related("assigned_agent", "leader", "override_by")
        .prefetch_related("languages")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        raise Http404
    return client


def access_purchase(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> Purchase:
    """The purchase ``pk`` with its client, product, partner and plan; 404 as
    :func:`access_client`. ``purchase.plan_installments`` lists the plan's
    installments (empty without a plan), each with its ``state``."""
    _ensure_reader(actor)
    purchase = (
        Purchase.objects.select_related(
            "client__assigned_agent", "product__partner", "plan", "bilingual_resource"
        )
        .prefetch_related(
            "client__languages",
            Prefetch(
                "plan__installments",
                queryset=_installments(portal_today()),
                to_attr="plan_installments",
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if purchase is None:
        raise Http404
    _attach_installments([purchase])
    return purchase


def _attach_installments(purchases: list[Purchase]) -> None:
    # Without a plan there is nothing to prefetch into; give every purchase
    # the attribute so that templates read one name. (A missing reverse
    # one-to-one raises an AttributeError subclass, hence getattr.)
    for purchase in purchases:
        plan = getattr(purchase, "plan", None)
        purchase.plan_installments = plan.plan_installments if plan is not None else []


@dataclass(frozen=True)
class Client360:
    """Everything the client 360 page shows, read in a fixed number of queries."""

    client: Client
    segment: str
    strategies: list[Promise]
    purchases: list[Purchase]
    credit_entries: list[CreditEntry]
    offers: list[Offer]
    attendances: list[Attendance]


def client_360(client: Client) -> Client360:
    """The client's purchases (product, partner, plan, installments), the
    last credit entries, the offers and the last attendances (SEG-6: with the
    strategy of the segment in force). Six queries whatever the row counts."""
    purchases = list(
        client.purchases.select_related("product__partner", "plan").prefetch_related(
            Prefetch(
                "plan__installments",
                queryset=_installments(portal_today()),
                to_attr="plan_installments",
            )
        )
    )
    _attach_installments(purchases)
    return Client360(
        client=client,
        segment=client.segment,
        strategies=SEGMENT_STRATEGIES[client.segment],
        purchases=purchases,
        credit_entries=list(client.credit_entries.select_related("purchase")[:RECENT_ROWS]),
        offers=list(client.offers.select_related("product", "offered_by")),
        attendances=list(client.attendances.select_related("session")[:RECENT_ROWS]),
    )
