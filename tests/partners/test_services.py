import itertools
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from pae_ops.errors import DomainError
from pae_ops.models import Notification
from pae_ops.roles import Role, user_roles
from partners.models import (
    STAGE_ORDER,
    STAGE_TASKS,
    Agreement,
    PartnerStatus,
    ScorecardEntry,
    Stage,
    VettingCriterion,
)
from partners.selectors import partner_for_approver
from partners.services import (
    advance_partner_stage,
    create_partner_approver_login,
    ensure_partner_can_sell,
    ensure_shared_language,
    pause_partner,
    reject_partner,
    resume_partner,
)
from tests.factories import UserFactory
from tests.partners.factories import (
    AgreementFactory,
    PartnerApproverFactory,
    PartnerContactFactory,
    PartnerFactory,
    VettingInterviewFactory,
    complete_stage,
    partner_at,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def refusal(admin_user, partner) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        advance_partner_stage(actor=admin_user, partner_id=partner.pk)
    partner.refresh_from_db()
    return excinfo.value


# --- advance_partner_stage ------------------------------------------------------------


def test_every_stage_in_order_up_to_the_directory(admin_user):
    """RULES: PAR-2. Each stage is left only when complete, one step at a time, in order."""
    # given a partner just identified
    partner = PartnerFactory()
    walked = [partner.stage]

    # when each stage is completed and then left
    for _step in STAGE_ORDER[:-1]:
        complete_stage(partner, by=admin_user)
        before = timezone.now()
        partner = advance_partner_stage(actor=admin_user, partner_id=partner.pk)
        assert partner.stage_changed_at >= before
        walked.append(partner.stage)

    # then it walked the playbook's order and each move is in the history
    assert walked == list(STAGE_ORDER)
    moves = list(partner.stage_changes.values_list("from_stage", "to_stage", "changed_by"))
    assert moves == [
        (current, following, admin_user.pk)
        for current, following in itertools.pairwise(STAGE_ORDER)
    ]
    assert partner.is_active
    # and the directory is the last stage
    error = refusal(admin_user, partner)
    assert error.rule == "PAR-2"
    assert partner.stage == Stage.DIRECTORY


@pytest.mark.parametrize("stage", STAGE_ORDER[:-1])
def test_no_stage_can_be_left_empty(admin_user, stage):
    """RULES: PAR-2"""
    # given a partner in the stage with nothing recorded for it
    partner = PartnerFactory(stage=stage, account_manager=None, languages=[], services=[])

    # when the admin advances it
    error = refusal(admin_user, partner)

    # then it stays, and the refusal lists each missing item
    assert partner.stage == stage
    assert not partner.stage_changes.exists()
    expected = {
        Stage.IDENTIFIED: 3,  # account manager, language, service
        Stage.VETTING: 1 + len(VettingCriterion),  # interview + each criterion
        Stage.LEGAL: len(Agreement.Kind),
        Stage.OPERATIONAL: len(STAGE_TASKS[Stage.OPERATIONAL]),
        Stage.TRAINING: len(STAGE_TASKS[Stage.TRAINING]),
    }[stage]
    assert len(error.details) == expected


def test_a_partner_with_one_failed_criterion_cannot_leave_vetting(admin_user):
    """RULES: PAR-1. All seven criteria must pass; one failure keeps the partner in vetting."""
    # given a vetted partner whose white-label commitment failed
    partner = PartnerFactory(stage=Stage.VETTING)
    complete_stage(partner, by=admin_user)
    partner.scorecard_entries.filter(criterion=VettingCriterion.WHITE_LABEL).update(
        result=ScorecardEntry.Result.FAIL
    )

    # when the admin advances it
    error = refusal(admin_user, partner)

    # then it is refused, naming only that criterion
    assert error.rule == "PAR-1"
    assert len(error.details) == 1
    assert str(VettingCriterion.WHITE_LABEL.label) in error.details[0]
    assert partner.stage == Stage.VETTING


def test_a_criterion_not_reviewed_keeps_the_partner_in_vetting(admin_user):
    """RULES: PAR-1"""
    partner = PartnerFactory(stage=Stage.VETTING)
    complete_stage(partner, by=admin_user)
    partner.scorecard_entries.filter(criterion=VettingCriterion.SOLVENCY).delete()

    error = refusal(admin_user, partner)

    assert error.rule == "PAR-1"
    assert [str(VettingCriterion.SOLVENCY.label) in detail for detail in error.details] == [True]


def test_vetting_needs_the_interview(admin_user):
    """RULES: PAR-2. Seven passed criteria without an interview are not enough."""
    partner = PartnerFactory(stage=Stage.VETTING)
    complete_stage(partner, by=admin_user)
    partner.interviews.all().delete()

    error = refusal(admin_user, partner)

    assert error.rule == "PAR-2"
    assert len(error.details) == 1
    assert partner.stage == Stage.VETTING


def test_vetting_complete_moves_to_legal(admin_user):
    """RULES: PAR-1, PAR-2"""
    partner = PartnerFactory(stage=Stage.VETTING)
    VettingInterviewFactory(partner=partner)
    complete_stage(partner, by=admin_user)  # a second interview does no harm
    assert advance_partner_stage(actor=admin_user, partner_id=partner.pk).stage == Stage.LEGAL


def test_a_missing_nda_blocks_leaving_legal(admin_user):
    """RULES: PAR-2"""
    # given a partner in legal with the commercial agreement and white-label contract only
    partner = PartnerFactory(stage=Stage.LEGAL)
    AgreementFactory(partner=partner, kind=Agreement.Kind.COMMERCIAL)
    AgreementFactory(partner=partner, kind=Agreement.Kind.WHITE_LABEL)

    # when the admin advances it
    error = refusal(admin_user, partner)

    # then the NDA is what is missing
    assert error.rule == "PAR-2"
    assert len(error.details) == 1
    assert str(Agreement.Kind.NDA.label) in error.details[0]
    assert partner.stage == Stage.LEGAL


@pytest.mark.parametrize("missing", ["signed_on", "document"])
def test_an_agreement_needs_its_signed_date_and_document(admin_user, missing):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.LEGAL)
    complete_stage(partner, by=admin_user)
    Agreement.objects.filter(partner=partner, kind=Agreement.Kind.NDA).update(
        **{missing: None if missing == "signed_on" else ""}
    )

    error = refusal(admin_user, partner)

    assert len(error.details) == 1
    assert str(Agreement.Kind.NDA.label) in error.details[0]


