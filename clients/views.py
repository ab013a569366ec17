"""Client pages: the list, the 360 page, segment overrides and a purchase's payment plan.

Views parse, call one selector or service, and render or redirect; the rules
are the services' (ROLE-1 is checked here first, and again in the service).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients import selectors, services
from clients.filters import ClientFilter
from clients.forms import InstallmentPaymentForm, PaymentPlanForm, SegmentOverrideForm
from clients.models import Purchase
from pae_ops.errors import DomainError
from pae_ops.roles import Role, has_role, require_role, role_required
from pae_ops.timezones import portal_today

LIST_PAGE_SIZE = 25
# Agents, leaders and directors read every client (RULES, Roles).
READERS = (Role.AGENT, Role.LEADER, Role.DIRECTOR)
# Who changes purchases and plans; the services check the same set.
WORKERS = (Role.AGENT, Role.LEADER)


@require_GET
@role_required(*READERS)
def client_list(request: HttpRequest) -> HttpResponse:
    """Every client, searchable and filtered, 25 a page."""
    filterset = ClientFilter(request.GET or None)
    page = Paginator(selectors.list_clients(filters=filterset), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clients/client_list.html",
        {"filter": filterset, "page_obj": page, "query_string": query.urlencode()},
    )


@require_GET
@role_required(*READERS)
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The client 360 page (SEG-5, SEG-6, COM-5)."""
    client = selectors.access_client(request.user, pk)
    can_override = has_role(request.user, Role.LEADER)
    return render(
        request,
        "clients/client_detail.html",
        {
            "overview": selectors.client_360(client),
            "client": client,
            "can_override": can_override,
            "override_form": SegmentOverrideForm(
                initial={"segment": client.segment, "reason": client.override_reason}
            )
            if can_override
            else None,
        },
    )


@require_POST
@role_required(Role.LEADER)
def segment_override(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or remove a leader's segment override (SEG-5)."""
    client = selectors.access_client(request.user, pk)
    try:
        if request.POST.get("action") == "remove":
            services.remove_segment_override(actor=request.user, client_id=client.pk)
            messages.success(request, _("The override was removed: the computed segment applies."))
        else:
            form = SegmentOverrideForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose segment A, B or C."))
                return redirect("clients:detail", pk=client.pk)
            services.override_segment(
                actor=request.user,
                client_id=client.pk,
                segment=form.cleaned_data["segment"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The segment override was saved."))
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
    return redirect("clients:detail", pk=client.pk)


def _initial_first_due(purchase: Purchase):
    return max(portal_today(), purchase.purchased_on)


def _render_purchase(
    request: HttpRequest,
    purchase: Purchase,
    *,
    plan_form: PaymentPlanForm | None = None,
    proposal: services.PlanProposal | None = None,
    payment_form: InstallmentPaymentForm | None = None,
    payment_installment_id: int | None = None,
) -> HttpResponse:
    plan = getattr(purchase, "plan", None)
    can_work = has_role(request.user, *WORKERS)
    if plan is None and plan_form is None:
        plan_form = PaymentPlanForm(initial={"first_due_on": _initial_first_due(purchase)})
    if plan is not None and can_work:
        today = portal_today()
        for installment in purchase.plan_installments:
            if installment.pk == payment_installment_id:
                installment.payment_form = payment_form
            elif not installment.is_paid:
                installment.payment_form = InstallmentPaymentForm(
                    prefix=f"pay-{installment.pk}",
                    initial={
                        "amount": installment.amount - installment.paid_amount,
                        "received_on": today,
                    },
                )
    context = {
        "purchase": purchase,
        "client": purchase.client,
        "plan": plan,
        "plan_form": plan_form,
        "proposal": proposal,
        "can_work": can_work,
        "eligible": services.is_plan_eligible(purchase.price),
        "plan_threshold": services.PLAN_THRESHOLD,
        "surcharge_percent": int(services.SURCHARGE_RATE * 100),
    }
    if request.htmx and plan_form is not None and plan_form.is_bound:
        return render(request, "clients/partials/_plan_preview.html", context)
    return render(request, "clients/purchase_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*READERS)
def purchase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A purchase and its payment plan: preview and confirm a plan (PAY-1..4),
    or follow its installments."""
    purchase = selectors.access_purchase(request.user, pk)
    if request.method == "GET":
        return _render_purchase(request, purchase)
    # Directors read the page; only agents and leaders preview or confirm.
    require_role(request.user, *WORKERS)
    form = PaymentPlanForm(request.POST)
    if not form.is_valid():
        return _render_purchase(request, purchase, plan_form=form)
    data = form.cleaned_data
    try:
        if request.POST.get("action") == PaymentPlanForm.CONFIRM:
            services.create_payment_plan(
                actor=request.user,
                purchase_id=purchase.pk,
                kind=data["kind"],
                installment_count=data["installment_count"],
                first_due_on=data["first_due_on"],
                interval_days=data["interval_days"],
            )
        else:
            proposal = services.propose_payment_plan(
                purchase=purchase,
                kind=data["kind"],
                installment_count=data["installment_count"],
                first_due_on=data["first_due_on"],
                interval_days=data["interval_days"],
            )
            return _render_purchase(request, purchase, plan_form=form, proposal=proposal)
    except DomainError as exc:
        if getattr(purchase, "plan", None) is not None:
            # The page shows the plan, not the form (e.g. a second "confirm").
            messages.error(request, exc.html(request.user))
            return redirect("clients:purchase", pk=purchase.pk)
        form.add_error(None, exc.html(request.user))
        return _render_purchase(request, purchase, plan_form=form)
    messages.success(request, _("The payment plan was created."))
    return redirect("clients:purchase", pk=purchase.pk)


@require_POST
@role_required(*WORKERS)
def installment_payment(request: HttpRequest, pk: int, installment_pk: int) -> HttpResponse:
    """Record money received for one installment of the purchase's plan (PAY-5)."""
    purchase = selectors.access_purchase(request.user, pk)
    if installment_pk not in {item.pk for item in purchase.plan_installments}:
        raise Http404
    form = InstallmentPaymentForm(request.POST, prefix=f"pay-{installment_pk}")
    if form.is_valid():
        try:
            services.record_payment(
                actor=request.user,
                purchase_id=purchase.pk,
                installment_id=installment_pk,
                amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"],
                reference=form.cleaned_data["reference"],
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, _("The payment was recorded."))
            return redirect("clients:purchase", pk=purchase.pk)
    return _render_purchase(
        request, purchase, payment_form=form, payment_installment_id=installment_pk
    )
