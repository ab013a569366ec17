"""The public survey page: no login, one answer, kind 410/404/429 pages,
headers, and the token never in a log (COM-2, RES-7, DESIGN)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case, Survey
from cases.survey_links import make_token, survey_path
from pae_ops.log_redaction import RedactingGunicornLogger, RedactSecretPathsFilter
from tests.cases.factories import SurveyFactory
from tests.clients.factories import ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "default_calendar")]


def _assert_public_headers(response) -> None:
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_the_survey_page_needs_no_login_and_is_accessible(client):
    """RULES: COM-2. Star buttons are radio inputs in a fieldset with a legend,
    each named for screen readers ("3 de 5 estrellas"); no inline style or script."""
    survey = SurveyFactory(kind="csat")
    response = client.get(survey_path(survey.pk))

    assert response.status_code == 200
    _assert_public_headers(response)
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "<fieldset" in page
    assert "<legend" in page
    assert page.count('type="radio"') == 6  # 0 to 5 stars
    assert 'aria-label="3 de 5 estrellas"' in page
    assert 'name="viewport"' in page
    assert "style=" not in page
    assert "<script" not in page


def test_the_nps_page_offers_zero_to_ten_and_ces_one_to_seven(client):
    """RULES: COM-2"""
    nps = client.get(survey_path(SurveyFactory(kind="nps").pk)).content.decode()
    ces = client.get(survey_path(SurveyFactory(kind="ces").pk)).content.decode()
    assert nps.count('type="radio"') == 11
    assert 'aria-label="10 de 10"' in nps
    assert ces.count('type="radio"') == 7
    assert 'aria-label="1 de 7"' in ces


def test_an_english_client_sees_the_survey_in_english(client):
    """RULES: COM-2"""
    survey = SurveyFactory(kind="csat", language="en")
    response = client.get(survey_path(survey.pk))
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert 'aria-label="2 of 5 stars"' in page
    assert response["Content-Language"] == "en"


def test_two_stars_with_a_comment_opens_a_follow_up_case(client):
    """RULES: COM-2, RES-7"""
    customer = ClientFactory()
    survey = SurveyFactory(client=customer, kind="csat")
    response = client.post(survey_path(survey.pk), {"score": "2", "comment": "Tardaron días"})

    assert response.status_code == 200
    _assert_public_headers(response)
    assert 'data-testid="survey-thanks"' in response.content.decode()
    survey.refresh_from_db()
    assert (survey.status, survey.score, survey.comment) == ("answered", 2, "Tardaron días")
    assert Case.objects.get(kind="follow_up").assignee == customer.assigned_agent


def test_a_link_used_twice_answers_410_with_a_kind_page(client):
    """RULES: COM-2"""
    survey = SurveyFactory(kind="nps")
    client.post(survey_path(survey.pk), {"score": "9"})

    for method in (client.get, client.post):
        response = method(survey_path(survey.pk), {"score": "0"})
        assert response.status_code == 410
        _assert_public_headers(response)
        assert "Ya tenemos tu respuesta" in response.content.decode()
    survey.refresh_from_db()
    assert survey.score == 9


def test_an_expired_link_answers_410(client, clock):
    """RULES: COM-2. 30 days after it was sent."""
    survey = SurveyFactory(kind="csat")
    clock.advance(days=30)
    response = client.post(survey_path(survey.pk), {"score": "5"})
    assert response.status_code == 410
    assert 'data-testid="survey-closed"' in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature
        lambda token: "MQ" + token[2:],  # payload (another survey id)
        lambda token: token.split(":")[0],  # no signature
        lambda token: "nada",
    ],
)
def test_a_tampered_link_answers_404_and_changes_nothing(client, mangle):
    """RULES: COM-2"""
    survey = SurveyFactory(kind="csat")
    token = mangle(make_token(survey.pk))
    response = client.post(f"/s/{token}/", {"score": "0"})
    assert response.status_code == 404
    _assert_public_headers(response)
    assert 'data-testid="survey-invalid"' in response.content.decode()
    assert not Survey.objects.filter(status="answered").exists()


def test_an_answer_without_a_score_is_refused(client):
    """RULES: COM-2"""
    survey = SurveyFactory(kind="csat")
    response = client.post(survey_path(survey.pk), {"comment": "Sin puntuación"})
    assert response.status_code == 400
    assert "Elige una respuesta." in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT


def test_survey_links_are_rate_limited_per_address(client, settings):
    """RULES: COM-2. Beyond the limit a kind 429 page, whatever the token."""
    settings.SURVEY_RATE_LIMIT = 3
    survey = SurveyFactory(kind="csat")
    for _ in range(3):
        assert client.get(survey_path(survey.pk)).status_code == 200
    response = client.get(survey_path(survey.pk))
    assert response.status_code == 429
    _assert_public_headers(response)
    assert 'data-testid="survey-rate-limited"' in response.content.decode()
    # Another address is not affected.
    other = client.get(survey_path(survey.pk), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_the_token_never_reaches_a_log(client, settings, caplog):
    """RULES: COM-2. DESIGN: the token is never logged (404, 410, 429, 400, 200)."""
    settings.SURVEY_RATE_LIMIT = 6
    survey = SurveyFactory(kind="csat")
    token = make_token(survey.pk)
    caplog.set_level(logging.DEBUG)

    client.get(f"/s/{token}/")
    client.post(f"/s/{token}/", {"comment": "sin puntos"})  # 400
    client.post(f"/s/{token}/", {"score": "4"})
    client.get(f"/s/{token}/")  # 410
    client.get(f"/s/{token}x/")  # 404
    client.get(f"/s/{token}/")  # 429

    assert caplog.records, "Django logs 4xx responses; the test must see them"
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in str(record.args or "")
    assert any("/s/[redacted]/" in record.getMessage() for record in caplog.records)


def test_runserver_and_gunicorn_access_logs_redact_the_token():
    """RULES: COM-2. The request lines of django.server and gunicorn."""
    token = make_token(42)
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /s/{token}/ HTTP/1.1", 200, 10),
        None,
    )
    RedactSecretPathsFilter().filter(record)
    assert token not in record.getMessage()

    logger = RedactingGunicornLogger.__new__(RedactingGunicornLogger)

    class _Response:
        status = "200 OK"
        headers = ()
        sent = 10

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/{token}/",
        "PATH_INFO": f"/s/{token}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    atoms = logger.atoms(_Response(), {}, environ, timedelta(seconds=1))
    assert token not in atoms["r"]
    assert token not in atoms["U"]
    assert atoms["r"] == "GET /s/[redacted]/ HTTP/1.1"


def _views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_the_survey_page_is_the_only_view_without_a_login():
    """RULES: ROLE-1. Only Django's own login views and the survey link opt out."""
    public = {
        route
        for route, view in _views(get_resolver().url_patterns)
        if getattr(view, "login_required", True) is False
        and not route.startswith("admin/")
        and getattr(view, "__module__", "").split(".")[0] != "django"
    }
    # The language picker of the login page predates this, and the
    # orchestrator's health probes (no data: "OK" or a generic error); the
    # survey link is the only page with data behind it. The password-reset
    # pages (Django's views in the portal's look) and the invitation link are
    # the signing-in path itself (docs/security.md); their links work once.
    assert public == {
        "s/<str:token>/",
        "language/",
        "health/live/",
        "health/ready/",
        "health/jobs/",
        "account/reset/",
        "account/reset/sent/",
        "account/reset/done/",
        "account/reset/<uidb64>/<token>/",
        "account/invitation/<int:invitation_id>/<str:token>/",
    }


def test_an_answer_needs_no_session_and_sets_no_cookie(client):
    """RULES: COM-2. An anonymous visitor posting from a no-referrer page
    (browsers then send ``Origin: null``): the signed link is the credential."""
    from django.test import Client

    survey = SurveyFactory(kind="ces")
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(survey_path(survey.pk))
    assert not page.cookies
    response = strict.post(survey_path(survey.pk), {"score": "6"}, HTTP_ORIGIN="null")
    assert response.status_code == 200
    assert not response.cookies
    survey.refresh_from_db()
    assert survey.answered_at is not None
    assert survey.answered_at <= survey.expires_at - timedelta(days=29)
