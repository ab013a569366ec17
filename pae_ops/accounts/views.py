"""Account pages: sign-in's second step, enrolment, the account page, password
reset and change (Django's views in the portal's look), invitations."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from pae_ops.accounts import selectors, services
from pae_ops.accounts.forms import CodeForm, EnrolmentForm, PortalPasswordResetForm, TimeZoneForm
from pae_ops.errors import DomainError
from pae_ops.middleware import TIME_ZONE_SESSION_KEY

RECOVERY_CODES_SESSION_KEY = "accounts_new_recovery_codes"


def _next_url(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _locked(request: HttpRequest) -> HttpResponse:
    from axes.helpers import get_cool_off

    # The same page, and the same lock length, as axes' own lockout answer.
    context = {"cooloff_timedelta": get_cool_off(request)}
    return render(request, "registration/locked_out.html", context, status=429)


# The second factor ------------------------------------------------------------


@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Sign-in's second step: a code from the app, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not services.has_confirmed_totp(request.user):
        return redirect("accounts:two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_second_factor(request=request, token=form.cleaned_data["code"])
        except services.SignInLockedError:
            return _locked(request)
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect(_next_url(request))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: the QR code (inline SVG data URI, no CDN) and a first code."""
    enrolled = services.has_confirmed_totp(request.user)
    if enrolled and not request.user.is_verified():
        # Replacing a factor needs the current one first.
        query = urlencode({"next": request.path})
        return redirect(f"{reverse('accounts:two-factor-verify')}?{query}")
    device = services.start_totp_enrolment(user=request.user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.confirm_totp_enrolment(
                request=request, token=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session[RECOVERY_CODES_SESSION_KEY] = enrolment.recovery_codes
            messages.success(request, _("Your second factor is set up."))
            query = urlencode({"next": _next_url(request, "accounts:account")})
            return redirect(f"{reverse('accounts:recovery-codes')}?{query}")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": _qr_data_uri(device),
            "secret": _grouped_secret(device),
            "replacing": enrolled,
            "required": services.requires_second_factor(request.user),
            "next": _next_url(request, "accounts:account"),
        },
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    # An SVG data: URI in an <img>: the CSP allows img-src data:, and no
    # script or style is involved.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _grouped_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once (they are stored hashed)."""
    if request.method == "POST":
        try:
            codes = services.renew_recovery_codes(request=request)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:account")
        request.session[RECOVERY_CODES_SESSION_KEY] = codes
        return redirect("accounts:recovery-codes")
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:account")
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next_url(request, "accounts:account")},
    )


@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    try:
        services.remove_second_factor(request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your second factor was removed."))
    return redirect("accounts:account")


# The account page -------------------------------------------------------------


def account(request: HttpRequest) -> HttpResponse:
    """Language, time zone, password, second factor, sessions, recent sign-ins."""
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "time_zone_form": TimeZoneForm(
                initial={"time_zone": request.session.get(TIME_ZONE_SESSION_KEY, "")}
            ),
            "factor": selectors.second_factor_status(user),
            "requires_factor": services.requires_second_factor(user),
            "sessions": selectors.list_sessions(user),
            "current_session_key": request.session.session_key,
            "sign_ins": selectors.recent_sign_ins(user),
            "portal_zone": settings.TIME_ZONE,
        },
    )


@require_POST
def time_zone(request: HttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That time zone is not known."))
        return redirect("accounts:account")
    try:
        profile = services.set_user_time_zone(
            user=request.user, time_zone=form.cleaned_data["time_zone"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session[TIME_ZONE_SESSION_KEY] = profile.time_zone
        messages.success(
            request,
            _("Times are now shown in %(zone)s.")
            % {"zone": profile.time_zone or settings.TIME_ZONE},
        )
    return redirect("accounts:account")


@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    count = services.end_other_sessions(request=request)
    messages.success(
        request, _("Signed out everywhere else (%(count)d sessions).") % {"count": count}
    )
    return redirect("accounts:account")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # Django re-keys this session
        services.password_was_changed(request=self.request, old_session_key=old_key)
        messages.success(
            self.request, _("Your password was changed; your other sessions were ended.")
        )
        return response


# Password reset (no login) ----------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_was_reset(user=form.user, request=self.request)
        return response

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if not context.get("validlink"):
            response.status_code = 410  # used or expired: gone, kindly
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# Invitations (no login) ---------------------------------------------------------


INVITATION_SESSION_KEY = "accounts_invitation_token"
INVITATION_URL_TOKEN = "set-password"  # noqa: S105 (a URL segment, not a secret)


@login_not_required
@never_cache
def invitation_accept(request: HttpRequest, invitation_id: int, token: str) -> HttpResponse:
    """The invited person sets their first password; the link then dies.

    Like Django's reset view, a valid link moves its token into the session
    and redirects to a URL without it, so the token stays out of the
    browser's history and of any Referer header.
    """
    if token != INVITATION_URL_TOKEN:
        request.session[INVITATION_SESSION_KEY] = token
        return redirect(
            "accounts:invitation-accept", invitation_id=invitation_id, token=INVITATION_URL_TOKEN
        )
    token = request.session.get(INVITATION_SESSION_KEY, "")
    try:
        invitation = services.get_valid_invitation(invitation_id=invitation_id, token=token)
    except services.InvitationLinkInvalidError:
        return render(request, "accounts/invitation_invalid.html", status=410)
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                invitation_id=invitation.pk,
                token=token,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except services.InvitationLinkInvalidError:
            return render(request, "accounts/invitation_invalid.html", status=410)
        if request.user.is_authenticated:
            logout(request)
        request.session.pop(INVITATION_SESSION_KEY, None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your password is set. Welcome to PAE Ops."))
        return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invited": invitation.user}
    )
