import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pae_ops.management.commands.seed_demo import DEMO_USERS
from pae_ops.roles import user_roles

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


def test_seed_demo_creates_one_user_per_role_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = User.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.count() == before
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert demo.role in user_roles(user)
        assert user.check_password("pae-demo-2026")
    assert User.objects.get(username="agente").profile.leader.username == "lider"
    assert User.objects.get(username="admin").is_staff


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
