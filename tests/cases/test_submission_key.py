"""A submitted interaction form logs at most one interaction: two clicks or a
retried request carry the form's key, the service returns the row it logged
the first time (no second case, no second clock) and a unique constraint is
the last defence."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from django.db import IntegrityError, connections, transaction
from django.urls import reverse

from cases.models import Case, Interaction
from cases.services import log_interaction
from tests.cases.factories import InteractionFactory
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


def _log(agent, customer, key, **kwargs):
    return log_interaction(
        actor=agent,
        client_id=customer.pk,
        channel="whatsapp",
        direction="inbound",
        summary="Quiero cambiar mi fecha",
        submission_key=key,
        **kwargs,
    )


def test_log_interaction_with_the_same_key_returns_the_first_row(default_calendar):
    """RULES: TYP-1, SLA-1. An inbound contact without a case, submitted twice:
    one interaction, one case (with one set of clocks)."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    key = uuid.uuid4()

    first = _log(agent, customer, key)
    again = _log(agent, customer, key)

    assert again.pk == first.pk
    assert again.case_id == first.case_id
    assert Interaction.objects.count() == 1
    assert Case.objects.count() == 1


def test_another_key_logs_another_interaction(default_calendar):
    """RULES: TYP-1. A new form (a new key) is a new contact."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    _log(agent, customer, uuid.uuid4())
    _log(agent, customer, uuid.uuid4())
    assert Interaction.objects.count() == 2


def test_a_key_is_the_submitting_agents_own(default_calendar):
    """RULES: TYP-1, ROLE-1. Another agent's key never returns their row."""
    customer = ClientFactory()
    key = uuid.uuid4()
    mine = _log(UserFactory(agent=True), customer, key)
    theirs = _log(UserFactory(agent=True), customer, key)
    assert theirs.pk != mine.pk


def test_the_database_refuses_a_second_row_with_the_same_key():
    """RULES: TYP-1. The unique constraint behind the service."""
    first = InteractionFactory(submission_key=uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(handled_by=first.handled_by, submission_key=first.submission_key)


def test_the_form_carries_a_new_key_each_time_it_renders(client):
    """RULES: TYP-1"""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    client.force_login(agent)
    url = reverse("cases:interaction-log", args=[customer.pk])
    keys = [KEY.search(client.get(url).content.decode()).group(1) for _ in range(2)]
    assert keys[0] != keys[1]


def test_a_repeated_post_logs_once_and_answers_as_the_first(client, default_calendar):
    """RULES: TYP-1. The same form posted twice (htmx, then a plain retry):
    one interaction and one case; both answers send the browser to it."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    client.force_login(agent)
    url = reverse("cases:interaction-log", args=[customer.pk])
    key = KEY.search(client.get(url).content.decode()).group(1)
    data = {
        "case": "",
        "direction": "inbound",
        "channel": "phone",
        "occurred_at": "",
        "summary": "Llamó por su factura",
        "reason": "",
        "kind": "request",
        "subject": "",
        "template": "",
        "submission_key": key,
    }

    first = client.post(url, data, HTTP_HX_REQUEST="true")
    second = client.post(url, data)

    interaction = Interaction.objects.get()
    target = reverse("cases:detail", args=[interaction.case_id])
    assert (first.status_code, first["HX-Redirect"]) == (200, target)
    assert (second.status_code, second["Location"]) == (302, target)
    assert Case.objects.count() == 1
    assert str(interaction.submission_key) == key


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_instant_log_one_interaction(role_groups, default_calendar):
    """RULES: TYP-1, SLA-1. Two real threads (two connections) submit the same
    form at once: one interaction, one case, both get the same row."""
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            results.append(_log(agent, customer, key).pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert Interaction.objects.count() == 1
    assert Case.objects.count() == 1


def test_the_same_key_with_another_contact_is_refused_not_dropped(default_calendar):
    """RULES: TYP-1. A form restored by the back button and filled again: the
    new contact is not taken for a repeat of the first; the agent is told."""
    from pae_ops.errors import DomainError

    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    key = uuid.uuid4()
    _log(agent, customer, key)

    with pytest.raises(DomainError) as excinfo:
        log_interaction(
            actor=agent,
            client_id=customer.pk,
            channel="phone",
            direction="inbound",
            summary="Otra llamada, otro tema",
            submission_key=key,
        )
    assert excinfo.value.rule == "TYP-1"
    assert Interaction.objects.count() == 1
