import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clients import services
from clients.models import Client, Installment, Payment, PaymentPlan, Segment
from clients.selectors import SEGMENT_STRATEGIES
from pae_ops.errors import DomainError
from pae_ops.roles import Role
from tests.clients.factories import (
    AttendanceFactory,
    ClientFactory,
    CreditEntryFactory,
    InstallmentFactory,
    OfferFactory,
    PaymentPlanFactory,
    ProductFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory
from tests.partners.factories import ActivePartnerFactory, PartnerApproverFactory

pytestmark = pytest.mark.django_db

D = Decimal
ROLE_TRAITS = {
    Role.AGENT: "agent",
    Role.LEADER: "leader",
    Role.DIRECTOR: "director",
    Role.ADMIN: "admin",
    Role.PARTNER_APPROVER: "partner_approver",
}
READERS = {Role.AGENT, Role.LEADER, Role.DIRECTOR}


def make_user(role: Role):
    return UserFactory(**{ROLE_TRAITS[role]: True})


def make_purchase(price: str = "6000.00", **kwargs):
    product = ProductFactory(list_price=D(price))
    return PurchaseFactory(product=product, price=D(price), **kwargs)


def plan_data(action: str = "preview", **overrides) -> dict:
    data = {
        "action": action,
        "kind": PaymentPlan.Kind.SURCHARGE,
        "installment_count": "3",
        "first_due_on": timezone.localdate().isoformat(),
        "interval_days": "30",
    }
    return {**data, **overrides}


def page_urls(purchase) -> list[str]:
    return [
        reverse("clients:list"),
        reverse("clients:detail", args=[purchase.client_id]),
        reverse("clients:purchase", args=[purchase.pk]),
    ]


# ROLE-1 ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_client_pages_answer_readers_and_refuse_the_others(client, role):
    """RULES: ROLE-1. Agents, leaders and directors read every client; admins
    get 403 and partner approvers 403 or 404."""
    purchase = make_purchase()
    client.force_login(make_user(role))
    for url in page_urls(purchase):
        status = client.get(url).status_code
        if role in READERS:
            assert status == 200, url
        else:
            assert status in (403, 404), url


def test_client_pages_require_login(client):
    purchase = make_purchase()
    for url in page_urls(purchase):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_partner_approver_of_the_purchases_partner_reaches_no_client_page_nor_action(client):
    """RULES: ROLE-1. Approving a partner's refunds gives no access to its clients."""
    # given
    purchase = make_purchase()
    approver = PartnerApproverFactory(partner=purchase.product.partner)
    client.force_login(approver)
    # when / then
    for url in page_urls(purchase):
        assert client.get(url).status_code in (403, 404), url
    posts = [
        (reverse("clients:purchase", args=[purchase.pk]), plan_data("confirm")),
        (
            reverse("clients:segment-override", args=[purchase.client_id]),
            {"action": "set", "segment": "A", "reason": "VIP"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (403, 404), url
    assert not PaymentPlan.objects.exists()
    assert Client.objects.get(pk=purchase.client_id).segment_override == ""


def test_agent_cannot_override_a_segment(client):
    """RULES: ROLE-1, SEG-5. The POST answers 403 and changes nothing."""
    # given
    target = ClientFactory()
    history_before = target.history.count()
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    # when
    response = client.post(
        reverse("clients:segment-override", args=[target.pk]),
        {"action": "set", "segment": "A", "reason": "Cliente estratégico"},
    )
    # then
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.segment_override == ""
    assert target.override_reason == ""
    assert target.history.count() == history_before


def test_agent_cannot_remove_an_override(client):
    """RULES: ROLE-1, SEG-5"""
    leader = make_user(Role.LEADER)
    target = ClientFactory()
    services.override_segment(actor=leader, client_id=target.pk, segment="A", reason="VIP")
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("clients:segment-override", args=[target.pk]), {"action": "remove"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.segment_override == "A"


def test_override_form_is_shown_to_leaders_only(client):
    target = ClientFactory()
    url = reverse("clients:detail", args=[target.pk])
    client.force_login(make_user(Role.AGENT))
    assert 'data-testid="override-form"' not in client.get(url).content.decode()
    client.force_login(make_user(Role.LEADER))
    assert 'data-testid="override-form"' in client.get(url).content.decode()


def test_director_reads_a_purchase_but_cannot_preview_or_confirm_a_plan(client):
    """RULES: ROLE-1"""
    purchase = make_purchase()
    client.force_login(make_user(Role.DIRECTOR))
    url = reverse("clients:purchase", args=[purchase.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="plan-form"' not in page
    assert client.post(url, plan_data("preview")).status_code == 403
    assert client.post(url, plan_data("confirm")).status_code == 403
    assert not PaymentPlan.objects.exists()


def test_unknown_client_answers_404(client):
    client.force_login(make_user(Role.AGENT))
    assert client.get(reverse("clients:detail", args=[999999])).status_code == 404
    assert client.get(reverse("clients:purchase", args=[999999])).status_code == 404


# SEG-5 ----------------------------------------------------------------------


def test_leader_overrides_a_segment_and_the_computed_one_stays_visible(client):
    """RULES: SEG-5"""
    # given
    target = ClientFactory(computed_segment=Segment.C)
    leader = make_user(Role.LEADER)
    client.force_login(leader)
    # when
    response = client.post(
        reverse("clients:segment-override", args=[target.pk]),
        {"action": "set", "segment": "A", "reason": "Cuenta estratégica del área"},
    )
    # then
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.segment_override, target.override_by) == ("A", leader)
    page = client.get(reverse("clients:detail", args=[target.pk])).content.decode()
    assert 'data-testid="segment-in-force"' in page
    assert 'data-segment="A" data-testid="segment-in-force"' in page
    assert 'data-segment="C" data-testid="segment-computed"' in page
    assert "Cuenta estratégica del área" in page


def test_override_without_a_reason_is_refused_and_changes_nothing(client):
    """RULES: SEG-5"""
    target = ClientFactory()
    client.force_login(make_user(Role.LEADER))
    response = client.post(
        reverse("clients:segment-override", args=[target.pk]),
        {"action": "set", "segment": "A", "reason": "  "},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    target.refresh_from_db()
    assert target.segment_override == ""


def test_leader_removes_an_override(client):
    """RULES: SEG-5"""
    leader = make_user(Role.LEADER)
    target = ClientFactory(computed_segment=Segment.B)
    services.override_segment(actor=leader, client_id=target.pk, segment="A", reason="VIP")
    client.force_login(leader)
    response = client.post(
        reverse("clients:segment-override", args=[target.pk]), {"action": "remove"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.segment_override == ""
    assert target.segment == Segment.B


# SEG-6 / COM-5 ---------------------------------------------------------------


@pytest.mark.parametrize("segment", list(Segment))
def test_client_page_shows_the_strategy_of_the_segment_in_force(client, segment):
    """RULES: SEG-6. The hints follow the segment in force (an override wins)."""
    # given: computed C, overridden to ``segment`` by a leader
    target = ClientFactory(computed_segment=Segment.C)
    leader = make_user(Role.LEADER)
    if segment != Segment.C:
        services.override_segment(
            actor=leader, client_id=target.pk, segment=segment, reason="Revisión"
        )
    client.force_login(make_user(Role.AGENT))
    # when
    response = client.get(reverse("clients:detail", args=[target.pk]))
    # then
    assert response.context["overview"].strategies == SEGMENT_STRATEGIES[segment]
    page = response.content.decode()
    with translation.override("es"):
        for hint in SEGMENT_STRATEGIES[segment]:
            assert str(hint) in page
        for other in set(Segment) - {segment}:
            for hint in SEGMENT_STRATEGIES[other]:
                assert str(hint) not in page


def test_segment_a_strategy_always_includes_the_leader():
    """RULES: SEG-6"""
    with translation.override("en"):
        assert "Always include your leader" in [str(h) for h in SEGMENT_STRATEGIES["A"]]
        assert {str(h) for h in SEGMENT_STRATEGIES["C"]} == {
            "Automated follow-up",
            "Free trials",
            "Rescue or recovery campaigns",
        }
    assert set(SEGMENT_STRATEGIES) == set(Segment.values)


def test_every_page_about_a_client_shows_languages_and_accessibility_needs(client):
    """RULES: COM-5"""
    # given
    target = ClientFactory(languages=["es", "en"], accessibility_needs="Requiere subtítulos (ADA)")
    purchase = make_purchase(client=target)
    client.force_login(make_user(Role.AGENT))
    with translation.override("es"):
        names = [str(language) for language in target.languages.all()]
    # when / then
    for url in page_urls(purchase):
        page = client.get(url).content.decode()
        assert "Requiere subtítulos (ADA)" in page, url
        for name in names:
            assert name in page, url
    detail = client.get(reverse("clients:detail", args=[target.pk])).content.decode()
    assert 'data-testid="client-languages"' in detail
    assert 'data-testid="client-accessibility"' in detail


def _screens_about(target):
    """Every page about one client (COM-5, SEG-6), and the refund request's."""
    from tests.cases.factories import CaseFactory
    from tests.refunds.factories import RefundRequestFactory

    purchase = make_purchase(client=target)
    case = CaseFactory(client=target, opened_at=timezone.now())
    refund = RefundRequestFactory(purchase=purchase, awaiting_partial=True)
    urls = [
        reverse("clients:detail", args=[target.pk]),
        reverse("clients:purchase", args=[purchase.pk]),
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:interaction-log", args=[target.pk]),
        reverse("cases:client-timeline", args=[target.pk]),
        reverse("refunds:request-new", args=[purchase.pk]),
        reverse("refunds:request-detail", args=[refund.pk]),
    ]
    return urls, refund


def test_every_screen_about_a_client_shows_needs_languages_and_strategy(client):
    """RULES: COM-5, SEG-6. The 360 page, the purchase, the case, the
    interaction form, the timeline and the refund pages show one shared
    block: languages, accessibility needs, the segment in force and its
    strategy (the leader's override wins)."""
    # given: computed C, overridden to A by a leader
    target = ClientFactory(
        computed_segment=Segment.C,
        languages=["es", "en"],
        accessibility_needs="Requiere subtítulos (ADA)",
    )
    services.override_segment(
        actor=make_user(Role.LEADER), client_id=target.pk, segment="A", reason="VIP"
    )
    urls, _refund = _screens_about(target)
    client.force_login(make_user(Role.LEADER))
    with translation.override("es"):
        names = [str(language) for language in target.languages.all()]
        hints = [str(hint) for hint in SEGMENT_STRATEGIES["A"]]
        others = [str(hint) for hint in SEGMENT_STRATEGIES["C"]]
    # when / then
    for url in urls:
        page = client.get(url).content.decode()
        assert page.count('data-testid="client-context"') == 1, url
        assert "Requiere subtítulos (ADA)" in page, url
        for name in names:
            assert name in page, url
        assert 'data-testid="strategy" data-segment="A"' in page, url
        for hint in hints:
            assert hint in page, url
        for hint in others:
            assert hint not in page, url


def test_the_partner_approver_sees_the_needs_but_not_the_internal_strategy(client):
    """RULES: COM-5, SEG-6, REF-6. The segment badge and the client's needs,
    not our playbook's hints."""
    target = ClientFactory(languages=["en"], accessibility_needs="Lector de pantalla")
    _urls, refund = _screens_about(target)
    client.force_login(PartnerApproverFactory(partner=refund.purchase.product.partner))
    page = client.get(reverse("refunds:request-detail", args=[refund.pk])).content.decode()
    assert "Lector de pantalla" in page
    assert 'data-testid="strategy"' not in page


def test_client_page_shows_credit_purchases_and_installment_states(client):
    # given
    target = ClientFactory(credit_balance=D("1250.00"))
    CreditEntryFactory(client=target, amount=D("1250.00"), balance_after=D("1250.00"))
    purchase = make_purchase(client=target)
    plan = PaymentPlanFactory(purchase=purchase, installment_count=3)
    today = timezone.localdate()
    InstallmentFactory(
        plan=plan,
        number=1,
        due_on=today - datetime.timedelta(days=40),
        amount=D("2240.00"),
        paid_amount=D("2240.00"),
        paid_on=today,
    )
    InstallmentFactory(plan=plan, number=2, due_on=today - datetime.timedelta(days=10))
    InstallmentFactory(plan=plan, number=3, due_on=today + datetime.timedelta(days=20))
    client.force_login(make_user(Role.AGENT))
    # when
    page = client.get(reverse("clients:detail", args=[target.pk])).content.decode()
    # then
    assert "1,250.00" in page
    assert 'data-state="paid"' in page
    assert 'data-state="overdue"' in page
    assert 'data-state="due"' in page
    assert reverse("clients:purchase", args=[purchase.pk]) in page
    assert 'id="timeline"' in page
    assert 'id="refunds"' in page


# List and filters ------------------------------------------------------------


def listed(response) -> list[str]:
    return [c.name for c in response.context["page_obj"]]


def test_list_searches_name_email_and_phone(client):
    ClientFactory(name="Ana Beltrán", email="ana@example.com", phone="555-0101")
    ClientFactory(name="Bruno Díaz", email="bruno@example.com", phone="555-0202")
    client.force_login(make_user(Role.AGENT))
    url = reverse("clients:list")
    assert listed(client.get(url, {"q": "beltr"})) == ["Ana Beltrán"]
    assert listed(client.get(url, {"q": "BRUNO@"})) == ["Bruno Díaz"]
    assert listed(client.get(url, {"q": "0101"})) == ["Ana Beltrán"]
    assert listed(client.get(url, {"q": "nadie"})) == []


def test_list_segment_filter_uses_the_segment_in_force(client):
    """RULES: SEG-5. An override wins over the computed segment in the filter too."""
    leader = make_user(Role.LEADER)
    ClientFactory(name="Computed A", computed_segment=Segment.A)
    overridden = ClientFactory(name="Overridden to A", computed_segment=Segment.C)
    services.override_segment(actor=leader, client_id=overridden.pk, segment="A", reason="VIP")
    demoted = ClientFactory(name="Overridden to C", computed_segment=Segment.A)
    services.override_segment(actor=leader, client_id=demoted.pk, segment="C", reason="Baja")
    client.force_login(make_user(Role.AGENT))
    url = reverse("clients:list")
    assert listed(client.get(url, {"segment": "A"})) == ["Computed A", "Overridden to A"]
    assert listed(client.get(url, {"segment": "C"})) == ["Overridden to C"]


def test_list_filters_by_agent_language_and_partner(client):
    # given
    agent = make_user(Role.AGENT)
    mine = ClientFactory(name="Mía", assigned_agent=agent, languages=["en"])
    ClientFactory(name="Otra", languages=["es"])
    partner = ActivePartnerFactory()
    product = ProductFactory(partner=partner)
    # two purchases of the same partner: the client is listed once
    PurchaseFactory(client=mine, product=product)
    PurchaseFactory(client=mine, product=ProductFactory(partner=partner))
    client.force_login(agent)
    url = reverse("clients:list")
    # when / then
    assert listed(client.get(url, {"agent": agent.pk})) == ["Mía"]
    assert listed(client.get(url, {"language": "en"})) == ["Mía"]
    response = client.get(url, {"partner": partner.pk})
    assert listed(response) == ["Mía"]
    assert response.context["page_obj"].paginator.count == 1


def test_list_ignores_an_invalid_filter_value(client):
    ClientFactory(name="Ana")
    client.force_login(make_user(Role.AGENT))
    response = client.get(reverse("clients:list"), {"segment": "Z"})
    assert response.status_code == 200
    assert listed(response) == ["Ana"]


def test_list_shows_an_empty_state(client):
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("clients:list")).content.decode()
    assert 'data-testid="clients-empty"' in page
    page = client.get(reverse("clients:list"), {"q": "nadie"}).content.decode()
    assert 'data-testid="clients-empty"' in page


def test_list_pages_by_25(client):
    agent = make_user(Role.AGENT)
    ClientFactory.create_batch(30, assigned_agent=agent)
    client.force_login(agent)
    first = client.get(reverse("clients:list"))
    assert len(first.context["page_obj"]) == 25
    second = client.get(reverse("clients:list"), {"page": 2})
    assert len(second.context["page_obj"]) == 5


def test_client_name_with_html_is_escaped(client):
    target = ClientFactory(name='<script>alert("x")</script>', accessibility_needs="<b>ADA</b>")
    purchase = make_purchase(client=target)
    client.force_login(make_user(Role.AGENT))
    for url in page_urls(purchase):
        page = client.get(url).content.decode()
        assert '<script>alert("x")' not in page, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, url
        assert "<b>ADA</b>" not in page, url


# Query budgets -----------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    url = reverse("clients:list")
    client.get(url)  # warm-up: the first request writes the session
    counts = []
    for size in (3, 30):
        while Client.objects.count() < size:
            target = ClientFactory(assigned_agent=UserFactory(agent=True), languages=["es", "en"])
            PurchaseFactory(client=target)
        counts.append(_count_queries(client, url))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(12):  # +1: the saved views menu
        client.get(url, {"q": "a", "segment": "C", "language": "es"})


def test_client_360_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    # given
    target = ClientFactory(languages=["es", "en"])
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    url = reverse("clients:detail", args=[target.pk])
    client.get(url)
    counts = []
    for size in (3, 30):
        while target.purchases.count() < size:
            purchase = make_purchase(client=target)
            plan = PaymentPlanFactory(purchase=purchase, installment_count=2)
            InstallmentFactory(plan=plan, number=1)
            InstallmentFactory(plan=plan, number=2)
            CreditEntryFactory(client=target)
            OfferFactory(client=target)
            AttendanceFactory(client=target)
        # when
        counts.append(_count_queries(client, url))
    # then
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(13):  # +1: the saved views menu
        client.get(url)


def test_purchase_page_query_count_is_bounded(client, django_assert_max_num_queries):
    purchase = make_purchase()
    plan = PaymentPlanFactory(purchase=purchase, installment_count=3)
    for number in (1, 2, 3):
        InstallmentFactory(plan=plan, number=number)
    client.force_login(make_user(Role.AGENT))
    url = reverse("clients:purchase", args=[purchase.pk])
    client.get(url)
    with django_assert_max_num_queries(9):  # +1: the saved views menu
        client.get(url)


# Payment plans -----------------------------------------------------------------


def test_plan_preview_shows_the_schedule_and_the_surcharge(client):
    """RULES: PAY-3"""
    # given
    purchase = make_purchase("6000.00")
    client.force_login(make_user(Role.AGENT))
    # when
    response = client.post(reverse("clients:purchase", args=[purchase.pk]), plan_data())
    # then
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert [item.amount for item in proposal.installments] == [D("2240.00")] * 3
    page = response.content.decode()
    assert page.count('data-testid="plan-schedule-row"') == 3
    assert "6,720.00" in page
    assert "Recargo 12 %: 720.00 USD; total 6,720.00 USD" in page
    assert 'data-testid="plan-confirm"' in page
    assert not PaymentPlan.objects.exists()


def test_plan_preview_is_in_english_for_a_user_who_chose_english(client):
    purchase = make_purchase("6000.00")
    client.force_login(UserFactory(agent=True, profile__language="en"))
    response = client.post(reverse("clients:purchase", args=[purchase.pk]), plan_data())
    assert "Surcharge 12 %: 720.00 USD; total 6,720.00 USD" in response.content.decode()


def test_plan_preview_over_htmx_renders_the_panel_only(client):
    purchase = make_purchase("6000.00")
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("clients:purchase", args=[purchase.pk]), plan_data(), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.templates[0].name == "clients/partials/_plan_preview.html"
    assert "<html" not in page
    assert page.count('data-testid="plan-schedule-row"') == 3


def test_confirm_creates_the_plan_and_shows_it(client):
    """RULES: PAY-3"""
    purchase = make_purchase("6000.00")
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    url = reverse("clients:purchase", args=[purchase.pk])
    response = client.post(url, plan_data("confirm"))
    assert response.status_code == 302
    assert response.url == url
    plan = PaymentPlan.objects.get(purchase=purchase)
    assert (plan.kind, plan.installment_count, plan.total, plan.created_by) == (
        PaymentPlan.Kind.SURCHARGE,
        3,
        D("6720.00"),
        agent,
    )
    page = client.get(url).content.decode()
    assert 'data-testid="plan-installments"' in page
    assert 'data-testid="plan-form"' not in page


def test_confirming_twice_keeps_one_plan_and_says_why(client):
    purchase = make_purchase("6000.00")
    client.force_login(make_user(Role.AGENT))
    url = reverse("clients:purchase", args=[purchase.pk])
    client.post(url, plan_data("confirm"), follow=True)  # shows and consumes the success
    response = client.post(url, plan_data("confirm"), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert PaymentPlan.objects.filter(purchase=purchase).count() == 1


@pytest.mark.parametrize("action", ["preview", "confirm"])
def test_plan_for_a_purchase_of_exactly_5000_is_refused(client, action):
    """RULES: PAY-1. 5,000.00 itself is not eligible: the service's message is
    shown as a form error and no plan is created."""
    # given
    purchase = make_purchase("5000.00")
    client.force_login(make_user(Role.AGENT))
    with pytest.raises(DomainError) as excinfo:
        services.propose_payment_plan(
            purchase=purchase,
            kind=PaymentPlan.Kind.SURCHARGE,
            installment_count=3,
            first_due_on=timezone.localdate(),
        )
    assert excinfo.value.rule == "PAY-1"
    # when
    response = client.post(reverse("clients:purchase", args=[purchase.pk]), plan_data(action))
    # then
    assert response.status_code == 200
    errors = response.context["plan_form"].non_field_errors()
    with translation.override("es"):
        assert len(errors) == 1
        assert errors[0].startswith(str(excinfo.value.message))
    # the rule's policy is a link, its ID is not shown
    assert 'href="/politicas/#payment-plans"' in errors[0]
    assert "PAY-1" not in response.content.decode()
    assert "Solo se ofrece un plan de pagos para compras de más de 5,000.00 USD" in (
        response.content.decode()
    )
    assert response.context["proposal"] is None
    assert not PaymentPlan.objects.exists()


def test_plan_for_a_purchase_just_above_5000_is_offered(client):
    """RULES: PAY-1"""
    purchase = make_purchase("5000.01")
    client.force_login(make_user(Role.AGENT))
    response = client.post(reverse("clients:purchase", args=[purchase.pk]), plan_data())
    assert response.context["proposal"].total == D("5600.01")


def test_plan_past_the_delivery_period_shows_the_service_error(client):
    """RULES: PAY-2"""
    product = ProductFactory(list_price=D("6000.00"), delivery_period_days=30)
    purchase = PurchaseFactory(product=product, price=D("6000.00"))
    client.force_login(make_user(Role.AGENT))
    response = client.post(reverse("clients:purchase", args=[purchase.pk]), plan_data("confirm"))
    assert response.status_code == 200
    assert response.context["plan_form"].non_field_errors()
    assert not PaymentPlan.objects.exists()


def test_plan_form_checks_shape(client):
    purchase = make_purchase("6000.00")
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("clients:purchase", args=[purchase.pk]),
        plan_data(installment_count="4", interval_days="0", first_due_on="mañana"),
    )
    form = response.context["plan_form"]
    assert set(form.errors) == {"installment_count", "interval_days", "first_due_on"}
    assert not PaymentPlan.objects.exists()


# Payments ------------------------------------------------------------------------


def _plan_with_installments(agent) -> PaymentPlan:
    purchase = make_purchase("6000.00")
    return services.create_payment_plan(
        actor=agent,
        purchase_id=purchase.pk,
        kind=PaymentPlan.Kind.SURCHARGE,
        installment_count=2,
        first_due_on=timezone.localdate(),
    )


def test_recording_an_installment_payment_marks_it_paid(client):
    """RULES: PAY-5"""
    agent = make_user(Role.AGENT)
    plan = _plan_with_installments(agent)
    first = plan.installments.get(number=1)
    client.force_login(agent)
    purchase_url = reverse("clients:purchase", args=[plan.purchase_id])
    assert f'data-testid="payment-form-{first.number}"' in client.get(purchase_url).content.decode()
    response = client.post(
        reverse("clients:installment-payment", args=[plan.purchase_id, first.pk]),
        {
            f"pay-{first.pk}-amount": str(first.amount),
            f"pay-{first.pk}-received_on": timezone.localdate().isoformat(),
            f"pay-{first.pk}-reference": "TRX-1",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_paid
    assert Payment.objects.get().reference == "TRX-1"


def test_overpaying_an_installment_shows_the_service_error_and_changes_nothing(client):
    agent = make_user(Role.AGENT)
    plan = _plan_with_installments(agent)
    first = plan.installments.get(number=1)
    client.force_login(agent)
    response = client.post(
        reverse("clients:installment-payment", args=[plan.purchase_id, first.pk]),
        {
            f"pay-{first.pk}-amount": str(first.amount + 1),
            f"pay-{first.pk}-received_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Payment.objects.exists()
    assert Installment.objects.get(pk=first.pk).paid_amount == 0


def test_payment_on_an_installment_of_another_purchase_answers_404(client):
    agent = make_user(Role.AGENT)
    plan = _plan_with_installments(agent)
    other = make_purchase()
    first = plan.installments.get(number=1)
    client.force_login(agent)
    response = client.post(
        reverse("clients:installment-payment", args=[other.pk, first.pk]),
        {f"pay-{first.pk}-amount": "1", f"pay-{first.pk}-received_on": "2026-01-01"},
    )
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_director_cannot_record_a_payment(client):
    """RULES: ROLE-1"""
    plan = _plan_with_installments(make_user(Role.AGENT))
    first = plan.installments.get(number=1)
    client.force_login(make_user(Role.DIRECTOR))
    response = client.post(
        reverse("clients:installment-payment", args=[plan.purchase_id, first.pk]),
        {f"pay-{first.pk}-amount": "1", f"pay-{first.pk}-received_on": "2026-01-01"},
    )
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_navigation_offers_clients_to_readers_only(client):
    for role in Role:
        client.force_login(make_user(role))
        page = client.get(reverse("notifications")).content.decode()
        assert ('data-nav="clients"' in page) == (role in READERS), role
