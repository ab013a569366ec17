"""Factories for cases, interactions, the typing taxonomy and templates.

``CaseFactory`` stores deadlines computed from ``opened_at`` with the BH-1
default calendar (built in Python, the same as the data migration's) and the
default SLA settings, as ``open_case`` would; tests that need the service's
side effects (watchers, notices) call the service instead.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases.clocks import first_response_deadlines, follow_up_due, resolution_deadlines
from cases.models import (
    Case,
    ChangeNotice,
    Interaction,
    ResponseTemplate,
    SlaCheck,
    SlaSettings,
    Survey,
    TypingCategory,
    TypingReason,
)
from pae_ops.business_hours import CalendarSpec
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

MX = ZoneInfo("America/Mexico_City")
# The BH-1 defaults, as the data migration writes the "Default" calendar.
DEFAULT_SPEC = CalendarSpec(
    tz=MX,
    intervals=dict.fromkeys(range(5), ((time(9), time(18)),)),
    holiday_country="MX",
    name="Default",
)


def mx(*args: int) -> datetime:
    return datetime(*args, tzinfo=MX)


def stored_deadlines(opened_at: datetime, *, spec: CalendarSpec = DEFAULT_SPEC) -> dict:
    """Every stored instant of a case opened at ``opened_at`` (default settings).
    Cases bulk-created with them get their next SLA check from
    :func:`store_checks`."""
    sla = SlaSettings()
    first_response = first_response_deadlines(opened_at=opened_at, spec=spec, sla=sla)
    return {
        **asdict(first_response),
        **asdict(resolution_deadlines(started_at=opened_at, spec=spec, sla=sla)),
        "last_activity_at": opened_at,
        "follow_up_due_at": follow_up_due(last_activity_at=opened_at, spec=spec, sla=sla),
        "calendar_name": spec.name,
    }


def store_checks() -> None:
    """Every case without a next SLA check gets the one ``open_case`` stores
    for a new case: its first-response warning (SLA-4). For cases written
    with ``bulk_create``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_slacheck (case_id, at)"
            " SELECT id, first_response_warn_at FROM cases_case ON CONFLICT DO NOTHING"
        )


def ensure_default_calendar():
    """The BH-1 default calendar row; transactional tests flush the migration's."""
    from pae_ops.models import BusinessCalendar, WorkingInterval

    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Default",
        defaults={"time_zone": "America/Mexico_City", "holiday_country": "MX", "is_default": True},
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=day, start_time=time(9), end_time=time(18))
            for day in range(5)
        )
    return calendar


