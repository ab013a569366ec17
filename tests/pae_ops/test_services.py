import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from pae_ops import services
from pae_ops.errors import DomainError
from pae_ops.models import Heartbeat, Notification, OutboxEmail, Profile
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


# notify -------------------------------------------------------------------


def test_notify_writes_one_row_per_recipient_and_enqueues_after_commit(
    django_capture_on_commit_callbacks,
):
    # given
    agent, leader = UserFactory(agent=True), UserFactory(leader=True)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        count = services.notify(recipients=[agent, leader], kind="test", title="Hola")
    # then
    assert count == 2
    rows = Notification.objects.filter(kind="test")
    assert {row.recipient_id for row in rows} == {agent.pk, leader.pk}
    assert OutboxEmail.objects.filter(notification__in=rows).count() == 2
    assert len(callbacks) == 1


def test_notify_renders_each_row_in_its_recipients_language():
    from django.utils.translation import gettext_lazy as _

    spanish = UserFactory(profile__language="es")
    english = UserFactory(profile__language="en")
    services.notify(recipients=[spanish, english], kind="test", title=_("Notifications"))
    titles = dict(Notification.objects.values_list("recipient_id", "title"))
    assert titles == {spanish.pk: "Notificaciones", english.pk: "Notifications"}


def test_notify_with_dedupe_key_writes_once_however_often_it_runs():
    agent = UserFactory(agent=True)
    first = services.notify(recipients=[agent], kind="sla", title="x", dedupe_key="case-1-warn")
    second = services.notify(recipients=[agent], kind="sla", title="x", dedupe_key="case-1-warn")
    assert (first, second) == (1, 0)
    assert Notification.objects.filter(dedupe_key="case-1-warn").count() == 1


def test_notify_skips_email_for_users_without_address(django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify(recipients=[user], kind="test", title="x")
    assert Notification.objects.exists()
    assert not OutboxEmail.objects.exists()
    assert callbacks == []


def test_notify_survives_a_broker_outage(monkeypatch, django_capture_on_commit_callbacks):
    """The rows are written and the page goes on when publishing fails."""
    from kombu.exceptions import OperationalError

    from pae_ops.tasks import relay_outbox_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(relay_outbox_task, "apply_async", broker_down)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[user], kind="test", title="x")
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING


def test_mark_notifications_read_touches_only_the_actors_rows():
    mine = NotificationFactory()
    other = NotificationFactory()
    assert services.mark_notifications_read(actor=mine.recipient) == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.is_read
    assert not other.is_read


# language and teams ---------------------------------------------------------


def test_set_user_language_keeps_it_on_the_profile():
    user = UserFactory()
    services.set_user_language(user=user, language="en")
    assert Profile.objects.get(user=user).language == "en"


def test_set_user_language_refuses_unknown_languages():
    user = UserFactory()
    with pytest.raises(DomainError):
        services.set_user_language(user=user, language="fr")
    assert Profile.objects.get(user=user).language == "es"


def test_assign_to_team_puts_an_agent_in_a_leaders_team():
    admin, leader, agent = (
        UserFactory(admin=True),
        UserFactory(leader=True),
        UserFactory(agent=True),
    )
    services.assign_to_team(actor=admin, member=agent, leader=leader)
    assert agent.profile.__class__.objects.get(user=agent).leader == leader


@pytest.mark.parametrize("who", ["agent", "self"])
def test_assign_to_team_refuses_a_leader_who_is_not_one(who):
    admin, agent = UserFactory(admin=True), UserFactory(agent=True)
    leader = UserFactory(agent=True) if who == "agent" else agent
    with pytest.raises(DomainError):
        services.assign_to_team(actor=admin, member=agent, leader=leader)
    assert Profile.objects.get(user=agent).leader is None


def test_assign_to_team_is_for_admins_only():
    """RULES: ROLE-1"""
    leader, agent = UserFactory(leader=True), UserFactory(agent=True)
    with pytest.raises(PermissionDenied):
        services.assign_to_team(actor=leader, member=agent, leader=leader)


def test_profile_constraint_refuses_a_user_leading_themselves():
    from django.db import IntegrityError

    user = UserFactory()
    with pytest.raises(IntegrityError):
        Profile.objects.filter(user=user).update(leader=user)


# heartbeat ------------------------------------------------------------------


def test_record_heartbeat_upserts_and_counts_runs():
    services.record_heartbeat(name="heartbeat", hostname="w1")
    beat = services.record_heartbeat(name="heartbeat", hostname="w2")
    assert (beat.run_count, beat.hostname) == (2, "w2")
    assert Heartbeat.objects.count() == 1


@override_settings(HEARTBEAT_STALE_MINUTES=15)
def test_heartbeat_status_is_stale_without_runs_or_after_the_limit():
    from datetime import timedelta

    from django.utils import timezone

    from pae_ops.selectors import heartbeat_status

    assert heartbeat_status().stale
    services.record_heartbeat(name="heartbeat")
    assert not heartbeat_status().stale
    Heartbeat.objects.update(last_run_at=timezone.now() - timedelta(minutes=16))
    assert heartbeat_status().stale


def test_notify_each_writes_different_messages_in_constant_queries(django_assert_num_queries):
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    from pae_ops.services import Message, notify_each

    users = [UserFactory(profile__language=lang) for lang in ("es", "en", "es")]
    messages = [
        Message(
            recipient=user,
            kind="test",
            title=format_lazy("{}: {}", _("Notifications"), n),
            dedupe_key=f"k{n}",
        )
        for n, user in enumerate(users)
    ]
    with django_assert_num_queries(5):  # profiles, savepoint, insert, emails, release
        assert notify_each(messages) == 3
    assert notify_each(messages) == 0
    titles = list(Notification.objects.order_by("recipient_id").values_list("title", flat=True))
    assert titles == ["Notificaciones: 0", "Notifications: 1", "Notificaciones: 2"]
    assert OutboxEmail.objects.count() == 3
