"""Portal-wide pages: the landing redirect, each role's home, notifications,
the language selector, the admins' health page and the error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

from pae_ops import selectors, services
from pae_ops.errors import ActRefused, DomainError
from pae_ops.middleware import SESSION_KEY
from pae_ops.roles import Role, primary_role, role_required

User = get_user_model()
# Longer than a bigint: not an id of ours.
MAX_ID_DIGITS = 18

HOME_BY_ROLE = {
    Role.DIRECTOR: "direction",
    Role.LEADER: "team",
    Role.AGENT: "my-work",
    Role.ADMIN: "health",
    Role.PARTNER_APPROVER: "partner-approvals",
}


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    role = primary_role(request.user)
    if role is None:
        # A signed-in user without a role may use nothing: say so kindly.
        raise PermissionDenied
    return redirect(HOME_BY_ROLE[role])


def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.list_notifications(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "pae_ops/notifications.html", {"page_obj": page})


@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the given notifications read, or all of them when no id is sent.

    An id that is not a number, or not one of the user's notifications,
    answers 400 and marks nothing (never "all" by accident).
    """
    raw = request.POST.getlist("id")
    if any(not value.isdigit() or len(value) > MAX_ID_DIGITS for value in raw):
        return render_bad_request(request, _("That notification does not exist."))
    try:
        count = services.mark_notifications_read(
            actor=request.user, notification_ids=[int(value) for value in raw] if raw else None
        )
    except DomainError as exc:
        return render_bad_request(request, exc.message)
    if count:
        messages.success(request, _("Notifications marked as read."))
    return redirect("notifications")


# Saved views ---------------------------------------------------------------------


def saved_views(request: HttpRequest) -> HttpResponse:
    """The user's saved views (with delete) and those their leader shares."""
    return render(
        request, "pae_ops/saved_views.html", {"views": selectors.list_saved_views(request.user)}
    )


def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a saved view: its page with its filters (404 for another's
    private view)."""
    from pae_ops.saved_views import PAGES

    view = selectors.access_saved_view(request.user, pk)
    return redirect(f"{reverse(PAGES[view.page].url_name)}?{view.query}")


@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the current filters of a list page under a name."""
    from pae_ops.saved_views import PAGES

    page = request.POST.get("page", "")
    query = request.POST.get("query", "")[:2000]
    target = PAGES.get(page)
    back = f"{reverse(target.url_name)}?{query}" if target else reverse("saved-views")
    try:
        view = services.save_view(
            actor=request.user,
            page=page,
            name=request.POST.get("name", ""),
            query=query,
            share=request.POST.get("share") == "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return redirect("saved-view-open", pk=view.pk)


@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's own saved views (another's: 404)."""
    services.delete_saved_view(actor=request.user, view_id=pk)
    messages.success(request, _("The view was deleted."))
    return redirect("saved-views")


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the portal language: kept on the profile, the session and a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    try:
        if request.user.is_authenticated:
            services.set_user_language(user=request.user, language=language)
            request.session[SESSION_KEY] = language
        elif language not in dict(settings.LANGUAGES):
            raise DomainError(_("That language is not available."))
    except DomainError as exc:
        messages.error(request, exc.html(request.user))
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    return response


@role_required(Role.ADMIN)
def health(request: HttpRequest) -> HttpResponse:
    """Admins' health page: the periodic jobs' heartbeat and the outbox."""
    return render(
        request,
        "pae_ops/health.html",
        {
            "heartbeat": selectors.heartbeat_status(),
            "outbox": selectors.outbox_status(),
            "database": connection.vendor,
            "broker": _broker_label(settings.CELERY_BROKER_URL),
            "periodic_tasks": PeriodicTask.objects.select_related("interval", "crontab").order_by(
                "name"
            ),
        },
    )


def _broker_label(url: str) -> str:
    """The broker's scheme and host, never its credentials."""
    scheme, _sep, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1].split("/", 1)[0]
    return f"{scheme}://{host}" if host else f"{scheme}://"


def _back_url(request: HttpRequest) -> str:
    """The page the user came from, when it is one of the portal's."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def refusal_message(exception: Exception | None) -> str:
    """What a refused act says (ROLE-1, ROLE-2): the message of an
    ``ActRefused`` or of a ``PermissionDenied`` raised with one, already in
    the user's language (services translate when they raise); "" otherwise."""
    if isinstance(exception, ActRefused):
        return str(exception.message)
    if isinstance(exception, PermissionDenied) and exception.args:
        first = exception.args[0]
        if isinstance(first, str | Promise):
            return str(first)
    return ""


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 with the refusal's message (ROLE-1). An htmx request would not
    swap an error response, so it gets the message as a flash message and
    ``HX-Refresh``: the page reloads and shows it."""
    message = refusal_message(exception)
    if getattr(request, "htmx", False):
        messages.error(request, message or _("Your role does not allow this. Nothing was changed."))
        response = HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
        response["HX-Refresh"] = "true"
        return response
    return render(
        request, "403.html", {"message": message, "back_url": _back_url(request)}, status=403
    )


def render_bad_request(request: HttpRequest, message: str | Promise = "") -> HttpResponse:
    """400 with a clear message; for input no form can hold (a bad id)."""
    return render(
        request,
        "400.html",
        {"message": str(message), "back_url": _back_url(request)},
        status=400,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_bad_request(request)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No request context: the page must render even when the database is down.
    return HttpResponseServerError(loader.get_template("500.html").render({}))
