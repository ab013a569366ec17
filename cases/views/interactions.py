"""Logging and typing interactions, response templates and the client's timeline."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import selectors, services
from cases.forms import (
    InteractionForm,
    OpenCaseForm,
    SendSurveyForm,
    TypeInteractionForm,
)
from cases.models import Case, ResponseTemplate
from cases.views.common import (
    CLIENT_SURVEYS,
    CLIENT_TIMELINE_PAGE,
    READERS,
    WORKERS,
    safe_next,
)
from clients.selectors import access_client
from pae_ops.errors import DomainError
from pae_ops.roles import has_role, role_required

# Interactions ---------------------------------------------------------------------


def _fixed_case(request: HttpRequest, client_pk: int) -> Case | None:
    value = request.GET.get("case", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    case = selectors.access_case(request.user, int(value))
    if case.client_id != client_pk:
        raise Http404
    return case


def _interaction_form(request: HttpRequest, client, fixed_case: Case | None, data=None):
    return InteractionForm(
        data,
        fixed_case=fixed_case,
        open_cases=() if fixed_case else selectors.list_client_open_cases(client.pk),
        reasons=selectors.list_reason_choices(),
        templates=selectors.list_active_templates(),
    )


@require_http_methods(["GET", "POST"])
@role_required(*WORKERS)
def interaction_log(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Log an interaction, typed in the same form (TYP-1, TYP-2, COM-6).

    Posted by htmx from the client page and the case page: errors come back
    as the form partial; success sends the browser to the case (or client).
    """
    client = access_client(request.user, client_pk)
    fixed_case = _fixed_case(request, client.pk)
    form = _interaction_form(
        request, client, fixed_case, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interaction = services.log_interaction(
                actor=request.user,
                client_id=client.pk,
                case_id=data["case"],
                channel=data["channel"],
                direction=data["direction"],
                occurred_at=data["occurred_at"],
                summary=data["summary"],
                reason_id=data["reason"],
                template_id=form.template_id(),
                subject=data.get("subject") or "",
                kind=data.get("kind") or Case.Kind.REQUEST,
                # A form posted twice logs once; the repeat answers as the
                # first did.
                submission_key=data.get("submission_key"),
            )
        except DomainError as exc:
            form.add_error(None, exc.html(request.user))
        else:
            messages.success(request, _("The interaction was logged."))
            target = (
                interaction.case.get_absolute_url()
                if interaction.case_id
                else reverse("clients:detail", args=[client.pk])
            )
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"form": form, "client": client, "case": fixed_case}
    if request.htmx:
        return render(request, "cases/partials/_interaction_form.html", context)
    return render(request, "cases/interaction_form_page.html", context)


@require_GET
@role_required(*WORKERS)
def template_body(request: HttpRequest) -> HttpResponse:
    """The summary field with a response template's text added (COM-6, htmx)."""
    summary = request.GET.get("summary", "")
    pk, _sep, language = request.GET.get("template", "").partition(":")
    template = (
        ResponseTemplate.objects.filter(pk=int(pk), is_active=True).first()
        if pk.isdigit()
        else None
    )
    if template is not None:
        body = template.body_for(language or get_language())
        summary = f"{summary.rstrip()}\n\n{body}" if summary.strip() else body
    return render(request, "cases/partials/_summary_field.html", {"summary": summary})


@require_POST
@role_required(*WORKERS)
def interaction_type(request: HttpRequest, pk: int) -> HttpResponse:
    """Type an interaction from the agent's home (TYP-2)."""
    interaction = selectors.access_interaction(request.user, pk)
    form = TypeInteractionForm(request.POST, reasons=selectors.list_reason_choices())
    if not form.is_valid():
        messages.error(request, _("Choose a reason from the typing list."))
    else:
        try:
            services.type_interaction(
                actor=request.user,
                interaction_id=interaction.pk,
                reason_id=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.html(request.user))
        else:
            messages.success(request, _("The interaction was typed."))
    return redirect(safe_next(request, reverse("my-work")))


@require_GET
@role_required(*READERS)
def client_timeline(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The client's interactions and open cases (the 360 page loads it with htmx)."""
    client = access_client(request.user, client_pk)
    page = Paginator(selectors.list_client_interactions(client.pk), CLIENT_TIMELINE_PAGE).get_page(
        request.GET.get("page")
    )
    open_cases = list(selectors.list_client_open_cases(client.pk))
    can_work = has_role(request.user, *WORKERS)
    context = {
        "client": client,
        "page_obj": page,
        "open_cases": open_cases,
        "can_work": can_work,
        "form": InteractionForm(
            open_cases=open_cases,
            reasons=selectors.list_reason_choices(),
            templates=selectors.list_active_templates(),
        )
        if can_work
        else None,
        "open_case_form": OpenCaseForm(prefix="open") if can_work else None,
        # COM-2: the client's latest surveys, and sending one on demand.
        "surveys": list(selectors.list_client_surveys(client.pk)[:CLIENT_SURVEYS]),
        "survey_form": SendSurveyForm() if can_work else None,
    }
    if request.htmx:
        return render(request, "cases/partials/_client_timeline.html", context)
    return render(request, "cases/client_timeline.html", context)