@pytest.mark.parametrize("stage", [Stage.OPERATIONAL, Stage.TRAINING])
def test_one_task_not_done_blocks_the_checklist_stages(admin_user, stage):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=stage)
    complete_stage(partner, by=admin_user)
    last = STAGE_TASKS[stage][-1]
    partner.checklist_items.filter(task=last).update(done_on=None, done_by=None)

    error = refusal(admin_user, partner)

    assert [str(last.label) in detail for detail in error.details] == [True]


def test_tasks_of_a_later_stage_do_not_complete_the_current_one(admin_user):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.OPERATIONAL)
    partner.stage = Stage.TRAINING
    complete_stage(partner, by=admin_user)  # the training tasks only
    partner.refresh_from_db()

    error = refusal(admin_user, partner)

    assert len(error.details) == len(STAGE_TASKS[Stage.OPERATIONAL])


@pytest.mark.parametrize("status", [PartnerStatus.PAUSED, PartnerStatus.REJECTED])
def test_a_paused_or_rejected_partner_cannot_advance(admin_user, status):
    """RULES: PAR-2"""
    partner = PartnerFactory(status=status, status_reason="No responde")

    error = refusal(admin_user, partner)

    assert error.rule == "PAR-2"
    assert partner.stage == Stage.IDENTIFIED


def test_a_second_advance_from_the_same_page_changes_nothing(admin_user):
    """RULES: PAR-2. A double click (same expected stage) moves the partner once."""
    partner = PartnerFactory()
    complete_stage(partner, by=admin_user)
    advance_partner_stage(actor=admin_user, partner_id=partner.pk, expected_stage=Stage.IDENTIFIED)

    with pytest.raises(DomainError) as excinfo:
        advance_partner_stage(
            actor=admin_user, partner_id=partner.pk, expected_stage=Stage.IDENTIFIED
        )

    assert excinfo.value.rule == "PAR-2"
    partner.refresh_from_db()
    assert partner.stage == Stage.VETTING
    assert partner.stage_changes.count() == 1


@pytest.mark.parametrize("trait", ["agent", "leader", "director", "partner_approver"])
def test_only_an_admin_moves_a_partner(trait):
    """RULES: ROLE-1"""
    partner = PartnerFactory()
    with pytest.raises(PermissionDenied):
        advance_partner_stage(actor=UserFactory(**{trait: True}), partner_id=partner.pk)
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_joining_the_directory_notifies_the_account_manager(admin_user):
    partner = partner_at(Stage.TRAINING, actor=admin_user)
    complete_stage(partner, by=admin_user)

    advance_partner_stage(actor=admin_user, partner_id=partner.pk)

    note = Notification.objects.get(recipient=partner.account_manager, kind="partner-active")
    assert partner.brand_name in note.title


