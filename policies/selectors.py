"""The values in force that the Políticas page states.

Each number is read where the portal reads it when it applies the rule: the
SLA settings row an admin edits (``cases.SlaSettings``), the default business
calendar, the deployment's settings (``pae_ops.settings``, from the
environment) and the services' own constants. Nothing here is a copy of a
number: change the setting and the page says the new value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from cases.selectors import COMPLIANCE_THRESHOLD, get_sla_settings
from clients.segmentation import (
    ANSWER_WITHIN,
    HIGH_VALUE,
    LATE_TOLERANCE_DAYS,
    MEDIUM_VALUE,
    PARTICIPATION_WINDOW,
)
from clients.services import OVERDUE_AFTER_DAYS, PLAN_THRESHOLD, SURCHARGE_RATE
from pae_ops.models import BusinessCalendar
from refunds.services import DUPLICATED_CREDIT_LIMIT


@dataclass(frozen=True)
class PolicyValues:
    first_response_hours: Decimal
    resolution_target_hours: Decimal
    resolution_limit_hours: Decimal
    warning_percent: int
    no_follow_up_hours: Decimal
    pause_while_waiting: bool
    calendar_name: str
    calendar_time_zone: str
    calendar_holidays: str
    survey_link_days: int
    change_notice_days: int
    change_notice_emergency_hours: int
    inactivity_warning_days: int
    inactivity_rescue_days: int
    rescue_escalation_days: int
    refund_frequent_count: int
    refund_frequent_window_days: int
    duplicated_credit_limit: Decimal
    plan_threshold: Decimal
    surcharge_percent: Decimal
    overdue_after_days: int
    high_value: Decimal
    medium_value: Decimal
    participation_days: int
    answer_within_days: int
    late_tolerance_days: int
    compliance_threshold: Decimal

    @property
    def example_reduction(self) -> Decimal:
        """The commission reduction of a 90.0 % compliance (the page's example)."""
        return max(self.compliance_threshold - Decimal("90.0"), Decimal("0"))


def policy_values() -> PolicyValues:
    """Two queries: the SLA settings row and the default calendar."""
    sla = get_sla_settings()
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    return PolicyValues(
        first_response_hours=sla.first_response_hours,
        resolution_target_hours=sla.resolution_target_hours,
        resolution_limit_hours=sla.resolution_limit_hours,
        warning_percent=sla.warning_percent,
        no_follow_up_hours=sla.no_follow_up_hours,
        pause_while_waiting=sla.pause_while_waiting,
        calendar_name=calendar.name if calendar else "",
        calendar_time_zone=calendar.time_zone if calendar else settings.TIME_ZONE,
        calendar_holidays=calendar.holiday_country if calendar else "",
        survey_link_days=settings.SURVEY_LINK_DAYS,
        change_notice_days=settings.CHANGE_NOTICE_MIN_DAYS,
        change_notice_emergency_hours=settings.CHANGE_NOTICE_EMERGENCY_MIN_HOURS,
        inactivity_warning_days=settings.INACTIVITY_WARNING_DAYS,
        inactivity_rescue_days=settings.INACTIVITY_RESCUE_DAYS,
        rescue_escalation_days=settings.RESCUE_ESCALATION_DAYS,
        refund_frequent_count=settings.REFUND_FREQUENT_COUNT,
        refund_frequent_window_days=settings.REFUND_FREQUENT_WINDOW_DAYS,
        duplicated_credit_limit=DUPLICATED_CREDIT_LIMIT,
        plan_threshold=PLAN_THRESHOLD,
        surcharge_percent=SURCHARGE_RATE * 100,
        overdue_after_days=OVERDUE_AFTER_DAYS,
        high_value=HIGH_VALUE,
        medium_value=MEDIUM_VALUE,
        participation_days=PARTICIPATION_WINDOW.days,
        answer_within_days=ANSWER_WITHIN.days,
        late_tolerance_days=LATE_TOLERANCE_DAYS,
        compliance_threshold=COMPLIANCE_THRESHOLD,
    )
