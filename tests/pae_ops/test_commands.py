import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases.models import Case, Escalation, Interaction, SlaEvent
from pae_ops.management.commands.seed_demo import DEMO_USERS
from pae_ops.roles import user_roles
from partners.selectors import partner_for_approver
from refunds.models import ExitSurvey, RefundRequest
from refunds.selectors import list_awaiting_director, list_awaiting_partner

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


def test_seed_demo_creates_one_user_per_role_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = User.objects.count()
    refunds_before = RefundRequest.objects.count()
    cases_before = (Case.objects.count(), Interaction.objects.count(), SlaEvent.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.count() == before
    assert RefundRequest.objects.count() == refunds_before
    assert (Case.objects.count(), Interaction.objects.count(), SlaEvent.objects.count()) == (
        cases_before
    )
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert demo.role in user_roles(user)
        assert user.check_password("pae-demo-2026")
    assert User.objects.get(username="agente").profile.leader.username == "lider"
    assert User.objects.get(username="admin").is_staff
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