# --- pause, reject, resume --------------------------------------------------------------


def test_pause_and_resume_keep_the_stage(admin_user):
    """RULES: PAR-2"""
    partner = partner_at(Stage.LEGAL, actor=admin_user)

    paused = pause_partner(actor=admin_user, partner_id=partner.pk, reason="  Espera firmas  ")
    assert (paused.status, paused.status_reason, paused.status_changed_by) == (
        PartnerStatus.PAUSED,
        "Espera firmas",
        admin_user,
    )

    resumed = resume_partner(actor=admin_user, partner_id=partner.pk)
    assert (resumed.status, resumed.stage) == (PartnerStatus.OPEN, Stage.LEGAL)


def test_pause_and_reject_need_a_reason(admin_user):
    partner = PartnerFactory()
    for act in (pause_partner, reject_partner):
        with pytest.raises(DomainError):
            act(actor=admin_user, partner_id=partner.pk, reason="   ")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.OPEN


def test_a_rejected_candidate_stays_rejected(admin_user):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.VETTING)
    reject_partner(actor=admin_user, partner_id=partner.pk, reason="Modelo low ticket")

    for act in (resume_partner, lambda **kw: pause_partner(reason="x", **kw)):
        with pytest.raises(DomainError):
            act(actor=admin_user, partner_id=partner.pk)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REJECTED
    assert partner.status_reason == "Modelo low ticket"


def test_an_active_partner_is_paused_not_rejected(admin_user):
    """RULES: PAR-2, PAR-3"""
    partner = PartnerFactory(stage=Stage.DIRECTORY)
    with pytest.raises(DomainError):
        reject_partner(actor=admin_user, partner_id=partner.pk, reason="Quejas")

    pause_partner(actor=admin_user, partner_id=partner.pk, reason="Quejas")
    partner.refresh_from_db()
    assert not partner.is_active


def test_only_an_admin_pauses_a_partner():
    """RULES: ROLE-1"""
    partner = PartnerFactory()
    with pytest.raises(PermissionDenied):
        pause_partner(actor=UserFactory(leader=True), partner_id=partner.pk, reason="x")


# --- PAR-3 and PAR-4 --------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_ORDER[:-1])
def test_par3_refuses_products_for_a_partner_not_active(stage):
    """RULES: PAR-3. Every stage before the directory is refused."""
    with pytest.raises(DomainError) as excinfo:
        ensure_partner_can_sell(partner=PartnerFactory(stage=stage))
    assert excinfo.value.rule == "PAR-3"


def test_par3_refuses_a_paused_partner_in_the_directory():
    """RULES: PAR-3"""
    partner = PartnerFactory(
        stage=Stage.DIRECTORY, status=PartnerStatus.PAUSED, status_reason="Auditoría"
    )
    with pytest.raises(DomainError) as excinfo:
        ensure_partner_can_sell(partner=partner)
    assert excinfo.value.rule == "PAR-3"


def test_par3_accepts_an_active_partner():
    """RULES: PAR-3"""
    ensure_partner_can_sell(partner=PartnerFactory(stage=Stage.DIRECTORY))


def test_par4_refuses_spanish_client_with_english_partner_without_resource():
    """RULES: PAR-4"""
    with pytest.raises(DomainError) as excinfo:
        ensure_shared_language(
            client_languages=["es"], partner_languages=["en"], bilingual_resource=None
        )
    assert excinfo.value.rule == "PAR-4"
    assert len(excinfo.value.details) == 2


@pytest.mark.parametrize(
    ("client", "partner", "resource"),
    [
        (["es"], ["en"], "bilingual"),  # no shared language, but a resource
        (["es"], ["en", "es"], None),  # a bilingual partner
        (["es", "en"], ["en"], None),  # a bilingual client
        (["es-MX"], ["ES"], None),  # regional and upper-case codes
    ],
)
def test_par4_accepts_a_shared_language_or_a_bilingual_resource(client, partner, resource):
    """RULES: PAR-4"""
    ensure_shared_language(
        client_languages=client,
        partner_languages=partner,
        bilingual_resource=UserFactory(agent=True) if resource else None,
    )


@pytest.mark.parametrize(("client", "partner"), [([], ["en"]), (["pt"], ["en", "fr"])])
def test_par4_refuses_no_shared_language(client, partner):
    """RULES: PAR-4. A client with no recorded language shares none either."""
    with pytest.raises(DomainError) as excinfo:
        ensure_shared_language(
            client_languages=client, partner_languages=partner, bilingual_resource=None
        )
    assert excinfo.value.rule == "PAR-4"


