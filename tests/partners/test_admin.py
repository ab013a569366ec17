import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pae_ops.roles import Role
from partners.models import Agreement, OnboardingTask, PartnerStatus, Stage, VettingCriterion
from partners.services import advance_partner_stage
from tests.factories import UserFactory
from tests.partners.factories import (
    PDF_BYTES,
    AgreementFactory,
    PartnerContactFactory,
    PartnerFactory,
    complete_stage,
    languages,
    partner_at,
)
from tests.partners.helpers import change_form_data, inline_form

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:partners_partner_changelist")


def change_url(partner) -> str:
    return reverse("admin:partners_partner_change", args=[partner.pk])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("trait", ["agent", "leader", "director", "partner_approver"])
def test_a_non_admin_cannot_reach_the_partner_admin(client, trait):
    """RULES: ROLE-1. Not staff: sent to the admin login, and nothing is shown."""
    partner = PartnerFactory()
    client.force_login(UserFactory(**{trait: True}))
    for url in (CHANGELIST, change_url(partner)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_admin_role_is_refused(client):
    """RULES: ROLE-1"""
    client.force_login(UserFactory(leader=True, is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


def test_a_non_admin_cannot_run_the_advance_action(client):
    """RULES: ROLE-1"""
    partner = PartnerFactory()
    complete_stage(partner, by=partner.account_manager)
    client.force_login(UserFactory(leader=True, is_staff=True))
    response = client.post(
        CHANGELIST, {"action": "advance_stage", "_selected_action": [partner.pk]}
    )
    assert response.status_code == 403
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED


def test_the_list_filters_by_stage_country_and_language_and_searches(admin_client):
    legal = PartnerFactory(stage=Stage.LEGAL, country="Colombia", languages=["en"])
    other = PartnerFactory(stage=Stage.VETTING, country="México", languages=["es"])
    english = languages("en")[0]

    for query in (
        {"stage__exact": "legal"},
        {"country": "Colombia"},
        {"languages__id__exact": english.pk},
        {"q": legal.brand_name},
    ):
        response = admin_client.get(CHANGELIST, query)
        assert response.status_code == 200
        shown = list(response.context["cl"].result_list)
        assert shown == [legal], query
        assert other not in shown


def test_the_partner_page_shows_the_stage_as_a_progress_bar_and_what_is_missing(admin_client):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.LEGAL)
    page = admin_client.get(change_url(partner)).content.decode()
    assert '<progress value="3" max="6"' in page
    assert str(Agreement.Kind.NDA.label) in page  # listed as missing to advance
    assert 'name="_advance_stage"' in page


def test_the_inlines_offer_one_row_per_missing_item(admin_client, admin_user):
    partner = PartnerFactory(stage=Stage.LEGAL)
    AgreementFactory(partner=partner, kind=Agreement.Kind.NDA)

    response = admin_client.get(change_url(partner))

    # The recorded NDA first, then a blank row for each agreement still missing.
    kinds = [inline_form(response, "agreements", i)["kind"].value() for i in range(3)]
    assert kinds == ["nda", "commercial", "white_label"]
    assert inline_form(response, "agreements", 0).instance.pk is not None
    criteria = [
        inline_form(response, "scorecard_entries", i)["criterion"].value() for i in range(7)
    ]
    assert criteria == VettingCriterion.values
    tasks = [inline_form(response, "checklist_items", i)["task"].value() for i in range(10)]
    assert tasks == OnboardingTask.values


def test_the_advance_action_refuses_with_the_list_of_what_is_missing(admin_client):
    """RULES: PAR-2"""
    # given a partner in legal with only the commercial agreement
    partner = PartnerFactory(stage=Stage.LEGAL)
    AgreementFactory(partner=partner, kind=Agreement.Kind.COMMERCIAL)

    # when the admin runs "advance stage" on it
    response = admin_client.post(
        CHANGELIST, {"action": "advance_stage", "_selected_action": [partner.pk]}, follow=True
    )

    # then it stays in legal and the message lists the NDA and the white-label contract
    partner.refresh_from_db()
    assert partner.stage == Stage.LEGAL
    [message] = response.context["messages"]
    assert message.level_tag == "error"
    assert "<li>" in str(message)
    for kind in (Agreement.Kind.NDA, Agreement.Kind.WHITE_LABEL):
        assert str(kind.label) in str(message)
    assert str(Agreement.Kind.COMMERCIAL.label) not in str(message)
    assert str(Agreement.Kind.NDA.label) in response.content.decode()


def test_the_advance_action_moves_a_complete_partner(admin_client, admin_user):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.LEGAL)
    complete_stage(partner, by=admin_user)

    response = admin_client.post(
        CHANGELIST, {"action": "advance_stage", "_selected_action": [partner.pk]}, follow=True
    )

    assert response.status_code == 200
    partner.refresh_from_db()
    assert partner.stage == Stage.OPERATIONAL
    assert partner.stage_changes.get().changed_by == admin_user


def test_save_and_advance_records_the_agreements_and_moves_the_partner(admin_client, admin_user):
    """RULES: PAR-2. Recording happens in the inlines; the move goes through the service."""
    # given a partner in legal and its page, with a blank row per agreement
    partner = partner_at(Stage.LEGAL, actor=admin_user)
    page = admin_client.get(change_url(partner))
    today = timezone.localdate().isoformat()
    edits = {"_advance_stage": "1"}
    for index in range(3):
        edits[f"agreements-{index}-signed_on"] = today
        edits[f"agreements-{index}-document"] = SimpleUploadedFile(
            f"doc{index}.pdf", PDF_BYTES, content_type="application/pdf"
        )

    # when the admin records the three agreements and clicks "save and advance"
    response = admin_client.post(change_url(partner), change_form_data(page, **edits))

    # then they are stored with who recorded them, and the partner moved on
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response.url == change_url(partner)
    partner.refresh_from_db()
    assert partner.stage == Stage.OPERATIONAL
    agreements = list(partner.agreements.all())
    assert len(agreements) == 3
    assert {agreement.recorded_by for agreement in agreements} == {admin_user}
    assert all(agreement.is_complete for agreement in agreements)


def test_save_and_advance_keeps_the_data_but_refuses_an_incomplete_stage(admin_client):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.OPERATIONAL)
    page = admin_client.get(change_url(partner))
    today = timezone.localdate().isoformat()

    response = admin_client.post(
        change_url(partner),
        change_form_data(page, **{"checklist_items-0-done_on": today, "_advance_stage": "1"}),
        follow=True,
    )

    partner.refresh_from_db()
    assert partner.stage == Stage.OPERATIONAL
    item = partner.checklist_items.get()
    assert (item.task, item.done_by) == (OnboardingTask.ZOOM, response.wsgi_request.user)
    levels = [message.level_tag for message in response.context["messages"]]
    assert levels == ["success", "error"]