class TypingCategoryFactory(DjangoModelFactory[TypingCategory]):
    class Meta:
        model = TypingCategory
        django_get_or_create = ("name_es",)

    name_es = factory.Sequence(lambda n: f"Categoría {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class TypingReasonFactory(DjangoModelFactory[TypingReason]):
    class Meta:
        model = TypingReason
        django_get_or_create = ("category", "name_es")

    category = factory.SubFactory(TypingCategoryFactory)
    name_es = factory.Sequence(lambda n: f"Motivo {n}")
    name_en = factory.Sequence(lambda n: f"Reason {n}")


class ResponseTemplateFactory(DjangoModelFactory[ResponseTemplate]):
    class Meta:
        model = ResponseTemplate

    name_es = factory.Sequence(lambda n: f"Plantilla {n}")
    name_en = factory.Sequence(lambda n: f"Template {n}")
    body_es = "Gracias por compartir esto, estoy aquí para ayudarte."
    body_en = "Thank you for sharing this, I am here to help you."


class CaseFactory(DjangoModelFactory[Case]):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    class Params:
        deadlines = factory.LazyAttribute(lambda o: stored_deadlines(o.opened_at))
        # SLA-4: as open_case stores it, the first-response warning.
        next_sla_check_at = factory.SelfAttribute("first_response_warn_at")

    client = factory.SubFactory(ClientFactory)
    subject = factory.Sequence(lambda n: f"Caso {n}")
    kind = Case.Kind.REQUEST
    status = Case.Status.NEW
    assignee = factory.SelfAttribute("client.assigned_agent")
    opened_by = factory.SelfAttribute("assignee")
    opened_at = factory.LazyFunction(lambda: mx(2026, 11, 9, 10))
    first_response_hours = factory.LazyAttribute(lambda o: o.deadlines["first_response_hours"])
    first_response_warn_at = factory.LazyAttribute(lambda o: o.deadlines["first_response_warn_at"])
    first_response_due_at = factory.LazyAttribute(lambda o: o.deadlines["first_response_due_at"])
    resolution_started_at = factory.LazyAttribute(lambda o: o.deadlines["resolution_started_at"])
    resolution_target_hours = factory.LazyAttribute(
        lambda o: o.deadlines["resolution_target_hours"]
    )
    resolution_limit_hours = factory.LazyAttribute(lambda o: o.deadlines["resolution_limit_hours"])
    resolution_target_at = factory.LazyAttribute(lambda o: o.deadlines["resolution_target_at"])
    resolution_warn_at = factory.LazyAttribute(lambda o: o.deadlines["resolution_warn_at"])
    resolution_due_at = factory.LazyAttribute(lambda o: o.deadlines["resolution_due_at"])
    last_activity_at = factory.LazyAttribute(lambda o: o.deadlines["last_activity_at"])
    follow_up_due_at = factory.LazyAttribute(lambda o: o.deadlines["follow_up_due_at"])
    calendar_name = "Default"
    # A case with nothing left to check has no row (next_sla_check_at=None).
    sla_check = factory.Maybe(
        "next_sla_check_at",
        yes_declaration=factory.RelatedFactory(
            "tests.cases.factories.SlaCheckFactory",
            factory_related_name="case",
            at=factory.SelfAttribute("..next_sla_check_at"),
        ),
    )


class SlaCheckFactory(DjangoModelFactory[SlaCheck]):
    class Meta:
        model = SlaCheck


class InteractionFactory(DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    client = factory.SubFactory(ClientFactory)
    case = None
    channel = Interaction.Channel.PHONE
    direction = Interaction.Direction.INBOUND
    occurred_at = factory.LazyFunction(lambda: mx(2026, 11, 9, 10))
    handled_by = factory.SubFactory(UserFactory, agent=True)
    summary = factory.Faker("sentence", nb_words=8, locale="es_MX")

    class Params:
        typed = factory.Trait(
            reason=factory.SubFactory(TypingReasonFactory),
            category=factory.SelfAttribute("reason.category"),
        )


class SurveyFactory(DjangoModelFactory[Survey]):
    """A survey sent now (the clock's now); ``answered=True`` with ``score``."""

    class Meta:
        model = Survey

    client = factory.SubFactory(ClientFactory)
    kind = Survey.Kind.CSAT
    status = Survey.Status.SENT
    agent = factory.SelfAttribute("client.assigned_agent")
    language = "es"
    sent_at = factory.LazyFunction(lambda: timezone.now())
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + timedelta(days=30))

    class Params:
        answered = factory.Trait(
            status=Survey.Status.ANSWERED,
            score=4,
            answered_at=factory.LazyAttribute(lambda o: o.sent_at + timedelta(hours=1)),
        )


class ChangeNoticeFactory(DjangoModelFactory[ChangeNotice]):
    class Meta:
        model = ChangeNotice

    kind = ChangeNotice.Kind.PRICE
    title_es = "Cambio de precio del programa"
    title_en = "Programme price change"
    body_es = "El precio del programa cambia el próximo mes."
    body_en = "The programme's price changes next month."
    effective_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    scheduled_send_at = factory.LazyFunction(lambda: timezone.now())
    created_by = factory.SubFactory(UserFactory, leader=True)
