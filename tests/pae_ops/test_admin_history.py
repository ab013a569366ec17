"""Django admin keeps history to read, never to revert, for every model that keeps it.

django-simple-history's "revert" page saves a whole past version on POST.
Every registered admin of a model with history is walked here, so a new
model registered without ``pae_ops.admin_mixins.ReadOnlyHistoryAdmin`` fails
(and so does ``manage.py check``: pae_ops.E001).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from cases.models import Case, SlaSettings
from clients import services as client_services
from clients.models import Client, CreditEntry, Purchase
from pae_ops.admin_mixins import (
    admins_with_history,
    check_history_is_read_only,
    revertible_history_admins,
)
from refunds.models import ExitSurvey, RefundRequest
from tests.cases.factories import (
    CaseFactory,
    ChangeNoticeFactory,
    InteractionFactory,
    ResponseTemplateFactory,
    TypingCategoryFactory,
    TypingReasonFactory,
)
from tests.clients.factories import (
    ClientFactory,
    OfferFactory,
    PaymentFactory,
    PaymentPlanFactory,
    ProductFactory,
    PurchaseFactory,
)
from tests.factories import UserFactory
from tests.pae_ops.factories import BusinessCalendarFactory
from tests.partners.factories import PartnerContactFactory, PartnerFactory
from tests.refunds.factories import RefundRequestFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _exit_survey() -> ExitSurvey:
    request = RefundRequestFactory(kind=RefundRequest.Kind.CANCELLATION, diagnosed=True)
    return ExitSurvey.objects.create(
        request=request, sent_at=timezone.now(), sent_by=request.opened_by, refused=True
    )


def _sla_settings() -> SlaSettings:
    settings = SlaSettings.objects.get_or_create(pk=1)[0]
    settings.save()  # the data migration's row has no version yet
    return settings


# One way to make a row of each model with history. A model registered in
# the admin with history and missing here fails the walk below: add it.
BUILDERS: dict[str, Callable[[], Model]] = {
    "pae_ops.Profile": lambda: UserFactory(agent=True).profile,
    "pae_ops.BusinessCalendar": lambda: BusinessCalendarFactory(),
    "partners.Partner": lambda: PartnerFactory(),
    "partners.PartnerContact": lambda: PartnerContactFactory(),
    "clients.Client": lambda: ClientFactory(),
    "clients.Product": lambda: ProductFactory(),
    "clients.Purchase": lambda: PurchaseFactory(),
    "clients.PaymentPlan": lambda: PaymentPlanFactory(),
    "clients.Payment": lambda: PaymentFactory(),
    "clients.Offer": lambda: OfferFactory(),
    "cases.SlaSettings": _sla_settings,
    "cases.TypingCategory": lambda: TypingCategoryFactory(),
    "cases.TypingReason": lambda: TypingReasonFactory(),
    "cases.ResponseTemplate": lambda: ResponseTemplateFactory(),
    "cases.Case": lambda: CaseFactory(),
    "cases.Interaction": lambda: InteractionFactory(),
    "cases.ChangeNotice": lambda: ChangeNoticeFactory(),
    "refunds.RefundRequest": lambda: RefundRequestFactory(awaiting_partial=True),
    "refunds.ExitSurvey": _exit_survey,
}


def _label(model_admin: admin.ModelAdmin) -> str:
    return model_admin.model._meta.label


HISTORY_ADMINS = sorted(admins_with_history(), key=_label)


def _snapshot(obj: Model) -> dict:
    """Every concrete field of the row as stored, and how many versions it has."""
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    values = {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}
    return {"row": values, "versions": fresh.history.count()}


def _post_data(form: forms.BaseForm) -> dict:
    """What the revert page's form would post back for the version it shows."""
    data: dict = {}
    for bound in form:
        widget = getattr(bound.field.widget, "widget", bound.field.widget)  # admin's wrapper
        value = bound.value()
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=False):
                data[f"{bound.html_name}{suffix}"] = sub.format_value(part) or ""
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(widget, forms.FileInput) or value is None:
            continue
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            formatted = widget.format_value(value)
            data[bound.html_name] = formatted if formatted is not None else ""
    return data