def test_the_stage_cannot_be_edited_in_the_form(admin_client):
    """RULES: PAR-2. Only the service moves the stage; a posted stage is ignored."""
    partner = PartnerFactory()
    page = admin_client.get(change_url(partner))
    data = change_form_data(page, stage=Stage.DIRECTORY, status=PartnerStatus.OPEN, _save="1")

    response = admin_client.post(change_url(partner), data)

    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.stage == Stage.IDENTIFIED
    assert "stage" not in page.context["adminform"].form.fields


def test_the_history_cannot_revert_a_partner_to_an_earlier_stage(admin_client, admin_user):
    """RULES: PAR-2. The history is for reading; a revert would bypass the service."""
    # given a partner moved from identified to vetting
    partner = PartnerFactory()
    complete_stage(partner, by=admin_user)
    first = partner.history.earliest()
    partner = advance_partner_stage(actor=admin_user, partner_id=partner.pk)
    url = reverse("admin:partners_partner_simple_history", args=[partner.pk, first.history_id])

    # when the admin opens the first version and posts it back
    assert admin_client.get(url).status_code == 200
    page = admin_client.get(change_url(partner))
    response = admin_client.post(url, change_form_data(page))

    # then it is refused and the stage stays
    assert response.status_code == 403
    partner.refresh_from_db()
    assert partner.stage == Stage.VETTING


def test_clearing_a_done_date_clears_who_did_it(admin_client, admin_user):
    partner = PartnerFactory(stage=Stage.OPERATIONAL)
    complete_stage(partner, by=admin_user)
    page = admin_client.get(change_url(partner))
    slack = [inline_form(page, "checklist_items", i)["task"].value() for i in range(10)].index(
        OnboardingTask.SLACK
    )

    admin_client.post(
        change_url(partner), change_form_data(page, **{f"checklist_items-{slack}-done_on": ""})
    )

    item = partner.checklist_items.get(task=OnboardingTask.SLACK)
    assert item.done_on is None
    assert item.done_by is None
    assert partner.checklist_items.filter(done_by=admin_user).count() == 5


def test_pause_asks_for_a_reason_then_pauses(admin_client, admin_user):
    partner = PartnerFactory(stage=Stage.VETTING)
    selection = {"action": "pause", "_selected_action": [partner.pk]}

    # The action first shows the reason form; without a reason nothing changes.
    form_page = admin_client.post(CHANGELIST, selection)
    assert form_page.status_code == 200
    assert "reason" in form_page.context["form"].fields
    admin_client.post(CHANGELIST, {**selection, "apply": "1", "reason": ""})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.OPEN

    admin_client.post(CHANGELIST, {**selection, "apply": "1", "reason": "Sin respuesta"})
    partner.refresh_from_db()
    assert (partner.status, partner.status_reason, partner.status_changed_by) == (
        PartnerStatus.PAUSED,
        "Sin respuesta",
        admin_user,
    )


def test_reject_action_refuses_an_active_partner(admin_client):
    """RULES: PAR-2"""
    partner = PartnerFactory(stage=Stage.DIRECTORY)
    response = admin_client.post(
        CHANGELIST,
        {"action": "reject", "_selected_action": [partner.pk], "apply": "1", "reason": "x"},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.OPEN


def test_the_contact_admin_creates_an_approver_login(admin_client):
    """RULES: ROLE-1"""
    contact = PartnerContactFactory(email="maria@socio.test")
    response = admin_client.post(
        reverse("admin:partners_partnercontact_changelist"),
        {"action": "create_approver_login", "_selected_action": [contact.pk]},
        follow=True,
    )
    contact.refresh_from_db()
    assert contact.user.username == "maria@socio.test"
    assert contact.user.groups.filter(name=Role.PARTNER_APPROVER.value).exists()
    [message] = response.context["messages"]
    assert reverse("admin:auth_user_change", args=[contact.user.pk]) in str(message)
