"""Client emails (survey links, change notices) through the one outbox.

A client is not a user: these emails go to the client's address through
``pae_ops.outbox`` like every other email. This module owns the two kinds:
it queues them (in the act's transaction, idempotent by a dedupe key) and
renders them when the relay sends them (registered in ``CasesConfig.ready``):
a survey's signed link is derived then and never stored, and an email whose
survey was answered or expired, or whose notice was cancelled, is skipped.
The client's address is never logged.
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ChangeNotice, Survey
from cases.survey_links import survey_url
from clients.models import Client
from pae_ops.models import OutboxEmail
from pae_ops.outbox import Email, Priority, SkipEmail, queue_email, queue_emails

SURVEY = "survey"
CHANGE_NOTICE = "change_notice"


def queue_survey_email(*, survey: Survey, client: Client) -> OutboxEmail:
    """The survey's email to its client, once per survey."""
    return queue_email(
        kind=SURVEY,
        to_address=client.email,
        language=survey.language,
        context={"survey_id": survey.pk},
        priority=Priority.NORMAL,
        dedupe_key=f"survey:{survey.pk}",
    )


def queue_notice_emails(*, notice: ChangeNotice, recipients: list[tuple[int, str, str]]) -> int:
    """The notice's email to each (client id, address, language), once per client."""
    return queue_emails(
        Email(
            kind=CHANGE_NOTICE,
            to_address=address,
            language=language,
            context={"notice_id": notice.pk, "client_id": client_id},
            priority=Priority.BULK,
            dedupe_key=f"notice:{notice.pk}:{client_id}",
        )
        for client_id, address, language in recipients
    )


# Rendering at send time ---------------------------------------------------------


def prepare_surveys(rows: list[OutboxEmail]) -> None:
    """Load the batch's surveys and their clients in one query."""
    surveys = Survey.objects.select_related("client").in_bulk(
        {row.context.get("survey_id") for row in rows} - {None}
    )
    for row in rows:
        row._source = surveys.get(row.context.get("survey_id"))


def prepare_notices(rows: list[OutboxEmail]) -> None:
    """Load the batch's notices and clients in two queries."""
    notices = ChangeNotice.objects.in_bulk({row.context.get("notice_id") for row in rows} - {None})
    clients = Client.objects.in_bulk({row.context.get("client_id") for row in rows} - {None})
    for row in rows:
        row._source = notices.get(row.context.get("notice_id"))
        row._client = clients.get(row.context.get("client_id"))


def render_survey(row: OutboxEmail, *, now: datetime | None = None) -> tuple[str, str]:
    """A survey's subject and text with its signed link (derived now, never stored)."""
    survey = getattr(row, "_source", None)
    if survey is None:
        survey = Survey.objects.select_related("client").filter(pk=row.context.get("survey_id"))
        survey = survey.first()
    if survey is None:
        raise SkipEmail("The survey no longer exists.")
    now = now or timezone.now()
    if survey.status != Survey.Status.SENT or survey.expires_at <= now:
        raise SkipEmail(_("The survey was answered or expired before its email went out."))
    subject = {
        Survey.Kind.CSAT: _("How did we do? Tell us in one minute"),
        Survey.Kind.NPS: _("Would you recommend us?"),
        Survey.Kind.CES: _("How easy was it for you?"),
    }[Survey.Kind(survey.kind)]
    body = render_to_string(
        "cases/email/survey.txt",
        {"client": survey.client, "survey": survey, "url": survey_url(survey.pk)},
    )
    return subject, body


def render_change_notice(row: OutboxEmail) -> tuple[str, str]:
    """A change notice's title and text in the email's language."""
    notice = (
        getattr(row, "_source", None)
        or ChangeNotice.objects.filter(pk=row.context.get("notice_id")).first()
    )
    client = (
        getattr(row, "_client", None)
        or Client.objects.filter(pk=row.context.get("client_id")).first()
    )
    if notice is None or client is None:
        raise SkipEmail("The notice or its client no longer exists.")
    if notice.status == ChangeNotice.Status.CANCELLED:
        raise SkipEmail(_("The notice was cancelled."))
    body = render_to_string(
        "cases/email/change_notice.txt",
        {"client": client, "notice": notice, "body": notice.body_for(row.language)},
    )
    return notice.title_for(row.language), body
