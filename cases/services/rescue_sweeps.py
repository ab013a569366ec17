"""The inactivity and rescue escalation sweeps: RES-1, RES-3, SEG-7.

``sweep_inactivity`` (daily) and ``sweep_rescue_escalations`` (hourly) are
set-based, in bounded batches, safe to run twice or concurrently.

How the inactivity sweep reads a client (all in one annotated query per
batch, docs/follow-up.md):

- *silent since* = the later of their last answer (their creation when they
  never answered) and the end of their last rescue case (a closed rescue
  starts the count afresh);
- *warning*: silent for 7 days (setting) but not yet 14, no open rescue case:
  one notification to their agent per silence (a dedupe key with the
  instant the silence began);
- *rescue*: no open rescue case and silent for 14 days (setting), or the last
  two recorded live-session attendances since the last rescue are both
  missed, or three or more outbound emails since the last rescue are
  unanswered (an answer marks every earlier email answered, so three
  unanswered ones are three in a row).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from cases.clocks import first_response_deadlines, follow_up_due, resolution_deadlines
from cases.models import Case, Escalation, Interaction
from cases.selectors import get_sla_settings
from cases.services._clocks import resume_clocks
from cases.services._common import calendar_spec, case_url
from cases.services.rescue import area_members, default_rescue_area
from cases.services.sla_next import refresh_next_sla_check
from clients.models import Attendance, Client
from clients.selectors import watching_leader_ids
from pae_ops.services import Message, notify_each

User = get_user_model()

BATCH_SIZE = 1000
MAX_BATCHES = 10_000
SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)

# The inactivity sweep (RES-1) --------------------------------------------------------


@dataclass
class InactivityReport:
    warnings: int = 0
    rescue_cases: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"warnings": self.warnings, "rescue_cases": self.rescue_cases}


def _annotated_clients(now: datetime) -> QuerySet[Client]:
    """Clients with ``silent_since``, the last two recorded attendances and the
    unanswered emails since their last rescue case, and whether one is open."""
    rescue = Case.objects.filter(client=OuterRef("pk"), kind=Case.Kind.RESCUE)
    last_rescue_end = (
        rescue.filter(status_is_open=False)
        .order_by()
        .values("client")
        .annotate(end=Max(Coalesce("closed_at", "resolved_at")))
        .values("end")
    )
    recorded = Attendance.objects.filter(
        client=OuterRef("pk"),
        status__in=[Attendance.Status.ATTENDED, Attendance.Status.MISSED],
        session_starts_at__gt=OuterRef("rescue_reset_at"),
        session_starts_at__lte=now,
    ).order_by("-session_starts_at", "-pk")
    unanswered = (
        Interaction.objects.filter(
            client=OuterRef("pk"),
            direction=Interaction.Direction.OUTBOUND,
            channel=Interaction.Channel.EMAIL,
            answered_at__isnull=True,
            occurred_at__gt=OuterRef("rescue_reset_at"),
        )
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Client.objects.annotate(
        # No rescue yet = since ever (a non-null date keeps GREATEST simple).
        rescue_reset_at=Coalesce(Subquery(last_rescue_end), Value(SINCE_EVER)),
    ).annotate(
        has_open_rescue=Exists(rescue.filter(status_is_open=True)),
        silent_since=Greatest(
            Coalesce(F("last_answered_at"), F("created_at")), F("rescue_reset_at")
        ),
        last_attendance=Subquery(recorded.values("status")[:1]),
        previous_attendance=Subquery(recorded.values("status")[1:2]),
        unanswered_emails=Coalesce(Subquery(unanswered), Value(0)),
    )


def _silence_prefilter(before: datetime) -> Q:
    """An index-friendly necessary condition for ``silent_since <= before``."""
    return Q(last_answered_at__lte=before) | Q(
        last_answered_at__isnull=True, created_at__lte=before
    )


def _trigger_of(client: Client, rescue_before: datetime) -> str:
    if client.silent_since <= rescue_before:
        return Case.RescueTrigger.SILENCE
    if client.last_attendance == client.previous_attendance == Attendance.Status.MISSED:
        return Case.RescueTrigger.MISSED_SESSIONS
    return Case.RescueTrigger.UNANSWERED_EMAILS


def _warn_batch(*, now: datetime, after_pk: int, batch_size: int) -> tuple[int, int]:
    """One batch of 7-day warnings; returns (notifications written, last pk or 0)."""
    warn_before = now - timedelta(days=settings.INACTIVITY_WARNING_DAYS)
    rescue_before = now - timedelta(days=settings.INACTIVITY_RESCUE_DAYS)
    rows = list(
        _annotated_clients(now)
        .filter(_silence_prefilter(warn_before), pk__gt=after_pk)
        .filter(
            silent_since__lte=warn_before,
            silent_since__gt=rescue_before,
            has_open_rescue=False,
        )
        .select_related("assigned_agent", "leader")
        .order_by("pk")[:batch_size]
    )
    if not rows:
        return 0, 0
    messages = []
    for client in rows:
        recipient = client.assigned_agent or client.leader
        if recipient is None:
            continue
        days = (now - client.silent_since).days
        messages.append(
            Message(
                recipient=recipient,
                kind="inactivity-warning",
                title=format_lazy(
                    _lazy("{client} has not answered for {days} days"),
                    client=client.name,
                    days=days,
                ),
                url=reverse("clients:detail", args=[client.pk]),
                # One warning per silence, however often the sweep runs.
                dedupe_key=f"inactivity:{client.pk}:{client.silent_since:%Y%m%dT%H%M%S}",
            )
        )
    return notify_each(messages), rows[-1].pk


@transaction.atomic
def _rescue_batch(*, now: datetime, after_pk: int, batch_size: int, spec, sla) -> tuple[int, int]:
    """One batch of automatic rescue cases; returns (cases opened, last pk or 0)."""
    rescue_before = now - timedelta(days=settings.INACTIVITY_RESCUE_DAYS)
    candidates = (
        _annotated_clients(now)
        .filter(pk__gt=after_pk, has_open_rescue=False)
        .filter(
            Q(silent_since__lte=rescue_before)
            | Q(
                last_attendance=Attendance.Status.MISSED,
                previous_attendance=Attendance.Status.MISSED,
            )
            | Q(unanswered_emails__gte=3)
        )
        .order_by("pk")
    )
    rows = list(candidates[:batch_size])
    if not rows:
        return 0, 0
    last_pk = rows[-1].pk
    # Lock the clients: a concurrent sweep skips them instead of opening a
    # second rescue case (the partial unique constraint is the last defence).
    locked = set(
        Client.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[row.pk for row in rows])
        .values_list("pk", flat=True)
    )
    # Under the lock, drop clients whose rescue case a sweep (or a person)
    # opened meanwhile.
    locked -= set(
        Case.objects.filter(
            client_id__in=locked, kind=Case.Kind.RESCUE, status_is_open=True
        ).values_list("client_id", flat=True)
    )
    rows = [row for row in rows if row.pk in locked]
    if not rows:
        return 0, last_pk

    deadlines = {
        **asdict(first_response_deadlines(opened_at=now, spec=spec, sla=sla)),
        **asdict(resolution_deadlines(started_at=now, spec=spec, sla=sla)),
    }
    follow_up_at = follow_up_due(last_activity_at=now, spec=spec, sla=sla)
    area = default_rescue_area()
    cases: list[Case] = []
    with translation.override(settings.LANGUAGE_CODE):
        for client in rows:
            trigger = _trigger_of(client, rescue_before)
            case = Case(
                client_id=client.pk,
                subject=gettext("Rescue: %(why)s") % {"why": Case.RescueTrigger(trigger).label},
                kind=Case.Kind.RESCUE,
                status=Case.Status.NEW,
                assignee_id=client.assigned_agent_id,
                opened_by=None,
                opened_at=now,
                last_activity_at=now,
                follow_up_due_at=follow_up_at,
                calendar_name=spec.name,
                rescue_trigger=trigger,
                rescue_area=area,
                created_at=now,
                updated_at=now,
                **deadlines,
            )
            case._change_reason = gettext("Opened by the inactivity sweep.")
            cases.append(case)
    Case.objects.bulk_create(cases)
    Case.history.bulk_history_create(cases, default_date=now)

    # SEG-7: the leader of an A client watches the case (one query).
    by_client = {client.pk: client for client in rows}
    leaders = watching_leader_ids(by_client)
    watcher_rows = [
        Case.watchers.through(case_id=case.pk, user_id=leaders[case.client_id])
        for case in cases
        if case.client_id in leaders
    ]
    Case.watchers.through.objects.bulk_create(watcher_rows, ignore_conflicts=True)

    ids = {case.assignee_id for case in cases if case.assignee_id}
    ids |= {row.user_id for row in watcher_rows}
    ids |= {client.leader_id for client in rows if client.leader_id}
    users = {user.pk: user for user in User.objects.filter(pk__in=ids)}
    watchers_of = defaultdict(list)
    for row in watcher_rows:
        watchers_of[row.case_id].append(row.user_id)
    messages = []
    for case in cases:
        client = by_client[case.client_id]
        title = format_lazy(
            _lazy("Rescue case #{number} opened for {client}: {why}"),
            number=case.pk,
            client=client.name,
            why=Case.RescueTrigger(case.rescue_trigger).label,
        )
        # The agent works it; with no agent, the client's leader hears of it.
        people = [case.assignee_id or client.leader_id, *watchers_of.get(case.pk, ())]
        for user_id in dict.fromkeys(pk for pk in people if pk):
            if user_id in users:
                messages.append(
                    Message(
                        recipient=users[user_id],
                        kind="rescue-opened",
                        title=title,
                        url=case_url(case),
                        dedupe_key=f"rescue-opened:{case.pk}",
                    )
                )
    notify_each(messages)
    return len(cases), last_pk


def sweep_inactivity(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> InactivityReport:
    """Warn agents of clients silent for 7 days; open rescue cases (RES-1).

    Each batch is its own transaction, so a crash loses nothing and a second
    run (or a concurrent one) writes nothing more: warnings carry a dedupe
    key, rescue cases are opened only for clients with none open (under a
    lock, with a partial unique constraint behind it). Rules: RES-1, SEG-7.
    """
    now = now or timezone.now()
    report = InactivityReport()
    after_pk = 0
    for _batch in range(MAX_BATCHES):
        written, after_pk = _warn_batch(now=now, after_pk=after_pk, batch_size=batch_size)
        report.warnings += written
        if not after_pk:
            break
    spec, sla = calendar_spec(), get_sla_settings()
    after_pk = 0
    for _batch in range(MAX_BATCHES):
        opened, after_pk = _rescue_batch(
            now=now, after_pk=after_pk, batch_size=batch_size, spec=spec, sla=sla
        )
        report.rescue_cases += opened
        if not after_pk:
            break
    return report


# The escalation sweep (RES-3) -----------------------------------------------------


def _escalation_candidates(now: datetime) -> QuerySet[Case]:
    """Open rescue cases whose stored escalation instant passed with no answer since
    the first protocol contact."""
    return Case.objects.filter(
        kind=Case.Kind.RESCUE,
        status_is_open=True,
        rescue_escalated_at__isnull=True,
        rescue_escalate_at__lte=now,
    ).exclude(client__last_answered_at__gte=F("rescue_first_contact_at"))


@transaction.atomic
def _escalate_batch(*, now: datetime, after_pk: int, batch_size: int) -> tuple[int, int]:
    # Lock the batch: a concurrent sweep skips these cases.
    cases = list(
        _escalation_candidates(now)
        .filter(pk__gt=after_pk)
        .select_related("client")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")[:batch_size]
    )
    if not cases:
        return 0, 0
    last_pk = cases[-1].pk
    # Under the lock, keep what still qualifies (a sweep or an answer that
    # committed between the snapshot and the lock).
    still = set(
        _escalation_candidates(now)
        .filter(pk__in=[case.pk for case in cases])
        .values_list("pk", flat=True)
    )
    cases = [case for case in cases if case.pk in still]
    if not cases:
        return 0, last_pk

    areas = {case.rescue_area or default_rescue_area() for case in cases}
    members = {area: area_members(area) for area in areas}
    escalations = []
    with translation.override(settings.LANGUAGE_CODE):
        for case in cases:
            area = case.rescue_area or default_rescue_area()
            reason = gettext(
                "No answer within %(days)d days of the first rescue contact: "
                "escalated to the %(area)s area."
            ) % {
                "days": settings.RESCUE_ESCALATION_DAYS,
                "area": Case.RescueArea(area).label,
            }
            case.rescue_area = area
            case.status = Case.Status.ESCALATED
            case.rescue_escalated_at = case.rescue_escalate_at
            case.updated_at = now
            case._change_reason = reason[:100]
            escalations.append(
                Escalation(
                    case=case,
                    level=case.escalation_level,
                    source=Escalation.Source.RESCUE_AREA,
                    escalated_by=None,
                    escalated_to=None,
                    reason=reason,
                    created_at=case.rescue_escalate_at,
                )
            )
    for area in areas:
        chosen = [case for case in cases if case.rescue_area == area]
        Case.objects.filter(pk__in=[case.pk for case in chosen]).update(
            status=Case.Status.ESCALATED,
            rescue_area=area,
            rescue_escalated_at=F("rescue_escalate_at"),
            updated_at=now,
        )
    # SLA-3: a case that waited with its clocks paused stops waiting here;
    # the pause ends and its deadlines move (rare: one case at a time).
    paused = [case for case in cases if case.sla_paused_at is not None]
    moved: set[str] = set()
    for case in paused:
        moved.update(resume_clocks(case, at=now))
    if paused:
        Case.objects.bulk_update(paused, sorted(moved))
        # SLA-4: their deadlines moved; one statement for all of them.
        refresh_next_sla_check([case.pk for case in paused], now=now)
    Case.history.bulk_history_create(cases, update=True, default_date=now)
    Escalation.objects.bulk_create(escalations)
    # The area's people follow the case from now on.
    Case.watchers.through.objects.bulk_create(
        [
            Case.watchers.through(case_id=case.pk, user_id=user.pk)
            for case in cases
            for user in members[case.rescue_area]
        ],
        ignore_conflicts=True,
    )
    assignees = {
        user.pk: user
        for user in User.objects.filter(pk__in={c.assignee_id for c in cases if c.assignee_id})
    }
    messages = []
    for case in cases:
        title = format_lazy(
            _lazy("Rescue case #{number} ({client}) escalated to the {area} area: no answer"),
            number=case.pk,
            client=case.client.name,
            area=Case.RescueArea(case.rescue_area).label,
        )
        people = [*members[case.rescue_area]]
        if case.assignee_id in assignees:
            people.append(assignees[case.assignee_id])
        messages.extend(
            Message(
                recipient=person,
                kind="rescue-escalated",
                title=title,
                url=case_url(case),
                dedupe_key=f"rescue-escalated:{case.pk}",
            )
            for person in {person.pk: person for person in people}.values()
        )
    notify_each(messages)
    return len(cases), last_pk


def sweep_rescue_escalations(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Escalate rescue cases whose client stayed silent 3 days after the first
    protocol contact to their area, who is notified (RES-3); returns how many.

    The instant compared is the one stored when the first contact was logged,
    so a sweep that was down catches up with the right times; each case
    escalates once (``rescue_escalated_at``), however often this runs.
    """
    now = now or timezone.now()
    total = 0
    after_pk = 0
    for _batch in range(MAX_BATCHES):
        escalated, after_pk = _escalate_batch(now=now, after_pk=after_pk, batch_size=batch_size)
        total += escalated
        if not after_pk:
            break
    return total
