"""Typing compliance (TYP-3, TYP-4) and month bounds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from cases.models import (
    Interaction,
)
from pae_ops.timezones import portal_zone

if TYPE_CHECKING:
    pass


COMPLIANCE_THRESHOLD = Decimal("95.0")
ONE_DECIMAL = Decimal("0.1")


# Typing compliance (TYP-3, TYP-4) --------------------------------------------


@dataclass(frozen=True)
class TypingCompliance:
    """One agent's typing over a period: counts, the % and the commission cut.

    ``compliance`` is None when the agent logged nothing (no figure, not 0 %
    or 100 %), and so is ``commission_reduction``.
    """

    agent_id: int
    logged: int
    typed: int

    @property
    def compliance(self) -> Decimal | None:
        if not self.logged:
            return None
        return (Decimal(self.typed) * 100 / Decimal(self.logged)).quantize(
            ONE_DECIMAL, rounding=ROUND_HALF_UP
        )

    @property
    def commission_reduction(self) -> Decimal | None:
        """TYP-4: 95.0 minus compliance points below 95.0 %, else 0.0."""
        compliance = self.compliance
        if compliance is None:
            return None
        if compliance >= COMPLIANCE_THRESHOLD:
            return Decimal("0.0")
        return COMPLIANCE_THRESHOLD - compliance


def typing_compliance(
    *,
    start: datetime,
    end: datetime,
    agent_ids: Iterable[int] | None = None,
) -> dict[int, TypingCompliance]:
    """Typing compliance per agent for interactions in ``[start, end)``: one query.

    With ``agent_ids`` every one of them is in the result (with no figure
    when they logged nothing); without it, every agent who logged something.
    The KPI dashboard reuses this. Rules: TYP-3, TYP-4.
    """
    queryset = Interaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    ids = None if agent_ids is None else list(agent_ids)
    if ids is not None:
        queryset = queryset.filter(handled_by_id__in=ids)
    rows = (
        queryset.order_by()
        .values("handled_by_id")
        .annotate(logged=Count("pk"), typed=Count("pk", filter=Q(reason__isnull=False)))
    )
    result = {
        row["handled_by_id"]: TypingCompliance(
            agent_id=row["handled_by_id"], logged=row["logged"], typed=row["typed"]
        )
        for row in rows
    }
    for agent_id in ids or ():
        result.setdefault(agent_id, TypingCompliance(agent_id=agent_id, logged=0, typed=0))
    return result


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware start of ``day``'s month and of the next one, in the portal's zone."""
    tz = portal_zone()
    first = day.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(following, time.min, tzinfo=tz),
    )
