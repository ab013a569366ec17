"""Each user's time zone: pages and emails in it, business days in the
calendar's zone whoever looks."""

from __future__ import annotations

import zoneinfo
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from pae_ops.accounts import services
from pae_ops.timezones import portal_today
from tests.cases.factories import CaseFactory, ensure_default_calendar, mx
from tests.clients.factories import ClientFactory
from tests.factories import UserFactory
from tests.kpis import factories as build

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
MEXICO = zoneinfo.ZoneInfo("America/Mexico_City")


def shown(instant, zone) -> str:
    with translation.override("es"):
        return date_format(timezone.localtime(instant, zone), "SHORT_DATETIME_FORMAT")


def test_a_user_in_another_zone_sees_the_deadline_in_theirs_and_the_why_in_the_calendars(client):
    """RULES: BH-2. The due time on the viewer's clock, the calendar's beside
    it; the explanation keeps the calendar's wall clock."""
    ensure_default_calendar()
    agent = UserFactory(agent=True, profile__time_zone="Asia/Tokyo")
    # Opened Monday 9 Nov 2026 10:00 in Mexico City: first response due 18:00 there.
    case = CaseFactory(client=ClientFactory(assigned_agent=agent), opened_at=mx(2026, 11, 9, 10))
    client.force_login(agent)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    due = case.first_response_due_at
    assert timezone.localtime(due, MEXICO).hour == 18
    block = page.split('data-testid="due-first_response"', 1)[1].split("</p>", 1)[0]
    assert shown(due, TOKYO) in block  # 10/11/2026 09:00 in Tokyo
    assert f"{shown(due, MEXICO)} America/Mexico_City" in block
    why = page.split('data-testid="why-first_response"', 1)[1].split("</details>", 1)[0]
    assert "10:00–18:00" in why  # the business interval counted, in Mexico City
    assert shown(case.opened_at, MEXICO) in why


def test_a_user_in_the_calendars_zone_sees_the_deadline_once(client):
    ensure_default_calendar()
    agent = UserFactory(agent=True)
    case = CaseFactory(client=ClientFactory(assigned_agent=agent), opened_at=mx(2026, 11, 9, 10))
    client.force_login(agent)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    block = page.split('data-testid="due-first_response"', 1)[1].split("</p>", 1)[0]
    assert shown(case.first_response_due_at, MEXICO) in block
    assert "data-calendar-time" not in block


def test_every_page_shows_times_in_the_users_zone(client):
    from tests.factories import NotificationFactory

    agent = UserFactory(agent=True, profile__time_zone="Asia/Tokyo")
    note = NotificationFactory(recipient=agent)
    client.force_login(agent)
    page = client.get(reverse("notifications")).content.decode()
    assert shown(note.created_at, TOKYO) in page


def test_the_time_zone_takes_effect_on_the_next_page(client):
    agent = UserFactory(agent=True)
    client.force_login(agent)
    client.get(reverse("my-work"))
    client.post(reverse("accounts:time-zone"), {"time_zone": "Asia/Tokyo"})
    response = client.get(reverse("accounts:account"))
    assert 'value="Asia/Tokyo" selected' in response.content.decode()
    assert response.wsgi_request.session["pae_ops_time_zone"] == "Asia/Tokyo"


def test_business_days_are_counted_in_the_calendars_zone_whoever_looks(monkeypatch):
    """At 20:00 on 31 Oct in Mexico City it is already 1 Nov in Tokyo: a
    Tokyo user's request still counts 31 Oct as today."""
    monkeypatch.setattr(timezone, "now", lambda: mx(2026, 10, 31, 20))
    with timezone.override(TOKYO):
        assert timezone.localdate() == date(2026, 11, 1)
        assert portal_today() == date(2026, 10, 31)


def test_kpis_count_days_in_the_calendars_zone_whatever_the_viewers_zone(client):
    """RULES: KPI-7. A case opened at 20:00 on 31 Oct in Mexico City (1 Nov
    in Tokyo) counts in October for a director in Tokyo as for one in Mexico."""
    day = date(2026, 10, 31)
    agent = UserFactory(agent=True)
    customer = ClientFactory(assigned_agent=agent)
    build.case(opened=build.at(day, 20), client=customer, assignee=agent)
    build.interaction(when=build.at(day, 20), agent=agent, client=customer)
    sale = build.purchase(on=day, client=customer)
    build.pay(sale, on=day, amount="100.00")
    exports = []
    for zone in ("Asia/Tokyo", ""):
        director = UserFactory(director=True, profile__time_zone=zone)
        client.force_login(director)
        response = client.get(reverse("kpis:export", args=["summary"]), {"month": "2026-10"})
        exports.append(response.content.decode())
    assert exports[0] == exports[1]
    november = client.get(reverse("kpis:export", args=["summary"]), {"month": "2026-11"})
    assert november.content.decode() != exports[1]


def test_account_emails_show_times_in_the_users_zone(django_capture_on_commit_callbacks):
    user = UserFactory(partner_approver=True, profile__time_zone="Asia/Tokyo")
    from tests.accounts.helpers import send_outbox

    invitation = services.send_invitation(actor=UserFactory(admin=True), user_id=user.pk)
    send_outbox()
    body = mail.outbox[0].body
    with translation.override("es"):
        expected = date_format(timezone.localtime(invitation.expires_at, TOKYO), "DATETIME_FORMAT")
    assert f"{expected} (Asia/Tokyo)" in body


def test_a_notification_and_its_email_read_on_the_recipients_clock():
    from django.utils.text import format_lazy

    from pae_ops.models import Notification
    from pae_ops.services import notify
    from pae_ops.timezones import local_datetime_lazy
    from tests.accounts.helpers import send_outbox

    due = mx(2026, 11, 9, 18)
    tokyo_user = UserFactory(agent=True, profile__time_zone="Asia/Tokyo")
    mexico_user = UserFactory(agent=True)
    notify(
        recipients=[tokyo_user, mexico_user],
        kind="general",
        title="Vence pronto",
        body=format_lazy("Vence el {}", local_datetime_lazy(due)),
    )
    assert Notification.objects.get(recipient=tokyo_user).body == f"Vence el {shown(due, TOKYO)}"
    assert Notification.objects.get(recipient=mexico_user).body == f"Vence el {shown(due, MEXICO)}"
    send_outbox()
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert shown(due, TOKYO) in bodies[tokyo_user.email]
