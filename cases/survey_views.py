"""The public survey page (COM-2): the portal's only page without a login.

``/s/<token>/`` shows the survey in the client's language and takes one
answer. What keeps the link safe (DESIGN, reliability and security):

- the token is signed (``cases.survey_links``); a bad one gets a kind 404;
- one answer: the service locks the survey and refuses a second answer; a
  used or expired link gets a kind 410 page;
- ``Referrer-Policy: no-referrer`` so the page's own requests never carry
  the link, ``Cache-Control: no-store``, ``X-Robots-Tag: noindex``;
- the token is never logged: the paths are redacted by
  ``pae_ops.log_redaction`` and nothing here logs the request;
- a per-client-address request counter in PostgreSQL (``SURVEY_RATE_LIMIT``
  requests per ``SURVEY_RATE_WINDOW_SECONDS``; no Redis needed) answers 429
  with a kind page beyond it;
- no CSRF token: the answer is authorised by the link's signed token, not by
  a session (a forged cross-site post would need the secret link itself),
  and with ``no-referrer`` browsers send ``Origin: null`` on the post, which
  Django's origin check refuses. The page sets no cookie at all.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cases import selectors, services
from cases.forms import SurveyAnswerForm
from cases.models import Survey
from cases.survey_links import survey_id_from_token
from pae_ops import throttle
from pae_ops.errors import DomainError


def _rate_limited(request: HttpRequest) -> bool:
    """Count this request against its client's address; True beyond the limit.

    Counted in PostgreSQL (``pae_ops.throttle``): the page works with Redis
    down. ``REMOTE_ADDR`` is the client's own address behind a trusted proxy
    (``pae_ops.client_address``).
    """
    return throttle.hit(
        "survey",
        request.META.get("REMOTE_ADDR", ""),
        limit=settings.SURVEY_RATE_LIMIT,
        window_seconds=settings.SURVEY_RATE_WINDOW_SECONDS,
    )


def _page(
    request: HttpRequest, template: str, context: dict, *, status: int, language: str
) -> HttpResponse:
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _options(survey: Survey) -> list[dict[str, str]]:
    """Each answer's value, what it shows and what a screen reader says."""
    low, high = survey.scale
    options = []
    for value in range(low, high + 1):
        if survey.kind == Survey.Kind.CSAT:
            visual = "★" * value + "☆" * (high - value)
            spoken = _("%(value)d of %(high)d stars") % {"value": value, "high": high}
        else:
            visual = str(value)
            spoken = _("%(value)d of %(high)d") % {"value": value, "high": high}
        options.append({"value": str(value), "visual": visual, "spoken": spoken})
    return options


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show a survey and take its one answer (COM-2; RES-7 and SEG-4 follow)."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    if _rate_limited(request):
        return _page(request, "cases/survey/rate_limited.html", {}, status=429, language=current)
    survey_id = survey_id_from_token(token)
    survey = selectors.get_survey_for_answer(survey_id) if survey_id else None
    if survey is None:
        return _page(request, "cases/survey/invalid.html", {}, status=404, language=current)
    language = survey.language
    closed = {"survey": survey}
    if survey.status != Survey.Status.SENT or survey.expires_at <= timezone.now():
        return _page(request, "cases/survey/closed.html", closed, status=410, language=language)

    with translation.override(language):
        form = SurveyAnswerForm(
            request.POST if request.method == "POST" else None, scale=survey.scale
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.answer_survey(
                    survey_id=survey.pk,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.SurveyClosedError:
                return _page(
                    request, "cases/survey/closed.html", closed, status=410, language=language
                )
            except DomainError as exc:
                form.add_error(None, exc.html(request.user))
            else:
                return _page(
                    request, "cases/survey/thanks.html", closed, status=200, language=language
                )
        context = {"survey": survey, "form": form, "options": _options(survey)}
    status = 400 if request.method == "POST" else 200
    return _page(request, "cases/survey/answer.html", context, status=status, language=language)