# --- partner approver logins ------------------------------------------------------------


def test_create_partner_approver_login(admin_user):
    """RULES: ROLE-1. The login is a partner approver of that partner and nothing else."""
    # given a refund-approving contact of an active partner
    contact = PartnerContactFactory(email="Ana.Lopez@Socio.test")

    # when the admin creates its login
    user = create_partner_approver_login(actor=admin_user, contact_id=contact.pk)

    # then it is a partner approver with no usable password, linked to the contact
    assert user.username == "ana.lopez@socio.test"
    assert user_roles(user) == {Role.PARTNER_APPROVER}
    assert not user.has_usable_password()
    assert not user.is_staff
    contact.refresh_from_db()
    assert contact.user == user
    assert partner_for_approver(user) == contact.partner


@pytest.mark.parametrize(
    ("contact_kwargs", "rule"),
    [
        ({"approves_refunds": False}, "ROLE-1"),
        ({"partner__stage": Stage.TRAINING}, "PAR-3"),
        (
            {"partner__status": PartnerStatus.PAUSED, "partner__status_reason": "Auditoría"},
            "PAR-3",
        ),
    ],
)
def test_create_partner_approver_login_refusals(admin_user, contact_kwargs, rule):
    """RULES: ROLE-1, PAR-3"""
    contact = PartnerContactFactory(**contact_kwargs)
    users_before = User.objects.count()

    with pytest.raises(DomainError) as excinfo:
        create_partner_approver_login(actor=admin_user, contact_id=contact.pk)

    assert excinfo.value.rule == rule
    assert User.objects.count() == users_before


def test_create_partner_approver_login_twice_is_refused(admin_user):
    """RULES: ROLE-1"""
    contact = PartnerContactFactory()
    create_partner_approver_login(actor=admin_user, contact_id=contact.pk)
    with pytest.raises(DomainError):
        create_partner_approver_login(actor=admin_user, contact_id=contact.pk)


def test_create_partner_approver_login_refuses_an_email_already_in_use(admin_user):
    """RULES: ROLE-1. An existing (maybe internal) account is never reused as an approver."""
    UserFactory(username="ventas", email="ventas@socio.test", agent=True)
    contact = PartnerContactFactory(email="VENTAS@socio.test")
    with pytest.raises(DomainError):
        create_partner_approver_login(actor=admin_user, contact_id=contact.pk)
    contact.refresh_from_db()
    assert contact.user is None


def test_only_an_admin_creates_approver_logins():
    """RULES: ROLE-1"""
    contact = PartnerContactFactory()
    with pytest.raises(PermissionDenied):
        create_partner_approver_login(actor=UserFactory(leader=True), contact_id=contact.pk)


def test_partner_for_approver_is_the_users_own_partner_only():
    """RULES: ROLE-1. Another partner's approver, or a non-approver, owns nothing here."""
    mine = PartnerApproverFactory()
    theirs = PartnerApproverFactory()
    assert partner_for_approver(mine) == mine.partner_contact.partner
    assert partner_for_approver(mine) != partner_for_approver(theirs)
    assert partner_for_approver(UserFactory(agent=True)) is None
    assert partner_for_approver(None) is None


def test_partner_for_approver_ends_when_the_contact_stops_approving():
    """RULES: ROLE-1"""
    approver = PartnerApproverFactory()
    approver.partner_contact.approves_refunds = False
    approver.partner_contact.save()
    assert partner_for_approver(approver) is None


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("role_groups")
def test_two_admins_advancing_at_once_move_the_partner_once():
    """RULES: PAR-2. The row lock serialises them; the second sees the stage moved."""
    # given a complete identified partner and two admins on the same page
    admins = [UserFactory(admin=True) for _ in range(2)]
    partner = PartnerFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def advance(admin):
        try:
            barrier.wait(timeout=10)
            advance_partner_stage(
                actor=admin, partner_id=partner.pk, expected_stage=Stage.IDENTIFIED
            )
            outcomes.append("moved")
        except DomainError as exc:
            outcomes.append(exc.rule)
        finally:
            connection.close()

    # when both advance at the same moment
    threads = [threading.Thread(target=advance, args=(admin,)) for admin in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one moved it
    assert sorted(outcomes) == ["PAR-2", "moved"]
    partner.refresh_from_db()
    assert partner.stage == Stage.VETTING
    assert partner.stage_changes.count() == 1
