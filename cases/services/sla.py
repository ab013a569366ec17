"""The SLA sweep: warnings at 75 % and breaches, exactly once per case and window.

How it stays exactly-once, however often (or concurrently) it runs (SLA-4):

1. Each pass selects, set-based, open cases whose stored instant has passed
   and that have no ``SlaEvent`` of that window, kind and cycle yet, in
   primary-key order, ``batch_size`` at a time, and locks them with
   ``FOR UPDATE SKIP LOCKED`` (a concurrent sweep skips them).
2. Under the lock it re-reads which of them got the event meanwhile (a sweep
   that committed between this one's snapshot and its lock) and drops those.
3. It inserts the events (``occurred_at`` = the stored deadline, so a sweep
   that was down catches up with the right times) and writes the
   notifications of exactly those cases in the same transaction. The unique
   constraint on (case, window, kind, cycle) is the last defence: a
   violation rolls the whole batch back, notifications included.

A warning whose deadline has already passed when the sweep sees it is not
sent: the breach says more. Breaches notify the assignee, their leader and
the case's watchers (SEG-7), and mark the case escalated with history
rows (``bulk_history_create``) and an ``Escalation`` row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from cases.models import Case, Escalation, SlaEvent
from cases.services._common import case_url
from pae_ops.services import Message, notify_each

User = get_user_model()

BATCH_SIZE = 1000
# A safety net against a loop that could not make progress.
MAX_BATCHES_PER_PASS = 10_000


@dataclass(frozen=True)
class _Pass:
    window: str
    kind: str
    # The stored instant the event belongs to (its ``occurred_at``).
    at_field: str
    # The stored instant that ends the window (warnings stop once it passed).
    due_field: str


PASSES: tuple[_Pass, ...] = (
    _Pass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.BREACH,
        "first_response_due_at",
        "first_response_due_at",
    ),
    _Pass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.BREACH,
        "resolution_due_at",
        "resolution_due_at",
    ),
    _Pass(
        SlaEvent.Window.FIRST_RESPONSE,
        SlaEvent.Kind.WARNING,
        "first_response_warn_at",
        "first_response_due_at",
    ),
    _Pass(
        SlaEvent.Window.RESOLUTION,
        SlaEvent.Kind.WARNING,
        "resolution_warn_at",
        "resolution_due_at",
    ),
)


@dataclass
class SweepReport:
    """What one sweep recorded, per window and kind."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, step: _Pass, count: int) -> None:
        key = (str(step.window), str(step.kind))
        self.counts[key] = self.counts.get(key, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {f"{window}_{kind}": count for (window, kind), count in self.counts.items()}


def _cycle_of(step: _Pass, case: Case) -> int:
    # The first response is answered once in a case's life; the resolution
    # window restarts (a new cycle) each time the case reopens.
    return 1 if step.window == SlaEvent.Window.FIRST_RESPONSE else case.sla_cycle


def _candidates(step: _Pass, now: datetime) -> QuerySet[Case]:
    """Open cases whose ``step`` instant has passed with no event yet: set-based."""
    recorded = SlaEvent.objects.filter(case=OuterRef("pk"), window=step.window, kind=step.kind)
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        recorded = recorded.filter(cycle=1)
    else:
        recorded = recorded.filter(cycle=OuterRef("sla_cycle"))
    queryset = Case.objects.filter(status__in=Case.OPEN_STATUSES, **{f"{step.at_field}__lte": now})
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        if step.kind == SlaEvent.Kind.WARNING:
            queryset = queryset.filter(first_responded_at__isnull=True)
        else:
            # Also an answer that came late while the sweep was down.
            queryset = queryset.filter(
                Q(first_responded_at__isnull=True)
                | Q(first_responded_at__gt=F("first_response_due_at"))
            )
    if step.kind == SlaEvent.Kind.WARNING:
        queryset = queryset.filter(**{f"{step.due_field}__gt": now})
    return queryset.filter(~Exists(recorded))


def _title(step: _Pass, case: Case):
    values = {"number": case.pk, "client": case.client_name}
    if step.window == SlaEvent.Window.FIRST_RESPONSE:
        if step.kind == SlaEvent.Kind.WARNING:
            return format_lazy(
                _lazy("First response due soon: case #{number} · {client}"), **values
            )
        return format_lazy(_lazy("First response overdue: case #{number} · {client}"), **values)
    if step.kind == SlaEvent.Kind.WARNING:
        return format_lazy(_lazy("Resolution due soon: case #{number} · {client}"), **values)
    return format_lazy(_lazy("Resolution limit passed: case #{number} · {client}"), **values)


@dataclass(frozen=True)
class _People:
    """The users a batch notifies, loaded once per batch (a handful of rows)."""

    users: dict[int, object]
    leader_of: dict[int, int]
    watchers_of: dict[int, list[int]]

    @classmethod
    def load(cls, cases: list[Case], *, with_watchers: bool) -> _People:
        watchers_of: dict[int, list[int]] = defaultdict(list)
        if with_watchers:
            rows = Case.watchers.through.objects.filter(
                case_id__in=[case.pk for case in cases]
            ).values_list("case_id", "user_id")
            for case_id, user_id in rows:
                watchers_of[case_id].append(user_id)
        ids = {case.assignee_id for case in cases if case.assignee_id}
        ids.update(user_id for users in watchers_of.values() for user_id in users)
        users: dict[int, object] = {}
        leader_of: dict[int, int] = {}
        for user in User.objects.filter(pk__in=ids).select_related("profile__leader"):
            users[user.pk] = user
            profile = getattr(user, "profile", None)  # None without a profile
            if profile is not None and profile.leader_id:
                leader_of[user.pk] = profile.leader_id
                users.setdefault(profile.leader_id, profile.leader)
        return cls(users=users, leader_of=leader_of, watchers_of=dict(watchers_of))

    def for_case(self, step: _Pass, case: Case) -> list[object]:
        ids = [case.assignee_id]
        if step.kind == SlaEvent.Kind.BREACH:
            # SLA-4: the assignee and their leader; SEG-7: the watchers.
            ids.append(self.leader_of.get(case.assignee_id))
            ids.extend(self.watchers_of.get(case.pk, ()))
        unique = dict.fromkeys(pk for pk in ids if pk is not None)
        return [self.users[pk] for pk in unique if pk in self.users]


@transaction.atomic
def _sweep_batch(step: _Pass, *, now: datetime, after_pk: int, batch_size: int) -> tuple[int, int]:
    """One bounded batch of one pass; returns (events recorded, last pk seen or 0)."""
    queryset = (
        _candidates(step, now)
        .filter(pk__gt=after_pk)
        .annotate(client_name=F("client__name"))
        .order_by("pk")
    )
    # Lock the batch: a concurrent sweep (a second beat, a redelivered task)
    # skips these rows instead of recording the same events again.
    cases = list(queryset.select_for_update(skip_locked=True, of=("self",))[:batch_size])
    if not cases:
        return 0, 0
    last_pk = cases[-1].pk
    # Under the lock, drop what a sweep that committed meanwhile recorded.
    already = set(
        SlaEvent.objects.filter(
            case_id__in=[case.pk for case in cases], window=step.window, kind=step.kind
        ).values_list("case_id", "cycle")
    )
    cases = [case for case in cases if (case.pk, _cycle_of(step, case)) not in already]
    if not cases:
        return 0, last_pk

    SlaEvent.objects.bulk_create(
        [
            SlaEvent(
                case=case,
                window=step.window,
                kind=step.kind,
                cycle=_cycle_of(step, case),
                occurred_at=getattr(case, step.at_field),
                recorded_at=now,
            )
            for case in cases
        ]
    )

    people = _People.load(cases, with_watchers=step.kind == SlaEvent.Kind.BREACH)
    messages: list[Message] = []
    for case in cases:
        key = f"sla:{case.pk}:{step.window}:{step.kind}:{_cycle_of(step, case)}"
        title, url = _title(step, case), case_url(case)
        messages.extend(
            Message(
                recipient=person,
                kind=f"sla-{step.kind}",
                title=title,
                url=url,
                dedupe_key=key,
            )
            for person in people.for_case(step, case)
        )
    notify_each(messages)

    if step.kind == SlaEvent.Kind.BREACH:
        _escalate_breached(step, cases, people, now=now)
    return len(cases), last_pk


def _escalate_breached(step: _Pass, cases: list[Case], people: _People, *, now: datetime) -> None:
    """SLA-4: a breach marks the case escalated (to the assignee's leader), with history."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = (
            gettext("First-response SLA breached.")
            if step.window == SlaEvent.Window.FIRST_RESPONSE
            else gettext("Resolution SLA limit breached.")
        )
    changed: list[Case] = []
    escalations: list[Escalation] = []
    for case in cases:
        if case.status == Case.Status.ESCALATED:
            continue
        case.status = Case.Status.ESCALATED
        level = max(case.escalation_level, Case.EscalationLevel.LEADER)
        case.escalation_level = level
        case.updated_at = now
        case._change_reason = reason
        changed.append(case)
        escalations.append(
            Escalation(
                case=case,
                level=level,
                source=Escalation.Source.SLA_BREACH,
                escalated_by=None,
                escalated_to_id=people.leader_of.get(case.assignee_id),
                reason=reason,
                created_at=getattr(case, step.at_field),
            )
        )
    if changed:
        # One set-based UPDATE (every row gets the same values; the level
        # only rises to 1), then the history rows of exactly those cases from
        # the objects that mirror it: never a bulk change without history.
        # (``bulk_update_with_history`` writes the same history but builds a
        # CASE WHEN per row, several times slower for a 1,000-row batch.)
        Case.objects.filter(pk__in=[case.pk for case in changed]).update(
            status=Case.Status.ESCALATED,
            escalation_level=Greatest(F("escalation_level"), Case.EscalationLevel.LEADER),
            updated_at=now,
        )
        Case.history.bulk_history_create(changed, update=True, default_date=now)
        Escalation.objects.bulk_create(escalations)


def sweep_sla(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Record every SLA warning and breach that is due, each once; notify.

    Each batch is its own transaction, so a long catch-up holds no lock for
    long and a crash loses nothing (the next run resumes). Rules: SLA-4,
    SEG-7.
    """
    now = now or timezone.now()
    report = SweepReport()
    for step in PASSES:
        after_pk = 0
        for _batch in range(MAX_BATCHES_PER_PASS):
            recorded, after_pk = _sweep_batch(
                step, now=now, after_pk=after_pk, batch_size=batch_size
            )
            report.add(step, recorded)
            if not after_pk:
                break
    return report
