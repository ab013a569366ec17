"""Case and interaction services: TYP-1, TYP-2, SLA-1, SLA-5, COM-1, COM-6,
SEG-7, ROLE-1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from cases.models import Case, Escalation, Interaction, ResponseTemplate, TypingReason
from cases.selectors import list_no_follow_up_cases, list_untyped_interactions
from cases.services import (
    assign_case,
    close_case,
    escalate_case,
    log_interaction,
    open_case,
    reopen_case,
    resolve_case,
    resume_case,
    type_interaction,
    wait_on_client,
)
from clients.models import Client, Segment
from pae_ops.errors import DomainError
from pae_ops.models import Notification
from tests.cases.factories import TypingReasonFactory, mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(team, **kwargs):
    return ClientFactory(assigned_agent=team["agent"], **kwargs)


def _inbound(actor, client, **kwargs):
    data = {
        "actor": actor,
        "client_id": client.pk,
        "channel": Interaction.Channel.WHATSAPP,
        "direction": Interaction.Direction.INBOUND,
        "summary": "No puedo entrar a la plataforma",
    }
    return log_interaction(**{**data, **kwargs})


def _outbound(actor, case, **kwargs):
    data = {
        "actor": actor,
        "client_id": case.client_id,
        "case_id": case.pk,
        "channel": Interaction.Channel.EMAIL,
        "direction": Interaction.Direction.OUTBOUND,
        "summary": "Te envío el enlace para restablecer tu contraseña.",
    }
    return log_interaction(**{**data, **kwargs})


def _a_client(team):
    client_leader = UserFactory(leader=True)
    client = _client(
        team, leader=client_leader, segment_override=Segment.A, override_reason="Premium"
    )
    return client, client_leader


# Logging (TYP-1) -------------------------------------------------------------


def test_log_interaction_records_every_typ1_field(clock, team):
    """RULES: TYP-1. Client, channel, direction, when, who, summary, case."""
    client = _client(team)
    reason = TypingReasonFactory()
    interaction = _inbound(
        team["agent"],
        client,
        occurred_at=mx(2026, 11, 9, 9, 30),
        reason_id=reason.pk,
    )
    interaction.refresh_from_db()
    assert interaction.client == client
    assert interaction.channel == "whatsapp"
    assert interaction.direction == "inbound"
    assert interaction.occurred_at == mx(2026, 11, 9, 9, 30)
    assert interaction.handled_by == team["agent"]
    assert interaction.summary == "No puedo entrar a la plataforma"
    assert interaction.case is not None
    assert (interaction.category, interaction.reason) == (reason.category, reason)


def test_a_new_inbound_contact_without_a_case_opens_one(clock, team):
    """RULES: TYP-1, SLA-1. The case opens when the contact happened, for the
    agent who logged it, with its deadlines from that instant."""
    client = _client(team)
    interaction = _inbound(team["agent"], client, occurred_at=mx(2026, 11, 9, 9, 30))
    case = interaction.case
    assert case.status == Case.Status.NEW
    assert case.assignee == team["agent"]
    assert case.opened_at == mx(2026, 11, 9, 9, 30)
    assert case.first_response_due_at == mx(2026, 11, 9, 17, 30)
    assert case.subject == "No puedo entrar a la plataforma"


def test_an_outbound_interaction_without_a_case_opens_none(clock, team):
    """RULES: TYP-1"""
    client = _client(team)
    interaction = log_interaction(
        actor=team["agent"],
        client_id=client.pk,
        channel="phone",
        direction="outbound",
        summary="Llamada de seguimiento",
    )
    assert interaction.case is None
    assert not Case.objects.exists()


def test_the_first_outbound_answer_stops_the_first_response_clock(clock, team):
    """RULES: SLA-1. Only the first answer counts; the case moves to in progress."""
    case = _inbound(team["agent"], _client(team)).case
    clock.set(mx(2026, 11, 9, 11))
    _outbound(team["agent"], case)
    clock.set(mx(2026, 11, 9, 12))
    _outbound(team["agent"], case)
    case.refresh_from_db()
    assert case.first_responded_at == mx(2026, 11, 9, 11)
    assert case.status == Case.Status.IN_PROGRESS


def test_logging_moves_the_clients_last_answer_and_contact_times_forward(clock, team):
    """RULES: TYP-1. Inbound: last answered; outbound: last contacted; never back."""
    client = _client(team)
    case = _inbound(team["agent"], client, occurred_at=mx(2026, 11, 9, 9)).case
    _outbound(team["agent"], case, occurred_at=mx(2026, 11, 9, 9, 30))
    _inbound(team["agent"], client, case_id=case.pk, occurred_at=mx(2026, 11, 9, 9, 10))
    client = Client.objects.get(pk=client.pk)
    assert client.last_answered_at == mx(2026, 11, 9, 9, 10)
    assert client.last_contacted_at == mx(2026, 11, 9, 9, 30)
    _inbound(team["agent"], client, case_id=case.pk, occurred_at=mx(2026, 11, 9, 9, 5))
    assert Client.objects.get(pk=client.pk).last_answered_at == mx(2026, 11, 9, 9, 10)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"summary": "   "}, "TYP-1"),
        ({"channel": "fax"}, "TYP-1"),
        ({"direction": "sideways"}, "TYP-1"),
        ({"occurred_at": mx(2026, 11, 9, 10, 1)}, "TYP-1"),  # the future
        ({"summary": "x" * 5001}, "TYP-1"),
    ],
)
def test_log_interaction_refuses_bad_input_and_changes_nothing(clock, team, changes, rule):
    """RULES: TYP-1"""
    with pytest.raises(DomainError) as excinfo:
        _inbound(team["agent"], _client(team), **changes)
    assert excinfo.value.rule == rule
    assert not Interaction.objects.exists()
    assert not Case.objects.exists()


def test_log_interaction_keeps_any_unicode_summary_as_typed(clock, team):
    """RULES: TYP-1"""
    text = "Hola 👋 <script>alert(1)</script> — ñandú «cita»"
    interaction = _inbound(team["agent"], _client(team), summary=text)
    assert Interaction.objects.get(pk=interaction.pk).summary == text


def test_log_interaction_refuses_a_case_of_another_client(clock, team):
    """RULES: TYP-1"""
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(DomainError):
        _outbound(team["agent"], case, client_id=_client(team).pk)


# Typing (TYP-2) -------------------------------------------------------------


def test_inactive_reasons_cannot_be_chosen_for_new_typing(clock, team):
    """RULES: TYP-2. Neither a retired reason nor one of a retired category."""
    retired = TypingReasonFactory(is_active=False)
    with pytest.raises(DomainError) as excinfo:
        _inbound(team["agent"], _client(team), reason_id=retired.pk)
    assert excinfo.value.rule == "TYP-2"
    active_in_retired_category = TypingReasonFactory()
    active_in_retired_category.category.is_active = False
    active_in_retired_category.category.save()
    with pytest.raises(DomainError):
        _inbound(team["agent"], _client(team), reason_id=active_in_retired_category.pk)


def test_retiring_a_reason_keeps_old_typing_valid(clock, team):
    """RULES: TYP-2. An interaction typed before stays typed."""
    reason = TypingReasonFactory()
    interaction = _inbound(team["agent"], _client(team), reason_id=reason.pk)
    TypingReason.objects.filter(pk=reason.pk).update(is_active=False)
    interaction.refresh_from_db()
    assert interaction.is_typed
    assert interaction not in list_untyped_interactions(team["agent"])


def test_a_reason_must_belong_to_the_category_chosen(clock, team):
    """RULES: TYP-2"""
    reason, other = TypingReasonFactory(), TypingReasonFactory()
    with pytest.raises(DomainError) as excinfo:
        _inbound(team["agent"], _client(team), reason_id=reason.pk, category_id=other.category_id)
    assert excinfo.value.rule == "TYP-2"


def test_untyped_interactions_are_listed_until_typed(clock, team):
    """RULES: TYP-2"""
    interaction = _inbound(team["agent"], _client(team))
    assert list(list_untyped_interactions(team["agent"])) == [interaction]
    reason = TypingReasonFactory()
    type_interaction(actor=team["agent"], interaction_id=interaction.pk, reason_id=reason.pk)
    assert not list_untyped_interactions(team["agent"]).exists()
    interaction.refresh_from_db()
    assert (interaction.category, interaction.typed_at) == (reason.category, clock.now)


def test_only_the_handler_or_a_leader_types_an_interaction(clock, team):
    """RULES: TYP-2, ROLE-1"""
    interaction = _inbound(team["agent"], _client(team))
    reason = TypingReasonFactory()
    with pytest.raises(PermissionDenied):
        type_interaction(actor=team["other"], interaction_id=interaction.pk, reason_id=reason.pk)
    type_interaction(actor=team["leader"], interaction_id=interaction.pk, reason_id=reason.pk)
    assert Interaction.objects.get(pk=interaction.pk).reason == reason


# Response templates (COM-6) -------------------------------------------------------


def test_the_playbooks_service_phrases_are_seeded_as_templates():
    """RULES: COM-6. Each phrase in Spanish with its English version."""
    bodies = set(ResponseTemplate.objects.values_list("body_es", flat=True))
    assert "Gracias por compartir esto, estoy aquí para ayudarte." in bodies
    assert "Te agradezco tu paciencia, vamos a resolverlo juntos." in bodies
    assert ResponseTemplate.objects.count() >= 5
    assert not ResponseTemplate.objects.filter(body_en="").exists()


def test_a_template_answers_an_outbound_interaction(clock, team):
    """RULES: COM-6"""
    case = _inbound(team["agent"], _client(team)).case
    template = ResponseTemplate.objects.first()
    interaction = _outbound(team["agent"], case, template_id=template.pk)
    assert interaction.template == template


def test_a_template_is_refused_on_an_inbound_interaction(clock, team):
    """RULES: COM-6"""
    template = ResponseTemplate.objects.first()
    with pytest.raises(DomainError) as excinfo:
        _inbound(team["agent"], _client(team), template_id=template.pk)
    assert excinfo.value.rule == "COM-6"


# Roles (ROLE-1) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "act",
    [
        lambda actor, case: resolve_case(actor=actor, case_id=case.pk),
        lambda actor, case: escalate_case(actor=actor, case_id=case.pk, reason="Urge"),
        lambda actor, case: wait_on_client(actor=actor, case_id=case.pk),
        lambda actor, case: close_case(actor=actor, case_id=case.pk, note="Duplicado"),
        lambda actor, case: _outbound(actor, case),
    ],
)
def test_an_agent_cannot_change_a_case_assigned_to_someone_else(clock, team, act):
    """RULES: ROLE-1. Nothing changes."""
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(PermissionDenied):
        act(team["other"], case)
    case.refresh_from_db()
    assert case.status == Case.Status.NEW
    assert case.interactions.count() == 1


def test_a_leader_acts_on_every_case_and_a_director_on_none(clock, team):
    """RULES: ROLE-1"""
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(PermissionDenied):
        resolve_case(actor=team["director"], case_id=case.pk)
    resolve_case(actor=team["leader"], case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED


def test_a_partner_approver_cannot_log_or_open(clock, team):
    """RULES: ROLE-1"""
    approver = UserFactory(partner_approver=True)
    with pytest.raises(PermissionDenied):
        _inbound(approver, _client(team))
    with pytest.raises(PermissionDenied):
        open_case(actor=approver, client_id=_client(team).pk, subject="x")


def test_only_leaders_reassign(clock, team):
    """RULES: ROLE-1. The new assignee is notified."""
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(PermissionDenied):
        assign_case(actor=team["agent"], case_id=case.pk, assignee_id=team["other"].pk)
    assign_case(actor=team["leader"], case_id=case.pk, assignee_id=team["other"].pk)
    assert Case.objects.get(pk=case.pk).assignee == team["other"]
    assert Notification.objects.filter(recipient=team["other"], kind="case-assigned").exists()


def test_an_agent_opens_cases_only_for_themselves(clock, team):
    """RULES: ROLE-1"""
    client = _client(team)
    with pytest.raises(PermissionDenied):
        open_case(
            actor=team["agent"], client_id=client.pk, subject="x", assignee_id=team["other"].pk
        )
    case = open_case(actor=team["leader"], client_id=client.pk, subject="x")
    assert case.assignee == team["agent"]  # the client's agent


# Escalation (COM-1) ---------------------------------------------------------------


def test_an_agent_escalates_to_their_leader_and_the_leader_to_the_director(clock, team):
    """RULES: COM-1. Who, when, to whom and why are recorded; the level rises."""
    case = _inbound(team["agent"], _client(team)).case
    clock.set(mx(2026, 11, 9, 11))
    first = escalate_case(actor=team["agent"], case_id=case.pk, reason="Cobro duplicado")
    assert (first.level, first.escalated_by, first.escalated_to) == (
        Case.EscalationLevel.LEADER,
        team["agent"],
        team["leader"],
    )
    assert (first.created_at, first.reason) == (mx(2026, 11, 9, 11), "Cobro duplicado")
    second = escalate_case(actor=team["leader"], case_id=case.pk, reason="Monto alto")
    assert (second.level, second.escalated_to) == (Case.EscalationLevel.DIRECTOR, team["director"])
    case.refresh_from_db()
    assert (case.status, case.escalation_level) == (Case.Status.ESCALATED, 2)
    assert set(case.watchers.all()) == {team["leader"], team["director"]}
    assert Notification.objects.filter(recipient=team["director"], kind="case-escalated").exists()


def test_escalation_needs_a_reason_and_a_level_above(clock, team):
    """RULES: COM-1"""
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(DomainError) as excinfo:
        escalate_case(actor=team["agent"], case_id=case.pk, reason="  ")
    assert excinfo.value.rule == "COM-1"
    escalate_case(actor=team["agent"], case_id=case.pk, reason="Ayuda")
    with pytest.raises(DomainError) as excinfo:
        escalate_case(actor=team["agent"], case_id=case.pk, reason="Otra vez")
    assert excinfo.value.rule == "COM-1"
    assert Escalation.objects.filter(case=case).count() == 1


def test_an_agent_without_a_leader_cannot_escalate(clock, team):
    """RULES: COM-1"""
    loner = UserFactory(agent=True)
    case = _inbound(loner, ClientFactory(assigned_agent=loner)).case
    with pytest.raises(DomainError) as excinfo:
        escalate_case(actor=loner, case_id=case.pk, reason="Ayuda")
    assert excinfo.value.rule == "COM-1"


# SEG-7 -----------------------------------------------------------------------------


def test_the_a_clients_leader_watches_and_hears_of_open_escalate_and_close(clock, team):
    """RULES: SEG-7"""
    client, client_leader = _a_client(team)
    case = _inbound(team["agent"], client).case
    assert list(case.watchers.all()) == [client_leader]
    escalate_case(actor=team["agent"], case_id=case.pk, reason="Urgente")
    resolve_case(actor=team["agent"], case_id=case.pk)
    close_case(actor=team["agent"], case_id=case.pk)
    kinds = set(Notification.objects.filter(recipient=client_leader).values_list("kind", flat=True))
    assert {"case-opened", "case-escalated", "case-closed"} <= kinds


def test_a_b_clients_case_has_no_leader_watcher(clock, team):
    """RULES: SEG-7"""
    client = _client(team, leader=UserFactory(leader=True))
    case = _inbound(team["agent"], client).case
    assert not case.watchers.exists()


# Life cycle -------------------------------------------------------------------------


def test_resolve_reopen_close(clock, team):
    """RULES: SLA-2, SLA-3. Reopening needs a reason and restarts the resolution window."""
    case = _inbound(team["agent"], _client(team)).case
    clock.set(mx(2026, 11, 10, 10))
    case = resolve_case(actor=team["agent"], case_id=case.pk)
    assert case.resolved_at == mx(2026, 11, 10, 10)
    with pytest.raises(DomainError):
        reopen_case(actor=team["agent"], case_id=case.pk, reason="")
    clock.set(mx(2026, 11, 11, 10))
    case = reopen_case(actor=team["agent"], case_id=case.pk, reason="Volvió a fallar")
    assert (case.status, case.resolved_at, case.sla_cycle) == (Case.Status.IN_PROGRESS, None, 2)
    assert case.resolution_started_at == mx(2026, 11, 11, 10)
    resolve_case(actor=team["agent"], case_id=case.pk)
    case = close_case(actor=team["agent"], case_id=case.pk)
    assert case.status == Case.Status.CLOSED
    with pytest.raises(DomainError):
        reopen_case(actor=team["agent"], case_id=case.pk, reason="x")
    with pytest.raises(DomainError):
        _outbound(team["agent"], case)


def test_closing_an_unresolved_case_needs_a_note(clock, team):
    case = _inbound(team["agent"], _client(team)).case
    with pytest.raises(DomainError):
        close_case(actor=team["agent"], case_id=case.pk)
    close_case(actor=team["agent"], case_id=case.pk, note="Duplicado del caso anterior")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_waiting_on_client_resumes_when_the_client_answers(clock, team):
    """RULES: SLA-3"""
    case = _inbound(team["agent"], _client(team)).case
    wait_on_client(actor=team["agent"], case_id=case.pk)
    before = Case.objects.get(pk=case.pk)
    clock.advance(hours=1)
    _inbound(team["agent"], case.client, case_id=case.pk, summary="Ya te envié los datos")
    after = Case.objects.get(pk=case.pk)
    assert after.status == Case.Status.IN_PROGRESS
    assert after.first_response_due_at == before.first_response_due_at  # no pause
    wait_on_client(actor=team["agent"], case_id=case.pk)
    assert resume_case(actor=team["agent"], case_id=case.pk).status == Case.Status.IN_PROGRESS


def test_every_status_change_is_kept_in_the_history(clock, team):
    case = _inbound(team["agent"], _client(team)).case
    wait_on_client(actor=team["agent"], case_id=case.pk)
    resolve_case(actor=team["agent"], case_id=case.pk)
    statuses = list(case.history.order_by("history_id").values_list("status", flat=True))
    assert statuses == ["new", "waiting", "resolved"]


# No follow-up (SLA-5) ------------------------------------------------------------------


def test_an_open_case_without_activity_for_2_business_days_needs_follow_up(clock, team):
    """RULES: SLA-5. Monday 10:00 + 18 business hours = Wednesday 10:00; new
    activity takes it off the list."""
    case = _inbound(team["agent"], _client(team)).case
    assert case.follow_up_due_at == mx(2026, 11, 11, 10)
    ids = [team["agent"].pk]
    assert not list_no_follow_up_cases(assignee_ids=ids, now=mx(2026, 11, 11, 9, 59)).exists()
    assert list(list_no_follow_up_cases(assignee_ids=ids, now=mx(2026, 11, 11, 10))) == [case]
    clock.set(mx(2026, 11, 11, 11))
    _outbound(team["agent"], case)
    assert not list_no_follow_up_cases(assignee_ids=ids, now=clock.now).exists()
    case.refresh_from_db()
    assert case.follow_up_due_at == mx(2026, 11, 13, 11)


def test_resolved_cases_need_no_follow_up(clock, team):
    """RULES: SLA-5"""
    case = _inbound(team["agent"], _client(team)).case
    resolve_case(actor=team["agent"], case_id=case.pk)
    later = clock.now + timedelta(days=30)
    assert not list_no_follow_up_cases(assignee_ids=[team["agent"].pk], now=later).exists()


def test_open_case_without_a_default_calendar_says_so(clock, team):
    """RULES: BH-1"""
    from pae_ops.models import BusinessCalendar

    BusinessCalendar.objects.update(is_default=False)
    with pytest.raises(DomainError) as excinfo:
        _inbound(team["agent"], _client(team))
    assert excinfo.value.rule == "BH-1"
