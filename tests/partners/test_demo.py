import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from partners.demo import DEMO_PARTNERS
from partners.models import Partner, PartnerStatus, Stage
from partners.selectors import partner_for_approver, stage_gaps

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_seed_demo_creates_partners_at_every_stage_once(tmp_path):
    # given the demo loaded twice
    with open(tmp_path / "out.txt", "w") as out:
        call_command("seed_demo", stdout=out)
        before = Partner.objects.count()
        call_command("seed_demo", stdout=out)

    # then the second run created nothing
    assert Partner.objects.count() == before == len(DEMO_PARTNERS)
    # and there is a partner at every stage, plus a rejected one
    open_stages = set(
        Partner.objects.filter(status=PartnerStatus.OPEN).values_list("stage", flat=True)
    )
    assert open_stages == set(Stage.values)
    assert Partner.objects.filter(status=PartnerStatus.REJECTED).exists()
    assert Partner.objects.filter(stage=Stage.DIRECTORY, status=PartnerStatus.OPEN).count() == 2


def test_seed_demo_partners_meet_the_onboarding_rules_and_have_approvers(tmp_path):
    """RULES: PAR-2, ROLE-1. Stages were reached through the service, with history."""
    with open(tmp_path / "out.txt", "w") as out:
        call_command("seed_demo", stdout=out)

    for partner in Partner.objects.exclude(stage=Stage.IDENTIFIED):
        assert partner.stage_changes.count() == partner.stage_number - 1
    approved = {
        username: partner_for_approver(User.objects.get(username=username))
        for username in ("socio", "socio2")
    }
    assert all(partner is not None and partner.is_active for partner in approved.values())
    assert approved["socio"] != approved["socio2"]
    assert stage_gaps(Partner.objects.get(stage=Stage.IDENTIFIED)) == []
