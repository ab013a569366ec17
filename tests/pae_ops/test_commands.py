import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case, Escalation, Interaction, SlaEvent, Survey
from clients.models import Client, Installment, Payment, Purchase
from kpis.models import KpiRollupState
from kpis.selectors import director_dashboard
from pae_ops.management.commands.seed_demo import DEMO_USERS
from pae_ops.roles import user_roles
from partners.selectors import partner_for_approver
from refunds.models import ExitSurvey, RefundRequest
from refunds.selectors import list_awaiting_director, list_awaiting_partner

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


def _row_counts() -> dict[str, int]:
    models = (User, Client, Purchase, Payment, Case, Interaction, SlaEvent, Survey, RefundRequest)
    return {model.__name__: model.objects.count() for model in models}


def test_seed_demo_is_a_team_with_two_years_of_history_and_is_idempotent():
    # given the demo, seeded once
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = _row_counts()

    # when it is seeded again
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    # then nothing was added
    assert _row_counts() == before
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert demo.role in user_roles(user)
        assert user.check_password("pae-demo-2026")
    assert User.objects.get(username="agente").profile.leader.username == "lider"
    assert User.objects.get(username="admin").is_staff
    # Two years of a team's work: ~300 clients of every segment, ~3,000
    # interactions over 24 months (most typed), overdue installments.
    assert before["Client"] >= 300
    assert before["Interaction"] >= 3000
    assert set(Client.objects.values_list("computed_segment", flat=True)) >= {"A", "B", "C"}
    months = Interaction.objects.dates("occurred_at", "month")
    assert len(months) >= 23  # every month of the last two years
    typed = Interaction.objects.filter(reason__isnull=False).count()
    assert typed / before["Interaction"] > 0.85
    assert Installment.objects.filter(
        paid_on__isnull=True, due_on__lt=timezone.localdate() - timedelta(days=7)
    ).exists()
    assert Survey.objects.filter(kind="nps", score__gte=9).exists()
    assert Survey.objects.filter(kind="nps", score__lte=6).exists()
    assert Case.objects.filter(kind="rescue").exists()
    # Refunds (REF-3, REF-6): every resting state of the process; the
    # frequent-refund client waits for the director; socio has one to approve.
    resting = set(RefundRequest.Status.values) - {"proposal", "approved"}
    assert set(RefundRequest.objects.values_list("status", flat=True)) == resting
    assert list_awaiting_director().filter(frequent_refund=True).exists()
    socio = User.objects.get(username="socio")
    assert list_awaiting_partner(partner_for_approver(socio)).exists()
    assert ExitSurvey.objects.filter(request__status="executed").exists()
    # Cases (SLA-4, TYP-2, COM-1): every state, breaches, untyped work, escalations.
    assert set(Case.Status.values) <= set(Case.objects.values_list("status", flat=True))
    assert SlaEvent.objects.filter(kind="breach").exists()
    assert Interaction.objects.filter(reason__isnull=True).exists()
    assert Escalation.objects.filter(source="manual").exists()
    # The director's dashboard has a figure for the current month, and a
    # year-on-year growth (KPI-1, 2, 4, 5, 7; TYP-3), read from the roll-up.
    assert KpiRollupState.objects.exists()
    today = timezone.localdate()
    # (In a month's first day, the month has hardly begun: read the last one.)
    month = today if today.day > 1 else today - timedelta(days=1)
    dashboard = director_dashboard(month=month)
    figures = {row.figure.key: row.value for row in dashboard.summary}
    for key in ("sold", "received", "csat", "nps", "fr_compliance", "typing"):
        assert figures[key] is not None, key
    assert dashboard.growth is not None


def test_no_model_change_lacks_a_migration():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_translations_are_compiled_and_current():
    for language in ("es", "en"):
        po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        assert mo.is_file(), f"compile {po} (make messages)"
        assert mo.stat().st_size > 0
