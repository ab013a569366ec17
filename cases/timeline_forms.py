"""Forms of the case timeline: an internal note, a file (shape only: the
services check the rest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.notes import NOTE_MAX
from partners.validators import ACCEPT_ATTRIBUTE

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from cases.models import Case
    from cases.timeline import TimelineEntry

MENTION_HELP = _("Write @ and a colleague's login (e.g. @lherrera) to notify them.")


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX,
        help_text=MENTION_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, prefix_id: str = "note", **kwargs):
        super().__init__(*args, **kwargs)
        # Unique ids when a page holds several note forms (one per edit).
        self.fields["body"].widget.attrs["id"] = f"{prefix_id}-body"
        self.fields["body"].widget.attrs["aria-describedby"] = f"{prefix_id}-body-help"


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ACCEPT_ATTRIBUTE}
        ),
    )

    def __init__(self, *args, prefix_id: str = "attachment", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["file"]
        field.help_text = gettext("PDF, PNG, JPEG or WebP, up to %(limit)s.") % {
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        }
        field.widget.attrs["id"] = f"{prefix_id}-file"
        field.widget.attrs["aria-describedby"] = f"{prefix_id}-file-help"


def timeline_forms(user: AbstractBaseUser, case: Case, entries: list[TimelineEntry]) -> dict:
    """The case page's note and file forms that ``user`` may use, and an edit
    form on each of their own notes (``cases.timeline``)."""
    from cases.timeline import can_attach_files, can_write_notes

    notes = can_write_notes(user, case)
    if notes:
        for entry in entries:
            if entry.kind == "note" and entry.item.author_id == user.pk:
                entry.item.edit_form = NoteForm(
                    initial={"body": entry.item.body}, prefix_id=f"note-{entry.item.pk}"
                )
    return {
        "can_write_notes": notes,
        "note_form": NoteForm() if notes else None,
        "attachment_form": AttachmentForm() if can_attach_files(user, case) else None,
    }
