"""The case page's timeline: interactions, internal notes and attachments in
one chronological list, and who may add to it or open its files.

The timeline pages by interactions (``cases.views``, 100 a page, oldest
first); the notes and files of a page are those written between its first
interaction and the next page's first one (the first page also takes what
came earlier, the last what came later), so every note and file shows on
exactly one page. A page reads a fixed number of queries whatever its rows.
Rules: ROLE-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page
from django.http import Http404

from cases.attachments import CaseAttachment
from cases.models import Case
from cases.notes import CaseNote
from cases.selectors import CASE_READERS, can_change_case, list_case_interactions
from pae_ops.roles import Role, has_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Who writes notes: who works cases (any case: a note changes nothing on it).
NOTE_WRITERS = (Role.AGENT, Role.LEADER)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "interaction", "note" or "attachment"
    at: datetime
    item: Any


_ORDER = {"interaction": 0, "note": 1, "attachment": 2}


def case_timeline(case: Case, page: Page) -> list[TimelineEntry]:
    """The page's interactions with the notes and files of its time span,
    in time order (three queries)."""
    interactions = list(page.object_list)
    since = interactions[0].occurred_at if page.has_previous() and interactions else None
    # The next page's first interaction (none on the last page), read on
    # every page so that the query count is the same for any number of rows.
    following = list_case_interactions(case).values_list("occurred_at", flat=True)
    until = next(iter(following[page.end_index() : page.end_index() + 1]), None)
    notes = CaseNote.objects.filter(case=case).select_related("author")
    files = CaseAttachment.objects.filter(case=case).select_related("uploaded_by")
    if since is not None:
        notes, files = notes.filter(created_at__gte=since), files.filter(created_at__gte=since)
    if until is not None:
        notes, files = notes.filter(created_at__lt=until), files.filter(created_at__lt=until)
    entries = [TimelineEntry("interaction", i.occurred_at, i) for i in interactions]
    entries += [TimelineEntry("note", n.created_at, n) for n in notes]
    entries += [TimelineEntry("attachment", f.created_at, f) for f in files]
    entries.sort(key=lambda e: (e.at, _ORDER[e.kind], e.item.pk))
    return entries


def can_write_notes(actor: AbstractBaseUser, case: Case) -> bool:
    """Agents and leaders write notes on any case that is not closed."""
    return has_role(actor, *NOTE_WRITERS) and case.status != Case.Status.CLOSED


def can_attach_files(actor: AbstractBaseUser, case: Case) -> bool:
    """Whoever may change the case attaches files to it while it is open or
    resolved (ROLE-1)."""
    return case.status != Case.Status.CLOSED and can_change_case(actor, case)


def access_case_attachment(
    actor: AbstractBaseUser | AnonymousUser | None, pk: int
) -> CaseAttachment:
    """The attachment ``pk`` for whoever reads cases; 404 for anyone else
    (a partner approver, an admin) and for an unknown file (ROLE-1)."""
    if not has_role(actor, *CASE_READERS):
        raise Http404
    attachment = CaseAttachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def access_case_note(actor: AbstractBaseUser | AnonymousUser | None, pk: int) -> CaseNote:
    """The note ``pk`` with its case for whoever reads cases; 404 otherwise."""
    if not has_role(actor, *CASE_READERS):
        raise Http404
    note = CaseNote.objects.select_related("case", "author").filter(pk=pk).first()
    if note is None:
        raise Http404
    return note
