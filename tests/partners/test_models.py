import re

import pytest
from django.db import IntegrityError
from django.utils import translation

from partners.models import (
    STAGE_ORDER,
    STAGE_TRANSITIONS,
    STATUS_TRANSITIONS,
    Agreement,
    Language,
    PartnerStageChange,
    PartnerStatus,
    ScorecardEntry,
    Stage,
    VettingCriterion,
)
from tests.partners.factories import (
    AgreementFactory,
    ChecklistItemFactory,
    PartnerFactory,
    ScorecardEntryFactory,
)

pytestmark = pytest.mark.django_db


def test_stages_are_in_the_playbook_order_and_only_move_one_step_forward():
    """RULES: PAR-2"""
    assert STAGE_ORDER == (
        Stage.IDENTIFIED,
        Stage.VETTING,
        Stage.LEGAL,
        Stage.OPERATIONAL,
        Stage.TRAINING,
        Stage.DIRECTORY,
    )
    for position, stage in enumerate(STAGE_ORDER[:-1]):
        assert STAGE_TRANSITIONS[stage] == {STAGE_ORDER[position + 1]}
    assert STAGE_TRANSITIONS[Stage.DIRECTORY] == frozenset()


def test_a_rejected_partner_is_final():
    assert STATUS_TRANSITIONS[PartnerStatus.REJECTED] == frozenset()
    assert PartnerStatus.OPEN in STATUS_TRANSITIONS[PartnerStatus.PAUSED]


def test_the_scorecard_has_the_seven_criteria_of_par_1():
    """RULES: PAR-1"""
    assert len(VettingCriterion) == 7


def test_only_an_open_partner_in_the_directory_is_active():
    """RULES: PAR-3"""
    assert PartnerFactory(stage=Stage.DIRECTORY).is_active
    assert not PartnerFactory(stage=Stage.TRAINING).is_active
    assert not PartnerFactory(
        stage=Stage.DIRECTORY, status=PartnerStatus.PAUSED, status_reason="Audit"
    ).is_active


def test_progress_numbers_and_next_stage():
    partner = PartnerFactory(stage=Stage.LEGAL)
    assert partner.stage_number == 3
    assert partner.next_stage == Stage.OPERATIONAL
    assert PartnerFactory(stage=Stage.DIRECTORY).next_stage is None


def test_a_scorecard_entry_needs_evidence_as_text_or_file():
    """RULES: PAR-1"""
    with pytest.raises(IntegrityError):
        ScorecardEntryFactory(evidence="")


def test_one_scorecard_entry_per_criterion():
    entry = ScorecardEntryFactory(criterion=VettingCriterion.SOLVENCY)
    with pytest.raises(IntegrityError):
        ScorecardEntryFactory(partner=entry.partner, criterion=VettingCriterion.SOLVENCY)


def test_a_checklist_item_done_has_both_date_and_who():
    with pytest.raises(IntegrityError):
        ChecklistItemFactory(done_by=None)


def test_one_agreement_per_kind():
    agreement = AgreementFactory(kind=Agreement.Kind.NDA)
    with pytest.raises(IntegrityError):
        AgreementFactory(partner=agreement.partner, kind=Agreement.Kind.NDA)


def test_a_stage_is_entered_once(admin_user):
    """RULES: PAR-2. The database refuses a second move into the same stage."""
    partner = PartnerFactory(stage=Stage.VETTING)
    PartnerStageChange.objects.create(
        partner=partner, from_stage=Stage.IDENTIFIED, to_stage=Stage.VETTING, changed_by=admin_user
    )
    with pytest.raises(IntegrityError):
        PartnerStageChange.objects.create(
            partner=partner,
            from_stage=Stage.IDENTIFIED,
            to_stage=Stage.VETTING,
            changed_by=admin_user,
        )


def test_a_paused_partner_must_say_why():
    with pytest.raises(IntegrityError):
        PartnerFactory(status=PartnerStatus.PAUSED, status_reason="")


def test_legal_names_are_unique_whatever_the_case():
    PartnerFactory(legal_name="Socio Uno S.A.")
    with pytest.raises(IntegrityError):
        PartnerFactory(legal_name="SOCIO UNO S.A.")


def test_documents_are_stored_under_the_partner_with_a_random_name(settings):
    agreement = AgreementFactory(document__filename="Contrato firmado.PDF")
    assert re.fullmatch(
        rf"partners/{agreement.partner_id}/[0-9a-f]{{32}}\.pdf", agreement.document.name
    )
    assert agreement.document.path.startswith(str(settings.MEDIA_ROOT))


def test_languages_are_seeded_and_named_in_the_users_language():
    assert set(Language.objects.values_list("code", flat=True)) >= {"es", "en", "pt", "fr"}
    with translation.override("es"):
        assert str(Language.objects.get(code="en")) == "Inglés"
    with translation.override("en"):
        assert str(Language.objects.get(code="en")) == "English"


def test_scorecard_result_choices():
    assert set(ScorecardEntry.Result.values) == {"pass", "fail"}