def _revert(client, model_admin: admin.ModelAdmin, obj: Model, user, version=None):
    """POST a past version of ``obj`` to its revert page, as ``user``."""
    version = version or obj.history.order_by("history_date").first()
    meta = model_admin.model._meta
    url = reverse(
        f"admin:{meta.app_label}_{meta.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )
    request = RequestFactory().get(url)
    request.user = user
    form = model_admin.get_form(request, version.instance)(instance=version.instance)
    client.force_login(user)
    return url, client.post(url, {**_post_data(form), "_save": "Revert"})


def test_every_history_admin_has_a_builder_here():
    """RULES: REF-10. A new model with history in the admin must join the walk."""
    missing = sorted({_label(m) for m in HISTORY_ADMINS} - set(BUILDERS))
    assert missing == [], f"add a builder for {missing} to BUILDERS"
    assert len(HISTORY_ADMINS) >= 19


@pytest.mark.parametrize("model_admin", HISTORY_ADMINS, ids=_label)
def test_history_revert_answers_403_to_a_superuser_and_changes_nothing(client, model_admin):
    """RULES: REF-10, ROLE-1. Every admin of a model with history, superusers included."""
    # given: a row with its history and a superuser
    obj = BUILDERS[_label(model_admin)]()
    assert obj.history.exists()
    superuser = UserFactory(admin=True, is_superuser=True)
    before = _snapshot(obj)
    log_entries = LogEntry.objects.count()

    # when: the past version is posted back, as the revert button would
    url, response = _revert(client, model_admin, obj, superuser)

    # then: refused, and the row, its history and the admin log are as they were
    assert response.status_code == 403
    assert _snapshot(obj) == before
    assert LogEntry.objects.count() == log_entries
    page = client.get(url)  # reading a past version is still possible
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_a_refunded_purchase_cannot_be_reverted_to_active(client):
    """RULES: REF-10, ROLE-1. The review's case: an Admin posting the purchase's
    version from before its full refund, and the client's too."""
    # given: a purchase paid and fully refunded, and a client with credit
    agent = UserFactory(agent=True)
    purchase = PurchaseFactory(client=ClientFactory(assigned_agent=agent))
    client_services.record_payment(
        actor=agent,
        purchase_id=purchase.pk,
        amount=purchase.price,
        received_on=timezone.localdate(),
    )
    client_services.record_refund_against_purchase(
        purchase_id=purchase.pk, amount=purchase.price, full=True, source_key="refund:test"
    )
    client_services.apply_credit(
        client_id=purchase.client_id,
        amount=D("250.00"),
        kind=CreditEntry.Kind.RETENTION_INCENTIVE,
        created_by=agent,
    )
    admin_user = UserFactory(admin=True)
    purchase_admin = admin.site._registry[Purchase]
    client_admin = admin.site._registry[Client]
    active = purchase.history.filter(status=Purchase.Status.ACTIVE).earliest("history_date")
    no_credit = Client.history.filter(id=purchase.client_id).earliest("history_date")

    # when
    _url, purchase_response = _revert(client, purchase_admin, purchase, admin_user, active)
    _url, client_response = _revert(client, client_admin, purchase.client, admin_user, no_credit)

    # then
    assert (purchase_response.status_code, client_response.status_code) == (403, 403)
    purchase.refresh_from_db()
    assert purchase.status == Purchase.Status.REFUNDED
    assert purchase.refunded_amount == purchase.price
    customer = Client.objects.get(pk=purchase.client_id)
    assert customer.credit_balance == D("250.00")
    assert customer.net_paid == D("0.00")


def test_a_breached_case_cannot_be_reverted_to_new(client):
    """RULES: REF-10, ROLE-1"""
    case = CaseFactory()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ESCALATED, escalation_level=1)
    case = Case.objects.get(pk=case.pk)
    case.save()  # a version with the new state, as a service's save writes it
    new = case.history.earliest("history_date")

    _url, response = _revert(
        client, admin.site._registry[Case], case, UserFactory(admin=True, is_superuser=True), new
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.status, case.escalation_level) == (Case.Status.ESCALATED, 1)


def test_the_system_check_names_an_admin_that_lets_history_be_reverted():
    """RULES: REF-10. pae_ops.E001 for a plain SimpleHistoryAdmin; none on the real site."""
    assert check_history_is_read_only() == []
    assert revertible_history_admins() == []
    site = admin.AdminSite(name="probe")
    site.register(Purchase, SimpleHistoryAdmin)
    site.register(Client, admin.ModelAdmin)  # no history pages at all: nothing to revert
    assert [_label(m) for m in revertible_history_admins(site)] == ["clients.Purchase"]
