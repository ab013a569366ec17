"""Internal notes on a case, and the mentions they carry (``cases.notes``,
``cases.mentions``).

Who: agents and leaders write notes on any case (a note changes nothing on
the case: it is how a colleague is pulled in, and how they answer); only its
author edits a note. Directors read them. A closed case takes no more notes.
Rules: ROLE-1.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.mentions import notify_mentions
from cases.models import Case, CaseNote
from cases.notes import NOTE_MAX
from cases.services._common import WORKERS
from pae_ops.errors import ActRefused, DomainError
from pae_ops.roles import require_role


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write the note."))
    if len(body) > NOTE_MAX:
        raise DomainError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX}
        )
    return body


def _ensure_not_closed(case: Case) -> None:
    if case.status == Case.Status.CLOSED:
        raise DomainError(_("This case is closed; it takes no more notes."))


def _notify(actor: AbstractBaseUser, note: CaseNote) -> int:
    return notify_mentions(
        actor=actor,
        text=note.body,
        source=f"case-note:{note.pk}",
        case=note.case,
        client=note.case.client,
        anchor=f"note-{note.pk}",
    )


@transaction.atomic
def add_case_note(*, actor: AbstractBaseUser, case_id: int, body: str) -> CaseNote:
    """Write an internal note on a case; each colleague it mentions is
    notified once.

    Rules: ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    case = Case.objects.select_related("client").get(pk=case_id)
    _ensure_not_closed(case)
    note = CaseNote(case=case, author=actor, body=_clean_body(body))
    note._history_user = actor
    note.save()
    _notify(actor, note)
    return note


@transaction.atomic
def edit_case_note(*, actor: AbstractBaseUser, note_id: int, body: str) -> CaseNote:
    """Change the text of one's own note; only colleagues it did not mention
    before are notified (the history keeps the earlier text).

    Rules: ROLE-1. Raises DomainError or PermissionDenied.
    """
    require_role(actor, *WORKERS)
    # Lock: two saves of the same note at once each keep their history row
    # and the last one wins whole.
    note = (
        CaseNote.objects.select_for_update(of=("self",))
        .select_related("case__client")
        .get(pk=note_id)
    )
    if note.author_id != actor.pk:
        raise ActRefused(_("Only who wrote a note can edit it."), rule="ROLE-1")
    _ensure_not_closed(note.case)
    body = _clean_body(body)
    if body == note.body:
        return note
    note.body = body
    note.edited_at = timezone.now()
    note._history_user = actor
    note.save(update_fields=["body", "edited_at", "updated_at"])
    _notify(actor, note)
    return note
