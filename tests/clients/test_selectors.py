import pytest
from django.http import Http404

from clients import selectors
from clients.filters import ClientFilter
from clients.models import Segment
from tests.clients.factories import (
    AttendanceFactory,
    ClientFactory,
    CreditEntryFactory,
    InstallmentFactory,
    OfferFactory,
    PaymentPlanFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory
from tests.partners.factories import PartnerApproverFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("trait", [None, "partner_approver"])
def test_access_client_answers_404_to_non_staff(trait):
    """RULES: ROLE-1"""
    target = ClientFactory()
    actor = PartnerApproverFactory() if trait else UserFactory()
    with pytest.raises(Http404):
        selectors.access_client(actor, target.pk)
    purchase = PurchaseFactory(client=target)
    with pytest.raises(Http404):
        selectors.access_purchase(actor, purchase.pk)


@pytest.mark.parametrize("trait", ["agent", "leader", "director", "admin"])
def test_access_client_lets_every_staff_role_read_any_client(trait):
    """RULES: ROLE-1. Staff see every client, not only their own."""
    target = ClientFactory()  # assigned to another agent
    assert selectors.access_client(UserFactory(**{trait: True}), target.pk) == target


def test_client_360_reads_in_a_fixed_number_of_queries(django_assert_num_queries):
    target = ClientFactory()
    for _ in range(12):
        purchase = PurchaseFactory(client=target)
        plan = PaymentPlanFactory(purchase=purchase)
        InstallmentFactory(plan=plan, number=1)
        InstallmentFactory(plan=plan, number=2)
        CreditEntryFactory(client=target)
        OfferFactory(client=target)
        AttendanceFactory(client=target)
    PurchaseFactory(client=target)  # one without a plan
    # purchases, installments, credit, offers, attendances
    with django_assert_num_queries(5):
        view = selectors.client_360(target)
        rows = [(p.product.partner.brand_name, list(p.plan_installments)) for p in view.purchases]
    assert len(rows) == 13
    assert len(view.credit_entries) == len(view.attendances) == selectors.RECENT_ROWS
    assert sum(1 for _name, installments in rows if installments) == 12


def test_client_360_gives_the_strategy_of_the_segment_in_force():
    """RULES: SEG-6"""
    target = ClientFactory(computed_segment=Segment.B)
    assert selectors.client_360(target).strategies == selectors.SEGMENT_STRATEGIES["B"]


def test_list_clients_applies_a_bound_filter():
    ClientFactory(name="Ana")
    ClientFactory(name="Bruno")
    filters = ClientFilter({"q": "ana"})
    assert [c.name for c in selectors.list_clients(filters=filters)] == ["Ana"]
    assert [c.name for c in selectors.list_clients()] == ["Ana", "Bruno"]
